"""Referral groups under concurrency (PostgreSQL leg): the group's row lock and the budget's conditional UPDATE."""

import itertools
import threading
from decimal import Decimal

import pytest

from promotions import referrals
from promotions.models import GroupMember, LedgerEntry, ReferralGroup, ReferralOffer, TierChange
from tests.concurrency import run_concurrently
from tests.promotions.conftest import NOW, buy, make_offer, make_person

pytestmark = pytest.mark.postgres
THREADS = 20  # each makes purchases one after another; 20 connections stay well under PostgreSQL's 100


def purchases(group, total, *, prefix="order", amount="200.00"):
    """A function for run_concurrently: each thread buys until `total` purchases have been made."""
    numbers = itertools.count()
    lock = threading.Lock()

    def buy_until_done():
        made = []
        while True:
            with lock:
                number = next(numbers)
            if number >= total:
                return made
            outcome = buy(group.code, f"{prefix}{number}@example.com", f"{prefix}-{number}", amount)
            assert outcome.created, outcome.message
            made.append(outcome.member.pk)

    return buy_until_done


def test_200_concurrent_purchases_give_200_members_the_right_tier_and_one_event_per_tier(live_giveaway_campaign):
    offer = make_offer(live_giveaway_campaign, tiers=((2, "5"), (10, "10"), (50, "20"), (150, "30"), (200, "40")))
    group = referrals.start_group(offer=offer, item=offer.items.get(), participant=make_person("dana@example.com"),
                                  at=NOW)
    results, errors = run_concurrently(purchases(group, 200), threads=THREADS)
    assert errors == []
    assert sum(len(made) for made in results) == 200
    group.refresh_from_db()
    assert (group.confirmed_count, group.member_count, group.tier_percent) == (200, 200, Decimal("40.00"))
    assert GroupMember.objects.filter(group=group).count() == 200
    assert list(TierChange.objects.filter(group=group).order_by("id").values_list("to_percent", flat=True)) == [
        Decimal("5.00"), Decimal("10.00"), Decimal("20.00"), Decimal("30.00"), Decimal("40.00")]
    # Everyone paid list price: at 40 % each is owed 80.00, and the offer owes exactly the sum.
    assert set(GroupMember.objects.filter(group=group).values_list("rebate_owed", flat=True)) == {Decimal("80.00")}
    offer.refresh_from_db()
    assert offer.liability == Decimal("16000.00")
    assert referrals.recount_group(group) == {}


def test_the_same_order_delivered_at_once_by_eight_workers_joins_once(live_giveaway_campaign):
    offer = make_offer(live_giveaway_campaign)
    group = referrals.start_group(offer=offer, item=offer.items.get(), participant=make_person("dana@example.com"),
                                  at=NOW)
    results, errors = run_concurrently(lambda: buy(group.code, "mina@example.com", "same-order").created, threads=8)
    assert errors == []
    assert sorted(results) == [False] * 7 + [True]
    assert GroupMember.objects.count() == 1 and LedgerEntry.objects.filter(kind="payment").count() == 1


def test_the_budget_is_never_exceeded_by_groups_moving_at_once(live_giveaway_campaign):
    """Ten groups reach the 10 % tier together; the budget pays for four of them (40.00 each)."""
    offer = make_offer(live_giveaway_campaign, budget="170.00")
    groups = [referrals.start_group(offer=offer, item=offer.items.get(),
                                    participant=make_person(f"founder{i}@example.com"), at=NOW) for i in range(10)]
    for index, group in enumerate(groups):
        buy(group.code, f"first{index}@example.com", f"first-{index}")
    numbers = itertools.count()

    def second_purchase():
        index = next(numbers)
        return buy(groups[index].code, f"second{index}@example.com", f"second-{index}").created

    results, errors = run_concurrently(second_purchase, threads=10)
    assert errors == [] and all(results)
    offer.refresh_from_db()
    assert offer.liability <= offer.budget
    moved = ReferralGroup.objects.filter(offer=offer, tier_percent=Decimal("10.00")).count()
    assert moved == 4 and offer.liability == Decimal("160.00")
    assert offer.budget_reached_at is not None
    owed = sum(LedgerEntry.objects.filter(offer=offer, kind__in=["rebate", "reversal"])
               .values_list("amount", flat=True))
    assert owed == offer.liability


def test_refunds_and_the_hold_sweep_racing_purchases_keep_the_counts_right(live_giveaway_campaign):
    offer = make_offer(live_giveaway_campaign)
    ReferralOffer.objects.filter(pk=offer.pk).update(hold_days=1)
    group = referrals.start_group(offer=offer, item=offer.items.get(), participant=make_person("dana@example.com"),
                                  at=NOW)
    for number in range(20):
        buy(group.code, f"early{number}@example.com", f"early-{number}", at=NOW)
    later = NOW + referrals.datetime.timedelta(days=1)
    jobs = itertools.count()

    def work():
        job = next(jobs)
        if job == 0:
            return referrals.confirm_due_members(at=later)
        if job < 6:
            return referrals.record_refund(order_reference=f"early-{job}", refunded_total="200.00", at=later).members
        return buy(group.code, f"late{job}@example.com", f"late-{job}", at=later).created

    _results, errors = run_concurrently(work, threads=12)
    assert errors == []
    group.refresh_from_db()
    assert (group.confirmed_count, group.member_count) == (15, 21)
    assert referrals.recount_group(group) == {}
