"""Rounds: created when they open (seed, commitment, frozen rules), closed when due; the sweep that does both.

A round row exists from the moment its window opens: `open_round()` is called by the
every-minute sweep and, so that nobody waits for the sweep, by the first entry of a new
round. Both may run at once; the giveaway's row lock and the unique (giveaway, opens_at)
constraint make them create one round. Status changes follow campaigns.status: a
conditional UPDATE on the old status plus one RoundEvent.

    open → closed → drawn
"""

import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.models import Campaign
from common.recent import RecentCache
from promotions import draws, recurrence
from promotions.models import Giveaway, Round, RoundEvent
from promotions.rules import current_terms, freeze_rules, terms_as_json

log = logging.getLogger(__name__)

# Campaigns whose giveaways can have an open round; paused ones keep their round (it stays open, entries wait).
RUNNING = [Campaign.Status.LIVE, Campaign.Status.PAUSED]


# Each web process reuses the round it found for a giveaway for this long (only while `at` is inside its
# window): every entry needs its round, and a round's window never moves once it is open. What a cached
# copy could get wrong is only its status, and callers judge that by the clock (`Round.is_open(at)`) and
# the campaign's status, read fresh with every entry.
ROUND_CACHE_SECONDS = 5
recent_rounds = RecentCache(max_entries=1_000)


class RoundChangeRefused(Exception):
    """A round cannot change status like this; the message says why."""


def schedule_of(giveaway):
    """The keyword arguments promotions.recurrence needs for the giveaway, or None while its campaign lacks dates."""
    campaign = giveaway.campaign
    if campaign.starts_at is None or campaign.ends_at is None:
        return None
    return {"recurrence": giveaway.schedule(), "tz_name": campaign.owner_account.timezone,
            "starts_at": campaign.starts_at, "ends_at": campaign.ends_at}


def window_at(giveaway, at):
    """The entry window open at `at` for the giveaway's schedule and its campaign's dates, or None."""
    schedule = schedule_of(giveaway)
    return recurrence.round_at(**schedule, at=at) if schedule else None


def next_window(giveaway, at):
    """The window of the first round opening after `at`, or None."""
    schedule = schedule_of(giveaway)
    return recurrence.next_round(**schedule, at=at) if schedule else None


def current_round(giveaway, at):
    """The round whose entry window contains `at` (no writes), or None.

    Found by its stored window, never by today's schedule: a schedule edited while a round is open
    applies from the next round, and the open round keeps its own window.
    """
    return Round.objects.filter(giveaway=giveaway, opens_at__lte=at, closes_at__gt=at).order_by("-opens_at").first()


def open_round(*, giveaway, at=None):
    """The round whose window contains `at`, created if needed; None between rounds or outside the campaign.

    Safe to call from many processes at once. Only rounds of a live or paused campaign are opened. A
    round that exists keeps its window whatever the schedule says now; a window of an edited schedule
    that would start before the last round closed is not held (no two rounds ever overlap): the next
    one is.
    """
    at = at or timezone.now()
    cached = recent_rounds.get(giveaway.pk)
    if cached is not None and cached.opens_at <= at < cached.closes_at:
        return cached
    existing = current_round(giveaway, at)
    if existing is not None:
        recent_rounds.put(giveaway.pk, existing, seconds=ROUND_CACHE_SECONDS)
        return existing
    window = window_at(giveaway, at)
    if window is None or giveaway.campaign.status not in RUNNING:
        return None
    with transaction.atomic():
        # Serialises openings of this giveaway's rounds (and their rules versions) across processes.
        Giveaway.objects.select_for_update().filter(pk=giveaway.pk).first()
        existing = current_round(giveaway, at)
        if existing is not None:
            return existing
        last = Round.objects.filter(giveaway=giveaway).order_by("-number").first()
        if last is not None and window.opens_at < last.closes_at:
            return None
        seed = draws.new_seed()
        created = Round.objects.create(
            giveaway=giveaway, number=(last.number + 1 if last else 1), opens_at=window.opens_at,
            closes_at=window.closes_at, status=Round.Status.OPEN, seed=seed, commitment=draws.commitment(seed),
            rules_version=freeze_rules(giveaway=giveaway, at=at), terms=terms_as_json(current_terms(giveaway)),
        )
        RoundEvent.objects.create(round=created, occurred_at=at, from_status="", to_status=Round.Status.OPEN,
                                  note=f"Rules version {created.rules_version.number}")
        return created


def change_round_status(*, round, to, by=None, at=None, note=""):
    """Move `round` to `to` with a conditional UPDATE and one RoundEvent; True if this call made the change."""
    at = at or timezone.now()
    allowed = {Round.Status.OPEN: Round.Status.CLOSED, Round.Status.CLOSED: Round.Status.DRAWN}
    if round.status == to:
        return False
    if allowed.get(round.status) != to:
        raise RoundChangeRefused(f"{round} is {round.get_status_display().lower()} and cannot become {to}.")
    with transaction.atomic():
        changed = Round.objects.filter(pk=round.pk, status=round.status).update(status=to)
        if not changed:
            round.refresh_from_db(fields=["status"])
            if round.status == to:
                return False
            raise RoundChangeRefused(f"{round} was just changed by someone else; reload and try again.")
        RoundEvent.objects.create(round=round, occurred_at=at, actor=by, from_status=round.status, to_status=to,
                                  note=note)
    round.status = to
    return True


def advance_due_rounds(*, at=None):
    """The every-minute sweep: open the current round of every running giveaway, close rounds that are due.

    Idempotent: a second run finds nothing to do. Returns (opened, closed) round ids. Drawing closed
    rounds is promotions.drawing.draw_due_rounds(), run by its own job, so a slow draw never delays
    openings and closings.
    """
    at = at or timezone.now()
    opened, closed = [], []
    giveaways = Giveaway.objects.select_related("campaign__owner_account").filter(campaign__status__in=RUNNING)
    for giveaway in giveaways:
        try:
            window = window_at(giveaway, at)
        except ValueError as error:
            # A schedule the admin's form would refuse (a row edited by hand): skip this giveaway, not the sweep.
            log.error("Giveaway %s has a schedule that cannot work (%s); its rounds are not opened.", giveaway.pk,
                      error)
            continue
        if window is not None and current_round(giveaway, at) is None:
            created = open_round(giveaway=giveaway, at=at)
            if created is not None:
                opened.append(created.pk)
    ended = [Campaign.Status.ENDED, Campaign.Status.ARCHIVED]
    due_rounds = Round.objects.filter(Q(closes_at__lte=at) | Q(giveaway__campaign__status__in=ended),
                                      status=Round.Status.OPEN)
    for due in due_rounds:
        note = "Entry window over" if due.closes_at <= at else "The campaign ended"
        if change_round_status(round=due, to=Round.Status.CLOSED, at=at, note=note):
            closed.append(due.pk)
    return opened, closed
