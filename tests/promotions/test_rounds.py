"""Rounds: the every-minute sweep opens them at the right instants (DST, month ends) and closes them once."""

import datetime
import logging

import pytest

from accounts.models import BrandAccount
from campaigns.models import Campaign
from campaigns.status import change_status
from promotions import draws
from promotions.models import Giveaway, Round, RoundEvent, RulesVersion
from promotions.rounds import RoundChangeRefused, advance_due_rounds, change_round_status, current_round, open_round
from tests.campaigns.conftest import make_campaign
from tests.concurrency import run_concurrently
from tests.promotions.conftest import DAY, HOUR, NOW, make_giveaway

UTC = datetime.UTC
MINUTE = datetime.timedelta(minutes=1)


def utc(*parts):
    return datetime.datetime(*parts, tzinfo=UTC)


def sweep_every(step, *, start, end):
    """Run the sweep at every `step` from start to end, as the scheduler would."""
    at = start
    while at <= end:
        advance_due_rounds(at=at)
        at += step


def windows(giveaway):
    return [(round.opens_at, round.closes_at) for round in giveaway.rounds.order_by("opens_at")]


@pytest.fixture
def new_york(db):
    return BrandAccount.objects.create(name="Empire Air", slug="empire-air", kind=BrandAccount.Kind.MAIN,
                                       timezone="America/New_York", currency="USD")


def new_york_giveaway(account, *, starts_at, ends_at, **fields):
    campaign = make_campaign(account, slug="ny", status=Campaign.Status.LIVE, starts_at=starts_at, ends_at=ends_at)
    return make_giveaway(campaign, slug="ny-daily", **fields)


# --- opening at the right instants ---


def test_daily_rounds_follow_the_wall_clock_across_the_march_change(new_york):
    giveaway = new_york_giveaway(new_york, starts_at=utc(2026, 3, 1), ends_at=utc(2026, 3, 20))
    sweep_every(30 * MINUTE, start=utc(2026, 3, 6, 15), end=utc(2026, 3, 10, 15))
    # 10:00 in New York: 15:00 UTC in winter time, 14:00 UTC from 8 March (clocks went forward at 02:00).
    assert windows(giveaway) == [
        (utc(2026, 3, 6, 15), utc(2026, 3, 7, 15)),
        (utc(2026, 3, 7, 15), utc(2026, 3, 8, 14)),  # 23 real hours: 10:00 to 10:00 on the wall clock
        (utc(2026, 3, 8, 14), utc(2026, 3, 9, 14)),
        (utc(2026, 3, 9, 14), utc(2026, 3, 10, 14)),
        (utc(2026, 3, 10, 14), utc(2026, 3, 11, 14)),
    ]
    opening_events = RoundEvent.objects.filter(to_status=Round.Status.OPEN).order_by("occurred_at")
    assert [event.occurred_at for event in opening_events] == [opens for opens, _closes in windows(giveaway)]
    assert list(giveaway.rounds.order_by("number").values_list("status", flat=True)) == ["closed"] * 4 + ["open"]


def test_daily_rounds_follow_the_wall_clock_across_the_november_change(new_york):
    giveaway = new_york_giveaway(new_york, starts_at=utc(2026, 10, 25), ends_at=utc(2026, 11, 10))
    sweep_every(30 * MINUTE, start=utc(2026, 10, 30, 14), end=utc(2026, 11, 2, 15))
    assert windows(giveaway) == [
        (utc(2026, 10, 30, 14), utc(2026, 10, 31, 14)),
        (utc(2026, 10, 31, 14), utc(2026, 11, 1, 15)),  # 25 real hours: the clocks went back at 02:00
        (utc(2026, 11, 1, 15), utc(2026, 11, 2, 15)),
        (utc(2026, 11, 2, 15), utc(2026, 11, 3, 15)),
    ]


def test_a_round_at_a_skipped_local_time_opens_when_the_clocks_jump(new_york):
    giveaway = new_york_giveaway(new_york, starts_at=utc(2026, 3, 1), ends_at=utc(2026, 3, 20),
                                 opens_at_local_time=datetime.time(2, 30), window_hours=None)
    sweep_every(30 * MINUTE, start=utc(2026, 3, 7, 7, 30), end=utc(2026, 3, 9, 7, 30))
    # 02:30 did not happen on 8 March: that round opens at 03:00 EDT, 07:00 UTC.
    assert [opens for opens, _closes in windows(giveaway)] == [
        utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7), utc(2026, 3, 9, 6, 30)]


@pytest.fixture
def monthly_on_the_31st(main_account):
    campaign = make_campaign(main_account, slug="anniversary", status=Campaign.Status.LIVE,
                             starts_at=utc(2027, 1, 1), ends_at=utc(2027, 5, 1))
    return make_giveaway(campaign, slug="monthly", recurrence=Giveaway.Recurrence.MONTHLY, day_of_month=31,
                         window_hours=None)


def test_a_monthly_round_on_the_31st_falls_on_the_last_day_of_february(monthly_on_the_31st):
    giveaway = monthly_on_the_31st
    seoul_ten = datetime.time(1)  # 10:00 in Seoul is 01:00 UTC (no daylight saving)
    advance_due_rounds(at=utc(2027, 1, 1))
    for day in (datetime.date(2027, 1, 31), datetime.date(2027, 2, 28), datetime.date(2027, 3, 31)):
        instant = datetime.datetime.combine(day, seoul_ten, tzinfo=UTC)
        opened, closed = advance_due_rounds(at=instant)
        assert len(opened) == 1 and Round.objects.get(pk=opened[0]).opens_at == instant
    assert windows(giveaway) == [
        (utc(2027, 1, 1), utc(2027, 1, 31, 1)),  # the first round opens with the campaign
        (utc(2027, 1, 31, 1), utc(2027, 2, 28, 1)),
        (utc(2027, 2, 28, 1), utc(2027, 3, 31, 1)),
        (utc(2027, 3, 31, 1), utc(2027, 4, 30, 1)),  # and the 30th in April
    ]


def test_a_sweep_one_minute_early_opens_nothing_new(monthly_on_the_31st):
    advance_due_rounds(at=utc(2027, 2, 1))
    assert advance_due_rounds(at=utc(2027, 2, 28, 0, 59)) == ([], [])
    opened, closed = advance_due_rounds(at=utc(2027, 2, 28, 1))
    assert (len(opened), len(closed)) == (1, 1)


# --- closing once ---


def test_the_sweep_closes_a_due_round_once(giveaway):
    [first_id], [] = advance_due_rounds(at=NOW)
    assert advance_due_rounds(at=NOW) == ([], [])
    first = Round.objects.get(pk=first_id)
    opened, closed = advance_due_rounds(at=first.closes_at)
    assert closed == [first.pk] and len(opened) == 1
    assert advance_due_rounds(at=first.closes_at) == ([], [])
    assert advance_due_rounds(at=first.closes_at + MINUTE) == ([], [])
    assert list(first.events.values_list("from_status", "to_status", "note")) == [
        ("", "open", "Rules version 1"), ("open", "closed", "Entry window over")]


def test_a_campaign_ended_early_closes_its_open_round_and_opens_no_more(giveaway, live_giveaway_campaign):
    [round_id], [] = advance_due_rounds(at=NOW)
    change_status(campaign=live_giveaway_campaign, to=Campaign.Status.ENDED, at=NOW + HOUR)
    assert advance_due_rounds(at=NOW + HOUR + MINUTE) == ([], [round_id])
    assert RoundEvent.objects.get(round_id=round_id, to_status=Round.Status.CLOSED).note == "The campaign ended"
    assert advance_due_rounds(at=NOW + 2 * DAY) == ([], [])


def test_a_paused_campaign_keeps_its_round_until_the_window_ends(giveaway, live_giveaway_campaign):
    [round_id], [] = advance_due_rounds(at=NOW)
    change_status(campaign=live_giveaway_campaign, to=Campaign.Status.PAUSED, at=NOW + HOUR)
    assert advance_due_rounds(at=NOW + 2 * HOUR) == ([], [])
    round = Round.objects.get(pk=round_id)
    assert round.status == Round.Status.OPEN
    opened, closed = advance_due_rounds(at=round.closes_at)
    assert closed == [round_id] and len(opened) == 1  # the next round opens; it takes entries once live again


def test_a_giveaway_with_an_impossible_schedule_does_not_stop_the_sweep(giveaway, live_giveaway_campaign, caplog):
    broken = make_giveaway(live_giveaway_campaign, slug="broken", recurrence=Giveaway.Recurrence.MONTHLY,
                           day_of_month=None)  # the admin's form would refuse it
    with caplog.at_level(logging.ERROR, logger="promotions.rounds"):
        opened, _closed = advance_due_rounds(at=NOW)
    assert [Round.objects.get(pk=pk).giveaway for pk in opened] == [giveaway]
    assert f"Giveaway {broken.pk} has a schedule that cannot work" in caplog.text


# --- opening by hand, reading, status changes ---


def test_a_round_is_opened_with_a_seed_its_commitment_and_the_rules_that_stand(giveaway):
    assert current_round(giveaway, NOW) is None  # reading writes nothing
    round = open_round(giveaway=giveaway, at=NOW)
    assert (round.number, round.status, round.opens_at, round.closes_at) == (
        1, Round.Status.OPEN, utc(2026, 12, 1, 1), utc(2026, 12, 2, 1))
    assert len(round.seed) == 64 and round.commitment == draws.commitment(round.seed)
    assert round.rules_version.number == 1
    assert open_round(giveaway=giveaway, at=NOW + HOUR) == round
    assert current_round(giveaway, NOW) == round
    assert current_round(giveaway, NOW + DAY) is None


def test_no_round_opens_outside_a_running_campaign(giveaway, live_giveaway_campaign):
    assert open_round(giveaway=giveaway, at=live_giveaway_campaign.ends_at + HOUR) is None
    Campaign.objects.filter(pk=live_giveaway_campaign.pk).update(status=Campaign.Status.SCHEDULED)
    giveaway.campaign.refresh_from_db()
    assert open_round(giveaway=giveaway, at=NOW) is None
    assert Round.objects.count() == 0


def test_a_round_moves_open_closed_drawn_and_never_back(giveaway, alice):
    round = open_round(giveaway=giveaway, at=NOW)
    assert change_round_status(round=round, to=Round.Status.CLOSED, at=NOW + HOUR, by=alice, note="Closed by hand")
    assert change_round_status(round=round, to=Round.Status.CLOSED, at=NOW + HOUR) is False
    with pytest.raises(RoundChangeRefused, match="is closed and cannot become open"):
        change_round_status(round=round, to=Round.Status.OPEN, at=NOW + HOUR)
    assert change_round_status(round=round, to=Round.Status.DRAWN, at=NOW + DAY)
    stale = Round.objects.get(pk=round.pk)
    stale.status = Round.Status.CLOSED  # another process read it before the draw
    assert change_round_status(round=stale, to=Round.Status.DRAWN, at=NOW + DAY) is False
    assert round.events.count() == 3


@pytest.mark.postgres
def test_simultaneous_openings_make_one_round(giveaway):
    def open_it():
        return open_round(giveaway=Giveaway.objects.get(pk=giveaway.pk), at=NOW).pk

    results, errors = run_concurrently(open_it, threads=8)
    assert errors == []
    assert len(set(results)) == 1
    assert (Round.objects.count(), RoundEvent.objects.count(), RulesVersion.objects.count()) == (1, 1, 1)


@pytest.mark.postgres
def test_simultaneous_sweeps_open_and_close_once(giveaway):
    advance_due_rounds(at=NOW)
    first = Round.objects.get()
    results, errors = run_concurrently(lambda: advance_due_rounds(at=first.closes_at), threads=4)
    assert errors == []
    assert sorted(len(closed) for _opened, closed in results) == [0, 0, 0, 1]
    assert Round.objects.count() == 2
    assert RoundEvent.objects.filter(to_status=Round.Status.CLOSED).count() == 1


# --- an edited schedule applies from the next round ---


def test_a_schedule_edited_mid_round_opens_no_second_round(giveaway, code_mission, dana):
    from promotions.giveaways import complete_mission
    from tests.promotions.conftest import facts

    complete_mission(participant=dana, mission=code_mission, facts=facts(), answer="JEJU 2026", at=NOW)
    first = Round.objects.get(giveaway=giveaway)
    giveaway.opens_at_local_time = datetime.time(11, 0)  # was 10:00 Seoul: 02:00 UTC from now on
    giveaway.save()
    again = complete_mission(participant=dana, mission=code_mission, facts=facts(), answer="JEJU 2026",
                             at=NOW + HOUR)
    assert not again.created  # the same round: already done
    assert current_round(giveaway, NOW + HOUR) == first
    sweep_every(10 * MINUTE, start=NOW, end=NOW + DAY + 2 * HOUR)
    # The first round kept its window (01:00–01:00 UTC); the next opened at the new time, after it closed.
    assert windows(giveaway) == [(utc(2026, 12, 1, 1), utc(2026, 12, 2, 1)), (utc(2026, 12, 2, 2), utc(2026, 12, 3, 2))]


def test_the_figures_the_rules_promised_hold_for_the_round_whatever_is_edited(giveaway, code_mission, dana):
    from promotions.drawing import draw_round
    from promotions.giveaways import complete_mission
    from tests.promotions.conftest import facts, make_person

    complete_mission(participant=dana, mission=code_mission, facts=facts(), answer="JEJU 2026", at=NOW)
    giveaway.winners_per_round, giveaway.minimum_age, giveaway.claim_days = 4, 60, 1
    giveaway.save()
    code_mission.required = True
    code_mission.save()
    # Still 18 and over, one winner and 14 days to claim in this round, as its frozen rules say.
    young = make_person("young@example.com", birth_date=datetime.date(2000, 1, 1))
    assert complete_mission(participant=young, mission=code_mission, facts=facts(ip="203.0.113.9"),
                            answer="JEJU 2026", at=NOW + HOUR).created
    round = Round.objects.get(giveaway=giveaway)
    assert "1 winner(s) per round" in round.rules_version.text
    advance_due_rounds(at=round.closes_at)
    draw = draw_round(round=round, at=round.closes_at)
    assert draw.winners == 1
    winner = draw.places.get(place=1)
    assert winner.claim_deadline == round.closes_at + 14 * DAY
    # The next round opens under the new figures.
    advance_due_rounds(at=round.closes_at + MINUTE)
    following = Round.objects.get(giveaway=giveaway, number=2)
    assert following.terms["winners"] == 4 and following.terms["minimum_age"] == 60
    assert following.terms["required_mission_ids"] == [code_mission.pk]
