"""`GET /l/<code>`: a touch per click, a first-party cookie, UTMs and click ids, bots marked, safe redirects."""

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import BrandAccount
from campaigns.links import recent_links
from campaigns.models import Campaign, Touch, TrackingLink
from campaigns.touches import hash_ip
from config import embedded_redis
from tests.concurrency import run_concurrently

BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"


def click(client, link, query="", **headers):
    return client.get(f"/l/{link.code}{query}", headers={"User-Agent": BROWSER, **headers})


def test_a_click_records_a_touch_and_redirects_with_a_visitor_cookie(client, link):
    response = click(client, link, "?utm_term=ten+years&fbclid=FB.123&gclid=G-1&twclid=TW9")
    assert response.status_code == 302
    assert response["Location"].startswith("/c/live-now/?")
    assert "fbclid=FB.123" in response["Location"]
    assert "no-store" in response["Cache-Control"]
    cookie = response.cookies[settings.VISITOR_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) > 300 * 24 * 3600
    touch = Touch.objects.get()
    assert touch.visitor_id == uuid.UUID(cookie.value)
    assert (touch.kind, touch.campaign, touch.account, touch.link) == ("link_click", link.campaign, link.account,
                                                                       link)
    assert (touch.utm_term, touch.fbclid, touch.gclid, touch.twclid, touch.msclkid) == (
        "ten years", "FB.123", "G-1", "TW9", "")
    assert touch.ip_hash == hash_ip("127.0.0.1")
    assert "127.0.0.1" not in touch.ip_hash
    assert touch.user is None
    assert not touch.is_bot


def test_a_returning_visitor_keeps_their_id(client, link):
    first = click(client, link).cookies[settings.VISITOR_COOKIE_NAME].value
    response = click(client, link)
    assert settings.VISITOR_COOKIE_NAME not in response.cookies  # nothing new to set
    assert set(Touch.objects.values_list("visitor_id", flat=True)) == {uuid.UUID(first)}


def test_a_tampered_cookie_gets_a_fresh_visitor_id(client, link):
    client.cookies[settings.VISITOR_COOKIE_NAME] = "not-a-uuid'; DROP TABLE"
    response = click(client, link)
    assert uuid.UUID(response.cookies[settings.VISITOR_COOKIE_NAME].value)
    assert Touch.objects.count() == 1


def test_a_signed_in_customer_is_recorded(client, link, alice):
    client.force_login(alice)
    click(client, link)
    assert Touch.objects.get().user == alice


@pytest.mark.parametrize("agent", [
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "WhatsApp/2.23.20.0",
    "curl/8.5.0",
    "python-requests/2.32.0",
    "",
])
def test_known_bots_are_marked_and_get_no_cookie(client, link, agent):
    response = client.get(f"/l/{link.code}", headers={"User-Agent": agent})
    assert response.status_code == 302
    assert settings.VISITOR_COOKIE_NAME not in response.cookies
    assert Touch.objects.get().is_bot


def test_a_click_costs_two_queries_and_a_repeat_click_one(client, link):
    with CaptureQueriesContext(connection) as queries:
        click(client, link, "?utm_source=x")
    assert len(queries) == 2, [query["sql"] for query in queries]
    with CaptureQueriesContext(connection) as queries:
        click(client, link, "?utm_source=y")
    assert len(queries) == 1, [query["sql"] for query in queries]
    assert Touch.objects.count() == 2


def test_a_switched_off_link_stops_redirecting_once_the_short_cache_expires(client, link, settings):
    click(client, link)
    TrackingLink.objects.filter(pk=link.pk).update(active=False)
    assert click(client, link).status_code == 302  # still cached in this process
    settings.TRACKING_LINK_CACHE_SECONDS = 0
    recent_links.clear()
    assert click(client, link).status_code == 404


@pytest.mark.parametrize("code", ["nosuchcode", "../../etc", "UPPER"])
def test_unknown_codes_get_a_friendly_404_and_no_redirect(client, link, code):
    response = client.get(f"/l/{code}")
    assert response.status_code == 404
    assert b"could not find that page" in response.content
    assert Touch.objects.count() == 0


def test_switched_off_links_and_draft_campaigns_do_not_redirect(client, link):
    TrackingLink.objects.filter(pk=link.pk).update(active=False)
    assert click(client, link).status_code == 404
    TrackingLink.objects.filter(pk=link.pk).update(active=True)
    Campaign.objects.filter(pk=link.campaign_id).update(status=Campaign.Status.DRAFT)
    assert click(client, link).status_code == 404
    assert Touch.objects.count() == 0


def test_a_destination_that_became_unsafe_is_never_followed(client, link, settings):
    TrackingLink.objects.filter(pk=link.pk).update(destination_url="https://shop.example.com/")
    settings.LINK_ALLOWED_HOSTS = ["shop.example.com"]
    assert click(client, link).status_code == 302
    settings.LINK_ALLOWED_HOSTS = []  # the operator withdrew the host (and restarted, or 5 s passed)
    recent_links.clear()
    assert click(client, link).status_code == 404


def test_query_parameters_cannot_steer_the_redirect(client, link):
    for query in ("?next=//evil.example", "?url=https://evil.example", "?utm_source=%0d%0aLocation:evil"):
        response = click(client, link, query)
        assert response.status_code == 302
        assert response["Location"].startswith("/c/live-now/?")
        assert "\n" not in response["Location"] and "\r" not in response["Location"]


def test_a_forged_forwarded_for_header_does_not_change_the_recorded_ip(client, link):
    click(client, link, HTTP_X_FORWARDED_FOR="203.0.113.9")
    click(client, link, **{"X-Forwarded-For": "198.51.100.7"})
    assert set(Touch.objects.values_list("ip_hash", flat=True)) == {hash_ip("127.0.0.1")}


def test_clicks_still_work_while_redis_is_down(client, link, settings, tmp_path):
    settings.RQ_QUEUES = {name: {"URL": embedded_redis.url_for(tmp_path / "gone")} for name in settings.RQ_QUEUES}
    assert click(client, link).status_code == 302
    assert Touch.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_sixteen_simultaneous_clicks_all_record_and_redirect(live_campaign, main_account):
    """On PostgreSQL and on the SQLite file alike: no "database is locked", no lost touch."""
    link = TrackingLink.objects.create(campaign=live_campaign, account=main_account, destination_url="/c/live-now/")
    def visit():
        return [Client().get(f"/l/{link.code}", headers={"User-Agent": BROWSER}).status_code for _ in range(5)]

    results, errors = run_concurrently(visit, threads=16)
    statuses = [status for batch in results for status in batch]
    assert errors == []
    assert statuses == [302] * 80
    assert Touch.objects.filter(link=link).count() == 80


def test_control_characters_in_tracking_parameters_are_dropped_not_fatal(client, link):
    response = click(client, link, "?utm_source=ne%00ws%0d%0aletter&fbclid=a%00b&utm_term=" + "x" * 500)
    assert response.status_code == 302
    touch = Touch.objects.get()
    assert (touch.utm_source, touch.fbclid, len(touch.utm_term)) == ("newsletter", "ab", 100)


@pytest.mark.django_db(transaction=True)
def test_a_session_of_a_deleted_user_still_counts_the_click(client, live_campaign, main_account):
    from tests.conftest import make_user

    link = TrackingLink.objects.create(campaign=live_campaign, account=main_account, destination_url="/c/live-now/")
    gone = make_user("gone@example.org")
    client.force_login(gone)
    type(gone).objects.filter(pk=gone.pk).delete()  # the session row stays behind
    assert click(client, link).status_code == 302
    touch = Touch.objects.get()
    assert touch.user is None


def test_a_session_signed_out_by_a_password_change_no_longer_carries_the_user(client, link, alice):
    client.force_login(alice)
    alice.set_password("a new password after a leak")
    alice.save()  # other sessions' password hash no longer matches
    assert click(client, link).status_code == 302
    assert Touch.objects.get().user is None


def test_a_visitor_without_a_session_costs_no_query_for_it_and_a_signed_in_one_two(client, link, alice):
    click(client, link)  # the link is now cached, and the visitor has a visitor cookie but no session
    with CaptureQueriesContext(connection) as queries:
        click(client, link)
    assert len(queries) == 1, [query["sql"] for query in queries]
    client.force_login(alice)
    with CaptureQueriesContext(connection) as queries:
        click(client, link)
    assert len(queries) == 3, [query["sql"] for query in queries]  # the session, the user, the INSERT
    assert Touch.objects.filter(user=alice).count() == 1


def test_a_head_request_gets_the_redirect_and_records_nothing(client, link):
    response = client.head(f"/l/{link.code}?fbclid=FB.1", headers={"User-Agent": BROWSER})
    assert response.status_code == 302
    assert response["Location"].startswith("/c/live-now/?") and "fbclid=FB.1" in response["Location"]
    assert response.content == b""
    assert settings.VISITOR_COOKIE_NAME not in response.cookies
    assert Touch.objects.count() == 0
    assert client.head("/l/nosuchcode").status_code == 404


def test_a_huge_click_id_is_recorded_and_forwarded_cut_to_the_stored_length(client, link):
    response = click(client, link, "?fbclid=" + "F" * 17_000 + "&gclid=G%00%0d%0a1")
    assert response.status_code == 302
    touch = Touch.objects.get()
    assert (len(touch.fbclid), touch.gclid) == (255, "G1")
    forwarded = parse_qs(urlsplit(response["Location"]).query)
    assert forwarded["fbclid"] == [touch.fbclid] and forwarded["gclid"] == ["G1"]
    assert len(response["Location"]) < 1_000


def test_a_blank_destination_follows_the_campaigns_slug(client, live_campaign, main_account, settings):
    link = TrackingLink.objects.create(campaign=live_campaign, account=main_account, destination_url="")
    assert click(client, link)["Location"].startswith("/c/live-now/?")
    Campaign.objects.filter(pk=live_campaign.pk).update(slug="live-again")
    # A cached link keeps the slug it was loaded with for TRACKING_LINK_CACHE_SECONDS at most; the landing
    # page answers the old slug with a redirect meanwhile.
    assert click(client, link)["Location"].startswith("/c/live-now/?")
    recent_links.clear()  # the cache time has passed
    assert click(client, link)["Location"].startswith("/c/live-again/?")
    assert Touch.objects.count() == 3


@pytest.fixture
def running_links(live_campaign, main_account, deals_account):
    """One link per kind of account: the owner's, a co-account's, a removed co-account's, an inactive one's."""
    removed = BrandAccount.objects.create(name="Rita Removed", slug="rita-removed")
    inactive = BrandAccount.objects.create(name="Ivan Inactive", slug="ivan-inactive")
    live_campaign.co_accounts.add(deals_account, removed, inactive)
    links = {kind: TrackingLink.objects.create(campaign=live_campaign, account=account, destination_url="")
             for kind, account in [("owner", main_account), ("co-account", deals_account),
                                   ("removed co-account", removed), ("inactive account", inactive)]}
    live_campaign.co_accounts.remove(removed)
    BrandAccount.objects.filter(pk=inactive.pk).update(active=False)
    return links


@pytest.mark.parametrize("status", Campaign.Status.values)
@pytest.mark.parametrize("kind", ["owner", "co-account", "removed co-account", "inactive account"])
def test_every_status_and_kind_of_link(client, running_links, status, kind):
    """Drafts and links of accounts that do not (or no longer) run the campaign: a friendly 404, nothing recorded.
    Every other status redirects to the landing page, which says whether the campaign starts, is paused or ended.
    """
    link = running_links[kind]
    Campaign.objects.filter(pk=link.campaign_id).update(status=status)
    response = click(client, link)
    if status == Campaign.Status.DRAFT or kind in {"removed co-account", "inactive account"}:
        assert response.status_code == 404
        assert b"could not find that page" in response.content
        assert Touch.objects.count() == 0
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/c/live-now/?")
        assert Touch.objects.get().account_id == link.account_id


def test_a_removed_co_accounts_link_stops_once_the_short_cache_expires(client, running_links, deals_account):
    link = running_links["co-account"]
    assert click(client, link).status_code == 302
    link.campaign.co_accounts.remove(deals_account)
    assert click(client, link).status_code == 302  # still cached in this process, and still credited
    recent_links.clear()
    assert click(client, link).status_code == 404
    assert Touch.objects.count() == 2
