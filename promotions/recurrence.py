"""When a giveaway's rounds take entries: one-off, or daily, weekly or monthly in the owner account's time zone.

A `Recurrence` names a local opening time ("the 10th at 10:00 in Seoul") and how long
entries stay open. The entry window of each round opens at that wall-clock time on its
day and either

* lasts `closes_after`, measured on the local wall clock ("24 hours" from 10:00 closes at
  10:00 the next day, 23 or 25 real hours on the nights the clocks change, so back-to-back
  daily rounds neither overlap nor leave an hour uncovered; "from the 1st at 00:00 for
  9 days 10 hours" closes on the 10th at 10:00 in every month), or
* stays open until the next round opens (`closes_after=None`). This is the airline's
  model: the draw is on the 10th of each month at 10:00 and entries run from the previous
  draw until that one, which no fixed duration can say because months differ in length.
  Such rounds tile the campaign: the first opens at the campaign's start, and the last
  closes at its end (end the campaign at a draw time for every round to close on the 10th).

A round with a fixed length that does not fit wholly inside the campaign is not held: a
marketer who promised "24 hours to enter" never gets a round silently cut to one hour.

Monthly rounds on the 29th, 30th or 31st fall on the last day of shorter months
(28 or 29 February, 30 April), as the marketer means "the end of the month".

Pure functions of their arguments; time is passed in. The Giveaway and Round models call
these to create rounds and to find the round open at a given moment.
"""

import calendar
import datetime
import itertools
import math
import zoneinfo
from dataclasses import dataclass
from typing import NamedTuple

from campaigns.schedules import WallClockError, to_local, to_utc

ONCE, DAILY, WEEKLY, MONTHLY = "once", "daily", "weekly", "monthly"
KINDS = (ONCE, DAILY, WEEKLY, MONTHLY)

# The longest a fixed window may last so that one round closes before the next opens:
# a month is measured by its shortest, February (28 February to 28 March).
LONGEST_WINDOW = {
    DAILY: datetime.timedelta(days=1),
    WEEKLY: datetime.timedelta(days=7),
    MONTHLY: datetime.timedelta(days=28),
}
LONGEST_WINDOW_IN_WORDS = {DAILY: "1 day", WEEKLY: "7 days", MONTHLY: "28 days (February's length)"}

# How far before a moment to start looking for the round that contains it: one whole period
# plus room for a daylight-saving jump, so finding a round costs the same in year five as on day one.
LOOKBACK = {
    ONCE: datetime.timedelta(0),
    DAILY: datetime.timedelta(days=3),
    WEEKLY: datetime.timedelta(days=9),
    MONTHLY: datetime.timedelta(days=33),
}

@dataclass(frozen=True)
class Recurrence:
    """How a giveaway's rounds repeat; refuses, with a sentence, a schedule that cannot work.

    `day_of_week` is 0 (Monday) to 6 (Sunday) for weekly rounds; `day_of_month` is 1 to 31
    for monthly rounds; `opens_on` is the local date of a one-off round. `closes_after` is a
    positive duration on the local wall clock, or None for "until the next round opens".
    """

    kind: str
    opens_at_local_time: datetime.time
    closes_after: datetime.timedelta | None
    day_of_week: int | None = None
    day_of_month: int | None = None
    opens_on: datetime.date | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"A round recurs {', '.join(KINDS[:-1])} or {KINDS[-1]}; got {self.kind!r}.")
        if not isinstance(self.opens_at_local_time, datetime.time) or self.opens_at_local_time.tzinfo is not None:
            raise ValueError("Give the opening time as a wall-clock time without a time zone: "
                             "the owner account's time zone applies.")
        self.check_day_fields()
        self.check_window()

    def check_day_fields(self):
        needs = {ONCE: "opens_on", WEEKLY: "day_of_week", MONTHLY: "day_of_month"}.get(self.kind)
        for name in ("opens_on", "day_of_week", "day_of_month"):
            if name != needs and getattr(self, name) is not None:
                raise ValueError(f"A {self.kind} round takes no {name}; leave it empty.")
        if self.kind == ONCE and not isinstance(self.opens_on, datetime.date):
            raise ValueError("A one-off round needs opens_on, the local date its entries open.")
        if self.kind == WEEKLY and (not isinstance(self.day_of_week, int) or not 0 <= self.day_of_week <= 6):
            raise ValueError(f"A weekly round needs day_of_week from 0 (Monday) to 6 (Sunday); "
                             f"got {self.day_of_week!r}.")
        if self.kind == MONTHLY and (not isinstance(self.day_of_month, int) or not 1 <= self.day_of_month <= 31):
            raise ValueError(f"A monthly round needs day_of_month from 1 to 31 (29, 30 and 31 fall on the last day "
                             f"of shorter months); got {self.day_of_month!r}.")

    def check_window(self):
        if self.closes_after is None:
            return
        if not isinstance(self.closes_after, datetime.timedelta) or self.closes_after <= datetime.timedelta(0):
            raise ValueError(f"Entries must stay open for a positive length of time; got {self.closes_after}.")
        longest = LONGEST_WINDOW.get(self.kind)
        if longest is not None and self.closes_after > longest:
            raise ValueError(
                f"A {self.kind} round can take entries for at most {LONGEST_WINDOW_IN_WORDS[self.kind]}, so that it "
                f"closes before the next round opens; got {self.closes_after}. Shorten the window, or leave "
                "closes_after empty to keep entries open until the next round."
            )

    def local_openings(self, *, from_date):
        """The nominal local opening times (naive, possibly skipped or repeated) on or after `from_date`, forever."""
        if self.kind == ONCE:
            yield datetime.datetime.combine(self.opens_on, self.opens_at_local_time)
            return
        if self.kind == MONTHLY:
            year, month = from_date.year, from_date.month
            while True:
                date = datetime.date(year, month, min(self.day_of_month, calendar.monthrange(year, month)[1]))
                if date >= from_date:
                    yield datetime.datetime.combine(date, self.opens_at_local_time)
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        step = datetime.timedelta(days=1 if self.kind == DAILY else 7)
        date = from_date
        if self.kind == WEEKLY:
            date += datetime.timedelta(days=(self.day_of_week - from_date.weekday()) % 7)
        while True:
            yield datetime.datetime.combine(date, self.opens_at_local_time)
            date += step


class RoundWindow(NamedTuple):
    """When one round takes entries, as aware UTC instants: open is inclusive, close exclusive."""

    opens_at: datetime.datetime
    closes_at: datetime.datetime


def round_windows(*, recurrence, tz_name, starts_at, ends_at, limit=None):
    """Every round's entry window inside the campaign [starts_at, ends_at), in order, never overlapping.

    `limit` caps how many are returned (for a preview); None returns them all.
    """
    check_span(starts_at, ends_at)
    windows = windows_from(recurrence, tz_name, starts_at, ends_at, near=starts_at)
    return list(itertools.islice(windows, limit))


def round_at(*, recurrence, tz_name, starts_at, ends_at, at):
    """The window of the round taking entries at `at` (opens_at <= at < closes_at), or None between rounds."""
    check_span(starts_at, ends_at)
    check_aware(at, "at")
    if not starts_at <= at < ends_at:
        return None
    for window in windows_from(recurrence, tz_name, starts_at, ends_at, near=at):
        if window.opens_at > at:
            return None
        if at < window.closes_at:
            return window
    return None


def next_round(*, recurrence, tz_name, starts_at, ends_at, at):
    """The window of the first round opening strictly after `at`, or None when no round is left.

    A round opening exactly at `at` is already open: `round_at()` returns it, this returns the one after.
    """
    check_span(starts_at, ends_at)
    check_aware(at, "at")
    for window in windows_from(recurrence, tz_name, starts_at, ends_at, near=max(at, starts_at)):
        if window.opens_at > at:
            return window
    return None


def windows_from(recurrence, tz_name, starts_at, ends_at, near):
    """Windows in order from about one period before `near`; each depends only on its own and the next opening.

    That is why starting near a moment gives the same windows as starting at the campaign's
    start, and why looking up the current round reads a handful of days, not the whole campaign.
    """
    from_date = to_local(near, tz_name).date() - LOOKBACK[recurrence.kind]
    openings = recurrence.local_openings(from_date=from_date)
    local = next(openings)
    opens_at = to_utc_for_a_round(local, tz_name)
    while opens_at < ends_at:
        next_local = next(openings, None)
        next_opens_at = None if next_local is None else to_utc_for_a_round(next_local, tz_name)
        if recurrence.closes_after is None:
            closes_at = ends_at if next_opens_at is None else next_opens_at
            window = RoundWindow(max(opens_at, starts_at), min(closes_at, ends_at))
        else:
            closes_at = to_utc_for_a_round(local + recurrence.closes_after, tz_name)
            if closes_at <= opens_at:
                # The whole window fell inside one skipped stretch: the round still runs for its length.
                closes_at = opens_at + recurrence.closes_after
            if next_opens_at is not None:
                # Only a skipped whole day (Samoa, 30 December 2011) can push a round into the next.
                closes_at = min(closes_at, next_opens_at)
            window = RoundWindow(opens_at, closes_at)
            if window.opens_at < starts_at or window.closes_at > ends_at:
                window = None
        if window is not None and window.opens_at < window.closes_at:
            yield window
        if next_local is None:
            return
        local, opens_at = next_local, next_opens_at


def to_utc_for_a_round(local, tz_name):
    """Like `to_utc()`, but a skipped local time moves forward and a repeated one takes its first occurrence.

    `to_utc()` refuses both because a person typed the time and can pick another. A
    recurrence cannot: "daily at 02:30" in New York must still hold its round on the night
    the clocks jump from 02:00 to 03:00, so the round opens at 03:00, the first instant after
    the jump; and on the night 01:30 happens twice it opens at the first 01:30, so entrants
    who see the time on their clocks are never told the round has not started yet.
    """
    try:
        return to_utc(local, tz_name)
    except WallClockError:
        pass
    first = local.replace(tzinfo=zoneinfo.ZoneInfo(tz_name), fold=0).astimezone(datetime.UTC)
    if to_local(first, tz_name) == local:
        return first  # repeated: fold=0 is the earlier of its two instants
    return end_of_jump(local, zoneinfo.ZoneInfo(tz_name))


def end_of_jump(local, tz):
    """The instant the clocks jump over the skipped local time `local` (whole seconds, as in the tz database).

    Read with the offset after the jump, `local` names an instant before it; read with the
    offset before, one after it. A bisection between them finds where the offset changes.
    """
    before = math.floor(local.replace(tzinfo=tz, fold=1).timestamp())
    after = math.ceil(local.replace(tzinfo=tz, fold=0).timestamp())
    offset_before = datetime.datetime.fromtimestamp(before, tz).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.datetime.fromtimestamp(middle, tz).utcoffset() == offset_before:
            before = middle
        else:
            after = middle
    return datetime.datetime.fromtimestamp(after, datetime.UTC)


def check_span(starts_at, ends_at):
    check_aware(starts_at, "starts_at")
    check_aware(ends_at, "ends_at")
    if starts_at >= ends_at:
        raise ValueError(f"A campaign must end after it starts; got {starts_at.isoformat()} to {ends_at.isoformat()}.")


def check_aware(instant, name):
    if not isinstance(instant, datetime.datetime) or instant.utcoffset() is None:
        raise ValueError(f"{name} must be an aware date-time (an instant), not {instant!r}.")
