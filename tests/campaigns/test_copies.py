"""Duplicating a campaign as a draft: the copy's links lead to the copy, not to the original."""

from campaigns.copies import duplicate_campaign, free_slug
from campaigns.links import redirect_url
from campaigns.models import Campaign, RetiredSlug, TrackingLink
from campaigns.slugs import retire_slug
from tests.campaigns.conftest import DAY, NOW, make_campaign

Status = Campaign.Status


def copy_of_links(campaign, alice, destinations):
    for number, destination in enumerate(destinations):
        TrackingLink.objects.create(campaign=campaign, account=campaign.owner_account, label=f"link {number}",
                                    destination_url=destination, platform=TrackingLink.Platform.INSTAGRAM)
    copy = duplicate_campaign(campaign=campaign, by=alice, at=NOW)
    return dict(copy.links.values_list("label", "destination_url")), copy


def test_it_points_links_to_the_original_page_at_the_copys_page(live_campaign, alice, main_account):
    other = make_campaign(main_account, slug="other", status=Status.LIVE, starts_at=NOW, ends_at=NOW + DAY)
    destinations, copy = copy_of_links(live_campaign, alice, [
        "", "/c/live-now/", "/c/live-now/?utm_content=story#prizes", f"/c/{other.slug}/", "/shop/",
    ])
    assert destinations == {
        "link 0": "", "link 1": "", "link 2": "",  # blank: the copy's own page, whatever its slug becomes
        "link 3": "/c/other/", "link 4": "/shop/",  # somewhere else on purpose: kept
    }


def test_it_points_links_to_a_retired_slug_of_the_original_at_the_copys_page(live_campaign, alice):
    old_slug, live_campaign.slug = live_campaign.slug, "summer"
    live_campaign.save(update_fields=["slug"])
    retire_slug(campaign=live_campaign, old_slug=old_slug, at=NOW)
    destinations, _ = copy_of_links(live_campaign, alice, ["/c/live-now/", "/c/summer/"])
    assert destinations == {"link 0": "", "link 1": ""}


def test_it_points_the_full_address_of_the_original_page_at_the_copys_page(live_campaign, alice, settings):
    settings.PUBLIC_BASE_URL = "https://chorus.example.com"
    settings.LINK_ALLOWED_HOSTS = ["chorus.example.com", "shop.example.com"]
    destinations, _ = copy_of_links(live_campaign, alice, [
        "https://chorus.example.com/c/live-now/", "https://shop.example.com/c/live-now/",
    ])
    assert destinations == {"link 0": "", "link 1": "https://shop.example.com/c/live-now/"}


def test_it_sends_a_click_on_the_copys_link_to_the_copys_page(live_campaign, alice):
    _, copy = copy_of_links(live_campaign, alice, ["/c/live-now/"])
    copy.slug = "winter"
    copy.save(update_fields=["slug"])
    link = TrackingLink.objects.select_related("campaign", "account").get(campaign=copy)
    assert redirect_url(link, extra_parameters={}).startswith("/c/winter/?")


def test_it_copies_each_links_platform(live_campaign, alice):
    _, copy = copy_of_links(live_campaign, alice, [""])
    assert copy.links.get().platform == TrackingLink.Platform.INSTAGRAM


def test_it_never_picks_a_slug_kept_for_old_links(live_campaign):
    RetiredSlug.objects.create(campaign=live_campaign, slug="live-now-copy", retired_at=NOW)
    assert free_slug("live-now") == "live-now-copy-2"
