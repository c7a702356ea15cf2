"""The prize value of a series of rounds against the registration threshold (promotions/series.py)."""

import datetime
from decimal import Decimal

from promotions import rounds
from promotions.models import Giveaway
from promotions.series import series_total
from tests.campaigns.conftest import make_campaign
from tests.promotions.conftest import NOW, make_giveaway


def test_it_counts_held_and_planned_rounds_of_a_daily_giveaway(giveaway):
    # The campaign runs from 30 November 12:00 to 11 December 12:00 Seoul time; 24-hour rounds open daily at
    # 10:00, so the ten opening on 1 to 10 December fit inside it.
    total = series_total(giveaway)
    assert (total.rounds_held, total.rounds) == (0, 10)
    assert total.total == Decimal("1200.00") * 10
    rounds.open_round(giveaway=giveaway, at=NOW)
    after = series_total(giveaway)
    assert (after.rounds_held, after.rounds_planned, after.total) == (1, 9, total.total)  # never counted twice


def test_it_warns_when_the_series_passes_the_threshold(giveaway):
    total = series_total(giveaway)
    assert total.crosses_threshold
    assert "12,000.00 USD" in total.warning() and "5,000.00 USD" in total.warning()
    assert "register it before the first round opens" in total.warning()


def test_it_stays_quiet_below_the_threshold(live_giveaway_campaign):
    once = make_giveaway(live_giveaway_campaign, slug="once", recurrence=Giveaway.Recurrence.ONCE,
                         opens_on=datetime.date(2026, 12, 2), window_hours=None, winners_per_round=2)
    total = series_total(once)
    assert (total.rounds, total.total, total.warning()) == (1, Decimal("2400.00"), "")


def test_it_counts_only_held_rounds_while_the_campaign_has_no_dates(main_account):
    undated = make_campaign(main_account, slug="undated")
    total = series_total(make_giveaway(undated, slug="undated-giveaway"))
    assert total.rounds == 0
    assert "no dates" in total.note
