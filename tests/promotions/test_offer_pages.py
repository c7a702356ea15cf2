"""The public pages of referral offers: the share link `/r/<code>`, the offer, a group, starting one, "your groups",
and the offers on the campaign's landing page."""


import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from campaigns.models import Campaign, Touch
from campaigns.status import change_status
from promotions import referrals
from promotions.models import ReferralGroup, ReferralOffer
from promotions.views.offers import booking_link
from tests.campaigns.conftest import DAY, make_campaign
from tests.promotions.conftest import make_offer, make_person

pytestmark = pytest.mark.django_db
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


@pytest.fixture
def campaign(main_account):
    now = timezone.now()
    return make_campaign(main_account, slug="fly", status=Campaign.Status.LIVE, starts_at=now - DAY,
                         ends_at=now + 10 * DAY)


@pytest.fixture
def offer(campaign):
    now = timezone.now()
    return make_offer(campaign, starts_at=now - DAY, ends_at=now + 10 * DAY)


@pytest.fixture
def group(offer):
    return referrals.start_group(offer=offer, item=offer.items.get(), participant=make_person("dana@gmail.com"))


def buy_now(code, email, order, amount="200.00"):
    outcome = referrals.record_purchase(order_reference=order, amount=amount, currency="USD", email=email,
                                        referral_code=code, at=timezone.now())
    assert outcome.member is not None, outcome.message
    return outcome.member


# --- /r/<code> ---


def test_a_share_click_records_a_referral_touch_and_lands_on_the_group(client, group, offer):
    response = client.get(f"/r/{group.code}", headers={"user-agent": IPHONE, "referer": "https://deals.example/x"})
    assert response.status_code == 302
    assert response["Location"] == f"/o/{offer.slug}/g/{group.code}/?via={group.code}"
    assert "no-store" in response["Cache-Control"]
    touch = Touch.objects.get()
    assert (touch.kind, touch.reference, touch.campaign_id, touch.account_id, touch.is_bot) == (
        Touch.Kind.REFERRAL_CLICK, f"group:{group.pk}", offer.campaign_id, offer.account_id, False)
    assert touch.referrer_host == "deals.example" and touch.network_hash and touch.agent_hash
    assert str(touch.visitor_id) == response.cookies["chorus_visitor"].value


def test_a_members_code_lands_on_the_same_group_and_travels_on(client, group, offer):
    member = buy_now(group.code, "mina@example.com", "A-1")
    response = client.get(f"/r/{member.share_code}")
    assert response["Location"] == f"/o/{offer.slug}/g/{group.code}/?via={member.share_code}"
    page = client.get(response["Location"]).content.decode()
    assert f"ref={member.share_code}" in page  # the booking link names the sharer


def test_bots_are_recorded_apart_and_head_records_nothing(client, group):
    client.head(f"/r/{group.code}")
    assert not Touch.objects.exists()
    response = client.get(f"/r/{group.code}", headers={"user-agent": "facebookexternalhit/1.1"})
    assert response.status_code == 302 and Touch.objects.get().is_bot
    assert "chorus_visitor" not in response.cookies


def test_a_share_click_costs_two_queries(client, group):
    client.get(f"/r/{group.code}")
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/r/{group.code}", headers={"user-agent": IPHONE})
    assert len(queries) == 1  # the group is remembered for a few seconds; the touch INSERT remains


def test_an_unknown_code_is_a_friendly_404_that_credits_nothing(client, group):
    response = client.get("/r/notacode123")
    assert response.status_code == 404
    assert "This share link does not work" in response.content.decode()
    assert not Touch.objects.exists()


@pytest.mark.parametrize("how", ["disabled", "ended", "paused"])
def test_a_link_that_takes_no_bookings_shows_the_offer_at_list_price(client, group, offer, how):
    if how == "disabled":
        referrals.disable_group(group=group, reason="Posted on a coupon site")
    elif how == "ended":
        ReferralOffer.objects.filter(pk=offer.pk).update(ends_at=timezone.now() - DAY / 2)
    else:
        change_status(campaign=offer.campaign, to=Campaign.Status.PAUSED)
    response = client.get(f"/r/{group.code}")
    assert response["Location"] == f"/o/{offer.slug}/?link=inactive"
    assert not Touch.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "no longer takes bookings" in page and "List price 200.00 USD" in page


def test_a_draft_campaigns_share_link_is_not_found(client, group, offer):
    Campaign.objects.filter(pk=offer.campaign_id).update(status=Campaign.Status.DRAFT)
    assert client.get(f"/r/{group.code}").status_code == 404


# --- the offer page and starting a group ---


def test_the_offer_page_lists_items_with_their_tiers_as_prices(client, offer):
    html = client.get(f"/o/{offer.slug}/").content.decode()
    assert "Seoul → Jeju" in html and "List price 200.00 USD" in html
    assert "<td>180.00 USD</td>" in html and "<td>140.00 USD</td>" in html
    assert f'href="/accounts/signup/?next=/o/{offer.slug}/"' in html


def test_a_draft_offer_is_not_found_and_a_paused_one_starts_nothing(client, offer, alice):
    Campaign.objects.filter(pk=offer.campaign_id).update(status=Campaign.Status.DRAFT)
    assert client.get(f"/o/{offer.slug}/").status_code == 404
    client.force_login(alice)
    assert "Preview" in client.get(f"/o/{offer.slug}/").content.decode()
    client.logout()
    Campaign.objects.filter(pk=offer.campaign_id).update(status=Campaign.Status.PAUSED)
    assert "not running at the moment" in client.get(f"/o/{offer.slug}/").content.decode()


def test_signing_in_and_starting_a_group_lands_on_it(client, offer):
    item = offer.items.get()
    response = client.post(f"/o/{offer.slug}/items/{item.pk}/start/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    person = make_person("yuna@example.com")
    client.force_login(person.user)
    response = client.post(f"/o/{offer.slug}/items/{item.pk}/start/")
    group = ReferralGroup.objects.get(founder=person)
    assert response["Location"] == f"/o/{offer.slug}/g/{group.code}/"
    assert client.post(f"/o/{offer.slug}/items/{item.pk}/start/")["Location"] == response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert f"/r/{group.code}" in page and "Share your link" in page


def test_a_refusal_is_shown_on_the_offer_page(client, offer):
    ReferralOffer.objects.filter(pk=offer.pk).update(budget_reached_at=timezone.now())
    client.force_login(make_person("yuna@example.com").user)
    response = client.post(f"/o/{offer.slug}/items/{offer.items.get().pk}/start/", follow=True)
    assert "budget is used up" in response.content.decode()
    assert not ReferralGroup.objects.exists()


# --- the group page ---


def test_the_group_page_shows_the_live_price_and_the_next_tier(client, group, offer):
    html = client.get(group.get_absolute_url()).content.decode()
    assert "200.00 USD" in html and "2 more bookings and the price drops to <strong>180.00 USD" in html
    buy_now(group.code, "a@example.com", "B-1")
    buy_now(group.code, "b@example.com", "B-2")
    html = client.get(group.get_absolute_url()).content.decode()
    assert 'data-testid="group-price">180.00 USD' in html
    assert "2 more bookings and the price drops to <strong>160.00 USD" in html
    assert '<meta property="og:title" content="Seoul → Jeju — 180.00 USD for our group">' in html
    assert f'ref={group.code}' in html  # no member code: the booking link carries the group's


def test_the_group_page_serves_its_share_card_in_open_graph(client, group):
    from django.core.files.base import ContentFile

    group.card.save("card.jpg", ContentFile(b"not checked here"), save=False)
    ReferralGroup.objects.filter(pk=group.pk).update(card=group.card.name, card_rendered_version=1)
    html = client.get(group.get_absolute_url()).content.decode()
    assert f'/media/{group.card.name}">' in html and '<meta property="og:image" content="http' in html


@pytest.mark.parametrize(("url", "expected"), [
    ("https://shop.example.com/jeju", "https://shop.example.com/jeju?ref=CODE"),
    ("https://shop.example.com/jeju?x=1&ref=old", "https://shop.example.com/jeju?x=1&ref=CODE"),
    ("https://shop.example.com/book/{code}", "https://shop.example.com/book/CODE"),
    ("", ""),
])
def test_booking_links_carry_the_code(url, expected):
    assert booking_link(url, "CODE") == expected


# --- your groups ---


def test_your_groups_show_prices_rebates_and_what_each_join_did_without_addresses(client, group, offer):
    first = buy_now(group.code, "mina@example.com", "C-1")
    buy_now(first.share_code, "joon@example.com", "C-2")
    client.force_login(group.founder.user)
    html = client.get("/my/groups/").content.decode()
    assert "you started this group" in html and "180.00 USD" in html
    assert "A friend (generation 1)" in html and "A friend (generation 2)" in html
    assert "Price dropped to −10 %" in html
    assert "mina@" not in html and "joon@" not in html
    client.force_login(User.objects.create_user(email="mina@example.com", password="x"))  # signs up after buying
    html = client.get("/my/groups/").content.decode()
    assert "you joined this group" in html and "Rebate owed to you: <strong>20.00 USD" in html
    assert f"/r/{first.share_code}" in html


def test_your_groups_ask_strangers_to_sign_in(client):
    assert "/accounts/login/" in client.get("/my/groups/")["Location"]


# --- the campaign's landing page ---


def test_the_campaign_page_offers_to_start_a_group_in_a_flat_number_of_queries(client, campaign, offer):
    from campaigns.views.landing import recent_pages

    html = client.get(f"/c/{campaign.slug}/").content.decode()
    assert "Book together, pay less" in html and "down to 140.00 USD" in html and "Start a group" in html
    recent_pages.clear()
    with CaptureQueriesContext(connection) as one:
        client.get(f"/c/{campaign.slug}/")
    for number in range(4):
        make_offer(campaign, slug=f"more-{number}")
    recent_pages.clear()
    with CaptureQueriesContext(connection) as five:
        client.get(f"/c/{campaign.slug}/")
    assert len(five) == len(one) > 0
