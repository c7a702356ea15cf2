"""A customer on a phone starts a group for a destination and shares it; a friend opens the share link in
another browser and sees the group price; purchases arrive from the shop and both see the lower price and the
next tier."""

import re
from urllib.parse import urlsplit

from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign, Touch
from promotions import referrals
from promotions.models import ReferralGroup
from tests.browser.conftest import IPHONE, assert_accessible, assert_targets_large_enough, open_page
from tests.browser.test_giveaway_journey import emailed_code, screenshot
from tests.campaigns.conftest import DAY, make_campaign
from tests.conftest import PASSWORD
from tests.promotions.conftest import make_offer


def fits_the_screen(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def purchase(code, email, order):
    """A sale as the shop reports it (attribution's ingest will make this call)."""
    outcome = referrals.record_purchase(order_reference=order, amount="200.00", currency="USD", email=email,
                                        referral_code=code, at=timezone.now())
    assert outcome.created, outcome.message


def test_a_group_price_drops_for_the_founder_and_the_friend_as_purchases_arrive(chromium, live_server, phone,
                                                                                  main_account):
    now = timezone.now()
    campaign = make_campaign(main_account, slug="fly", status=Campaign.Status.LIVE, starts_at=now - DAY,
                             ends_at=now + 10 * DAY)
    offer = make_offer(campaign, starts_at=now - DAY, ends_at=now + 10 * DAY)

    phone.goto("/c/fly/")
    phone.get_by_role("link", name=re.compile(r"^Start a group\W+Fly together$")).click()
    phone.wait_for_url(f"**/o/{offer.slug}/")
    expect(phone.get_by_role("heading", level=1, name="Fly together")).to_be_visible()
    assert fits_the_screen(phone)
    assert_accessible(phone)
    assert_targets_large_enough(phone)
    screenshot(phone, "referral-offer.png")

    phone.get_by_role("link", name=re.compile(r"^Sign up to start a group")).click()
    phone.wait_for_url("**/accounts/signup/**")
    # An address of its own: allauth allows one confirmation e-mail per address every 3 minutes.
    phone.locator("input[name=email]").fill("sora.founder@example.org")
    phone.locator("input[name=password1]").fill(PASSWORD)
    phone.locator("input[name=password2]").fill(PASSWORD)
    phone.locator("button[type=submit]").click()
    phone.wait_for_url("**/accounts/confirm-email/**")
    phone.locator("input[name=code]").fill(emailed_code())
    phone.locator("button[type=submit]").first.click()
    phone.wait_for_url(f"**/o/{offer.slug}/")

    phone.get_by_role("button", name=re.compile(r"^Start a group\W+for Seoul → Jeju$")).click()
    group = ReferralGroup.objects.get()
    phone.wait_for_url(f"**/o/{offer.slug}/g/{group.code}/")
    expect(phone.get_by_test_id("group-price")).to_have_text("200.00 USD")
    expect(phone.get_by_test_id("next-tier")).to_contain_text("2 more bookings and the price drops to 180.00 USD")
    assert_accessible(phone)
    assert_targets_large_enough(phone)
    assert fits_the_screen(phone)
    share_field = phone.get_by_label("Your share link")
    share_field.select_text()  # read-only and selectable: what a customer copies
    share = urlsplit(share_field.input_value())
    assert share.path == f"/r/{group.code}"

    friend_context, friend = open_page(chromium, live_server, IPHONE)
    try:
        friend.goto(share.path)
        friend.wait_for_url(f"**/o/{offer.slug}/g/{group.code}/**")
        expect(friend.get_by_test_id("group-price")).to_have_text("200.00 USD")
        assert Touch.objects.filter(kind=Touch.Kind.REFERRAL_CLICK, reference=f"group:{group.pk}").count() == 1
        book = friend.get_by_role("link", name=re.compile(r"^Book now\W+Seoul → Jeju$"))
        assert book.get_attribute("href") == f"https://shop.example.com/jeju?ref={group.code}"
        assert_accessible(friend)

        purchase(group.code, "mina@example.org", "JEJU-1001")
        purchase(group.code, "joon@example.org", "JEJU-1002")
        friend.reload()
        phone.reload()
        for page in (friend, phone):
            expect(page.get_by_test_id("group-price")).to_have_text("180.00 USD")
            expect(page.get_by_test_id("next-tier")).to_contain_text("2 more bookings and the price drops to "
                                                                     "160.00 USD")
            expect(page.get_by_test_id("joined")).to_contain_text("2 bookings confirmed")
        screenshot(phone, "referral-group-after-purchases.png")

        phone.goto("/my/groups/")
        expect(phone.get_by_text("you started this group")).to_be_visible()
        expect(phone.get_by_text("Your friend (generation 1)").first).to_be_visible()
        assert fits_the_screen(phone)
        assert_accessible(phone)
        screenshot(phone, "referral-my-groups.png")
    finally:
        friend_context.close()
