"""Touch rollups: tallied in batches from a watermark, never twice, and equal to a rebuild from the touches."""

import contextlib
import datetime
import threading
import uuid

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from campaigns import rollups
from campaigns.jobs import check_touch_rollups, tally_touches
from campaigns.models import Campaign, Touch, TouchRollup, TouchRollupState, TouchRollupVisitor, TrackingLink
from campaigns.reports import tallied_until, touch_totals, touches_by_link
from campaigns.rollups import rebuild_touch_rollups, tally_new_touches
from campaigns.touches import TouchFacts, record_touch
from tests.campaigns.conftest import DAY, NOW, make_campaign
from tests.concurrency import run_concurrently

NOW_LAG = datetime.timedelta(0)  # tests tally what is committed right away, except where the lag is the point


def visitor(number):
    return uuid.UUID(int=number)


def touch(campaign, *, who, link=None, account=None, bot=False, at=NOW):
    record_touch(visitor_id=visitor(who), campaign=campaign, account=account or campaign.owner_account, link=link,
                 kind=Touch.Kind.LINK_CLICK, facts=TouchFacts(is_bot=bot), at=at)


def tally(**options):
    return tally_new_touches(at=options.pop("at", NOW + DAY), safety_lag=options.pop("safety_lag", NOW_LAG),
                             **options)


def rollup_rows():
    return sorted(
        TouchRollup.objects.values_list("campaign_id", "account_id", "link_id", "day", *rollups.FIGURES),
        key=lambda row: tuple("" if value is None else str(value) for value in row),
    )


@pytest.fixture
def sale(main_account, deals_account):
    campaign = make_campaign(main_account, slug="sale", status=Campaign.Status.LIVE,
                             starts_at=NOW - 5 * DAY, ends_at=NOW + 5 * DAY)
    campaign.co_accounts.add(deals_account)
    return campaign


@pytest.fixture
def post(sale, main_account):
    return TrackingLink.objects.create(campaign=sale, account=main_account, channel="post", label="launch")


@pytest.fixture
def deal(sale, deals_account):
    return TrackingLink.objects.create(campaign=sale, account=deals_account, channel="story", label="deal")


def many_touches(sale, post, deal):
    """Three days, two links and a linkless touch; repeat visitors, a visitor of both links, and bots."""
    for day in range(3):
        at = NOW - day * DAY
        for who in (1, 2, 2, 3):
            touch(sale, who=who, link=post, at=at)
        touch(sale, who=3, link=deal, account=deal.account, at=at)
        touch(sale, who=day + 10, link=deal, account=deal.account, at=at)
        touch(sale, who=99, link=post, bot=True, at=at)
    touch(sale, who=1, at=NOW)  # no link: an entry, say


def test_it_counts_clicks_people_and_bots_apart(sale, post):
    for who, bot in ((1, False), (1, False), (2, False), (1, True), (3, True)):
        touch(sale, who=who, link=post, bot=bot)
    assert tally() == 5
    [row] = touches_by_link(sale)
    assert (row["clicks"], row["people"], row["bots"]) == (3, 2, 2)
    assert touch_totals([sale.pk]) == {sale.pk: {"clicks": 3, "people": 2, "bots": 2}}


def test_it_counts_a_visitor_of_two_links_once_for_the_campaign(sale, post, deal):
    touch(sale, who=1, link=post)
    touch(sale, who=1, link=deal, account=deal.account, at=NOW + datetime.timedelta(hours=1))
    touch(sale, who=2, link=deal, account=deal.account, at=NOW + DAY)  # another day
    tally()
    assert {row["link__label"]: row["people"] for row in touches_by_link(sale)} == {"launch": 1, "deal": 2}
    assert touch_totals([sale.pk])[sale.pk]["people"] == 2


def test_it_counts_nothing_twice_when_run_twice(sale, post, deal):
    many_touches(sale, post, deal)
    tally()
    once = rollup_rows()
    assert tally() == 0
    assert rollup_rows() == once
    touch(sale, who=1, link=post)
    assert tally() == 1
    assert touch_totals([sale.pk])[sale.pk] == {"clicks": 3 * 6 + 2, "people": 6, "bots": 3}


def test_it_tallies_in_batches_from_the_watermark(sale, post, deal):
    many_touches(sale, post, deal)
    assert tally(batch_size=4, max_batches=2) == 8
    assert TouchRollupState.objects.get().tallied_through_id == Touch.objects.order_by("pk")[7].pk
    assert tallied_until() is None  # not complete up to any time yet
    assert tally(batch_size=4) == Touch.objects.count() - 8
    in_batches = rollup_rows()
    TouchRollup.objects.all().delete()
    TouchRollupVisitor.objects.all().delete()
    TouchRollupState.objects.all().delete()
    tally()  # one batch
    assert rollup_rows() == in_batches


def test_it_counts_a_touch_only_once_its_id_is_older_than_the_safety_lag(sale, post):
    lag = datetime.timedelta(seconds=30)
    touch(sale, who=1, link=post)
    assert tally(at=NOW, safety_lag=lag) == 0  # reads the highest id, counts nothing yet
    touch(sale, who=2, link=post)
    assert tally(at=NOW + datetime.timedelta(seconds=10), safety_lag=lag) == 0
    assert tally(at=NOW + datetime.timedelta(seconds=31), safety_lag=lag) == 1  # up to the id read at NOW
    assert tallied_until() == NOW
    assert tally(at=NOW + datetime.timedelta(seconds=62), safety_lag=lag) == 1
    # Nothing above the watermark was committed at +62 s: complete up to then.
    assert tallied_until() == NOW + datetime.timedelta(seconds=62)


def test_a_rebuild_equals_the_incremental_tally_and_writes_nothing(sale, post, deal,
                                                                  django_assert_max_num_queries):
    many_touches(sale, post, deal)
    tally(batch_size=3)
    incremental = rollup_rows()
    visitors = sorted(TouchRollupVisitor.objects.values_list("pk", flat=True))
    with django_assert_max_num_queries(20) as queries:
        assert rebuild_touch_rollups() == 0
    assert not [query for query in queries.captured_queries
                if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert rollup_rows() == incremental
    assert sorted(TouchRollupVisitor.objects.values_list("pk", flat=True)) == visitors

    TouchRollup.objects.all().delete()
    TouchRollupVisitor.objects.all().delete()
    assert rebuild_touch_rollups() == 1
    assert rollup_rows() == incremental


def test_a_rebuild_repairs_wrong_figures_and_the_tally_carries_on_from_them(sale, post, deal):
    many_touches(sale, post, deal)
    tally()
    right = rollup_rows()
    TouchRollup.objects.filter(link=post).update(clicks=0)
    TouchRollupVisitor.objects.filter(link=deal).delete()
    assert rebuild_touch_rollups(campaign_ids=[sale.pk]) == 1
    assert rollup_rows() == right
    touch(sale, who=3, link=deal, account=deal.account)  # seen before: a click, not a new person
    tally()
    assert touch_totals([sale.pk])[sale.pk] == {"clicks": 3 * 6 + 2, "people": 6, "bots": 3}


def test_a_rebuild_counts_only_what_the_tally_has_reached(sale, post):
    touch(sale, who=1, link=post)
    tally()
    touch(sale, who=2, link=post)  # not tallied yet: the next tally counts it, so the rebuild must not
    assert rebuild_touch_rollups() == 0
    tally()
    assert touch_totals([sale.pk])[sale.pk]["people"] == 2


def test_a_deleted_links_figures_stay_with_the_campaign(sale, post, deal):
    many_touches(sale, post, deal)
    tally()
    before = touch_totals([sale.pk])
    post.delete()
    assert touch_totals([sale.pk]) == before
    rebuild_touch_rollups()  # the visitor who came both through the link and without one is one person
    no_link = [row for row in touches_by_link(sale) if row["link__code"] is None]
    assert [(row["clicks"], row["people"]) for row in no_link] == [(3 * 4 + 1, 3)]
    assert touch_totals([sale.pk]) == before


def test_the_tally_runs_every_minute_and_the_check_nightly_on_the_tallies_queue():
    import django_rq
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=django_rq.get_connection("tallies"))
    scheduler.load_config_from_file("config.cron")
    registered = {(job.func, job.queue_name, job.cron) for job in scheduler.get_jobs()}
    assert (tally_touches, "tallies", "* * * * *") in registered
    assert (check_touch_rollups, "tallies", "41 3 * * *") in registered


def test_the_jobs_call_the_tally_and_the_rebuild(sale, post):
    touch(sale, who=1, link=post, at=timezone.now() - DAY)
    tally_touches()  # reads the target; it is counted once older than the safety lag
    assert TouchRollupState.objects.get().target_id == Touch.objects.get().pk
    assert check_touch_rollups() == 0


@contextlib.contextmanager
def touch_held_open(sale, post, *, who, after=None):
    """A touch written in a transaction that stays open (another thread) until the block ends.

    `after`, an Event, makes the thread wait for it before it starts its transaction.
    """
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            if after is not None:
                after.wait(10)
            with transaction.atomic():
                touch(sale, who=who, link=post)
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        yield holding
    finally:
        release.set()
        thread.join()


# --- PostgreSQL: real row locks and transactions that commit out of id order ----------------------


@pytest.mark.postgres
def test_concurrent_tallies_count_each_touch_once(sale, post, deal):
    many_touches(sale, post, deal)
    for round_ in range(3):
        for who in range(20):
            touch(sale, who=100 + who, link=post if who % 2 else deal, account=None if who % 2 else deal.account,
                  at=NOW + round_ * DAY)
    results, errors = run_concurrently(lambda: tally(batch_size=5), threads=6)
    assert errors == []
    assert sum(results) == Touch.objects.count()
    tallied = rollup_rows()
    assert rebuild_touch_rollups() == 0
    assert rollup_rows() == tallied
    assert touch_totals([sale.pk])[sale.pk]["people"] == 6 + 20


@pytest.mark.postgres
def test_a_touch_that_commits_after_a_higher_id_was_read_is_still_counted(sale, post):
    lag = datetime.timedelta(seconds=30)
    with touch_held_open(sale, post, who=1) as holding:  # takes an id, commits after a later click
        holding.wait(10)
        touch(sale, who=2, link=post)  # a higher id, committed first
        assert tally(at=NOW, safety_lag=lag) == 0  # reads the target: the higher id
    assert tally(at=NOW + lag, safety_lag=lag) == 2  # the lower id committed within the lag: counted
    assert touch_totals([sale.pk])[sale.pk]["people"] == 2


@pytest.mark.postgres
def test_a_touch_in_a_transaction_held_past_the_lag_is_still_counted(sale, post):
    """Giveaway entries record their touch inside the entry's transaction, which may take a while: the tally
    waits for every transaction running when it read its target, whatever the lag says, and whatever order
    the transactions got their ids in."""
    no_lag = datetime.timedelta(0)
    first_has_id, first_done = threading.Event(), threading.Event()

    def first_writer():  # takes its transaction id before the slow one, commits a higher touch id after it
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_current_xact_id()")
                first_has_id.set()
                holding.wait(10)
                touch(sale, who=2, link=post)
        finally:
            first_done.set()
            connections.close_all()

    with touch_held_open(sale, post, who=1, after=first_has_id) as holding:
        first = threading.Thread(target=first_writer)
        first.start()
        first_done.wait(10)
        assert tally(at=NOW, safety_lag=no_lag) == 0  # the slow transaction is still running: wait for it
        assert tally(at=NOW + datetime.timedelta(minutes=5), safety_lag=no_lag) == 0  # still waiting
    first.join()
    assert tally(at=NOW + datetime.timedelta(minutes=5), safety_lag=no_lag) == 2
    assert touch_totals([sale.pk])[sale.pk]["people"] == 2


@pytest.mark.postgres
def test_the_tally_waits_for_a_stuck_transaction_only_so_long(sale, post, caplog):
    """An idle-in-transaction session must not freeze the figures: after MAX_WRITER_WAIT the tally goes on,
    says so, and the nightly check counts what the stuck transaction commits later."""
    from campaigns.rollups import MAX_WRITER_WAIT

    no_lag = datetime.timedelta(0)
    with touch_held_open(sale, post, who=1) as holding:
        holding.wait(10)
        touch(sale, who=2, link=post)
        assert tally(at=NOW, safety_lag=no_lag) == 0
        assert tally(at=NOW + MAX_WRITER_WAIT + datetime.timedelta(seconds=1), safety_lag=no_lag) == 1
        assert "tallying on" in caplog.text
    rebuild_touch_rollups()
    assert touch_totals([sale.pk])[sale.pk]["people"] == 2
