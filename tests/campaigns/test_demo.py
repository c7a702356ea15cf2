import pytest
from django.core.management import call_command

from accounts.models import BrandAccount
from campaigns.models import Campaign, CampaignEvent, TrackingLink


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_demo_has_the_anniversary_campaign_co_run_by_main_and_deals_with_links_per_account(db):
    call_command("demo")
    anniversary = Campaign.objects.get(slug="hanbit-10th-anniversary")
    assert anniversary.status == Campaign.Status.LIVE
    assert anniversary.owner_account.slug == "hanbit-air"
    assert list(anniversary.co_accounts.values_list("slug", flat=True)) == ["hanbit-air-deals"]
    link_accounts = set(anniversary.links.values_list("account__slug", flat=True))
    assert link_accounts == {"hanbit-air", "hanbit-air-deals"}
    assert (anniversary.hero_card.width, anniversary.hero_card.height) == (1200, 630)


def test_running_the_demo_twice_changes_nothing(db):
    call_command("demo")
    counts = [model.objects.count() for model in (BrandAccount, Campaign, TrackingLink, CampaignEvent)]
    call_command("demo")
    assert [model.objects.count() for model in (BrandAccount, Campaign, TrackingLink, CampaignEvent)] == counts


def test_the_demo_command_lives_in_the_top_most_app_and_loads_every_apps_part():
    from django.core.management import get_commands

    from attribution.management.commands.demo import LOADERS
    from campaigns.demo import load_campaign_demo
    from promotions.demo import load_promotions_demo

    assert get_commands()["demo"] == "attribution"
    assert LOADERS.index(load_campaign_demo) < LOADERS.index(load_promotions_demo)
