"""`GET /c/<slug>/`: the public campaign page."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import BrandAccount, SocialHandle
from campaigns.models import Campaign
from campaigns.views.landing import recent_pages
from tests.campaigns.conftest import DAY, NOW, make_campaign

Status = Campaign.Status


def page(client, campaign, **headers):
    return client.get(f"/c/{campaign.slug}/", headers=headers)


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


def test_anonymous_visitors_get_cacheable_pages_and_conditional_gets(client, live_campaign):
    response = page(client, live_campaign)
    assert "public" in response["Cache-Control"] and "max-age=60" in response["Cache-Control"]
    assert response["ETag"] and response["Last-Modified"]
    again = page(client, live_campaign, **{"If-None-Match": response["ETag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_signed_in_visitors_get_private_pages(client, live_campaign, alice):
    client.force_login(alice)
    response = page(client, live_campaign)
    assert "private" in response["Cache-Control"]
    assert "ETag" not in response


def test_drafts_and_paused_campaigns_are_hidden_from_the_public(client, main_account):
    for status in (Status.DRAFT, Status.PAUSED):
        campaign = make_campaign(main_account, slug=f"hidden-{status}", status=status,
                                 starts_at=NOW, ends_at=NOW + DAY)
        assert page(client, campaign).status_code == 404


def test_staff_of_the_campaigns_accounts_see_a_preview(client, main_account, deals_account, alice, bob, charlie):
    campaign = make_campaign(main_account, slug="secret", starts_at=NOW, ends_at=NOW + DAY)
    client.force_login(alice)
    response = page(client, campaign)
    assert response.status_code == 200
    assert b"Preview: this campaign is draft" in response.content
    client.force_login(bob)
    assert page(client, campaign).status_code == 404
    client.force_login(charlie)
    assert page(client, campaign).status_code == 404
    campaign.co_accounts.add(deals_account)
    client.force_login(bob)
    assert page(client, campaign).status_code == 200


def test_ended_campaigns_say_so(client, main_account):
    for status in (Status.ENDED, Status.ARCHIVED):
        campaign = make_campaign(main_account, slug=f"over-{status}", status=status,
                                 starts_at=NOW - 2 * DAY, ends_at=NOW - DAY)
        assert b"This campaign has ended" in page(client, campaign).content


def test_unknown_campaigns_get_the_friendly_404(client, db):
    response = client.get("/c/no-such-campaign/")
    assert response.status_code == 404
    assert b"could not find that page" in response.content


def test_text_from_marketers_is_escaped(client, main_account):
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


def test_the_brand_colour_reaches_the_page_through_a_nonced_style(client, live_campaign):
    response = page(client, live_campaign)
    html = response.content.decode()
    assert "--brand: #1F4E8C" in html
    assert "style-src 'self' 'nonce-" in response["Content-Security-Policy"]


def test_the_query_count_stays_flat_as_co_running_accounts_are_added(client, live_campaign, deals_account):
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


def test_repeat_anonymous_views_are_served_from_the_short_page_cache(client, live_campaign):
    first = page(client, live_campaign)
    with CaptureQueriesContext(connection) as queries:
        second = page(client, live_campaign)
    assert len(queries) == 0
    assert second["ETag"] == first["ETag"]
    # Each response still carries its own CSP nonce, in the page and in the header alike.
    nonces = []
    for response in (first, second):
        html = response.content.decode()
        nonce = html.split('<style nonce="', 1)[1].split('"', 1)[0]
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_a_status_change_shows_once_the_page_cache_expires(client, live_campaign, settings):
    page(client, live_campaign)
    Campaign.objects.filter(pk=live_campaign.pk).update(status=Status.ENDED)
    assert b"This campaign has ended" not in page(client, live_campaign).content  # cached for a few seconds
    settings.LANDING_CACHE_SECONDS = 0
    recent_pages.clear()
    assert b"This campaign has ended" in page(client, live_campaign).content


def test_the_page_cache_never_serves_a_preview_to_the_public(client, main_account, alice):
    campaign = make_campaign(main_account, slug="secret", status=Status.PAUSED, starts_at=NOW, ends_at=NOW + DAY)
    client.force_login(alice)
    assert b"Preview" in page(client, campaign).content
    client.logout()
    assert page(client, campaign).status_code == 404
