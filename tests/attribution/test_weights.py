"""The five models' arithmetic, checked by hand, and money split to the minor unit without losing a cent."""

from datetime import timedelta
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from attribution import weights
from tests.campaigns.conftest import NOW

DAY = timedelta(days=1)
TIMES = [NOW - 10 * DAY, NOW - 3 * DAY, NOW - timedelta(hours=1)]


def split(model, total=D("100.00"), times=TIMES):
    return weights.allocate(total, weights.raw_weights(model, times, NOW), 2)


def test_last_and_first_touch_take_everything():
    assert split("last_touch") == [D("0.00"), D("0.00"), D("100.00")]
    assert split("first_touch") == [D("100.00"), D("0.00"), D("0.00")]


def test_linear_splits_evenly_and_the_odd_cent_goes_to_the_touch_nearest_the_sale():
    assert split("linear") == [D("33.33"), D("33.33"), D("33.34")]


def test_position_based_gives_forty_twenty_forty():
    assert split("position") == [D("40.00"), D("20.00"), D("40.00")]
    four = [NOW - 4 * DAY, NOW - 3 * DAY, NOW - 2 * DAY, NOW - DAY]
    assert split("position", times=four) == [D("40.00"), D("10.00"), D("10.00"), D("40.00")]
    assert split("position", times=TIMES[:2]) == [D("50.00"), D("50.00")]
    assert split("position", times=TIMES[:1]) == [D("100.00")]


def test_time_decay_halves_every_seven_days():
    # Weights 0.5^(10/7) = 0.37150, 0.5^(3/7) = 0.74293, 0.5^(1/168) = 0.99588; sum 2.11031.
    assert split("time_decay") == [D("17.60"), D("35.21"), D("47.19")]
    week_apart = [NOW - 7 * DAY, NOW]
    assert split("time_decay", D("90.00"), week_apart) == [D("30.00"), D("60.00")]


def test_shares_sum_to_exactly_one_with_eight_places():
    for model in weights.MODELS:
        shares = weights.shares(model, TIMES, NOW)
        assert sum(shares) == D("1.00000000")
        assert all(share.as_tuple().exponent == -8 for share in shares)


def test_currencies_without_cents_split_in_whole_units():
    assert weights.allocate(D("100000"), weights.raw_weights("linear", TIMES, NOW), 0) == [D(33333), D(33333),
                                                                                              D(33334)]


@given(total=st.decimals(min_value=0, max_value=10**9, places=2),
       ages=st.lists(st.integers(min_value=0, max_value=30 * 24 * 60), min_size=1, max_size=30),
       model=st.sampled_from(weights.MODELS))
def test_every_split_adds_up_to_the_whole_and_never_goes_negative(total, ages, model):
    times = sorted(NOW - timedelta(minutes=age) for age in ages)
    parts = weights.allocate(total, weights.raw_weights(model, times, NOW), 2)
    assert sum(parts) == total
    assert all(part >= 0 for part in parts)
