"""A marketer in the admin: signing in through /admin/login/, the campaign list, the calendar, a campaign."""

from allauth.account.models import EmailAddress
from django.utils import timezone

from campaigns.models import Campaign
from tests.browser.conftest import assert_accessible
from tests.campaigns.conftest import DAY, make_campaign
from tests.conftest import PASSWORD


def test_alice_signs_in_to_the_admin_and_finds_her_campaigns_on_the_calendar(desktop, alice, main_account):
    EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)
    now = timezone.now()
    make_campaign(main_account, slug="winter-fares", name="Winter Fares", status=Campaign.Status.LIVE,
                  starts_at=now - DAY, ends_at=now + DAY)

    desktop.goto("/admin/login/?next=/admin/")
    assert "/accounts/login/" in desktop.url  # the admin signs in through allauth
    desktop.get_by_label("Email").fill(alice.email)
    desktop.get_by_label("Password").fill(PASSWORD)
    desktop.get_by_role("button", name="Sign in").click()
    desktop.wait_for_url("**/admin/")
    assert_accessible(desktop)

    desktop.locator("#content-main a[href='/admin/campaigns/campaign/']").first.click()
    desktop.wait_for_url("**/admin/campaigns/campaign/")
    assert desktop.get_by_role("link", name="Winter Fares").is_visible()
    assert_accessible(desktop)

    desktop.get_by_role("link", name="Calendar", exact=True).click()
    desktop.wait_for_url("**/admin/campaigns/campaign/calendar/")
    entry = desktop.locator(".campaign-calendar li", has_text="Winter Fares").first
    assert "Live" in entry.inner_text()  # the status in words, not only in colour
    assert_accessible(desktop)
    # The admin follows the system's dark theme. Its links fade between colours (a CSS transition), and
    # axe must judge the colours the reader ends with, not one half-way through the fade.
    desktop.emulate_media(color_scheme="dark")
    wait_for_transitions(desktop)
    assert_accessible(desktop)
    desktop.emulate_media(color_scheme="light")

    desktop.get_by_label("Account").select_option(label="Alice Air")
    desktop.get_by_role("button", name="Show").click()
    desktop.wait_for_url(f"**/calendar/?month=*&account={main_account.pk}")
    assert desktop.locator(".campaign-calendar li", has_text="Winter Fares").count() >= 1
    desktop.get_by_role("link", name="Next month →").click()
    next_month = (timezone.localdate().replace(day=1) + 32 * DAY).replace(day=1)
    # The chosen account stays chosen from month to month.
    desktop.wait_for_url(f"**/calendar/?month={next_month:%Y-%m}&account={main_account.pk}")
    assert desktop.get_by_label("Account").input_value() == str(main_account.pk)
    desktop.go_back()

    desktop.locator(".campaign-calendar a", has_text="Winter Fares").first.click()
    desktop.wait_for_url("**/admin/campaigns/campaign/*/change/")
    assert desktop.get_by_label("Name:").input_value() == "Winter Fares"


def test_the_admin_home_links_the_calendar(desktop, alice):
    EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)
    desktop.goto("/admin/login/?next=/admin/")
    desktop.get_by_label("Email").fill(alice.email)
    desktop.get_by_label("Password").fill(PASSWORD)
    desktop.get_by_role("button", name="Sign in").click()
    desktop.wait_for_url("**/admin/")
    desktop.get_by_role("link", name="Campaign calendar").click()
    desktop.wait_for_url("**/admin/campaigns/campaign/calendar/")
    assert desktop.get_by_role("heading", level=1).inner_text().startswith("Campaign calendar")


def wait_for_transitions(page):
    """Until no CSS transition is running (polled from here: the page's CSP refuses Playwright's in-page waits)."""
    for _ in range(100):
        if page.evaluate("() => document.getAnimations().every(animation => animation.playState === 'finished')"):
            return
        page.wait_for_timeout(20)
    raise AssertionError("the page's transitions never finished")
