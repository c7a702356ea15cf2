"""The campaign page as a marketer sees it on a 1366 px laptop: the links table fits, the copy button works."""

import os

from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from campaigns.models import Campaign, TrackingLink
from tests.browser.conftest import PATIENCE_MS
from tests.campaigns.conftest import DAY, NOW, make_campaign
from tests.conftest import PASSWORD

LAPTOP = {"viewport": {"width": 1366, "height": 768}}


def test_it_fits_a_1366_px_screen_with_many_links_and_copies_a_link(chromium, live_server, alice, main_account,
                                                                      deals_account):
    EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)
    campaign = make_campaign(main_account, slug="wide", name="Wide campaign", status=Campaign.Status.LIVE,
                             starts_at=NOW - DAY, ends_at=NOW + 30 * DAY)
    campaign.co_accounts.add(deals_account)
    for number, account in enumerate([main_account, deals_account] * 3):
        TrackingLink.objects.create(campaign=campaign, account=account, platform="instagram",
                                    label=f"a rather long label {number}",
                                    destination_url="/c/another-campaign-with-a-long-slug/")
    context = chromium.new_context(base_url=live_server.url, **LAPTOP)
    context.set_default_timeout(PATIENCE_MS)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=login]", alice.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"/admin/campaigns/campaign/{campaign.pk}/change/")
    if os.environ.get("CHORUS_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["CHORUS_SCREENSHOTS"], "campaign-page-1366.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the campaign page scrolls sideways by {overflow} px at 1366 px"
    button = page.locator("button.copy-link").first
    assert button.is_visible()  # hidden until the script runs: without JavaScript the field is still there
    button.click()
    expect(button).to_have_text("Copied")  # the clipboard answers asynchronously
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.endswith(f"/l/{campaign.links.order_by('pk').first().code}") or "/l/" in copied
    context.close()


def test_the_campaign_page_and_the_touch_list_pass_axe(chromium, live_server, alice, main_account):
    from tests.browser.conftest import assert_accessible

    EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)
    campaign = make_campaign(main_account, slug="axe", name="Axe campaign", status=Campaign.Status.LIVE,
                             starts_at=NOW - DAY, ends_at=NOW + 30 * DAY)
    TrackingLink.objects.create(campaign=campaign, account=main_account, platform="x", label="launch")
    context = chromium.new_context(base_url=live_server.url, **LAPTOP)
    context.set_default_timeout(PATIENCE_MS)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=login]", alice.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    for path in (f"/admin/campaigns/campaign/{campaign.pk}/change/", "/admin/campaigns/touch/",
                 f"/admin/campaigns/campaign/{campaign.pk}/history/"):
        page.goto(path)
        assert_accessible(page)
    context.close()
