"""`GET /r/<code>`: a referral group's share link records a referral-click touch and lands on the group, like
`/l/<code>` (two queries, bots apart, HEAD records nothing, never cached); a link that takes no bookings credits
nothing and shows the offer at list price; an unknown code is a friendly 404."""

import uuid

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import BrandAccount
from campaigns.models import Campaign, Touch
from campaigns.running import set_co_accounts
from campaigns.status import change_status
from promotions import referrals
from promotions.models import ReferralGroup, ReferralOffer
from tests.campaigns.conftest import DAY
from tests.promotions import live_now
from tests.promotions.conftest import buy, make_offer, make_person

campaign, offer = live_now.campaign, live_now.offer  # fixtures built around the real now

pytestmark = pytest.mark.django_db
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
VISITOR = settings.VISITOR_COOKIE_NAME


@pytest.fixture
def group(offer):
    return referrals.start_group(offer=offer, item=offer.items.get(), participant=make_person("dana@gmail.com"))


def group_page(offer, group, via):
    return f"/o/{offer.slug}/g/{group.code}/?via={via}"


def test_it_records_a_referral_click_for_the_offers_account_and_lands_on_the_group(client, group, offer):
    response = client.get(f"/r/{group.code}", headers={"user-agent": IPHONE, "referer": "https://deals.example/x"})
    assert response.status_code == 302
    assert response["Location"] == group_page(offer, group, group.code)
    assert "no-store" in response["Cache-Control"]
    touch = Touch.objects.get()
    assert (touch.kind, touch.reference, touch.campaign_id, touch.account_id, touch.is_bot, touch.user_id) == (
        Touch.Kind.REFERRAL_CLICK, referrals.touch_reference(group), offer.campaign_id, offer.account_id, False, None)
    assert touch.referrer_host == "deals.example" and touch.network_hash and touch.agent_hash
    assert str(touch.visitor_id) == response.cookies[VISITOR].value


def test_it_credits_a_co_running_account_that_runs_the_offer(client, campaign, deals_account):
    set_co_accounts(campaign=campaign, accounts=[deals_account])
    now = timezone.now()
    offer = make_offer(campaign, slug="deals-fly", account=deals_account, starts_at=now - DAY, ends_at=now + DAY)
    group = referrals.start_group(offer=offer, item=offer.items.get(), participant=make_person("dana@gmail.com"))
    assert client.get(f"/r/{group.code}").status_code == 302
    assert Touch.objects.get().account_id == deals_account.pk


def test_a_members_code_lands_on_the_same_group_and_travels_on_to_the_booking_link(client, group, offer):
    member = buy(group.code, "mina@example.com", "A-1", at=timezone.now()).member
    response = client.get(f"/r/{member.share_code}")
    assert response["Location"] == group_page(offer, group, member.share_code)
    assert Touch.objects.get().reference == referrals.touch_reference(group)
    page = client.get(response["Location"]).content.decode()
    assert f"https://shop.example.com/jeju?ref={member.share_code}" in page


def test_a_returning_visitor_keeps_their_id_and_a_signed_in_one_is_named(client, group):
    visitor = uuid.uuid4()
    client.cookies[VISITOR] = str(visitor)
    person = make_person("yuna@example.com")
    client.force_login(person.user)
    response = client.get(f"/r/{group.code}")
    touch = Touch.objects.get()
    assert touch.visitor_id == visitor and touch.user_id == person.user_id
    assert VISITOR not in response.cookies  # nothing new to set


def test_bots_are_recorded_apart_without_a_cookie(client, group, offer):
    response = client.get(f"/r/{group.code}", headers={"user-agent": "facebookexternalhit/1.1"})
    assert response.status_code == 302 and response["Location"] == group_page(offer, group, group.code)
    assert Touch.objects.get().is_bot
    assert VISITOR not in response.cookies


def test_head_answers_the_redirect_and_records_nothing(client, group, offer):
    response = client.head(f"/r/{group.code}", headers={"user-agent": IPHONE})
    assert response.status_code == 302 and response["Location"] == group_page(offer, group, group.code)
    assert "no-store" in response["Cache-Control"]
    assert not Touch.objects.exists() and VISITOR not in response.cookies


def test_it_takes_no_posts(client, group):
    assert client.post(f"/r/{group.code}").status_code == 405
    assert not Touch.objects.exists()


def test_a_click_costs_the_lookup_and_the_insert_and_then_only_the_insert(client, group):
    with CaptureQueriesContext(connection) as first:
        client.get(f"/r/{group.code}", headers={"user-agent": IPHONE})
    with CaptureQueriesContext(connection) as second:
        client.get(f"/r/{group.code}", headers={"user-agent": IPHONE})
    assert len(first) == 2  # the group (remembered by this process for a few seconds) and the touch INSERT
    assert len(second) == 1
    assert Touch.objects.count() == 2


@pytest.mark.parametrize("code", ["notacode123", "short", "x" * 17, "%3Cscript%3Ealert"])
def test_an_unknown_code_is_a_friendly_404_that_credits_nothing(client, group, code):
    response = client.get(f"/r/{code}")
    assert response.status_code == 404 and "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert "This share link does not work" in html and 'href="/"' in html and "<script>" not in html
    assert not Touch.objects.exists() and VISITOR not in response.cookies


def test_a_draft_campaigns_link_is_not_found(client, group, offer):
    Campaign.objects.filter(pk=offer.campaign_id).update(status=Campaign.Status.DRAFT)
    assert client.get(f"/r/{group.code}").status_code == 404
    assert not Touch.objects.exists()


def switch_off(how, *, group, offer):
    now = timezone.now()
    if how == "group switched off":
        referrals.disable_group(group=group, reason="Posted on a coupon site")
    elif how == "offer ended":
        ReferralOffer.objects.filter(pk=offer.pk).update(ends_at=now - DAY / 2)
    elif how == "offer not started":
        ReferralOffer.objects.filter(pk=offer.pk).update(starts_at=now + DAY / 2)
    elif how == "offer settled":
        ReferralOffer.objects.filter(pk=offer.pk).update(settled_at=now)
    elif how == "group settled":
        ReferralGroup.objects.filter(pk=group.pk).update(settled_at=now)
    elif how == "campaign paused":
        change_status(campaign=offer.campaign, to=Campaign.Status.PAUSED)
    elif how == "campaign ended":
        change_status(campaign=offer.campaign, to=Campaign.Status.ENDED)
    elif how == "campaign scheduled":
        Campaign.objects.filter(pk=offer.campaign_id).update(status=Campaign.Status.SCHEDULED)
    elif how == "account switched off":
        BrandAccount.objects.filter(pk=offer.account_id).update(active=False)


@pytest.mark.parametrize("how", ["group switched off", "offer ended", "offer not started", "offer settled",
                                 "group settled", "campaign paused", "campaign ended", "campaign scheduled",
                                 "account switched off"])
def test_a_link_that_takes_no_bookings_credits_nothing_and_shows_the_offer_at_list_price(client, group, offer,
                                                                                          how):
    switch_off(how, group=group, offer=offer)
    response = client.get(f"/r/{group.code}", headers={"user-agent": IPHONE})
    assert response.status_code == 302 and response["Location"] == f"/o/{offer.slug}/?link=inactive"
    assert "no-store" in response["Cache-Control"]
    assert not Touch.objects.exists() and VISITOR not in response.cookies
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "This share link no longer takes bookings" in html and "List price 200.00 USD" in html


def test_a_member_code_of_a_switched_off_group_credits_nothing(client, group, offer):
    member = buy(group.code, "mina@example.com", "A-1", at=timezone.now()).member
    referrals.disable_group(group=group, reason="Posted on a coupon site")
    assert client.get(f"/r/{member.share_code}")["Location"] == f"/o/{offer.slug}/?link=inactive"
    assert not Touch.objects.exists()


def test_an_account_that_no_longer_runs_the_campaign_gets_no_credit(client, campaign, deals_account):
    set_co_accounts(campaign=campaign, accounts=[deals_account])
    now = timezone.now()
    offer = make_offer(campaign, slug="deals-fly", account=deals_account, starts_at=now - DAY, ends_at=now + DAY)
    group = referrals.start_group(offer=offer, item=offer.items.get(), participant=make_person("dana@gmail.com"))
    set_co_accounts(campaign=campaign, accounts=[])
    assert client.get(f"/r/{group.code}")["Location"] == f"/o/{offer.slug}/?link=inactive"
    assert not Touch.objects.exists()


def test_a_click_then_a_purchase_without_a_code_joins_the_clicked_group(client, group):
    client.get(f"/r/{group.code}", headers={"user-agent": IPHONE})
    visitor = uuid.UUID(client.cookies[VISITOR].value)
    outcome = referrals.record_purchase(order_reference="W-1", amount="200.00", currency="USD",
                                        email="mina@example.com", at=timezone.now(), visitor_id=visitor)
    assert outcome.member is not None and outcome.member.group_id == group.pk, outcome.message
