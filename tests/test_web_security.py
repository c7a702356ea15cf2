"""Cross-cutting web security: escaping everywhere, CSRF on every state change, security headers."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import SocialHandle
from campaigns.models import Campaign, TrackingLink
from tests.campaigns.conftest import DAY, NOW, make_campaign

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def poisoned(main_account, deals_account):
    """Every free-text field a marketer can fill, filled with markup."""
    main_account.name = f"Air {PAYLOAD}"
    main_account.description = PAYLOAD
    main_account.save()
    SocialHandle.objects.filter(account=main_account).update(profile_url=f"https://x.com/a?{PAYLOAD}")
    campaign = make_campaign(main_account, slug="poisoned", name=f"Sale {PAYLOAD}", status=Campaign.Status.LIVE,
                             starts_at=NOW - DAY, ends_at=NOW + 40 * DAY, headline=PAYLOAD, body=PAYLOAD,
                             hero_alt=PAYLOAD, utm_campaign=PAYLOAD)
    campaign.co_accounts.add(deals_account)
    TrackingLink.objects.create(campaign=campaign, account=main_account, label="x<b>", destination_url="/c/poisoned/")
    return campaign


def test_markup_in_any_field_is_escaped_on_public_and_admin_pages(client, poisoned, alice):
    public_pages = ["/", f"/c/{poisoned.slug}/"]
    admin_pages = [
        reverse("admin:campaigns_campaign_changelist"),
        reverse("admin:campaigns_campaign_change", args=[poisoned.pk]),
        reverse("admin:campaigns_campaign_calendar") + f"?month={NOW:%Y-%m}",
        reverse("admin:accounts_brandaccount_changelist"),
        reverse("admin:accounts_brandaccount_change", args=[poisoned.owner_account_id]),
    ]
    for page in public_pages:
        html = client.get(page).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, page
    client.force_login(alice)
    for page in admin_pages + public_pages:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, page


def test_every_state_changing_admin_request_needs_a_csrf_token(alice, main_account, poisoned):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    posts = [
        (reverse("admin:campaigns_campaign_changelist"), {"action": "pause", "_selected_action": [poisoned.pk]}),
        (reverse("admin:campaigns_campaign_add"), {"owner_account": main_account.pk, "name": "x", "slug": "x"}),
        (reverse("admin:accounts_brandaccount_change", args=[main_account.pk]), {"name": "changed"}),
        (reverse("account_logout"), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    poisoned.refresh_from_db()
    assert poisoned.status == Campaign.Status.LIVE


def test_sign_up_and_sign_in_need_a_csrf_token(db):
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("account_login"), {"login": "a@example.org", "password": "x"}).status_code == 403
    assert client.post(reverse("account_signup"), {"email": "a@example.org"}).status_code == 403


def test_pages_carry_the_security_headers(client, db):
    response = client.get("/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
