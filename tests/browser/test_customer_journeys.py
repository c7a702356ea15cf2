"""A customer on a phone: a tracking link, the campaign page, signing in; and a wrong password."""

from urllib.parse import urlsplit

from allauth.account.models import EmailAddress
from django.utils import timezone

from campaigns.models import Campaign, TrackingLink
from tests.browser.conftest import assert_accessible, assert_targets_large_enough
from tests.campaigns.conftest import DAY, make_campaign
from tests.conftest import PASSWORD, make_user


def verified_customer(email="yuna@example.org"):
    user = make_user(email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def live_link(account):
    now = timezone.now()
    campaign = make_campaign(account, slug="winter-fares", status=Campaign.Status.LIVE, starts_at=now - DAY,
                             ends_at=now + 10 * DAY, headline="Winter fares from Seoul, this week only")
    return TrackingLink.objects.create(campaign=campaign, account=account, channel="post", label="launch",
                                       destination_url="")


def test_it_takes_a_phone_from_a_tracking_link_to_the_campaign_page_and_signs_in(phone, main_account):
    link = live_link(main_account)
    verified_customer()

    phone.goto(f"/l/{link.code}")
    assert urlsplit(phone.url).path == "/c/winter-fares/"
    assert phone.get_by_role("heading", level=1, name="Winter fares from Seoul, this week only").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert phone.evaluate("getComputedStyle(document.body).backgroundColor") != "rgba(0, 0, 0, 0)", \
        "site.css did not load"
    assert_accessible(phone)

    phone.get_by_role("link", name="Sign in").click()
    phone.wait_for_url("**/accounts/login/**")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(phone)
    phone.get_by_label("Email").fill("yuna@example.org")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()

    phone.wait_for_load_state()
    assert "/accounts/login/" not in phone.url
    assert phone.get_by_role("link", name="yuna@example.org").is_visible()
    assert phone.get_by_role("link", name="Sign out").is_visible()


def test_it_ties_a_wrong_password_to_its_fields_and_announces_it(phone, db):
    verified_customer()
    phone.goto("/accounts/login/")
    phone.get_by_label("Email").fill("yuna@example.org")
    phone.get_by_label("Password").fill("not my password")
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_load_state()

    alert = phone.get_by_role("alert")
    assert "not correct" in alert.inner_text()
    error_id = alert.locator("[id]").first.get_attribute("id")
    for name in ("login", "password"):
        field = phone.locator(f"input[name={name}]")
        assert field.get_attribute("aria-invalid") == "true"
        assert error_id in field.get_attribute("aria-describedby").split()
    assert_accessible(phone)


def test_every_link_and_button_on_the_sign_in_pages_is_at_least_24_px(phone, db):
    verified_customer()
    for path in ("/accounts/login/", "/accounts/signup/", "/accounts/login/code/"):
        phone.goto(path)
        assert_targets_large_enough(phone)
        assert_accessible(phone)
    # The page that asks for the emailed code.
    phone.locator("input[name=email]").fill("yuna@example.org")
    phone.locator("button[type=submit]").click()
    phone.wait_for_url("**/accounts/login/code/confirm/")
    assert_targets_large_enough(phone)
    assert_accessible(phone)


def test_scheduled_paused_and_ended_pages_say_so_accessibly_on_a_phone(phone, main_account):
    """A post seen after the campaign paused or ended lands on a page that says so, readable by everyone."""
    from campaigns.status import change_status

    now = timezone.now()
    pages = {
        "soon": ("scheduled", now + DAY, now + 5 * DAY, "starts on"),
        "resting": ("paused", now - DAY, now + 5 * DAY, "paused — back soon"),
        "over": ("ended", now - 5 * DAY, now + DAY, "has ended"),
    }
    for slug, (status, starts_at, ends_at, words) in pages.items():
        campaign = make_campaign(main_account, slug=slug, status=Campaign.Status.LIVE if status != "scheduled"
                                 else Campaign.Status.SCHEDULED, starts_at=starts_at, ends_at=ends_at)
        if status != "scheduled":
            change_status(campaign=campaign, to=status, at=now)
        phone.goto(f"/c/{slug}/")
        assert words in phone.get_by_role("status").inner_text()
        assert_accessible(phone)
