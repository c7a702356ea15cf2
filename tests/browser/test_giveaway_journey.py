"""A customer on a phone enters a giveaway: campaign page → giveaway → sign up by email code → back on the
giveaway → details → secret code → entries shown → their referral link opened by a friend in another browser."""

import os
import re
from urllib.parse import urlsplit

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign
from promotions.models import Entry, Mission
from tests.browser.conftest import IPHONE, assert_accessible, assert_targets_large_enough, open_page
from tests.campaigns.conftest import DAY, make_campaign
from tests.conftest import PASSWORD
from tests.promotions.conftest import make_giveaway, make_mission


def screenshot(page, name):
    if os.environ.get("CHORUS_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["CHORUS_SCREENSHOTS"], name), full_page=True)


def emailed_code():
    match = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", mail.outbox[-1].body, re.MULTILINE)
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_it_takes_a_phone_from_the_campaign_page_to_an_entry_and_a_shared_referral(chromium, live_server, phone,
                                                                                    main_account):
    now = timezone.now()
    campaign = make_campaign(main_account, slug="anniversary", status=Campaign.Status.LIVE, starts_at=now - DAY,
                             ends_at=now + 10 * DAY)
    giveaway = make_giveaway(campaign)  # daily at 10:00 Seoul for 24 hours: a round is always open
    make_mission(giveaway, Mission.Kind.SECRET_CODE, title="Find the code on @alice_air",
                 instructions="We post it at noon.")
    make_mission(giveaway, Mission.Kind.QUIZ)
    make_mission(giveaway, Mission.Kind.NEWSLETTER, title="Get our fares first")

    phone.goto("/c/anniversary/")
    assert_accessible(phone)
    # The title is in visually hidden text, so a screen reader's list of links tells giveaways apart.
    phone.get_by_role("link", name=re.compile(r"^Enter the giveaway\W+Two tickets to Jeju$")).click()
    phone.wait_for_url("**/g/free-tickets/")
    expect(phone.get_by_role("heading", level=1, name="Two tickets to Jeju")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(phone)
    assert_targets_large_enough(phone)

    phone.get_by_role("link", name="Sign up to enter").click()
    phone.wait_for_url("**/accounts/signup/**")
    phone.locator("input[name=email]").fill("yuna@example.org")
    phone.locator("input[name=password1]").fill(PASSWORD)
    phone.locator("input[name=password2]").fill(PASSWORD)
    phone.locator("button[type=submit]").click()
    phone.wait_for_url("**/accounts/confirm-email/**")
    phone.locator("input[name=code]").fill(emailed_code())
    phone.locator("button[type=submit]").first.click()

    phone.wait_for_url("**/g/free-tickets/")  # back where the person started
    expect(phone.get_by_role("heading", name="First, two details")).to_be_visible()
    assert_accessible(phone)
    phone.get_by_label("Country you live in").fill("KR")
    phone.get_by_label("Date of birth").fill("1990-05-17")
    phone.get_by_role("button", name="Save and continue").click()

    expect(phone.get_by_text("You have 0 entries in this round.")).to_be_visible()
    assert_accessible(phone)
    assert_targets_large_enough(phone)
    phone.get_by_label("Code from the post").fill(" jeju 2026 ")
    phone.get_by_role("button", name="Enter the code").click()

    expect(phone.get_by_text("Done: +1 entry. You have 1 in this round.")).to_be_visible()
    expect(phone.get_by_text("You have 1 entry in this round.")).to_be_visible()
    assert Entry.objects.filter(participant__email="yuna@example.org").count() == 1
    screenshot(phone, "giveaway-after-entry.png")
    assert_accessible(phone)

    referral = phone.locator("#referral-link").input_value()
    parts = urlsplit(referral)
    assert parts.path == "/g/free-tickets/" and parts.query.startswith("ref=")

    friend_context, friend = open_page(chromium, live_server, IPHONE)
    try:
        friend.goto(f"{parts.path}?{parts.query}")
        expect(friend.get_by_text("A friend sent you this giveaway.")).to_be_visible()
        friend.goto(parts.path)  # remembered in the friend's session, not only in the address
        expect(friend.get_by_text("A friend sent you this giveaway.")).to_be_visible()
        expect(friend.get_by_role("link", name="Sign up to enter")).to_be_visible()
        assert_accessible(friend)
    finally:
        friend_context.close()
