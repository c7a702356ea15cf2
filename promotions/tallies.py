"""Tallies: the per-round figures marketers see, derived from the entry rows and recomputable at any time.

`EntryTally` holds, per round, mission, credited account and local day (in the owner
account's time zone), the counted entries (sum of weights), counted completions and
completions waiting (for review or held by a fraud rule). Rejected entries count nowhere.

A recount is one aggregate statement over the round's entries, compared with the stored
rows; only the differences are written (created, updated, deleted), so a recount that
agrees writes no tally row and returns 0. It runs in one transaction holding the round's
row lock (FOR NO KEY UPDATE on PostgreSQL, which does not block the INSERT of entries
pointing at the round; on SQLite the IMMEDIATE transaction holds the write lock), so two
recounts of one round take turns, and a worker killed half-way leaves the old rows whole:
the next recount starts from them. Nothing is incremented: the sweep just recounts, which
is why a job lost while Redis was down costs only freshness.

Cost: one GROUP BY over the round's entries (the (round, status) index narrows it) plus
one read of its tally rows, whatever the number of missions and days.
"""

import datetime
import zoneinfo

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from promotions.models import Entry, EntryTally, Round

FIGURES = ("counted_entries", "completions", "waiting")
WAITING = [Entry.Status.AWAITING_REVIEW, Entry.Status.HELD]
# Closed and drawn rounds are still recounted for this long: late reviews and flag decisions move them.
RECENT = datetime.timedelta(days=1)


def recount_round(round, *, at=None):
    """Bring the round's EntryTally rows in line with its entries; the number of rows created, changed or deleted."""
    at = at or timezone.now()
    with transaction.atomic():
        # of=("self",): lock the round only, not the giveaway, campaign and account it joins.
        locked = (Round.objects.select_for_update(no_key=True, of=("self",))
                  .select_related("giveaway__campaign__owner_account").get(pk=round.pk))
        fresh = figures_from_entries(locked)
        stored = {(row.mission_id, row.account_id, row.day): row for row in EntryTally.objects.filter(round=locked)}
        new = [EntryTally(round=locked, mission_id=mission_id, account_id=account_id, day=day, **figures)
               for (mission_id, account_id, day), figures in fresh.items()
               if (mission_id, account_id, day) not in stored]
        changed = []
        for key, row in stored.items():
            figures = fresh.get(key)
            if figures is not None and any(getattr(row, name) != figures[name] for name in FIGURES):
                for name in FIGURES:
                    setattr(row, name, figures[name])
                changed.append(row)
        stale = [row.pk for key, row in stored.items() if key not in fresh]
        create_rows(new)
        update_rows(changed)
        delete_rows(stale)
        # A freshness stamp ("figures as of"), written even when the figures agree.
        Round.objects.filter(pk=locked.pk).update(tallied_at=at)
    round.tallied_at = at
    return len(new) + len(changed) + len(stale)


def figures_from_entries(round):
    """{(mission id, account id, local day): {figure: value}} in one GROUP BY; all-rejected groups left out."""
    zone = zoneinfo.ZoneInfo(round.giveaway.campaign.owner_account.timezone)
    counted = Q(status=Entry.Status.COUNTED)
    groups = (
        Entry.objects.filter(round=round)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .order_by()  # the model's ordering would join the GROUP BY
        .values("mission_id", "account_id", "day")
        .annotate(counted_entries=Coalesce(Sum("weight", filter=counted), 0),
                  completions=Count("pk", filter=counted),
                  waiting=Count("pk", filter=Q(status__in=WAITING)))
    )
    fresh = {}
    for group in groups:
        figures = {name: group[name] for name in FIGURES}
        if any(figures.values()):
            fresh[(group["mission_id"], group["account_id"], group["day"])] = figures
    return fresh


# The three writes are separate functions so a test can stop a recount half-way and see it leave nothing.


def create_rows(rows):
    EntryTally.objects.bulk_create(rows, batch_size=1000)


def update_rows(rows):
    EntryTally.objects.bulk_update(rows, FIGURES, batch_size=1000)


def delete_rows(ids):
    if ids:
        EntryTally.objects.filter(pk__in=ids).delete()


def recount_recent_rounds(*, at=None):
    """The every-minute sweep: recount every open round and those closed or drawn within RECENT.

    Each round is recounted in its own transaction, so one slow round does not hold back the others'
    locks. Returns {round id: rows changed}.
    """
    at = at or timezone.now()
    since = at - RECENT
    recent = (Round.objects.filter(Q(status=Round.Status.OPEN) | Q(closes_at__gte=since)
                                   | Q(draw__drawn_at__gte=since))
              .order_by("pk").distinct())
    return {round.pk: recount_round(round, at=at) for round in recent}
