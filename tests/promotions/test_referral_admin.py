"""The referral admin: setting up offers with items and tiers, the figures and settlement, groups, the review queue,
and who may do what."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from campaigns.models import Touch
from campaigns.touches import TouchFacts, record_touch
from promotions import referrals
from promotions.models import GroupMember, LedgerEntry, ReferralGroup, ReferralOffer, ReferralTier
from tests.promotions.conftest import DAY, NOW, buy

pytestmark = pytest.mark.django_db


def offer_url(offer):
    return reverse("admin:promotions_referraloffer_change", args=[offer.pk])


def split(moment):
    return {"0": moment.strftime("%Y-%m-%d"), "1": moment.strftime("%H:%M:%S")}


def offer_post(offer=None, *, campaign=None, account=None, items=(), tiers=(), **fields):
    """What the offer page posts: the offer's fields plus item and tier rows (existing rows, with "id", first)."""
    source = offer
    data = {
        "campaign": campaign.pk if campaign else source.campaign_id,
        "account": (account or (source.account if source else campaign.owner_account)).pk,
        "title": source.title if source else "Fly together", "slug": source.slug if source else "fly-together",
        "description": "", "currency": "USD",
        "max_discount_percent": str(source.max_discount_percent) if source else "50",
        "budget": str(source.budget) if source else "5000.00", "hold_days": str(source.hold_days) if source else "14",
        "hold_rule": "after_purchase", "self_referral": "never",
    }
    for name, moment in (("starts_at", NOW - DAY), ("ends_at", NOW + 10 * DAY)):
        value = getattr(source, name) if source else moment
        data.update({f"{name}_{part}": text for part, text in split(value).items()})
    for prefix, rows, defaults in (
            ("items", items, {"position": "0", "name": "Seoul → Jeju", "description": "", "sku": "JEJU-RT",
                              "base_price": "200.00", "booking_url": "", "image_alt": ""}),
            ("tiers", tiers, {"min_members": "2", "discount_percent": "10"})):
        initial = sum("id" in row for row in rows)
        data.update({f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial),
                     f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
        for index, row in enumerate(rows):
            data.update({f"{prefix}-{index}-{name}": value for name, value in {**defaults, **row}.items()})
    data.update(fields)
    return data


def existing_rows(offer, tier_changes=None):
    tier_changes = tier_changes or {}
    items = [{"id": str(item.pk), "offer": str(offer.pk), "name": item.name, "sku": item.sku,
              "base_price": str(item.base_price)} for item in offer.items.all()]
    tiers = [{"id": str(tier.pk), "offer": str(offer.pk), "min_members": str(tier.min_members),
              "discount_percent": str(tier_changes.get(tier.min_members, tier.discount_percent))}
             for tier in offer.tiers.all()]
    return {"items": items, "tiers": tiers}


@pytest.fixture
def co_run(offer, deals_account):
    offer.campaign.co_accounts.add(deals_account)
    return offer


def test_alice_sets_up_an_offer_with_items_and_tiers(client, alice, live_giveaway_campaign):
    client.force_login(alice)
    response = client.post(reverse("admin:promotions_referraloffer_add"), offer_post(
        campaign=live_giveaway_campaign, items=[{}, {"name": "Seoul → Busan", "sku": "BUSAN-RT", "base_price": "90"}],
        tiers=[{"min_members": "2", "discount_percent": "10"}, {"min_members": "5", "discount_percent": "25"}]))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    offer = ReferralOffer.objects.get()
    assert sorted(offer.items.values_list("sku", flat=True)) == ["BUSAN-RT", "JEJU-RT"]
    assert list(offer.tiers.values_list("min_members", "discount_percent")) == [(2, Decimal("10.00")),
                                                                                (5, Decimal("25.00"))]


@pytest.mark.parametrize(("tiers", "message"), [
    ([{"min_members": "2", "discount_percent": "20"}, {"min_members": "4", "discount_percent": "10"}],
     "Discounts must grow with the group"),
    ([{"min_members": "2", "discount_percent": "60"}], "more than the offer&#x27;s maximum"),
    ([], "Add at least one tier"),
])
def test_a_bad_tier_table_says_what_to_fix_and_saves_nothing(client, alice, live_giveaway_campaign, tiers, message):
    client.force_login(alice)
    response = client.post(reverse("admin:promotions_referraloffer_add"),
                           offer_post(campaign=live_giveaway_campaign, items=[{}], tiers=tiers))
    assert response.status_code == 200 and message in response.content.decode()
    assert not ReferralOffer.objects.exists()


def test_the_account_must_run_the_campaign(client, superuser, live_giveaway_campaign, deals_account):
    client.force_login(superuser)
    response = client.post(reverse("admin:promotions_referraloffer_add"), offer_post(
        campaign=live_giveaway_campaign, account=deals_account, items=[{}], tiers=[{}]))
    assert "does not run this campaign" in response.content.decode()
    live_giveaway_campaign.co_accounts.add(deals_account)
    response = client.post(reverse("admin:promotions_referraloffer_add"), offer_post(
        campaign=live_giveaway_campaign, account=deals_account, items=[{}], tiers=[{}]))
    assert response.status_code == 302 and ReferralOffer.objects.get().account == deals_account


def test_a_save_never_writes_back_a_stale_liability(client, alice, group, offer):
    client.force_login(alice)
    client.get(offer_url(offer))
    buy(group.code, "a@example.com", "A-1")
    buy(group.code, "b@example.com", "A-2")  # the offer now owes 40.00
    response = client.post(offer_url(offer), offer_post(offer, title="Fly together, again", **existing_rows(offer)))
    assert response.status_code == 302
    offer.refresh_from_db()
    assert (offer.title, offer.liability) == ("Fly together, again", Decimal("40.00"))


def test_a_started_offer_keeps_its_tiers_and_its_budget_above_what_is_owed(client, alice, group, offer):
    client.force_login(alice)
    buy(group.code, "a@example.com", "B-1")
    buy(group.code, "b@example.com", "B-2")
    offer.refresh_from_db()
    response = client.post(offer_url(offer), offer_post(offer, **existing_rows(offer, {2: "15"})))
    assert "the tier table can no longer change" in response.content.decode()
    assert ReferralTier.objects.get(offer=offer, min_members=2).discount_percent == Decimal("10.00")
    response = client.post(offer_url(offer), offer_post(offer, budget="30.00", **existing_rows(offer)))
    assert "already owes 40.00 USD" in response.content.decode()


def test_the_offer_page_shows_budget_settlement_and_viral_figures(client, alice, group, offer):
    first = buy(group.code, "a@example.com", "C-1").member
    buy(first.share_code, "b@example.com", "C-2")
    client.force_login(alice)
    html = client.get(offer_url(offer)).content.decode()
    assert "40.00 of 100000.00 USD" in html
    assert "Settles automatically on" in html and "Settle now" not in html  # still open
    assert "K-factor" in html and "<td>0.67</td>" in html  # 2 through links ÷ (1 founder + 2 members)


def test_settle_now_after_the_end(client, alice, group, offer):
    buy(group.code, "a@example.com", "D-1")
    buy(group.code, "b@example.com", "D-2")
    ReferralOffer.objects.filter(pk=offer.pk).update(starts_at=NOW - 20 * DAY, ends_at=NOW - 10 * DAY, hold_days=0)
    client.force_login(alice)
    html = client.get(offer_url(offer)).content.decode()
    assert "Settle now" in html
    response = client.post(reverse("admin:promotions_referraloffer_settle", args=[offer.pk]), follow=True)
    assert "Settled 1 group(s)" in response.content.decode()
    assert ReferralGroup.objects.get(pk=group.pk).settled_at is not None


def test_settle_now_before_the_end_is_refused(client, alice, offer):
    client.force_login(alice)
    response = client.post(reverse("admin:promotions_referraloffer_settle", args=[offer.pk]), follow=True)
    assert "still open" in response.content.decode()


def test_a_co_running_team_looks_but_never_settles_switches_off_or_reviews(client, bob, co_run, group):
    member = buy(group.code, "a@example.com", "E-1").member
    GroupMember.objects.filter(pk=member.pk).update(status=GroupMember.Status.FLAGGED)
    client.force_login(bob)
    page = client.get(offer_url(co_run))
    assert page.status_code == 200 and "Settle now" not in page.content.decode()
    assert client.post(offer_url(co_run), offer_post(co_run, title="Hijacked")).status_code == 403
    assert client.post(reverse("admin:promotions_referraloffer_settle", args=[co_run.pk])).status_code == 403
    client.post(reverse("admin:promotions_referralgroup_changelist"),
                {"action": "switch_off", "_selected_action": [group.pk], "confirm": "yes", "reason": "x"})
    assert ReferralGroup.objects.get(pk=group.pk).disabled_at is None
    client.post(reverse("admin:promotions_groupmember_changelist"),
                {"action": "clear", "_selected_action": [member.pk]})
    assert GroupMember.objects.get(pk=member.pk).status == GroupMember.Status.FLAGGED
    html = client.get(reverse("admin:promotions_referralgroup_change", args=[group.pk])).content.decode()
    assert "a@example.com" not in html and "a…@example.com" in html


def test_another_accounts_offer_is_not_found(client, bob, offer):
    client.force_login(bob)
    assert client.get(offer_url(offer)).status_code in (302, 404)
    assert client.post(reverse("admin:promotions_referraloffer_settle", args=[offer.pk])).status_code == 404


def test_switching_a_link_off_needs_a_reason_and_keeps_the_ledger(client, alice, group):
    buy(group.code, "a@example.com", "F-1")
    rows = LedgerEntry.objects.count()
    client.force_login(alice)
    url = reverse("admin:promotions_referralgroup_changelist")
    asked = client.post(url, {"action": "switch_off", "_selected_action": [group.pk], "confirm": "yes", "reason": ""})
    assert "Write the reason" in asked.content.decode()
    client.post(url, {"action": "switch_off", "_selected_action": [group.pk], "confirm": "yes",
                      "reason": "Posted on couponsite.example"})
    group.refresh_from_db()
    assert group.disabled_reason == "Posted on couponsite.example" and LedgerEntry.objects.count() == rows
    assert GroupMember.objects.filter(group=group).count() == 1


def test_the_group_page_shows_members_ledger_and_where_clicks_came_from(client, alice, group):
    for host in ("coupons.example", "coupons.example", ""):
        record_touch(visitor_id=uuid.uuid4(), campaign=group.offer.campaign_id, account=group.offer.account_id,
                     kind=Touch.Kind.REFERRAL_CLICK, reference=referrals.touch_reference(group),
                     facts=TouchFacts(referrer_host=host))
    buy(group.code, "a@example.com", "G-1")
    client.force_login(alice)
    html = client.get(reverse("admin:promotions_referralgroup_change", args=[group.pk])).content.decode()
    assert "coupons.example: 2 click(s)" in html
    assert "G-1" in html and "a@example.com" in html and "Payment" in html
    assert 'name="_save"' not in html  # nothing to edit by hand


def test_the_review_queue_clears_and_rejects(client, alice, group):
    held = []
    for index in range(2):
        member = buy(group.code, f"p{index}@example.com", f"H-{index}").member
        GroupMember.objects.filter(pk=member.pk).update(status=GroupMember.Status.FLAGGED, reason="burst",
                                                        hold_until=NOW - 30 * DAY)  # the hold is over today
        ReferralGroup.objects.filter(pk=group.pk).update(confirmed_count=0, member_count=0)
        held.append(member)
    client.force_login(alice)
    url = reverse("admin:promotions_groupmember_changelist")
    assert "H-0" in client.get(url).content.decode()
    client.post(url, {"action": "clear", "_selected_action": [held[0].pk]})
    client.post(url, {"action": "reject", "_selected_action": [held[1].pk], "confirm": "yes", "reason": "Same card"})
    statuses = dict(GroupMember.objects.values_list("order_reference", "status"))
    assert statuses == {"H-0": "confirmed", "H-1": "rejected"}
    assert GroupMember.objects.get(pk=held[1].pk).reason == "Same card"


def test_the_campaign_page_lists_its_offers(client, alice, offer):
    client.force_login(alice)
    html = client.get(reverse("admin:campaigns_campaign_change", args=[offer.campaign_id])).content.decode()
    assert "Referral offers" in html and offer_url(offer) in html


def test_settlement_is_offered_once_the_hold_is_over_too(client, alice, offer):
    ReferralOffer.objects.filter(pk=offer.pk).update(ends_at=NOW - datetime.timedelta(hours=1))
    client.force_login(alice)
    assert client.get(offer_url(offer)).status_code == 200

