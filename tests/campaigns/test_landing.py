"""`GET /c/<slug>/`: the public campaign page, per status, behind caches, and at its old slugs."""

import base64
import datetime
import hashlib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import BrandAccount, SocialHandle
from campaigns.models import Campaign, RetiredSlug
from campaigns.slugs import retire_slug
from campaigns.status import change_status
from campaigns.views.landing import recent_pages
from tests.campaigns.conftest import DAY, NOW, make_campaign

Status = Campaign.Status
ENDED_AT = NOW + datetime.timedelta(hours=2, minutes=7)  # 05:07 UTC, 14:07 in Seoul


def page(client, campaign, **headers):
    return client.get(f"/c/{campaign.slug}/", headers=headers)


def style_source(response):
    """The style-src directive of the response's Content-Security-Policy."""
    policy = response["Content-Security-Policy"]
    return next(part.strip() for part in policy.split(";") if part.strip().startswith("style-src "))


def hash_of_the_style_element(html):
    [content] = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    return "'sha256-" + base64.b64encode(hashlib.sha256(content.encode()).digest()).decode() + "'"


def campaign_in(status, account, *, slug=None):
    """A campaign brought to `status` the way the product does it, so its status log is real.

    It went live a day before NOW and was meant to run for ten more days; ended ones ended at ENDED_AT.
    """
    slug = slug or f"in-{status}"
    if status in {Status.DRAFT, Status.SCHEDULED}:
        return make_campaign(account, slug=slug, status=status,
                             starts_at=NOW.replace(day=10, hour=1), ends_at=NOW.replace(day=20, hour=14, minute=59))
    campaign = make_campaign(account, slug=slug, status=Status.LIVE, starts_at=NOW - DAY, ends_at=NOW + 10 * DAY)
    path = {Status.LIVE: [], Status.PAUSED: [Status.PAUSED], Status.ENDED: [Status.ENDED],
            Status.ARCHIVED: [Status.ENDED, Status.ARCHIVED]}[status]
    for to in path:
        change_status(campaign=campaign, to=to, at=ENDED_AT)
    return campaign


# --- the page -------------------------------------------------------------------------------


def test_it_shows_a_live_campaign_with_every_running_account_and_handle(client, live_campaign, deals_account):
    live_campaign.co_accounts.add(deals_account)
    response = page(client, live_campaign)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ten years, ten free tickets" in html
    assert "Alice Air" in html and "@alice_air" in html
    assert "Bob Deals" in html and "@bob_deals" in html
    assert '<html lang="en">' in html and '<main id="main">' in html
    assert 'property="og:title" content="Ten years, ten free tickets"' in html
    assert 'name="twitter:card"' in html
    assert "(Asia/Seoul time)" in html


def test_it_shows_the_schedule_in_the_owner_accounts_wall_clock(client, main_account):
    # 01:00 UTC is 10:00 in Seoul.
    campaign = make_campaign(main_account, slug="tenth", status=Status.SCHEDULED,
                             starts_at=NOW.replace(day=10, hour=1), ends_at=NOW.replace(day=20, hour=14, minute=59))
    html = page(client, campaign).content.decode()
    assert "Starts 10 December 2026, 10:00" in html
    assert "20 December 2026, 23:59" in html


def test_it_gives_anonymous_visitors_cacheable_pages_and_conditional_gets(client, live_campaign):
    response = page(client, live_campaign)
    assert "public" in response["Cache-Control"] and "max-age=60" in response["Cache-Control"]
    assert response["ETag"] and response["Last-Modified"]
    again = page(client, live_campaign, **{"If-None-Match": response["ETag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_it_gives_signed_in_visitors_private_pages(client, live_campaign, alice):
    client.force_login(alice)
    response = page(client, live_campaign)
    assert "private" in response["Cache-Control"]
    assert "ETag" not in response


def test_it_answers_unknown_campaigns_with_the_friendly_404(client, db):
    response = client.get("/c/no-such-campaign/")
    assert response.status_code == 404
    assert b"could not find that page" in response.content


def test_it_escapes_text_from_marketers(client, main_account):
    campaign = make_campaign(main_account, slug="xss", status=Status.LIVE, starts_at=NOW, ends_at=NOW + DAY,
                             headline='<script>alert("h")</script>', body='<img src=x onerror=alert(1)>',
                             hero_alt='"><script>alert(2)</script>')
    main_account.name = "<b>Alice</b>"
    main_account.save()
    html = page(client, campaign).content.decode()
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<b>Alice</b>" not in html
    assert "&lt;script&gt;" in html


def test_it_keeps_the_query_count_flat_as_co_running_accounts_are_added(client, live_campaign, deals_account):
    live_campaign.co_accounts.add(deals_account)

    def queries_for_page():
        recent_pages.clear()
        with CaptureQueriesContext(connection) as queries:
            assert page(client, live_campaign).status_code == 200
        return len(queries)

    one = queries_for_page()
    for number in range(8):
        account = BrandAccount.objects.create(name=f"Product {number}", slug=f"product-{number}", kind="product")
        SocialHandle.objects.create(account=account, platform="x", handle=f"product_{number}")
        live_campaign.co_accounts.add(account)
    assert queries_for_page() == one


# --- the brand style under the Content-Security-Policy ------------------------------------------


def test_it_allows_the_brand_style_by_its_hash_on_the_200_and_on_the_304(client, live_campaign):
    first = page(client, live_campaign)
    html = first.content.decode()
    assert "--brand: #1F4E8C" in html
    assert hash_of_the_style_element(html) in style_source(first).split()
    # The browser revalidates after max-age, against a page this process rendered afresh: the 304
    # must keep the style of the body the browser kept allowed.
    recent_pages.clear()
    revalidated = page(client, live_campaign, **{"If-None-Match": first["ETag"]})
    assert revalidated.status_code == 304
    assert hash_of_the_style_element(html) in style_source(revalidated).split()
    assert "nonce" not in first["Content-Security-Policy"] + revalidated["Content-Security-Policy"]


def test_it_serves_every_visitor_the_same_bytes_so_shared_caches_and_etags_are_true(client, live_campaign):
    first = page(client, live_campaign)
    with CaptureQueriesContext(connection) as queries:
        second = page(client, live_campaign)
    assert len(queries) == 0  # from the short page cache
    recent_pages.clear()
    rendered_again = page(client, live_campaign)
    assert first.content == second.content == rendered_again.content
    assert first["ETag"] == second["ETag"] == rendered_again["ETag"]
    assert first["Content-Security-Policy"] == second["Content-Security-Policy"]


def test_it_shows_marketer_text_that_looks_like_the_old_nonce_placeholder_verbatim(client, main_account):
    campaign = make_campaign(main_account, slug="placeholder", status=Status.LIVE, starts_at=NOW, ends_at=NOW + DAY,
                             body="Our code word: chorus-csp-nonce-placeholder")
    assert "Our code word: chorus-csp-nonce-placeholder" in page(client, campaign).content.decode()


def test_it_allows_the_brand_style_by_its_hash_on_staff_previews(client, main_account, alice):
    campaign = make_campaign(main_account, slug="secret", starts_at=NOW, ends_at=NOW + DAY)
    client.force_login(alice)
    response = page(client, campaign)
    assert b"Preview" in response.content
    assert hash_of_the_style_element(response.content.decode()) in style_source(response).split()
    assert "nonce" not in response["Content-Security-Policy"]


# --- what each status shows ------------------------------------------------------------------


def test_it_hides_drafts_from_the_public_behind_the_friendly_404(client, main_account):
    response = page(client, campaign_in(Status.DRAFT, main_account))
    assert response.status_code == 404
    assert b"could not find that page" in response.content


def test_it_hides_a_campaign_archived_as_a_draft_which_never_was_public(client, main_account, alice):
    campaign = campaign_in(Status.DRAFT, main_account)
    change_status(campaign=campaign, to=Status.ARCHIVED, at=NOW)
    assert page(client, campaign).status_code == 404
    client.force_login(alice)
    assert b"Preview: this campaign is archived" in page(client, campaign).content


def test_it_says_when_a_scheduled_campaign_starts(client, main_account):
    response = page(client, campaign_in(Status.SCHEDULED, main_account))
    assert response.status_code == 200
    assert "This campaign starts on 10 December 2026 at 10:00 (Asia/Seoul time)." in response.content.decode()
    assert response.context["accepting_entries"] is False


def test_it_shows_a_live_campaign_without_a_banner_and_accepts_entries(client, main_account):
    response = page(client, campaign_in(Status.LIVE, main_account))
    assert response.status_code == 200
    assert b'class="banner' not in response.content
    assert response.context["accepting_entries"] is True


def test_it_shows_a_paused_campaign_to_the_public_with_nothing_to_enter(client, main_account):
    response = page(client, campaign_in(Status.PAUSED, main_account))
    assert response.status_code == 200
    assert "This campaign is paused — back soon." in response.content.decode()
    assert b"Preview" not in response.content
    assert response.context["accepting_entries"] is False


@pytest.mark.parametrize("status", [Status.ENDED, Status.ARCHIVED])
def test_it_says_when_a_campaign_really_ended_not_when_it_was_planned_to(client, main_account, status):
    response = page(client, campaign_in(status, main_account))
    assert response.status_code == 200
    html = response.content.decode()
    # Ended by hand at 05:07 UTC, 14:07 in Seoul; it was planned to run until 11 December.
    assert "This campaign has ended: it closed on 1 December 2026 at 14:07 (Asia/Seoul time)." in html
    assert "11 December" not in html
    assert response.context["accepting_entries"] is False


def test_it_falls_back_to_the_planned_end_for_a_campaign_ended_without_a_log(client, main_account):
    campaign = make_campaign(main_account, slug="old", status=Status.ENDED, starts_at=NOW - 2 * DAY, ends_at=NOW - DAY)
    assert "it closed on 30 November 2026 at 12:00" in page(client, campaign).content.decode()


@pytest.mark.parametrize("status", [Status.SCHEDULED, Status.LIVE, Status.PAUSED, Status.ENDED, Status.ARCHIVED])
def test_staff_see_public_campaigns_as_the_public_does(client, main_account, alice, status):
    campaign = campaign_in(status, main_account)
    public = page(client, campaign)
    client.force_login(alice)
    signed_in = page(client, campaign)
    assert signed_in.status_code == public.status_code == 200
    assert b"Preview" not in signed_in.content
    assert signed_in.context["accepting_entries"] == public.context["accepting_entries"]


def test_staff_of_the_campaigns_accounts_see_a_preview_of_a_draft(client, main_account, deals_account, alice, bob,
                                                                   charlie):
    campaign = make_campaign(main_account, slug="secret", starts_at=NOW, ends_at=NOW + DAY)
    client.force_login(alice)
    response = page(client, campaign)
    assert response.status_code == 200
    assert b"Preview: this campaign is draft" in response.content
    assert response.context["accepting_entries"] is False
    client.force_login(bob)
    assert page(client, campaign).status_code == 404
    client.force_login(charlie)
    assert page(client, campaign).status_code == 404
    campaign.co_accounts.add(deals_account)
    client.force_login(bob)
    assert page(client, campaign).status_code == 200


def test_it_never_serves_a_staff_preview_from_the_page_cache_to_the_public(client, main_account, alice):
    campaign = make_campaign(main_account, slug="secret", starts_at=NOW, ends_at=NOW + DAY)
    client.force_login(alice)
    assert b"Preview" in page(client, campaign).content
    client.logout()
    assert page(client, campaign).status_code == 404


def test_it_costs_one_query_more_to_render_an_ended_page_than_a_live_one(client, main_account):
    def queries_for(campaign):
        with CaptureQueriesContext(connection) as queries:
            assert page(client, campaign).status_code == 200
        return len(queries)

    assert queries_for(campaign_in(Status.ENDED, main_account)) == queries_for(
        campaign_in(Status.LIVE, main_account)) + 1


def test_it_shows_a_status_change_to_the_public_once_the_page_cache_expires(client, live_campaign, settings):
    page(client, live_campaign)
    change_status(campaign=live_campaign, to=Status.PAUSED, at=NOW)
    assert b"paused" not in page(client, live_campaign).content  # cached for LANDING_CACHE_SECONDS
    settings.LANDING_CACHE_SECONDS = 0
    recent_pages.clear()
    assert b"paused" in page(client, live_campaign).content
    change_status(campaign=live_campaign, to=Status.ENDED, at=NOW)
    assert b"This campaign has ended" in page(client, live_campaign).content


# --- old slugs -------------------------------------------------------------------------------


def rename(campaign, slug, *, at=NOW):
    """What the admin does when a slug changes: save, and retire the old one in the same transaction."""
    old_slug, campaign.slug = campaign.slug, slug
    campaign.save(update_fields=["slug"])
    retire_slug(campaign=campaign, old_slug=old_slug, at=at)


def test_it_redirects_an_old_slug_to_the_current_page_with_the_query_string(client, live_campaign):
    rename(live_campaign, "summer")
    response = client.get("/c/live-now/?utm_source=x&fbclid=abc%20d")
    assert response.status_code == 301
    assert response["Location"] == "/c/summer/?utm_source=x&fbclid=abc%20d"
    # Browsers may not keep it forever: the campaign could take the old slug back.
    assert "max-age=60" in response["Cache-Control"]
    assert client.get("/c/live-now/")["Location"] == "/c/summer/"


def test_it_redirects_every_old_slug_in_one_hop(client, live_campaign, alice):
    rename(live_campaign, "second")
    rename(live_campaign, "third", at=NOW + DAY)
    assert client.get("/c/live-now/")["Location"] == "/c/third/"
    assert client.get("/c/second/")["Location"] == "/c/third/"
    client.force_login(alice)
    assert client.get("/c/live-now/")["Location"] == "/c/third/"


def test_it_redirects_an_old_slug_of_a_paused_or_ended_campaign(client, main_account):
    for status in (Status.PAUSED, Status.ENDED):
        campaign = campaign_in(status, main_account)
        rename(campaign, f"renamed-{status}")
        assert client.get(f"/c/in-{status}/").status_code == 301


def test_it_answers_repeat_hits_on_an_old_slug_from_the_page_cache(client, live_campaign):
    rename(live_campaign, "summer")
    client.get("/c/live-now/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/c/live-now/?again=1")["Location"] == "/c/summer/?again=1"
    assert len(queries) == 0


def test_it_does_not_reveal_the_new_slug_of_a_campaign_taken_back_to_draft(client, main_account):
    campaign = campaign_in(Status.SCHEDULED, main_account, slug="spring")
    change_status(campaign=campaign, to=Status.DRAFT, at=NOW)
    rename(campaign, "secret-collaboration")
    assert RetiredSlug.objects.filter(slug="spring").exists()
    response = client.get("/c/spring/")
    assert response.status_code == 404
    assert b"secret-collaboration" not in response.content


def test_it_gives_shares_and_search_engines_the_public_address_whatever_the_host(client, live_campaign, settings):
    settings.PUBLIC_BASE_URL = "https://go.example.com"
    settings.ALLOWED_HOSTS = ["internal-web-3", "testserver"]
    html = client.get(f"/c/{live_campaign.slug}/", HTTP_HOST="internal-web-3").content.decode()
    assert f'<link rel="canonical" href="https://go.example.com/c/{live_campaign.slug}/">' in html
    assert "internal-web-3" not in html
