"""Tier maths at every boundary: discounts by group size, the maximum, crossings, prices and rebates to the cent."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from promotions import tiers
from promotions.tiers import Tier

TABLE = tiers.as_tiers([(2, Decimal("10")), (4, Decimal("20")), (6, Decimal("30"))])
D = Decimal


@pytest.mark.parametrize(("count", "percent"), [
    (0, "0.00"), (1, "0.00"), (2, "10.00"), (3, "10.00"), (4, "20.00"), (5, "20.00"), (6, "30.00"), (600, "30.00"),
])
def test_discount_at_every_boundary(count, percent):
    assert tiers.discount_for(TABLE, count, max_discount=D(50)) == D(percent)


def test_the_maximum_caps_the_deepest_tiers():
    assert tiers.discount_for(TABLE, 6, max_discount=D(25)) == D("25.00")
    assert tiers.discount_for(TABLE, 4, max_discount=D(25)) == D("20.00")
    # The capped tier is no "next tier" once the group has reached the cap.
    assert tiers.next_tier(TABLE, 5, max_discount=D(20)) is None


@pytest.mark.parametrize(("count", "size"), [(0, 2), (1, 2), (2, 4), (3, 4), (4, 6), (5, 6), (6, None)])
def test_next_tier(count, size):
    following = tiers.next_tier(TABLE, count, max_discount=D(50))
    assert (following.min_members if following else None) == size


def test_crossings_list_every_tier_passed_in_order():
    assert tiers.crossed(TABLE, D("0.00"), D("30.00"), max_discount=D(50)) == [D("10.00"), D("20.00"), D("30.00")]
    assert tiers.crossed(TABLE, D("10.00"), D("20.00"), max_discount=D(50)) == [D("20.00")]
    assert tiers.crossed(TABLE, D("30.00"), D("10.00"), max_discount=D(50)) == [D("20.00"), D("10.00")]
    assert tiers.crossed(TABLE, D("10.00"), D("0.00"), max_discount=D(50)) == [D("0.00")]


@pytest.mark.parametrize(("price", "percent", "expected"), [
    ("200.00", "10", "180.00"), ("199.99", "10", "179.99"), ("0.05", "10", "0.05"), ("0.15", "50", "0.08"),
    ("333.33", "33.33", "222.23"), ("100.00", "100", "0.00"),
])
def test_prices_round_half_up_to_the_cent(price, percent, expected):
    assert tiers.price_at(D(price), D(percent)) == D(expected)


def test_rebate_is_what_was_paid_above_the_price_and_never_negative():
    assert tiers.rebate_target(list_price=D("200.00"), net_paid=D("200.00"), percent=D("20")) == D("40.00")
    assert tiers.rebate_target(list_price=D("200.00"), net_paid=D("170.00"), percent=D("20")) == D("10.00")
    assert tiers.rebate_target(list_price=D("200.00"), net_paid=D("150.00"), percent=D("20")) == D("0.00")


@pytest.mark.parametrize(("rows", "problem"), [
    ([(2, D(10)), (2, D(20))], "same group size"),
    ([(2, D(10)), (4, D(10))], "must grow with the group"),
    ([(2, D(20)), (4, D(10))], "must grow with the group"),
    ([(2, D(0))], "more than 0"),
    ([(2, D(101))], "at most 100"),
    ([(0, D(10))], "at least 1"),
    ([(2, D(10)), (4, D(60))], "more than the offer's maximum"),
])
def test_tier_table_problems_say_what_to_fix(rows, problem):
    assert problem in tiers.tiers_problem(rows, max_discount=D(50))


def test_a_good_table_has_no_problem():
    assert tiers.tiers_problem([(4, D(20)), (2, D(10))], max_discount=D(50)) == ""


@given(price=st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2),
       percent=st.decimals(min_value=D("0"), max_value=D("100"), places=2),
       extra=st.decimals(min_value=D("0"), max_value=D("1000"), places=2))
def test_paid_minus_rebate_is_the_price_to_the_cent(price, percent, extra):
    paid = tiers.price_at(price, percent) + extra
    rebate = tiers.rebate_target(list_price=price, net_paid=paid, percent=percent)
    assert paid - rebate == tiers.price_at(price, percent)
    assert rebate == extra


def test_tiers_read_from_rows_and_pairs_alike():
    class Row:
        min_members, discount_percent = 3, "15"

    assert tiers.as_tiers([Row(), (1, D(5))]) == [Tier(1, D(5)), Tier(3, D(15))]
