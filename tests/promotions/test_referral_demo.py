"""The demo's referral offers: groups at different tiers and generations, a self-referral, a refund, one settled."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from promotions import referrals, tiers
from promotions.demo_referrals import OPEN_SLUG, SETTLED_SLUG
from promotions.models import GroupMember, LedgerEntry, ReferralGroup, ReferralOffer, TierChange


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_demo_has_a_deals_offer_with_groups_at_different_tiers_and_generations(db):
    call_command("demo", stdout=io.StringIO())
    offer = ReferralOffer.objects.get(slug=OPEN_SLUG)
    assert offer.account.slug == "hanbit-air-deals" and offer.campaign.slug == "hanbit-10th-anniversary"
    groups = {group.founder.email: group for group in offer.groups.select_related("founder", "item")}
    yuna, haruto, daniel = (groups[f"{name}@customer.example"] for name in ("yuna", "haruto", "daniel"))
    assert (yuna.confirmed_count, yuna.tier_percent) == (5, Decimal("10.00"))
    assert yuna.members.filter(status=GroupMember.Status.PENDING).count() == 1  # still in its hold
    assert set(yuna.members.values_list("generation", flat=True)) == {1, 2, 3}
    assert haruto.members.get(generation=0).counts_toward_tier is False
    assert (haruto.confirmed_count, haruto.tier_percent) == (2, Decimal("5.00"))
    assert daniel.tier_percent == Decimal("5.00")
    assert list(TierChange.objects.filter(group=daniel, cause="refund").values_list("to_percent", flat=True)) == [
        Decimal("5.00")]
    assert all(referrals.recount_group(group) == {} for group in ReferralGroup.objects.all())
    assert all(item.image_card for item in offer.items.all())


def test_the_settled_offers_ledger_reconciles_to_the_cent(db):
    call_command("demo", stdout=io.StringIO())
    offer = ReferralOffer.objects.get(slug=SETTLED_SLUG)
    assert offer.settled_at is not None
    group = offer.groups.get()
    assert (group.confirmed_count, group.tier_percent) == (6, Decimal("15.00"))
    final_price = tiers.price_at(group.item.base_price, group.tier_percent)
    for member in group.members.all():
        rows = LedgerEntry.objects.filter(member=member)
        paid = sum(row.amount for row in rows if row.kind in ("payment", "refund"))
        owed = sum(row.amount for row in rows if row.kind in ("rebate", "reversal"))
        assert paid - owed == final_price


def test_running_the_demo_twice_changes_nothing(db):
    call_command("demo", stdout=io.StringIO())
    counts = [model.objects.count() for model in (ReferralOffer, ReferralGroup, GroupMember, LedgerEntry)]
    call_command("demo", stdout=io.StringIO())
    assert [model.objects.count() for model in (ReferralOffer, ReferralGroup, GroupMember, LedgerEntry)] == counts
