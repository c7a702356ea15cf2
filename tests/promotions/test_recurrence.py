import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.schedules import WallClockError, to_local, to_utc
from promotions.recurrence import Recurrence, next_round, round_at, round_windows, to_utc_for_a_round

UTC = datetime.UTC
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
TEN = datetime.time(10, 0)


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def local(*args):
    return datetime.datetime(*args)


def in_zone(windows, tz_name):
    """Windows as the marketer reads them: naive wall-clock times in the account's zone."""
    return [(to_local(opens_at, tz_name), to_local(closes_at, tz_name)) for opens_at, closes_at in windows]


def daily(at=TEN, closes_after=HOUR):
    return Recurrence(kind="daily", opens_at_local_time=at, closes_after=closes_after)


def monthly(day, at=TEN, closes_after=HOUR):
    return Recurrence(kind="monthly", opens_at_local_time=at, closes_after=closes_after, day_of_month=day)


def windows(recurrence, tz_name, starts_local, ends_local, **options):
    return round_windows(recurrence=recurrence, tz_name=tz_name, starts_at=to_utc(starts_local, tz_name),
                         ends_at=to_utc(ends_local, tz_name), **options)


# --- across a year -------------------------------------------------------------------------


def test_it_opens_a_daily_round_at_the_same_local_time_every_day_for_a_year():
    rounds = in_zone(windows(daily(), "Asia/Seoul", local(2027, 1, 1), local(2028, 1, 1)), "Asia/Seoul")
    assert len(rounds) == 365
    assert rounds[0] == (local(2027, 1, 1, 10), local(2027, 1, 1, 11))
    assert rounds[-1] == (local(2027, 12, 31, 10), local(2027, 12, 31, 11))
    assert all(opens.time() == TEN and closes - opens == HOUR for opens, closes in rounds)


def test_it_opens_a_weekly_round_on_its_weekday_every_week_for_a_year_in_paris():
    friday_evening = Recurrence(kind="weekly", opens_at_local_time=datetime.time(18), closes_after=2 * DAY,
                                day_of_week=4)
    rounds = in_zone(windows(friday_evening, "Europe/Paris", local(2026, 1, 1), local(2027, 1, 1)), "Europe/Paris")
    assert len(rounds) == 52
    assert rounds[0] == (local(2026, 1, 2, 18), local(2026, 1, 4, 18))
    assert all(opens.weekday() == 4 and opens.hour == 18 and closes - opens == 2 * DAY for opens, closes in rounds)


def test_it_opens_a_monthly_round_on_its_day_every_month_for_a_year():
    rounds = in_zone(windows(monthly(15), "America/New_York", local(2026, 1, 1), local(2027, 1, 1)),
                     "America/New_York")
    assert [opens for opens, _ in rounds] == [local(2026, month, 15, 10) for month in range(1, 13)]


# --- month ends ----------------------------------------------------------------------------


def test_the_31st_falls_on_the_last_day_of_february_and_april_in_a_common_year():
    rounds = in_zone(windows(monthly(31), "Asia/Seoul", local(2027, 1, 1), local(2028, 1, 1)), "Asia/Seoul")
    assert [opens.date() for opens, _ in rounds] == [
        datetime.date(2027, 1, 31), datetime.date(2027, 2, 28), datetime.date(2027, 3, 31),
        datetime.date(2027, 4, 30), datetime.date(2027, 5, 31), datetime.date(2027, 6, 30),
        datetime.date(2027, 7, 31), datetime.date(2027, 8, 31), datetime.date(2027, 9, 30),
        datetime.date(2027, 10, 31), datetime.date(2027, 11, 30), datetime.date(2027, 12, 31),
    ]


def test_the_31st_falls_on_the_29th_of_february_in_a_leap_year():
    rounds = in_zone(windows(monthly(31), "Asia/Seoul", local(2028, 2, 1), local(2028, 5, 1)), "Asia/Seoul")
    assert [opens.date() for opens, _ in rounds] == [
        datetime.date(2028, 2, 29), datetime.date(2028, 3, 31), datetime.date(2028, 4, 30)]


@pytest.mark.parametrize(("day", "year", "february"), [(29, 2027, 28), (30, 2027, 28), (29, 2028, 29), (30, 2028, 29)])
def test_the_29th_and_30th_fall_on_the_last_day_of_february(day, year, february):
    rounds = in_zone(windows(monthly(day), "Asia/Seoul", local(year, 2, 1), local(year, 3, 1)), "Asia/Seoul")
    assert [opens.date() for opens, _ in rounds] == [datetime.date(year, 2, february)]


def test_rounds_open_until_the_next_round_close_on_the_last_day_of_a_short_month():
    until_the_next = monthly(31, closes_after=None)
    rounds = in_zone(windows(until_the_next, "Asia/Seoul", local(2027, 1, 31, 10), local(2027, 4, 30, 10)),
                     "Asia/Seoul")
    assert rounds == [
        (local(2027, 1, 31, 10), local(2027, 2, 28, 10)),
        (local(2027, 2, 28, 10), local(2027, 3, 31, 10)),
        (local(2027, 3, 31, 10), local(2027, 4, 30, 10)),
    ]


# --- daylight saving -----------------------------------------------------------------------


def test_it_opens_a_round_skipped_by_new_yorks_spring_jump_at_the_first_instant_after_it():
    # 8 March 2026: 02:00 EST jumps to 03:00 EDT; 02:30 never happens.
    rounds = windows(daily(datetime.time(2, 30)), "America/New_York", local(2026, 3, 7), local(2026, 3, 10))
    assert rounds[1].opens_at == utc(2026, 3, 8, 7, 0)
    assert in_zone(rounds, "America/New_York") == [
        (local(2026, 3, 7, 2, 30), local(2026, 3, 7, 3, 30)),
        (local(2026, 3, 8, 3, 0), local(2026, 3, 8, 3, 30)),  # the clock read 03:30 an hour after 02:30 would have
        (local(2026, 3, 9, 2, 30), local(2026, 3, 9, 3, 30)),
    ]


def test_it_opens_a_round_repeated_by_new_yorks_autumn_change_at_the_first_occurrence():
    # 1 November 2026: 02:00 EDT goes back to 01:00 EST; 01:30 happens at 05:30 and again at 06:30 UTC.
    rounds = windows(daily(datetime.time(1, 30)), "America/New_York", local(2026, 10, 31), local(2026, 11, 3))
    assert rounds[1].opens_at == utc(2026, 11, 1, 5, 30)
    assert rounds[1].closes_at == utc(2026, 11, 1, 7, 30)  # 02:30 EST: entries stay open until the clock says 02:30


def test_it_handles_the_skipped_and_repeated_hours_in_paris():
    at_half_past_two = daily(datetime.time(2, 30))
    spring = windows(at_half_past_two, "Europe/Paris", local(2026, 3, 28), local(2026, 3, 31))
    assert spring[1].opens_at == utc(2026, 3, 29, 1, 0)  # 03:00 CEST, the first instant after the jump
    autumn = windows(at_half_past_two, "Europe/Paris", local(2026, 10, 24), local(2026, 10, 27))
    assert autumn[1].opens_at == utc(2026, 10, 25, 0, 30)  # the first 02:30, still summer time


def test_the_admin_form_still_refuses_the_times_a_round_resolves():
    with pytest.raises(WallClockError):
        to_utc(local(2026, 3, 8, 2, 30), "America/New_York")
    with pytest.raises(WallClockError):
        to_utc(local(2026, 11, 1, 1, 30), "America/New_York")
    assert to_utc_for_a_round(local(2026, 3, 8, 2, 30), "America/New_York") == utc(2026, 3, 8, 7, 0)
    assert to_utc_for_a_round(local(2026, 11, 1, 1, 30), "America/New_York") == utc(2026, 11, 1, 5, 30)


def test_back_to_back_daily_rounds_leave_no_gap_and_never_overlap_across_both_changes():
    whole_day = daily(datetime.time(0, 0), closes_after=DAY)
    rounds = windows(whole_day, "America/New_York", local(2026, 3, 7), local(2026, 11, 3))
    assert all(earlier.closes_at == later.opens_at for earlier, later in zip(rounds, rounds[1:], strict=False))
    lengths = {to_local(window.opens_at, "America/New_York").date(): window.closes_at - window.opens_at
               for window in rounds}
    assert lengths[datetime.date(2026, 3, 8)] == 23 * HOUR
    assert lengths[datetime.date(2026, 11, 1)] == 25 * HOUR
    assert lengths[datetime.date(2026, 7, 4)] == 24 * HOUR


def test_a_round_whose_whole_day_was_skipped_still_runs_for_its_length():
    # Samoa crossed the date line: 29 December 2011 was followed by 31 December.
    rounds = in_zone(windows(daily(), "Pacific/Apia", local(2011, 12, 28), local(2012, 1, 1)), "Pacific/Apia")
    assert rounds == [
        (local(2011, 12, 28, 10), local(2011, 12, 28, 11)),
        (local(2011, 12, 29, 10), local(2011, 12, 29, 11)),
        (local(2011, 12, 31, 0), local(2011, 12, 31, 1)),
        (local(2011, 12, 31, 10), local(2011, 12, 31, 11)),
    ]


def test_a_skipped_day_whose_round_would_overlap_the_next_days_has_none():
    at_midnight = in_zone(windows(daily(datetime.time(0, 0)), "Pacific/Apia", local(2011, 12, 29), local(2012, 1, 1)),
                          "Pacific/Apia")
    assert at_midnight == [
        (local(2011, 12, 29, 0), local(2011, 12, 29, 1)),
        (local(2011, 12, 31, 0), local(2011, 12, 31, 1)),
    ]


# --- the airline: a draw on the 10th of every month ----------------------------------------


AIRLINE = monthly(10, closes_after=None)


def test_the_airlines_rounds_run_from_one_draw_to_the_next_for_six_months_in_seoul():
    rounds = windows(AIRLINE, "Asia/Seoul", local(2026, 12, 10, 10), local(2027, 6, 10, 10))
    assert [window.closes_at for window in rounds] == [utc(2027, month, 10, 1) for month in range(1, 7)]
    assert in_zone(rounds, "Asia/Seoul")[0] == (local(2026, 12, 10, 10), local(2027, 1, 10, 10))
    assert all(earlier.closes_at == later.opens_at for earlier, later in zip(rounds, rounds[1:], strict=False))


def test_the_first_round_opens_at_the_campaigns_start_and_the_last_closes_at_its_end():
    starts_at, ends_at = to_utc(local(2027, 1, 1), "Asia/Seoul"), to_utc(local(2027, 3, 20), "Asia/Seoul")
    rounds = round_windows(recurrence=AIRLINE, tz_name="Asia/Seoul", starts_at=starts_at, ends_at=ends_at)
    assert rounds == [
        (starts_at, utc(2027, 1, 10, 1)),
        (utc(2027, 1, 10, 1), utc(2027, 2, 10, 1)),
        (utc(2027, 2, 10, 1), utc(2027, 3, 10, 1)),
        (utc(2027, 3, 10, 1), ends_at),
    ]


# --- the campaign's span -------------------------------------------------------------------


def test_a_fixed_length_round_that_does_not_fit_inside_the_campaign_is_not_held():
    rounds = in_zone(windows(daily(), "Asia/Seoul", local(2027, 1, 1, 10, 30), local(2027, 1, 3, 10, 30)),
                     "Asia/Seoul")
    assert rounds == [(local(2027, 1, 2, 10), local(2027, 1, 2, 11))]


def test_a_one_off_round_opens_on_its_date_for_its_length_or_until_the_campaign_ends():
    starts_at, ends_at = utc(2027, 1, 1), utc(2027, 2, 1)
    for_a_week = Recurrence(kind="once", opens_at_local_time=TEN, closes_after=7 * DAY,
                            opens_on=datetime.date(2027, 1, 5))
    assert round_windows(recurrence=for_a_week, tz_name="Asia/Seoul", starts_at=starts_at, ends_at=ends_at) == [
        (utc(2027, 1, 5, 1), utc(2027, 1, 12, 1))]
    until_the_end = Recurrence(kind="once", opens_at_local_time=TEN, closes_after=None,
                               opens_on=datetime.date(2027, 1, 5))
    assert round_windows(recurrence=until_the_end, tz_name="Asia/Seoul", starts_at=starts_at, ends_at=ends_at) == [
        (utc(2027, 1, 5, 1), ends_at)]


def test_a_one_off_round_outside_the_campaign_is_not_held():
    too_late = Recurrence(kind="once", opens_at_local_time=TEN, closes_after=DAY, opens_on=datetime.date(2027, 3, 1))
    assert round_windows(recurrence=too_late, tz_name="UTC", starts_at=utc(2027, 1, 1), ends_at=utc(2027, 2, 1)) == []


def test_it_returns_at_most_limit_rounds():
    rounds = windows(daily(), "Asia/Seoul", local(2027, 1, 1), local(2028, 1, 1), limit=3)
    assert [to_local(window.opens_at, "Asia/Seoul").day for window in rounds] == [1, 2, 3]


# --- the round at a moment, and the next one -----------------------------------------------


SPAN = {"tz_name": "UTC", "starts_at": utc(2027, 1, 1), "ends_at": utc(2027, 1, 10)}
TICK = datetime.timedelta(microseconds=1)


def test_a_round_is_open_from_its_opening_instant_until_just_before_its_close():
    window = (utc(2027, 1, 2, 10), utc(2027, 1, 2, 11))
    assert round_at(recurrence=daily(), at=utc(2027, 1, 2, 10), **SPAN) == window
    assert round_at(recurrence=daily(), at=utc(2027, 1, 2, 11) - TICK, **SPAN) == window
    assert round_at(recurrence=daily(), at=utc(2027, 1, 2, 10) - TICK, **SPAN) is None
    assert round_at(recurrence=daily(), at=utc(2027, 1, 2, 11), **SPAN) is None


def test_at_a_draw_the_next_round_is_already_open():
    span = {"tz_name": "Asia/Seoul", "starts_at": utc(2027, 1, 1), "ends_at": utc(2027, 6, 10, 1)}
    assert round_at(recurrence=AIRLINE, at=utc(2027, 2, 10, 1), **span) == (utc(2027, 2, 10, 1), utc(2027, 3, 10, 1))
    assert round_at(recurrence=AIRLINE, at=utc(2027, 2, 10, 1) - TICK, **span) == (
        utc(2027, 1, 10, 1), utc(2027, 2, 10, 1))


def test_no_round_is_open_outside_the_campaign():
    until_the_next = daily(closes_after=None)
    assert round_at(recurrence=until_the_next, at=utc(2027, 1, 1) - TICK, **SPAN) is None
    assert round_at(recurrence=until_the_next, at=utc(2027, 1, 1), **SPAN) == (utc(2027, 1, 1), utc(2027, 1, 1, 10))
    assert round_at(recurrence=until_the_next, at=utc(2027, 1, 10), **SPAN) is None


def test_the_next_round_is_the_first_to_open_strictly_after_the_moment():
    assert next_round(recurrence=daily(), at=utc(2026, 6, 1), **SPAN) == (utc(2027, 1, 1, 10), utc(2027, 1, 1, 11))
    assert next_round(recurrence=daily(), at=utc(2027, 1, 2, 10) - TICK, **SPAN) == (
        utc(2027, 1, 2, 10), utc(2027, 1, 2, 11))
    assert next_round(recurrence=daily(), at=utc(2027, 1, 2, 10), **SPAN) == (
        utc(2027, 1, 3, 10), utc(2027, 1, 3, 11))
    assert next_round(recurrence=daily(), at=utc(2027, 1, 9, 10), **SPAN) is None


def test_finding_the_round_years_into_a_campaign_agrees_with_listing_them_all():
    span = {"tz_name": "America/New_York", "starts_at": utc(2020, 1, 1), "ends_at": utc(2030, 1, 1)}
    rounds = round_windows(recurrence=monthly(31, closes_after=None), **span)
    assert round_at(recurrence=monthly(31, closes_after=None), at=utc(2028, 2, 29, 16), **span) == next(
        window for window in rounds if window.opens_at <= utc(2028, 2, 29, 16) < window.closes_at)


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "message"), [
    ({"kind": "yearly"}, "once, daily, weekly or monthly"),
    ({"kind": "weekly"}, "day_of_week from 0 \\(Monday\\) to 6 \\(Sunday\\)"),
    ({"kind": "weekly", "day_of_week": 7}, "day_of_week from 0 \\(Monday\\) to 6 \\(Sunday\\); got 7"),
    ({"kind": "monthly", "day_of_month": 0}, "day_of_month from 1 to 31"),
    ({"kind": "monthly", "day_of_month": 32}, "day_of_month from 1 to 31 .*; got 32"),
    ({"kind": "daily", "day_of_month": 10}, "A daily round takes no day_of_month"),
    ({"kind": "once"}, "A one-off round needs opens_on"),
    ({"kind": "daily", "closes_after": datetime.timedelta(0)}, "positive length of time"),
    ({"kind": "daily", "closes_after": -HOUR}, "positive length of time"),
    ({"kind": "daily", "closes_after": DAY + HOUR}, "at most 1 day, so that it closes before the next round opens"),
    ({"kind": "weekly", "day_of_week": 0, "closes_after": 8 * DAY}, "at most 7 days"),
    ({"kind": "monthly", "day_of_month": 1, "closes_after": 29 * DAY}, "at most 28 days \\(February's length\\)"),
    ({"kind": "daily", "opens_at_local_time": datetime.time(10, tzinfo=UTC)}, "without a time zone"),
])
def test_it_refuses_a_schedule_that_cannot_work_with_a_sentence(fields, message):
    with pytest.raises(ValueError, match=message):
        Recurrence(**{"opens_at_local_time": TEN, "closes_after": HOUR, **fields})


def test_the_longest_windows_are_accepted():
    assert daily(closes_after=DAY).closes_after == DAY
    assert monthly(31, closes_after=28 * DAY).closes_after == 28 * DAY


def test_it_refuses_a_campaign_that_ends_before_it_starts_or_naive_times():
    with pytest.raises(ValueError, match="must end after it starts"):
        round_windows(recurrence=daily(), tz_name="UTC", starts_at=utc(2027, 2, 1), ends_at=utc(2027, 1, 1))
    with pytest.raises(ValueError, match="starts_at must be an aware date-time"):
        round_windows(recurrence=daily(), tz_name="UTC", starts_at=local(2027, 1, 1), ends_at=utc(2027, 2, 1))
    with pytest.raises(ValueError, match="at must be an aware date-time"):
        round_at(recurrence=daily(), at=local(2027, 1, 5), **SPAN)


# --- properties ----------------------------------------------------------------------------


ZONES = ["Asia/Seoul", "America/New_York", "Europe/Paris", "Australia/Lord_Howe", "America/Sao_Paulo",
         "Pacific/Chatham", "Pacific/Apia", "UTC"]


@st.composite
def recurrences(draw):
    kind = draw(st.sampled_from(["once", "daily", "weekly", "monthly"]))
    longest = {"once": 60 * DAY, "daily": DAY, "weekly": 7 * DAY, "monthly": 28 * DAY}[kind]
    minutes = draw(st.integers(min_value=1, max_value=int(longest.total_seconds() // 60)))
    return Recurrence(
        kind=kind,
        opens_at_local_time=draw(st.times()).replace(microsecond=0),
        closes_after=draw(st.sampled_from([None, datetime.timedelta(minutes=minutes)])),
        day_of_week=draw(st.integers(0, 6)) if kind == "weekly" else None,
        day_of_month=draw(st.integers(1, 31)) if kind == "monthly" else None,
        opens_on=draw(st.dates(datetime.date(2000, 1, 1), datetime.date(2037, 12, 1))) if kind == "once" else None,
    )


def spans():
    starts = st.datetimes(datetime.datetime(2000, 1, 1), datetime.datetime(2037, 1, 1), timezones=st.just(UTC))
    lengths = st.timedeltas(datetime.timedelta(minutes=1), datetime.timedelta(days=400))
    return st.tuples(starts, lengths).map(lambda pair: (pair[0], pair[0] + pair[1]))


@settings(max_examples=300, deadline=None)
@given(recurrence=recurrences(), tz_name=st.sampled_from(ZONES), span=spans())
def test_windows_are_ordered_never_overlap_and_stay_inside_the_campaign(recurrence, tz_name, span):
    starts_at, ends_at = span
    rounds = round_windows(recurrence=recurrence, tz_name=tz_name, starts_at=starts_at, ends_at=ends_at)
    for window in rounds:
        assert starts_at <= window.opens_at < window.closes_at <= ends_at
    for earlier, later in zip(rounds, rounds[1:], strict=False):
        assert earlier.closes_at <= later.opens_at
    if recurrence.closes_after is None and recurrence.kind != "once":
        # Rounds that run until the next one tile the campaign.
        assert rounds[0].opens_at == starts_at and rounds[-1].closes_at == ends_at
        assert all(earlier.closes_at == later.opens_at for earlier, later in zip(rounds, rounds[1:], strict=False))


@settings(max_examples=200, deadline=None)
@given(recurrence=recurrences(), tz_name=st.sampled_from(ZONES), span=spans(), fraction=st.floats(0, 1))
def test_the_round_at_a_moment_and_the_next_one_agree_with_the_list(recurrence, tz_name, span, fraction):
    starts_at, ends_at = span
    at = starts_at + (ends_at - starts_at) * fraction
    options = {"recurrence": recurrence, "tz_name": tz_name, "starts_at": starts_at, "ends_at": ends_at}
    rounds = round_windows(**options)
    assert round_at(at=at, **options) == next((w for w in rounds if w.opens_at <= at < w.closes_at), None)
    assert next_round(at=at, **options) == next((w for w in rounds if w.opens_at > at), None)
    for window in rounds[:3] + rounds[-3:]:
        assert round_at(at=window.opens_at, **options) == window
        assert round_at(at=window.closes_at - TICK, **options) == window
