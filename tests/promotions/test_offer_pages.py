"""The public pages of referral offers: the offer, starting a group, a group, "your groups", and the offers on the
campaign's landing page. (The share link `/r/<code>` is in test_share_links.py.)"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from campaigns.models import Campaign
from campaigns.status import change_status
from promotions import referrals
from promotions.models import ReferralGroup, ReferralItem, ReferralOffer
from promotions.views.offers import booking_link
from tests.campaigns.conftest import DAY
from tests.promotions import live_now
from tests.promotions.conftest import buy, make_offer, make_person

campaign, offer = live_now.campaign, live_now.offer  # fixtures built around the real now

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(db):
    return make_person("dana@gmail.com")


@pytest.fixture
def group(offer, dana):
    return referrals.start_group(offer=offer, item=offer.items.get(), participant=dana)


def buy_now(code, email, order, **facts):
    outcome = buy(code, email, order, at=facts.pop("at", timezone.now()), **facts)
    assert outcome.member is not None, outcome.message
    return outcome.member


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def meta(html, name):
    """The content of the page's <meta property|name="name">."""
    found = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)">', html)
    return found and found.group(1)


def book_href(html):
    return re.search(r'<a class="button" href="([^"]+)" rel="noopener">Book now', html).group(1).replace("&amp;", "&")


# --- the offer page ---


def test_it_lists_the_items_with_their_tiers_as_prices_and_the_brand(client, offer, main_account):
    response = client.get(f"/o/{offer.slug}/")
    html = response.content.decode()
    assert "<h1>Fly together</h1>" in html and "Seoul → Jeju" in html and "List price 200.00 USD" in html
    assert "<td>180.00 USD</td>" in html and "<td>−10 %</td>" in html and "<td>140.00 USD</td>" in html
    assert "Alice Air" in html and "@alice_air" in html and "--brand: #1F4E8C" in html
    assert "'sha256-" in response["Content-Security-Policy"]  # the page's own <style>, allowed by its hash
    assert "private" in response["Cache-Control"]


def test_it_asks_strangers_to_sign_up_or_in_and_come_back(client, offer):
    html = page(client, f"/o/{offer.slug}/")
    assert f'href="/accounts/signup/?next=/o/{offer.slug}/"' in html
    assert f'href="/accounts/login/?next=/o/{offer.slug}/"' in html
    assert "<form" not in html.split("<main", 1)[1]


def test_it_offers_a_signed_in_customer_a_start_button_then_their_group(client, offer, dana):
    client.force_login(dana.user)
    item = offer.items.get()
    assert f'action="/o/{offer.slug}/items/{item.pk}/start/"' in page(client, f"/o/{offer.slug}/")
    group = referrals.start_group(offer=offer, item=item, participant=dana)
    html = page(client, f"/o/{offer.slug}/")
    assert f'href="/o/{offer.slug}/g/{group.code}/"' in html and "See your group" in html and "<form" not in html


def test_it_shows_the_item_image_with_its_description(client, offer):
    item = offer.items.get()
    item.image_mobile.save("jeju.jpg", ContentFile(_tiny_png()), save=False)
    ReferralItem.objects.filter(pk=item.pk).update(image_mobile=item.image_mobile.name,
                                                   image_alt="Hallasan above the clouds")
    html = page(client, f"/o/{offer.slug}/")
    assert f'src="/media/{item.image_mobile.name}" alt="Hallasan above the clouds"' in html


def _tiny_png():
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (6, 4), "#1f4e8c").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(("status", "says"), [
    (Campaign.Status.SCHEDULED, "This offer opens on"),
    (Campaign.Status.PAUSED, "This offer is paused — back soon"),
    (Campaign.Status.ENDED, "This offer has ended."),
    (Campaign.Status.ARCHIVED, "This offer has ended."),
])
def test_it_follows_the_campaigns_status_and_starts_nothing_unless_live(client, offer, dana, status, says):
    Campaign.objects.filter(pk=offer.campaign_id).update(status=status)
    if status == Campaign.Status.ARCHIVED:  # archived after running: its log says when it ended
        offer.campaign.events.create(occurred_at=timezone.now(), from_status="live", to_status="ended")
    client.force_login(dana.user)
    html = page(client, f"/o/{offer.slug}/")
    assert says in html and "List price 200.00 USD" in html
    assert "Start a group" not in html.split("<main", 1)[1]


def test_a_draft_offer_is_not_found_except_as_a_preview_for_its_staff(client, offer, alice, bob, charlie):
    Campaign.objects.filter(pk=offer.campaign_id).update(status=Campaign.Status.DRAFT)
    assert client.get(f"/o/{offer.slug}/").status_code == 404
    for outsider in (bob, charlie):
        client.force_login(outsider)
        assert client.get(f"/o/{offer.slug}/").status_code == 404
    client.force_login(alice)
    html = page(client, f"/o/{offer.slug}/")
    assert "Preview: this campaign is draft" in html and "Start a group" not in html.split("<main", 1)[1]


def test_an_unknown_offer_is_not_found(client):
    assert client.get("/o/no-such-offer/").status_code == 404


BUDGET_USED_UP = ({"budget_reached_at": DAY * 0}, "discount budget is used up")
NOT_STARTED = ({"starts_at": 2 * DAY}, "This offer has not started yet.")
ENDED = ({"ends_at": -DAY / 2, "starts_at": -2 * DAY}, "This offer has ended.")


def change_offer(offer, change):
    """Set the offer's times to now plus the given offsets."""
    now = timezone.now()
    ReferralOffer.objects.filter(pk=offer.pk).update(**{name: now + offset for name, offset in change.items()})


@pytest.mark.parametrize(("change", "says"), [BUDGET_USED_UP, NOT_STARTED, ENDED])
def test_it_says_why_no_group_can_start(client, offer, change, says):
    change_offer(offer, change)
    html = page(client, f"/o/{offer.slug}/")
    assert says in html and "Sign up to start a group" not in html


# --- starting a group ---


def test_strangers_starting_a_group_are_asked_to_sign_in_and_come_back(client, offer):
    response = client.post(f"/o/{offer.slug}/items/{offer.items.get().pk}/start/")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/o/{offer.slug}/"
    assert not ReferralGroup.objects.exists()


def test_starting_a_group_lands_on_it_and_a_second_start_finds_it(client, offer):
    item = offer.items.get()
    person = make_person("yuna@example.com")
    client.force_login(person.user)
    response = client.post(f"/o/{offer.slug}/items/{item.pk}/start/")
    group = ReferralGroup.objects.get(founder=person)
    assert response["Location"] == f"/o/{offer.slug}/g/{group.code}/"
    assert client.post(f"/o/{offer.slug}/items/{item.pk}/start/")["Location"] == response["Location"]
    assert ReferralGroup.objects.count() == 1
    html = page(client, response["Location"])
    assert f"/r/{group.code}" in html and "Share your link" in html


def test_starting_needs_the_csrf_token(offer, dana):
    client = Client(enforce_csrf_checks=True)
    client.force_login(dana.user)
    assert client.post(f"/o/{offer.slug}/items/{offer.items.get().pk}/start/").status_code == 403
    assert not ReferralGroup.objects.exists()


@pytest.mark.parametrize(("change", "says"), [BUDGET_USED_UP, ENDED])
def test_a_refusal_is_shown_on_the_offer_page_and_starts_nothing(client, offer, dana, change, says):
    change_offer(offer, change)
    client.force_login(dana.user)
    response = client.post(f"/o/{offer.slug}/items/{offer.items.get().pk}/start/", follow=True)
    assert response.redirect_chain == [(f"/o/{offer.slug}/", 302)]
    assert re.search(rf'class="message message-error">[^<]*{re.escape(says)}', response.content.decode())
    assert not ReferralGroup.objects.exists()


def test_a_paused_campaign_refuses_a_start(client, offer, dana):
    change_status(campaign=offer.campaign, to=Campaign.Status.PAUSED)
    client.force_login(dana.user)
    response = client.post(f"/o/{offer.slug}/items/{offer.items.get().pk}/start/", follow=True)
    assert "not running at the moment" in response.content.decode()
    assert not ReferralGroup.objects.exists()


def test_an_item_of_another_offer_is_not_found(client, offer, campaign, dana):
    other = make_offer(campaign, slug="other-offer")
    client.force_login(dana.user)
    assert client.post(f"/o/{offer.slug}/items/{other.items.get().pk}/start/").status_code == 404
    assert client.get(f"/o/{offer.slug}/items/{offer.items.get().pk}/start/").status_code == 405
    assert not ReferralGroup.objects.exists()


def test_a_draft_offers_start_is_not_found_for_outsiders(client, offer, dana):
    Campaign.objects.filter(pk=offer.campaign_id).update(status=Campaign.Status.DRAFT)
    client.force_login(dana.user)
    assert client.post(f"/o/{offer.slug}/items/{offer.items.get().pk}/start/").status_code == 404


# --- the group page ---


def test_it_shows_the_live_price_and_the_next_tier_as_purchases_arrive(client, group, offer):
    html = page(client, group.get_absolute_url())
    assert 'data-testid="group-price">200.00 USD' in html and "0 bookings confirmed." in html
    assert "2 more bookings and the price drops to <strong>180.00 USD</strong> for everyone (−10 %)" in html
    buy_now(group.code, "a@example.com", "B-1")
    buy_now(group.code, "b@example.com", "B-2")
    html = page(client, group.get_absolute_url())
    assert 'data-testid="group-price">200.00' not in html and 'data-testid="group-price">180.00 USD' in html
    assert "List price 200.00 USD, −10 %" in html and "2 bookings confirmed." in html
    assert "2 more bookings and the price drops to <strong>160.00 USD</strong>" in html
    assert re.search(r'<tr class="current-tier" aria-current="true">\s*<th scope="row">2 or more — your group now',
                     html)


def test_it_counts_purchases_in_their_refund_hold_apart(client, campaign):
    now = timezone.now()
    offer = make_offer(campaign, slug="held", starts_at=now - DAY, ends_at=now + DAY, hold_days=14)
    group = referrals.start_group(offer=offer, item=offer.items.get(), participant=make_person("dana@gmail.com"))
    buy_now(group.code, "a@example.com", "H-1")
    buy_now(group.code, "b@example.com", "H-2")
    html = page(client, group.get_absolute_url())
    assert "0 bookings confirmed; 2 more count once their 14-day refund window passes." in html
    assert 'data-testid="group-price">200.00 USD' in html


def test_the_deepest_tier_says_so(client, group):
    for number in range(6):
        buy_now(group.code, f"friend{number}@example.com", f"D-{number}")
    html = page(client, group.get_absolute_url())
    assert 'data-testid="group-price">140.00 USD' in html and "This group has the deepest discount." in html


def test_a_settled_group_shows_its_final_price(client, group):
    buy_now(group.code, "a@example.com", "S-1")
    buy_now(group.code, "b@example.com", "S-2")
    ReferralGroup.objects.filter(pk=group.pk).update(settled_at=timezone.now())
    html = page(client, group.get_absolute_url())
    assert "Final group price" in html and 'data-testid="group-price">180.00 USD' in html
    assert "drops to" not in html and "Book now" not in html


def test_a_switched_off_group_shows_the_list_price_and_takes_no_bookings(client, group):
    buy_now(group.code, "a@example.com", "X-1")
    buy_now(group.code, "b@example.com", "X-2")
    referrals.disable_group(group=group, reason="Posted on a coupon site")
    html = page(client, group.get_absolute_url())
    assert 'data-testid="group-price">200.00 USD' in html and "no longer takes bookings" in html
    assert "keep the group's price of 180.00 USD" in html
    assert "Book now" not in html and "coupon site" not in html  # the reason is for the team
    assert meta(html, "og:title") == "Seoul → Jeju — 200.00 USD"


@pytest.mark.parametrize(("status", "says"), [(Campaign.Status.PAUSED, "paused — back soon"),
                                              (Campaign.Status.ENDED, "This offer has ended.")])
def test_a_group_of_a_campaign_not_live_shows_why_and_offers_no_booking(client, group, status, says):
    Campaign.objects.filter(pk=group.offer.campaign_id).update(status=status)
    html = page(client, group.get_absolute_url())
    assert says in html and "Book now" not in html


def test_a_draft_campaigns_group_is_not_found(client, group):
    Campaign.objects.filter(pk=group.offer.campaign_id).update(status=Campaign.Status.DRAFT)
    assert client.get(group.get_absolute_url()).status_code == 404


def test_a_group_is_found_only_under_its_own_offer(client, group, campaign):
    other = make_offer(campaign, slug="other-offer")
    assert client.get(f"/o/{other.slug}/g/{group.code}/").status_code == 404
    assert client.get(f"/o/{group.offer.slug}/g/nosuchcode/").status_code == 404


def test_open_graph_tags_carry_the_live_price_and_the_items_card(client, group, offer):
    buy_now(group.code, "a@example.com", "O-1")
    buy_now(group.code, "b@example.com", "O-2")
    item = offer.items.get()
    item.image_card.save("jeju-card.png", ContentFile(_tiny_png()), save=False)
    ReferralItem.objects.filter(pk=item.pk).update(image_card=item.image_card.name)
    html = page(client, group.get_absolute_url())
    assert meta(html, "og:title") == "Seoul → Jeju — 180.00 USD for our group"
    assert meta(html, "og:description") == ("2 booked so far; 2 more and it drops to 160.00 USD for everyone.")
    assert meta(html, "og:url") == f"{_base()}/o/{offer.slug}/g/{group.code}/"
    assert meta(html, "og:image") == f"{_base()}/media/{item.image_card.name}"
    assert meta(html, "twitter:card") == "summary_large_image"
    assert meta(html, "twitter:title") == meta(html, "og:title")


def _base():
    from django.conf import settings

    return settings.PUBLIC_BASE_URL.rstrip("/")


def test_open_graph_prefers_the_groups_rendered_share_card(client, group):
    group.card.save("card.png", ContentFile(_tiny_png()), save=False)
    ReferralGroup.objects.filter(pk=group.pk).update(card=group.card.name, card_rendered_version=1)
    html = page(client, group.get_absolute_url())
    assert meta(html, "og:image") == f"{_base()}/media/{group.card.name}"


def test_without_any_image_the_share_is_a_summary(client, group):
    html = page(client, group.get_absolute_url())
    assert meta(html, "og:image") is None and meta(html, "twitter:card") == "summary"


# The code the booking link carries: the viewer's own member code, else the founder's group code, else the
# `via` code if it is one of this group's, else the group's code.


def test_a_visitor_books_with_the_code_of_the_link_they_came_through(client, group, offer):
    member = buy_now(group.code, "mina@example.com", "V-1")
    url = group.get_absolute_url()
    assert parse_qs(urlsplit(book_href(page(client, url))).query)["ref"] == [group.code]
    assert f"ref={member.share_code}" in book_href(page(client, f"{url}?via={member.share_code}"))
    assert book_href(page(client, f"{url}?via={group.code}")).endswith(f"ref={group.code}")
    for forged in (group.code + "zzzzzz", "someoneelse1", "<b>x</b>"):
        assert book_href(page(client, f"{url}?via={forged}")).endswith(f"ref={group.code}")


def test_a_code_of_another_group_is_not_passed_on(client, group, offer):
    other = referrals.start_group(offer=offer, item=offer.items.get(), participant=make_person("joon@example.com"))
    other_member = buy_now(other.code, "mina@example.com", "V-2")
    html = page(client, f"{group.get_absolute_url()}?via={other_member.share_code}")
    assert book_href(html).endswith(f"ref={group.code}")


def test_members_book_and_share_with_their_own_code_and_the_founder_with_the_groups(client, group, offer, dana):
    member = buy_now(group.code, "mina@example.com", "M-1")
    client.force_login(User.objects.create_user(email="Mina@Example.com", password="x"))  # signs up after buying
    html = page(client, f"{group.get_absolute_url()}?via={group.code}")
    assert book_href(html) == f"https://shop.example.com/jeju?ref={member.share_code}"
    assert f'value="{_base()}/r/{member.share_code}"' in html
    client.force_login(dana.user)
    html = page(client, f"{group.get_absolute_url()}?via={member.share_code}")
    assert book_href(html) == f"https://shop.example.com/jeju?ref={group.code}"
    assert f'value="{_base()}/r/{group.code}"' in html


def test_a_founder_who_booked_shares_their_members_code(client, group, dana):
    own = buy_now(group.code, "dana@gmail.com", "F-1")
    client.force_login(dana.user)
    assert f"ref={own.share_code}" in book_href(page(client, group.get_absolute_url()))


def test_the_booking_link_keeps_the_shops_parameters_or_fills_its_placeholder(client, group, offer):
    ReferralItem.objects.filter(offer=offer).update(booking_url="https://shop.example.com/book?from=ICN&to=CJU")
    href = book_href(page(client, group.get_absolute_url()))
    assert parse_qs(urlsplit(href).query) == {"from": ["ICN"], "to": ["CJU"], "ref": [group.code]}
    ReferralItem.objects.filter(offer=offer).update(booking_url="https://shop.example.com/r/{code}/jeju")
    assert book_href(page(client, group.get_absolute_url())) == f"https://shop.example.com/r/{group.code}/jeju"


@pytest.mark.parametrize(("url", "expected"), [
    ("https://shop.example.com/jeju", "https://shop.example.com/jeju?ref=CODE"),
    ("https://shop.example.com/jeju?x=1&ref=old", "https://shop.example.com/jeju?x=1&ref=CODE"),
    ("https://shop.example.com/book/{code}", "https://shop.example.com/book/CODE"),
    ("", ""),
])
def test_booking_links_carry_the_code(url, expected):
    assert booking_link(url, "CODE") == expected


def test_the_share_block_names_the_accounts_handle_on_every_network(client, group, dana):
    client.force_login(dana.user)
    html = page(client, group.get_absolute_url())
    assert 'data-testid="share-url"' in html and f"{_base()}/r/{group.code}" in html
    for network in ("Share on X", "Share on Facebook", "Share on LINE", "Share on WhatsApp", "Share by e-mail"):
        assert network in html
    x_link = re.search(r'href="(https://x\.com/intent/tweet\?[^"]+)"', html).group(1).replace("&amp;", "&")
    assert "@alice_air" in parse_qs(urlsplit(x_link).query)["text"][0]
    assert 'href="mailto:?subject=' in html


def test_people_outside_the_group_get_no_share_link(client, group):
    html = page(client, group.get_absolute_url())
    assert "Share your link" not in html and "Sign in to get your share link" in html
    client.force_login(make_person("stranger@example.com").user)
    html = page(client, group.get_absolute_url())
    assert "Share your link" not in html and "/r/" not in html and "dana@" not in html


# --- your groups ---


def test_your_groups_show_prices_rebates_and_what_each_join_did_without_addresses(client, group, offer, dana):
    first = buy_now(group.code, "mina@example.com", "C-1")
    buy_now(first.share_code, "joon@example.com", "C-2")
    buy_now(group.code, "dana@gmail.com", "C-3")  # the founder's own booking: it does not count
    client.force_login(dana.user)
    html = page(client, "/my/groups/")
    assert "you started this group" in html and "<strong>180.00 USD</strong>" in html
    assert "<strong>Your friend (generation 1)</strong>" in html
    assert "<strong>A friend (generation 2)</strong>" in html
    assert "<strong>You</strong> booked. Counts toward the price: No — The founder&#x27;s own purchase" in html
    assert "Price dropped to −10 %." in html
    assert f"{_base()}/r/" in html
    assert "mina@" not in html and "joon@" not in html
    client.force_login(User.objects.create_user(email="mina@example.com", password="x"))  # signs up after buying
    html = page(client, "/my/groups/")
    assert "you joined this group" in html and "Rebate owed to you: <strong>20.00 USD" in html
    assert f'value="{_base()}/r/{first.share_code}"' in html
    assert "<strong>The founder</strong>" in html and "<strong>Your friend (generation 2)</strong>" in html
    assert "dana@" not in html and "joon@" not in html


def test_your_groups_show_a_drop_when_refund_windows_pass(client, campaign, dana):
    now = timezone.now()
    offer = make_offer(campaign, slug="held", starts_at=now - 20 * DAY, ends_at=now + DAY, hold_days=14)
    group = referrals.start_group(offer=offer, item=offer.items.get(), participant=dana, at=now - 20 * DAY)
    buy_now(group.code, "a@example.com", "H-1", at=now - 15 * DAY)
    buy_now(group.code, "b@example.com", "H-2", at=now - 15 * DAY)
    client.force_login(dana.user)
    assert "Once its refund window passes" in page(client, "/my/groups/")
    assert referrals.confirm_due_members(at=now) == 2
    html = page(client, "/my/groups/")
    assert "Price dropped to −10 % once its refund window passed." in html
    assert "Price dropped to −10 % (refund holds ended; 2 confirmed)." in html
    assert "Seoul time" in html


def test_your_groups_cover_every_offer_and_nobody_elses(client, campaign, group, dana):
    now = timezone.now()
    other = make_offer(campaign, slug="sail-together", title="Sail together", starts_at=now - DAY, ends_at=now + DAY)
    referrals.start_group(offer=other, item=other.items.get(), participant=dana)
    strangers = referrals.start_group(offer=other, item=other.items.get(),
                                      participant=make_person("joon@example.com"))
    client.force_login(dana.user)
    html = page(client, "/my/groups/")
    assert "Fly together" in html and "Sail together" in html and strangers.code not in html


def test_your_groups_are_empty_for_a_newcomer(client, group):
    client.force_login(User.objects.create_user(email="new@example.com", password="x"))
    html = page(client, "/my/groups/")
    assert "You have not started or joined a group yet." in html and group.code not in html


def test_your_groups_ask_strangers_to_sign_in(client):
    assert client.get("/my/groups/")["Location"] == "/accounts/login/?next=/my/groups/"


# --- the campaign's landing page ---


def test_the_campaign_page_offers_to_start_a_group(client, campaign, offer):
    html = page(client, f"/c/{campaign.slug}/")
    assert "Book together, pay less" in html and "Prices from 140.00 USD when friends book with you" in html
    assert re.search(rf'href="/o/{offer.slug}/">Start a group<span class="visually-hidden">: Fly together', html)


def test_the_campaign_page_shows_a_paused_offer_without_a_start(client, campaign, offer):
    change_status(campaign=campaign, to=Campaign.Status.PAUSED)
    html = page(client, f"/c/{campaign.slug}/")
    assert "See the offer" in html and "Start a group" not in html


def test_the_campaign_page_costs_the_same_queries_for_one_offer_or_five(client, campaign, offer):
    from campaigns.views.landing import recent_pages

    with CaptureQueriesContext(connection) as one:
        client.get(f"/c/{campaign.slug}/")
    for number in range(4):
        more = make_offer(campaign, slug=f"more-{number}")
        for extra in range(3):
            ReferralItem.objects.create(offer=more, name=f"Seoul → Osaka {extra}", sku=f"OSA-{extra}",
                                        base_price="300.00")
    recent_pages.clear()
    with CaptureQueriesContext(connection) as five:
        html = client.get(f"/c/{campaign.slug}/").content.decode()
    assert html.count("Prices from") == 5
    assert len(five) == len(one) > 0


# --- what every page here must hold to ---

PAYLOAD = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def test_names_and_texts_are_escaped_on_every_page(client, campaign, offer, group, dana):
    ReferralOffer.objects.filter(pk=offer.pk).update(title=PAYLOAD, description=PAYLOAD)
    ReferralItem.objects.filter(offer=offer).update(name=PAYLOAD, description=PAYLOAD, image_alt=PAYLOAD)
    buy_now(group.code, "a@example.com", "E-1")
    client.force_login(dana.user)
    for url in (f"/o/{offer.slug}/", group.get_absolute_url(), f"{group.get_absolute_url()}?via={PAYLOAD}",
                "/my/groups/", f"/c/{campaign.slug}/"):
        html = page(client, url)
        assert "<script>alert" not in html and "<img src=x" not in html and '"><img' not in html, url


def test_the_group_page_costs_the_same_queries_whatever_the_number_of_members(client, group, dana):
    client.force_login(dana.user)
    buy_now(group.code, "a@example.com", "Q-1")
    page(client, group.get_absolute_url())  # the tier table is remembered for a few seconds, as in production
    with CaptureQueriesContext(connection) as few:
        page(client, group.get_absolute_url())
    for number in range(6):
        buy_now(group.code, f"friend{number}@example.com", f"Q-{number + 2}")
    with CaptureQueriesContext(connection) as many:
        page(client, group.get_absolute_url())
    assert len(many) == len(few)


def test_your_groups_cost_the_same_queries_for_one_group_or_three(client, campaign, offer, group, dana):
    client.force_login(dana.user)
    page(client, "/my/groups/")
    with CaptureQueriesContext(connection) as one:
        page(client, "/my/groups/")
    for number in range(2):
        item = ReferralItem.objects.create(offer=offer, name=f"Seoul → Osaka {number}", sku=f"OSA-{number}",
                                           base_price="300.00")
        other = referrals.start_group(offer=offer, item=item, participant=dana)
        buy_now(other.code, f"friend{number}@example.com", f"Y-{number}")
    with CaptureQueriesContext(connection) as three:
        html = page(client, "/my/groups/")
    assert html.count("you started this group") == 3
    assert len(three) == len(one)


def test_the_next_tier_is_not_promised_once_the_budget_is_used_up(client, group, offer):
    change_offer(offer, BUDGET_USED_UP[0])
    html = page(client, group.get_absolute_url())
    assert "drops to <strong>180.00 USD</strong> for everyone (−10 %), if the offer's discount budget" in html
