"""The referral admin: setting up offers with items and tiers, the figures and settlement, groups and their links,
the review queue, and who may do what.

The admin reads the real clock (timezone.now()); tests whose outcome depends on it (settling, "has ended") put
the offer's window around the real present. Purchases go through `buy` at the fixtures' NOW.
"""

import datetime
import io
import re
import uuid
import zoneinfo
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.memberships import add_member
from accounts.models import BrandAccount
from accounts.roles import Role
from campaigns.models import Campaign, Touch
from campaigns.touches import TouchFacts, agent_hash_of, network_hash_of, record_touch
from promotions import referrals
from promotions.models import GroupMember, LedgerEntry, ReferralGroup, ReferralOffer, ReferralTier
from tests.campaigns.conftest import make_campaign
from tests.promotions.conftest import DAY, NOW, buy, make_offer

pytestmark = pytest.mark.django_db

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


def offer_url(offer):
    return reverse("admin:promotions_referraloffer_change", args=[offer.pk])


def add_url(campaign):
    """The add page as the campaign page's "Add a referral offer" link opens it."""
    return reverse("admin:promotions_referraloffer_add") + f"?campaign={campaign.pk}"


def group_url(group):
    return reverse("admin:promotions_referralgroup_change", args=[group.pk])


def member_url(member):
    return reverse("admin:promotions_groupmember_change", args=[member.pk])


QUEUE = "admin:promotions_groupmember_changelist"
GROUPS = "admin:promotions_referralgroup_changelist"


def split(moment, zone=SEOUL):
    """An instant as the admin's split date and time boxes show it in `zone`."""
    local = moment.astimezone(zone)
    return {"0": local.strftime("%Y-%m-%d"), "1": local.strftime("%H:%M:%S")}


def offer_post(offer=None, *, campaign=None, account=None, items=(), tiers=(), zone=SEOUL, **fields):
    """What the offer page posts: the offer's fields plus item and tier rows (existing rows, with "id", first).

    Times are written in `zone`, the campaign owner's (Asia/Seoul for alice's account)."""
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
        data.update({f"{name}_{part}": text for part, text in split(value, zone).items()})
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
              "base_price": str(item.base_price), "booking_url": item.booking_url} for item in offer.items.all()]
    tiers = [{"id": str(tier.pk), "offer": str(offer.pk), "min_members": str(tier.min_members),
              "discount_percent": str(tier_changes.get(tier.min_members, tier.discount_percent))}
             for tier in offer.tiers.all()]
    return {"items": items, "tiers": tiers}


def errors_of(response):
    return response.context["adminform"].form.errors if response.context else response.status_code


def photo(size=(1600, 1000), kind="JPEG"):
    buffer = io.BytesIO()
    Image.new("RGB", size, "#0B5CAD").save(buffer, kind)
    return SimpleUploadedFile(f"jeju photo.{kind.lower()}", buffer.getvalue(), content_type=f"image/{kind.lower()}")


def ended(offer, *, hold_days=0):
    """Put the offer's window in the real past (the admin reads the real clock); purchases stay as they were."""
    now = timezone.now()
    ReferralOffer.objects.filter(pk=offer.pk).update(starts_at=now - 20 * DAY, ends_at=now - DAY, hold_days=hold_days)
    offer.refresh_from_db()
    return offer


def still_open(offer):
    now = timezone.now()
    ReferralOffer.objects.filter(pk=offer.pk).update(starts_at=now - DAY, ends_at=now + 10 * DAY)
    offer.refresh_from_db()
    return offer


def held_for_review(group, orders):
    """Purchases through the group's link after clicks from one network and browser: from the fourth on, the burst
    rule holds them for review."""
    members = []
    for order in orders:
        visitor = uuid.uuid4()
        record_touch(visitor_id=visitor, campaign=group.offer.campaign_id, account=group.offer.account_id,
                     kind=Touch.Kind.REFERRAL_CLICK, reference=referrals.touch_reference(group),
                     facts=TouchFacts(network_hash=network_hash_of("203.0.113.8"),
                                      agent_hash=agent_hash_of("Mozilla/5.0 (iPhone)")), at=NOW)
        members.append(buy(group.code, f"{order.lower()}@example.com", order, visitor_id=visitor).member)
    return [member for member in members if member.status == GroupMember.Status.FLAGGED]


def action(client, url_name, name, ids, query="", **fields):
    return client.post(reverse(url_name) + query, {"action": name, "_selected_action": [str(pk) for pk in ids],
                                                   **fields}, follow=True)


@pytest.fixture
def co_run(offer, deals_account):
    """bob's deals account co-runs alice's campaign: his team may look at its offers, groups and purchases."""
    offer.campaign.co_accounts.add(deals_account)
    return offer


# --- setting up an offer -------------------------------------------------------------------


def test_it_sets_up_an_offer_with_items_and_tiers_in_the_owners_zone(client, alice, live_giveaway_campaign):
    client.force_login(alice)
    page = client.get(add_url(live_giveaway_campaign)).content.decode()
    assert "Wall-clock times in Asia/Seoul" in page
    response = client.post(add_url(live_giveaway_campaign), offer_post(
        campaign=live_giveaway_campaign, items=[{}, {"name": "Seoul → Busan", "sku": "BUSAN-RT", "base_price": "90"}],
        tiers=[{"min_members": "2", "discount_percent": "10"}, {"min_members": "5", "discount_percent": "25"}],
        starts_at_0="2026-12-01", starts_at_1="09:00:00"))
    assert response.status_code == 302, errors_of(response)
    offer = ReferralOffer.objects.get()
    assert sorted(offer.items.values_list("sku", flat=True)) == ["BUSAN-RT", "JEJU-RT"]
    assert list(offer.tiers.values_list("min_members", "discount_percent")) == [(2, Decimal("10.00")),
                                                                                (5, Decimal("25.00"))]
    assert offer.starts_at == datetime.datetime(2026, 12, 1, 0, 0, tzinfo=datetime.UTC)  # 09:00 in Seoul
    assert (offer.account, offer.liability, offer.settled_at) == (live_giveaway_campaign.owner_account, 0, None)


def test_an_item_image_becomes_a_card_and_a_phone_image(client, alice, offer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(alice)
    rows = existing_rows(offer)
    rows["items"][0].update({"image_upload": photo(), "image_alt": "Jeju's coast"})
    response = client.post(offer_url(offer), offer_post(offer, **rows))
    assert response.status_code == 302, errors_of(response)
    item = offer.items.get()
    assert (item.image_card.width, item.image_card.height) == (1200, 630)
    assert item.image_mobile.name.endswith(".webp") and "jeju photo" not in item.image_card.name
    assert item.image_mobile.url in client.get(offer_url(offer)).content.decode()


def test_an_unusable_item_image_says_why_and_saves_nothing(client, alice, offer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(alice)
    rows = existing_rows(offer)
    rows["items"][0].update({"image_upload": photo((3000, 20), "PNG"), "image_alt": "A sliver"})
    response = client.post(offer_url(offer), offer_post(offer, title="Changed", **rows))
    assert response.status_code == 200 and "far too wide" in response.content.decode()
    offer.refresh_from_db()
    assert offer.title == "Fly together" and not offer.items.get().image_card
    assert not any(tmp_path.rglob("*.*"))


@pytest.mark.parametrize(("tiers", "message"), [
    ([{"min_members": "2", "discount_percent": "20"}, {"min_members": "4", "discount_percent": "10"}],
     "Discounts must grow with the group"),
    ([{"min_members": "2", "discount_percent": "60"}], "more than the offer&#x27;s maximum of 50"),
    ([{"min_members": "3", "discount_percent": "10"}, {"min_members": "3", "discount_percent": "20"}],
     "Two tiers have the same group size"),
    ([], "Add at least one tier"),
])
def test_a_bad_tier_table_says_what_to_fix_and_saves_nothing(client, alice, live_giveaway_campaign, tiers, message):
    client.force_login(alice)
    response = client.post(add_url(live_giveaway_campaign),
                           offer_post(campaign=live_giveaway_campaign, items=[{}], tiers=tiers))
    assert response.status_code == 200 and message in response.content.decode()
    assert not ReferralOffer.objects.exists()


def test_the_tiers_are_checked_against_the_maximum_just_posted(client, alice, live_giveaway_campaign):
    client.force_login(alice)
    tiers = [{"min_members": "2", "discount_percent": "60"}]
    response = client.post(add_url(live_giveaway_campaign), offer_post(
        campaign=live_giveaway_campaign, items=[{}], tiers=tiers, max_discount_percent="70"))
    assert response.status_code == 302, errors_of(response)
    response = client.post(add_url(live_giveaway_campaign), offer_post(
        campaign=live_giveaway_campaign, items=[{}], tiers=tiers, max_discount_percent="lots", slug="other"))
    assert response.status_code == 200 and "Enter a number" in response.content.decode()  # no crash


def test_two_items_with_one_sku_are_refused_in_words(client, alice, live_giveaway_campaign):
    client.force_login(alice)
    response = client.post(add_url(live_giveaway_campaign), offer_post(
        campaign=live_giveaway_campaign, items=[{}, {"name": "Jeju again", "sku": " JEJU-RT "}], tiers=[{}]))
    assert response.status_code == 200
    assert "Two items have the SKU “JEJU-RT”" in response.content.decode()
    assert not ReferralOffer.objects.exists()


def test_the_account_must_run_the_campaign(client, superuser, live_giveaway_campaign, deals_account):
    client.force_login(superuser)
    response = client.post(add_url(live_giveaway_campaign), offer_post(
        campaign=live_giveaway_campaign, account=deals_account, items=[{}], tiers=[{}]))
    assert "Bob Deals does not run this campaign" in response.content.decode()
    live_giveaway_campaign.co_accounts.add(deals_account)
    response = client.post(add_url(live_giveaway_campaign), offer_post(
        campaign=live_giveaway_campaign, account=deals_account, items=[{}], tiers=[{}]))
    assert response.status_code == 302 and ReferralOffer.objects.get().account == deals_account


def test_the_account_menu_offers_running_accounts_the_user_may_edit(client, alice, superuser, co_run, deals_account):
    outsider = BrandAccount.objects.create(name="Carol Cargo", slug="carol-cargo", timezone="UTC", currency="USD")
    client.force_login(superuser)
    menu = client.get(offer_url(co_run)).context["adminform"].form.fields["account"].queryset
    assert set(menu) == {co_run.account, deals_account}  # the accounts running the campaign, not Carol Cargo
    assert outsider not in menu
    client.force_login(alice)  # manages the main account only: bob's deals account is not hers to credit
    assert set(client.get(offer_url(co_run)).context["adminform"].form.fields["account"].queryset) == {co_run.account}
    response = client.post(offer_url(co_run), offer_post(co_run, account=deals_account, **existing_rows(co_run)))
    assert response.status_code == 200 and "account" in errors_of(response)
    assert ReferralOffer.objects.get(pk=co_run.pk).account == co_run.account


def test_a_manager_of_both_accounts_may_credit_the_deals_account(client, alice, co_run, deals_account):
    add_member(account=deals_account, user=alice, role=Role.MARKETER)
    client.force_login(alice)
    response = client.post(offer_url(co_run), offer_post(co_run, account=deals_account, **existing_rows(co_run)))
    assert response.status_code == 302, errors_of(response)
    assert ReferralOffer.objects.get(pk=co_run.pk).account == deals_account


def test_a_save_never_writes_back_a_stale_liability(client, alice, group, offer):
    client.force_login(alice)
    client.get(offer_url(offer))
    buy(group.code, "a@example.com", "A-1")
    buy(group.code, "b@example.com", "A-2")  # the offer now owes 40.00
    response = client.post(offer_url(offer), offer_post(offer, title="Fly together, again", **existing_rows(offer)))
    assert response.status_code == 302, errors_of(response)
    changed = ReferralOffer.objects.get(pk=offer.pk)
    assert (changed.title, changed.liability) == ("Fly together, again", Decimal("40.00"))
    assert (changed.starts_at, changed.ends_at) == (offer.starts_at, offer.ends_at)  # read and saved in Seoul time


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
    response = client.post(offer_url(offer), offer_post(offer, currency="EUR", **existing_rows(offer)))
    assert "the currency can no longer change" in response.content.decode()
    assert ReferralOffer.objects.get(pk=offer.pk).currency == "USD"


def test_an_offer_with_groups_cannot_be_deleted(client, alice, group, offer):
    client.force_login(alice)
    delete = reverse("admin:promotions_referraloffer_delete", args=[offer.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert ReferralOffer.objects.filter(pk=offer.pk).exists()


# --- the offer page: budget, groups, settlement, viral figures -------------------------------------


def test_the_offer_page_shows_budget_groups_settlement_and_viral_figures(client, alice, group, offer):
    still_open(offer)
    first = buy(group.code, "a@example.com", "C-1").member
    buy(first.share_code, "b@example.com", "C-2")
    ReferralOffer.objects.filter(pk=offer.pk).update(budget="80.00", budget_reached_at=NOW)
    client.force_login(alice)
    html = client.get(offer_url(offer)).content.decode()
    assert "40.00 of 80.00 USD" in html and "(50.0% of the budget)" in html
    assert "Budget reached at 2026-12-01 12:00 Asia/Seoul" in html
    assert "Groups started: 1 (0 with the link switched off, 0 settled); 2 members." in html
    assert "At the automatic settlement" in html and "All 1 group" in html
    assert "Settle now" not in html  # still open
    # 2 new people through a link ÷ (1 founder + 2) = 0.67
    assert "K-factor" in html and "<td>0.67</td>" in html


def test_settle_now_is_outside_the_offers_form(client, alice, group, offer):
    buy(group.code, "a@example.com", "S-1")
    ended(offer)
    client.force_login(alice)
    html = client.get(offer_url(offer)).content.decode()
    offer_form = re.search(r'<form [^>]*id="referraloffer_form".*?</form>', html, re.S).group(0)
    assert "Settle now" in html and "Settle now" not in offer_form  # Enter in a field never settles the offer
    assert "If settled now" in offer_form


def test_settle_now_after_the_end(client, alice, group, offer):
    buy(group.code, "a@example.com", "D-1")
    buy(group.code, "b@example.com", "D-2")
    ended(offer)
    client.force_login(alice)
    response = client.post(reverse("admin:promotions_referraloffer_settle", args=[offer.pk]), follow=True)
    assert "Settled 1 group: final tiers and rebates are in the ledger" in response.content.decode()
    assert ReferralGroup.objects.get(pk=group.pk).settled_at is not None
    assert ReferralOffer.objects.get(pk=offer.pk).settled_at is not None
    assert LogEntry.objects.filter(object_id=str(offer.pk), change_message__startswith="Settled now").exists()
    html = client.get(offer_url(offer)).content.decode()
    assert "Settled at" in html and "Settle now" not in html
    assert referrals.recount_group(group) == {}
    rows = LedgerEntry.objects.count()
    again = client.post(reverse("admin:promotions_referraloffer_settle", args=[offer.pk]), follow=True)
    assert "settled already" in again.content.decode() and LedgerEntry.objects.count() == rows


def test_settle_now_before_the_end_is_refused(client, alice, offer):
    still_open(offer)
    client.force_login(alice)
    assert "Settle now" not in client.get(offer_url(offer)).content.decode()
    response = client.post(reverse("admin:promotions_referraloffer_settle", args=[offer.pk]), follow=True)
    assert "The offer is still open; it can be settled once it has ended." in response.content.decode()
    assert ReferralOffer.objects.get(pk=offer.pk).settled_at is None
    assert client.get(reverse("admin:promotions_referraloffer_settle", args=[offer.pk])).status_code == 405


def test_the_preview_asks_for_reviews_before_settling(client, alice, group, offer):
    held_for_review(group, ["R-0", "R-1", "R-2", "R-3"])
    ended(offer, hold_days=14)
    client.force_login(alice)
    html = client.get(offer_url(offer)).content.decode()
    assert "1 purchase awaiting review will settle as not counting" in html
    assert "purchases still in their refund hold then do not count" in html


# --- who may do what ----------------------------------------------------------------------------


def test_a_co_running_team_looks_but_never_settles_switches_off_or_reviews(client, bob, co_run, group):
    (held,) = held_for_review(group, ["E-0", "E-1", "E-2", "E-3"])
    ended(co_run)
    client.force_login(bob)
    page = client.get(offer_url(co_run))
    assert page.status_code == 200 and "Settle now" not in page.content.decode()
    assert "managers and marketers can settle it" in page.content.decode()
    assert client.post(offer_url(co_run), offer_post(co_run, title="Hijacked")).status_code == 403
    assert client.post(reverse("admin:promotions_referraloffer_settle", args=[co_run.pk])).status_code == 403
    assert client.post(reverse("admin:promotions_referralgroup_switch_off", args=[group.pk]),
                       {"reason": "x"}).status_code == 403
    assert client.post(reverse("admin:promotions_groupmember_review", args=[held.pk]),
                       {"decision": "clear"}).status_code == 403
    response = action(client, GROUPS, "switch_off", [group.pk], confirm="yes", reason="x")
    assert "where you may only look" in response.content.decode()
    response = action(client, QUEUE, "clear", [held.pk])
    assert "where you may only look" in response.content.decode()
    assert ReferralGroup.objects.get(pk=group.pk).disabled_at is None
    assert GroupMember.objects.get(pk=held.pk).status == GroupMember.Status.FLAGGED
    assert ReferralOffer.objects.get(pk=co_run.pk).settled_at is None
    for url in (group_url(group), member_url(held), reverse(QUEUE), reverse(GROUPS)):
        html = client.get(url).content.decode()
        assert "e-3@example.com" not in html and "dana@gmail.com" not in html, url
    assert "e…@example.com" in client.get(member_url(held)).content.decode()
    assert "Switch the link off</button>" not in client.get(group_url(group)).content.decode()


def test_another_accounts_offer_group_and_purchases_are_not_found(client, bob, group, offer):
    member = buy(group.code, "a@example.com", "X-1").member
    client.force_login(bob)
    for url in (offer_url(offer), group_url(group), member_url(member)):
        response = client.get(url)
        assert response.status_code == 302 and "Fly together" not in response.content.decode()
    for url in (reverse("admin:promotions_referraloffer_settle", args=[offer.pk]),
                reverse("admin:promotions_referralgroup_switch_off", args=[group.pk]),
                reverse("admin:promotions_referralgroup_switch_on", args=[group.pk]),
                reverse("admin:promotions_groupmember_review", args=[member.pk])):
        assert client.post(url, {"reason": "x", "decision": "reject"}).status_code == 404, url
    for url_name in ("admin:promotions_referraloffer_changelist", GROUPS, QUEUE):
        html = client.get(reverse(url_name) + "?status=all").content.decode()
        assert "Fly together" not in html and "X-1" not in html and group.code not in html


def test_an_analyst_of_the_owner_looks_with_addresses_masked(client, main_account, group, offer):
    from tests.conftest import make_user

    analyst = make_user("ana@example.org", name="Ana", is_staff=True)
    add_member(account=main_account, user=analyst, role=Role.ANALYST)
    buy(group.code, "a@example.com", "N-1")
    client.force_login(analyst)
    html = client.get(group_url(group)).content.decode()
    assert "a…@example.com" in html and "a@example.com" not in html and "d…@gmail.com" in html
    assert client.post(reverse("admin:promotions_referralgroup_switch_off", args=[group.pk]),
                       {"reason": "x"}).status_code == 403


def test_charlie_sees_nothing(client, charlie, group, offer):
    client.force_login(charlie)
    assert client.get(reverse("admin:promotions_referraloffer_changelist")).status_code == 403
    assert client.get(reverse("admin:promotions_referraloffer_figures")).status_code == 403
    assert client.get(offer_url(offer)).status_code in (302, 403)
    assert client.post(reverse("admin:promotions_referraloffer_settle", args=[offer.pk])).status_code == 404


# --- groups and their links ----------------------------------------------------------------------


def test_switching_a_link_off_needs_a_reason_and_keeps_the_ledger(client, alice, group):
    buy(group.code, "a@example.com", "F-1")
    rows = LedgerEntry.objects.count()
    client.force_login(alice)
    asked = action(client, GROUPS, "switch_off", [group.pk], confirm="yes", reason=" ")
    assert "Write the reason before switching off." in asked.content.decode()
    assert ReferralGroup.objects.get(pk=group.pk).disabled_at is None
    done = action(client, GROUPS, "switch_off", [group.pk], confirm="yes", reason="Posted on couponsite.example")
    assert "Switched off 1 link" in done.content.decode()
    group.refresh_from_db()
    assert group.disabled_reason == "Posted on couponsite.example" and LedgerEntry.objects.count() == rows
    assert GroupMember.objects.filter(group=group).count() == 1
    assert "joins no group" in buy(group.code, "late@example.com", "F-2").message
    assert LogEntry.objects.filter(object_id=str(group.pk), change_message__contains="couponsite").exists()
    action(client, GROUPS, "switch_on", [group.pk])
    assert ReferralGroup.objects.get(pk=group.pk).disabled_at is None


def test_the_group_page_switches_its_link_off_and_on(client, alice, group):
    client.force_login(alice)
    page = client.get(group_url(group)).content.decode()
    assert "Switch the link off" in page and 'name="_save"' not in page
    url = reverse("admin:promotions_referralgroup_switch_off", args=[group.pk])
    refused = client.post(url, {"reason": ""}, follow=True).content.decode()
    assert "Say why the link is switched off" in refused
    client.post(url, {"reason": "On a deals forum"})
    assert ReferralGroup.objects.get(pk=group.pk).disabled_reason == "On a deals forum"
    page = client.get(group_url(group)).content.decode()
    assert "Link switched off: On a deals forum" in page and "Switch the link back on" in page
    client.post(reverse("admin:promotions_referralgroup_switch_on", args=[group.pk]))
    assert ReferralGroup.objects.get(pk=group.pk).disabled_at is None


def test_the_group_page_shows_members_generations_ledger_and_tier_changes(client, alice, group):
    first = buy(group.code, "a@example.com", "G-1").member
    buy(first.share_code, "b@example.com", "G-2")
    referrals.record_refund(order_reference="G-2", refunded_total="50.00", at=NOW)
    client.force_login(alice)
    html = client.get(group_url(group)).content.decode()
    assert "G-1" in html and "a@example.com" in html and "dana@gmail.com" in html  # alice runs the offer
    assert "G-1 (a@example.com)" in html  # G-2 came through G-1's link, generation 2
    assert "Payment" in html and "Refund" in html and "Rebate owed" in html and "-50.00 USD" in html
    assert "0.00% → 10.00%" in html and "A purchase joined" in html
    assert 'name="_save"' not in html  # nothing to edit by hand


def test_the_group_page_lists_where_its_clicks_came_from(client, alice, group, live_giveaway_campaign):
    def click(host, *, bot=False, campaign=None, reference=None):
        record_touch(visitor_id=uuid.uuid4(), campaign=campaign or group.offer.campaign_id,
                     account=group.offer.account_id, kind=Touch.Kind.REFERRAL_CLICK,
                     reference=reference or referrals.touch_reference(group),
                     facts=TouchFacts(referrer_host=host, is_bot=bot))

    for host in ("coupons.example", "coupons.example", "", "friends.example"):
        click(host)
    click("crawler.example", bot=True)
    click("othergroup.example", reference="group:999999")
    client.force_login(alice)
    html = client.get(group_url(group)).content.decode()
    assert re.search(r"coupons\.example</th><td>2</td>", html)
    assert "friends.example" in html and "(no referring page" in html
    assert "crawler.example" not in html and "othergroup.example" not in html


def test_groups_are_found_by_a_members_share_code_and_filtered_by_offer(client, alice, group, offer,
                                                                         live_giveaway_campaign):
    member = buy(group.code, "a@example.com", "H-1").member
    other = make_offer(live_giveaway_campaign, slug="other-offer", title="Other offer")
    client.force_login(alice)
    found = client.get(reverse(GROUPS), {"q": member.share_code})
    assert list(found.context["cl"].result_list) == [group]
    filtered = client.get(reverse(GROUPS), {"offer": other.pk})
    assert list(filtered.context["cl"].result_list) == []
    assert "Other offer" in filtered.content.decode()


# --- the review queue -----------------------------------------------------------------------------


def test_the_review_queue_clears_and_rejects_with_reasons(client, alice, group):
    first, second = held_for_review(group, ["H-0", "H-1", "H-2", "H-3", "H-4"])
    client.force_login(alice)
    queue = client.get(reverse(QUEUE)).content.decode()
    assert "H-3" in queue and "H-4" in queue and "H-0" not in queue  # held ones only, by default
    assert "4 purchases in this offer within 10 minutes" in queue  # the reason, per row
    cleared = action(client, QUEUE, "clear", [first.pk]).content.decode()
    assert "Cleared 1 purchase." in cleared
    asked = action(client, QUEUE, "reject", [second.pk]).content.decode()
    assert "Why are these purchases rejected?" in asked
    action(client, QUEUE, "reject", [second.pk], confirm="yes", reason="Same card, five names")
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status in referrals.LIVE and first.reviewed_by == alice  # counts once its hold is over
    assert (second.status, second.reason) == ("rejected", "Same card, five names")
    again = action(client, QUEUE, "clear", [second.pk], query="?status=all").content.decode()
    assert "only purchases held for review can be cleared or rejected" in again
    assert referrals.recount_group(group) == {}


def test_a_purchase_page_reviews_it(client, alice, group):
    (held,) = held_for_review(group, ["J-0", "J-1", "J-2", "J-3"])
    client.force_login(alice)
    page = client.get(member_url(held)).content.decode()
    assert "Held for review" in page and "Clear: it counts once its hold is over" in page
    url = reverse("admin:promotions_groupmember_review", args=[held.pk])
    refused = client.post(url, {"decision": "reject", "reason": ""}, follow=True).content.decode()
    assert "Write the reason before rejecting" in refused
    client.post(url, {"decision": "reject", "reason": "A reseller"})
    held.refresh_from_db()
    assert (held.status, held.reason, held.reviewed_by) == ("rejected", "A reseller", alice)
    late = client.post(url, {"decision": "clear"}, follow=True).content.decode()
    assert "not waiting for review" in late


def test_money_and_the_ledger_are_never_edited_in_the_admin(client, alice, group):
    member = buy(group.code, "a@example.com", "K-1").member
    client.force_login(alice)
    assert client.post(member_url(member), {"paid": "1.00", "status": "confirmed"}).status_code == 403
    assert client.post(group_url(group), {"tier_percent": "50", "confirmed_count": "9"}).status_code == 403
    for name, obj in (("groupmember", member), ("referralgroup", group)):
        delete = reverse(f"admin:promotions_{name}_delete", args=[obj.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:index")).status_code == 200
    member.refresh_from_db()
    assert member.paid == Decimal("200.00")
    assert ReferralGroup.objects.get(pk=group.pk).tier_percent == Decimal("0.00")
    page = client.get(member_url(member)).content.decode()
    assert 'name="paid"' not in page and "Paid at purchase." in page
    assert "ledgerentry" not in str(client.get(reverse("admin:app_list", args=["promotions"])).content)


# --- the campaign page and the figures page ----------------------------------------------------------


def test_the_campaign_page_lists_its_offers_with_links(client, alice, group, offer):
    buy(group.code, "a@example.com", "L-1")
    client.force_login(alice)
    html = client.get(reverse("admin:campaigns_campaign_change", args=[offer.campaign_id])).content.decode()
    assert "Referral offers" in html and offer_url(offer) in html
    assert add_url(offer.campaign) in html.replace("&amp;", "&")
    assert reverse("admin:promotions_referraloffer_figures") + f"?campaign={offer.campaign_id}" in html


def test_the_figures_page_shows_what_the_reader_may_see(client, alice, bob, group, offer, deals_account):
    first = buy(group.code, "a@example.com", "M-1").member
    buy(first.share_code, "b@example.com", "M-2")
    bobs_campaign = make_campaign(deals_account, slug="bob-week", name="Bob Week", status=Campaign.Status.LIVE,
                                  starts_at=NOW - DAY, ends_at=NOW + 10 * DAY)
    make_offer(bobs_campaign, slug="bob-offer", title="Bob offer")
    url = reverse("admin:promotions_referraloffer_figures")
    client.force_login(alice)
    html = client.get(url).content.decode()
    assert offer.campaign.name in html and "Bob Week" not in html and "<svg" in html
    assert client.get(url, {"campaign": bobs_campaign.pk}).status_code == 404
    per_offer = client.get(url, {"campaign": offer.campaign_id}).content.decode()
    assert "Per offer" in per_offer and "Fly together" in per_offer
    client.force_login(bob)
    html = client.get(url).content.decode()
    assert offer.campaign.name not in html and "Alice Air" not in html
    assert client.get(url, {"campaign": offer.campaign_id}).status_code == 404


def test_the_offer_page_counts_only_what_a_co_runner_may_see(client, bob, co_run, group, deals_account):
    """An account's figures span campaigns: on alice's offer page, bob sees her account's offers in campaigns he
    co-runs only, never those of her other campaigns."""
    hidden = make_campaign(co_run.account, slug="hidden", name="Hidden", status=Campaign.Status.LIVE,
                           starts_at=NOW - DAY, ends_at=NOW + 10 * DAY)
    secret = make_offer(hidden, slug="secret-offer", title="Secret")
    secret_group = referrals.start_group(offer=secret, item=secret.items.get(), participant=group.founder, at=NOW)
    for index in range(3):
        buy(secret_group.code, f"s{index}@example.com", f"Z-{index}")
    client.force_login(bob)
    html = client.get(offer_url(co_run)).content.decode()
    row = re.search(r"Offers run by Alice Air that you can see</th><td>(\d+)</td><td>(\d+)</td>", html)
    assert row.groups() == ("1", "0")


def test_lists_and_pages_cost_the_same_whatever_the_number_of_rows(client, alice, group, offer):
    def cost(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    client.force_login(alice)
    first = buy(group.code, "a@example.com", "Q-1").member
    pages = [reverse(GROUPS), reverse(QUEUE) + "?status=all", reverse("admin:promotions_referraloffer_changelist"),
             group_url(group), reverse("admin:promotions_referraloffer_figures")]
    before = [cost(url) for url in pages]
    for index in range(6):
        buy(first.share_code, f"more{index}@example.com", f"Q-{index + 2}")
    referrals.start_group(offer=offer, item=offer.items.get(), participant=first.participant, at=NOW)
    after = [cost(url) for url in pages]
    assert all(later <= earlier for later, earlier in zip(after, before, strict=True)), (before, after)


def test_markup_in_names_reasons_and_hosts_is_escaped(client, alice, group, offer):
    payload = '<script>alert("x")</script>'
    ReferralOffer.objects.filter(pk=offer.pk).update(title=payload)
    offer.items.update(name=payload)
    Campaign.objects.filter(pk=offer.campaign_id).update(name=payload)
    member = buy(group.code, "a@example.com", "P-1").member
    GroupMember.objects.filter(pk=member.pk).update(reason=payload)
    referrals.disable_group(group=group, reason=payload, at=NOW)
    record_touch(visitor_id=uuid.uuid4(), campaign=offer.campaign_id, account=offer.account_id,
                 kind=Touch.Kind.REFERRAL_CLICK, reference=referrals.touch_reference(group),
                 facts=TouchFacts(referrer_host=payload))
    client.force_login(alice)
    for url in (offer_url(offer), group_url(group), member_url(member), reverse(GROUPS), reverse(QUEUE) + "?status=all",
                reverse("admin:promotions_referraloffer_figures"),
                reverse("admin:promotions_referraloffer_figures") + f"?campaign={offer.campaign_id}",
                reverse("admin:campaigns_campaign_change", args=[offer.campaign_id])):
        html = client.get(url).content.decode()
        assert payload not in html, url
