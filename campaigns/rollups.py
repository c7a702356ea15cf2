"""Touch rollups: the small rows admin pages read instead of the touch table.

The touch table grows by millions of rows a day when a campaign goes viral;
a page view that counts it takes seconds (docs/performance.md). So workers
tally new touches into `TouchRollup` rows (per campaign, account, link and UTC
day: clicks, bots and the people seen there first) in batches, and admin pages
read only those rows. Nothing is added to the click path: `record_touch()`
stays one INSERT, and the tally finds new touches by their ids.

People are exact, not estimated: `TouchRollupVisitor` holds each distinct
(visitor, campaign, account, link) once; a visitor is counted when the tally
first inserts them there.

How far the tally has counted (`TouchRollupState`, one row):

- `tallied_through_id` is the watermark: every touch with an id up to it is
  counted, none above it. Each batch moves it in the same transaction as the
  figures it adds, under a lock on the state row, so a tally that runs twice,
  on two workers at once, or dies half-way counts nothing twice.
- Touch ids come from one sequence but are not committed in order: a click
  that took id 100 may commit after the click that took id 101 was tallied.
  So the tally never goes past a *target*: the highest committed id read at
  least SAFETY_LAG earlier. Any id below it was handed out before that read.
  On PostgreSQL the tally also waits until every transaction that was running
  when the target was read has ended (`pg_snapshot_xmin` past the tally's own
  transaction id, read with the target), so a touch written inside a slow
  transaction — a giveaway entry, a referral purchase — is not skipped (for up
  to MAX_WRITER_WAIT; then the nightly check catches it). (SQLite commits one
  writer at a time, in id order.) The figures
  are then complete for every touch committed before that read
  (`complete_as_of`), which the admin shows as "as of HH:MM".
- Ids need not be dense: batches are "the next BATCH_SIZE ids above the
  watermark", whatever gaps there are.
- When the touch table is partitioned by month of `occurred_at` (DESIGN.md,
  "Past one machine"), ids still come from the table's one sequence, so the
  target rule holds, but `id > watermark` must then visit every partition's
  id index: keep one watermark per partition (only the current and previous
  month receive new rows), or move to an (occurred_at, id) watermark with the
  same lag. Nothing else here depends on the id.

`rebuild_touch_rollups()` recomputes every campaign's rollups from its touches
(up to the watermark) and writes only where they disagree; it runs nightly and
after any repair.
"""

import datetime
import logging

from django.db import connections, router, transaction
from django.db.models import Count, Max, Min, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from campaigns.models import Campaign, Touch, TouchRollup, TouchRollupState, TouchRollupVisitor

# How long a touch id may stay uncommitted after it was handed out: far longer than one INSERT takes.
SAFETY_LAG = datetime.timedelta(seconds=30)
# How long the tally waits for transactions that were running when it read its target (PostgreSQL).
MAX_WRITER_WAIT = datetime.timedelta(minutes=10)
# Touches per transaction: large enough for ~100k touches a second of catch-up, small enough that a
# worker killed mid-batch loses only seconds of work (the batch rolls back and is tallied again).
BATCH_SIZE = 20_000
logger = logging.getLogger(__name__)
FIGURES = ["clicks", "bots", "people_first_seen", "campaign_people_first_seen"]
STATE_ID = 1


def utc_day():
    return TruncDate("occurred_at", tzinfo=datetime.UTC)


def locked_state():
    """The tally state row, locked until the transaction ends, so tallies and rebuilds take turns.

    On PostgreSQL a second tally waits here for the first one's batch; on SQLite
    the IMMEDIATE transaction already holds the database's write lock.
    """
    state = TouchRollupState.objects.select_for_update().filter(pk=STATE_ID).first()
    if state is None:
        TouchRollupState.objects.bulk_create([TouchRollupState(pk=STATE_ID)], ignore_conflicts=True)
        state = TouchRollupState.objects.select_for_update().get(pk=STATE_ID)
    return state


def tally_new_touches(*, at=None, safety_lag=SAFETY_LAG, batch_size=BATCH_SIZE, max_batches=None):
    """Count touches above the watermark into the rollups, one batch per transaction; return how many.

    Stops when it reaches a target younger than `safety_lag` (it then waits for
    the next run), or after `max_batches`. `at` is the clock (tests pass it;
    a scheduled run reads the time at each step).
    """
    clock = (lambda: at) if at is not None else timezone.now
    counted = batches = 0
    observed = False
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            state = locked_state()
            if state.target_id is not None and state.tallied_through_id < state.target_id:
                now = clock()
                if state.target_seen_at > now - safety_lag or not writers_finished(
                        state.target_horizon, target_seen_at=state.target_seen_at, now=now):
                    return counted
                counted += tally_batch(state, batch_size=batch_size)
                batches += 1
                continue
            # The target is reached: every touch committed before it was read is counted.
            if state.target_seen_at is not None:
                state.complete_as_of = state.target_seen_at
            if not observed:  # one new target per run, so a busy table cannot keep a run going forever
                state.target_horizon = transaction_horizon()
                state.target_id = Touch.objects.aggregate(highest=Max("pk"))["highest"] or 0
                state.target_seen_at = clock()
                observed = True
            state.save()
            if state.tallied_through_id >= state.target_id and state.complete_as_of == state.target_seen_at:
                return counted
    return counted


def transaction_horizon():
    """On PostgreSQL, this transaction's own id (`pg_current_xact_id()`), read just before the target; None
    elsewhere.

    Every touch id at or below the target was handed to a transaction that had its transaction id by
    then (nextval and the row's insert happen in the same statement, microseconds apart), so that id is
    below this one: once every transaction below it has ended, none of those touches can still appear.
    SQLite has one writer at a time, so its ids commit in order and there is nothing to wait for.
    """
    connection = state_connection()
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        return cursor.fetchone()[0]


def writers_finished(horizon, *, target_seen_at, now):
    """True once no transaction below `horizon` is still running (always, without a horizon).

    Never waits forever: a horizon from another cluster (after a restore, ids start again) counts as
    passed, and after MAX_WRITER_WAIT the tally goes on with a warning (an idle-in-transaction session
    anywhere on the server would otherwise freeze the figures; the nightly check repairs what it missed).
    """
    connection = state_connection()
    if horizon is None or connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, "
                       "pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
        oldest_running, next_to_start = cursor.fetchone()
    if oldest_running >= horizon or horizon > next_to_start:
        return True
    if target_seen_at < now - MAX_WRITER_WAIT:
        logger.warning("touch tally: a transaction older than transaction %s has been running for over %s; "
                       "tallying on (the nightly check recounts anything it commits later)", horizon,
                       MAX_WRITER_WAIT)
        return True
    return False


def state_connection():
    """The connection the tally's transaction runs on (the state row's database)."""
    return connections[router.db_for_write(TouchRollupState)]


def tally_batch(state, *, batch_size):
    """Add the next batch of touches above the watermark to the rollups and move the watermark past them."""
    start = state.tallied_through_id
    above = Touch.objects.filter(pk__gt=start, pk__lte=state.target_id).order_by("pk").values_list("pk", flat=True)
    end = next(iter(above[batch_size - 1:batch_size]), state.target_id)
    batch = Touch.objects.filter(pk__gt=start, pk__lte=end).order_by()

    figures = clicks_and_bots(batch)
    people = batch.filter(is_bot=False)
    seen = set(
        TouchRollupVisitor.objects.filter(
            visitor_id__in=people.values("visitor_id"), campaign_id__in={key[0] for key in figures},
        ).values_list("visitor_id", "campaign_id", "account_id", "link_id")
    )
    seen_in_campaign = {(visitor_id, campaign_id) for visitor_id, campaign_id, _, _ in seen}
    new_visitors = []
    # Each visitor's first touch per link in this batch, lowest id first: the first one of a
    # (visitor, campaign) pair is their first touch in the campaign.
    for visitor_id, campaign_id, account_id, link_id, day in first_touches(
            people, ["visitor_id", "campaign_id", "account_id", "link_id"]):
        row = figures[(campaign_id, account_id, link_id, day)]
        if (visitor_id, campaign_id, account_id, link_id) not in seen:
            row[2] += 1
            new_visitors.append(TouchRollupVisitor(visitor_id=visitor_id, campaign_id=campaign_id,
                                                   account_id=account_id, link_id=link_id))
        if (visitor_id, campaign_id) not in seen_in_campaign:
            row[3] += 1
            seen_in_campaign.add((visitor_id, campaign_id))

    existing = {}
    for rollup in TouchRollup.objects.filter(campaign_id__in={key[0] for key in figures},
                                             day__in={key[3] for key in figures}):
        existing.setdefault(rollup_key(rollup), rollup)
    created, changed = [], []
    for key, added in figures.items():
        rollup = existing.get(key)
        if rollup is None:
            created.append(new_rollup(key, added))
        else:
            for name, value in zip(FIGURES, added, strict=True):
                setattr(rollup, name, getattr(rollup, name) + value)
            changed.append(rollup)
    TouchRollup.objects.bulk_create(created)
    TouchRollup.objects.bulk_update(changed, FIGURES)
    TouchRollupVisitor.objects.bulk_create(new_visitors, batch_size=5_000)
    state.tallied_through_id = end
    state.save(update_fields=["tallied_through_id", "updated_at"])
    return sum(row[0] + row[1] for row in figures.values())


def clicks_and_bots(touches):
    """{(campaign, account, link, day): [clicks, bots, 0, 0]} for `touches`: one GROUP BY."""
    rows = touches.values("campaign_id", "account_id", "link_id", day=utc_day()).annotate(
        clicks=Count("pk", filter=Q(is_bot=False)), bots=Count("pk", filter=Q(is_bot=True)))
    return {(row["campaign_id"], row["account_id"], row["link_id"], row["day"]): [row["clicks"], row["bots"], 0, 0]
            for row in rows}


def first_touches(touches, group_by):
    """The lowest-id touch of each `group_by` group, lowest id first, as (*group_by, day) tuples."""
    first_ids = touches.values(*group_by).annotate(first_id=Min("pk")).values("first_id")
    return (Touch.objects.filter(pk__in=first_ids).order_by("pk").annotate(day=utc_day())
            .values_list(*group_by, "day"))


def rollup_key(rollup):
    return rollup.campaign_id, rollup.account_id, rollup.link_id, rollup.day


def new_rollup(key, figures):
    campaign_id, account_id, link_id, day = key
    return TouchRollup(campaign_id=campaign_id, account_id=account_id, link_id=link_id, day=day,
                       **dict(zip(FIGURES, figures, strict=True)))


# --- rebuilding from the touches ----------------------------------------------------------


def rebuild_touch_rollups(*, campaign_ids=None):
    """Recompute each campaign's rollups from its touches up to the watermark; return the campaigns corrected.

    A campaign whose rollups agree costs a few aggregate queries and no write.
    Each campaign is checked in its own transaction holding the tally's lock,
    so a tally cannot move the watermark under it.
    """
    campaigns = Campaign.objects.order_by("pk").values_list("pk", flat=True)
    if campaign_ids is not None:
        campaigns = campaigns.filter(pk__in=list(campaign_ids))
    corrected = 0
    for campaign_id in list(campaigns):
        with transaction.atomic():
            state = locked_state()
            touches = Touch.objects.filter(campaign_id=campaign_id, pk__lte=state.tallied_through_id).order_by()
            corrected += rebuild_campaign(campaign_id, touches)
    return corrected


def rebuild_campaign(campaign_id, touches):
    """Make one campaign's rollups and visitor set match `touches`; 1 if anything was written, else 0."""
    expected = clicks_and_bots(touches)
    people = touches.filter(is_bot=False)
    for figure, group_by in ((2, ["visitor_id", "account_id", "link_id"]), (3, ["visitor_id"])):
        for row in first_touches(people, group_by).values("campaign_id", "account_id", "link_id", "day").annotate(
                n=Count("pk")).order_by():
            expected[(row["campaign_id"], row["account_id"], row["link_id"], row["day"])][figure] = row["n"]

    stale, changed, kept = [], [], {}
    for rollup in TouchRollup.objects.filter(campaign_id=campaign_id):
        key = rollup_key(rollup)
        if key not in expected or key in kept:  # gone, or a second "no link" row left by a deleted link
            stale.append(rollup.pk)
            continue
        kept[key] = rollup
        figures = expected[key]
        if [getattr(rollup, name) for name in FIGURES] != figures:
            for name, value in zip(FIGURES, figures, strict=True):
                setattr(rollup, name, value)
            changed.append(rollup)
    created = [new_rollup(key, figures) for key, figures in expected.items() if key not in kept]
    visitors_agree = visitor_set_agrees(campaign_id, people)
    if not (stale or changed or created) and visitors_agree:
        return 0
    TouchRollup.objects.filter(pk__in=stale).delete()
    TouchRollup.objects.bulk_update(changed, FIGURES)
    TouchRollup.objects.bulk_create(created)
    if not visitors_agree:
        rewrite_visitor_set(campaign_id, people)
    return 1


def visitor_set_agrees(campaign_id, people):
    """True when the campaign's visitor rows are exactly the distinct (visitor, account, link) of its people.

    Every expected tuple present, and as many rows as tuples, means no row too
    many and none twice. Set operations compare NULL links as equal.
    """
    expected = people.values_list("visitor_id", "account_id", "link_id").distinct()
    existing = TouchRollupVisitor.objects.filter(campaign_id=campaign_id).order_by().values_list(
        "visitor_id", "account_id", "link_id")
    return existing.count() == expected.count() and expected.difference(existing).count() == 0


def rewrite_visitor_set(campaign_id, people):
    """Replace the campaign's visitor rows with the distinct visitors of its touches, in one INSERT … SELECT."""
    TouchRollupVisitor.objects.filter(campaign_id=campaign_id).delete()
    columns = ["visitor_id", "campaign_id", "account_id", "link_id"]
    alias = router.db_for_write(TouchRollupVisitor)
    connection = connections[alias]
    select, parameters = people.values(*columns).distinct().query.get_compiler(alias).as_sql()
    table = connection.ops.quote_name(TouchRollupVisitor._meta.db_table)
    names = ", ".join(connection.ops.quote_name(TouchRollupVisitor._meta.get_field(name).column)
                      for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({names}) {select}", parameters)  # noqa: S608 - names from _meta
