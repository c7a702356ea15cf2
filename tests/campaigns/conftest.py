import datetime

import pytest
from django.urls import reverse

from campaigns.models import Campaign, TrackingLink
from campaigns.schedules import to_local

NOW = datetime.datetime(2026, 12, 1, 3, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def make_campaign(account, *, slug="anniversary", status=Campaign.Status.DRAFT, starts_at=None, ends_at=None,
                  **fields):
    return Campaign.objects.create(
        owner_account=account, name=fields.pop("name", slug.replace("-", " ").title()), slug=slug, status=status,
        starts_at=starts_at, ends_at=ends_at, headline=fields.pop("headline", "Ten years, ten free tickets"),
        body=fields.pop("body", "Complete missions to enter."), **fields,
    )


@pytest.fixture
def campaign(main_account):
    return make_campaign(main_account, starts_at=NOW + DAY, ends_at=NOW + 10 * DAY)


@pytest.fixture
def live_campaign(main_account):
    return make_campaign(main_account, slug="live-now", status=Campaign.Status.LIVE,
                         starts_at=NOW - DAY, ends_at=NOW + 10 * DAY)


@pytest.fixture
def link(live_campaign, main_account):
    return TrackingLink.objects.create(campaign=live_campaign, account=main_account, channel="post",
                                       label="launch", destination_url="/c/live-now/")


def change_url(campaign):
    """The campaign's page in the admin."""
    return reverse("admin:campaigns_campaign_change", args=[campaign.pk])


def campaign_page_post(campaign, *, links=(), **fields):
    """What the campaign page posts back: the campaign as the page shows it (local times), plus link rows.

    `links` are dicts of link fields, existing rows (with "id") first; `fields` override the campaign's.
    """
    tz_name = campaign.owner_account.timezone

    def local(instant):
        return f"{to_local(instant, tz_name):%Y-%m-%d %H:%M}" if instant else ""

    data = {
        "owner_account": campaign.owner_account_id,
        "co_accounts": [account.pk for account in campaign.co_accounts.all()],
        "name": campaign.name, "slug": campaign.slug,
        "starts_local": local(campaign.starts_at), "ends_local": local(campaign.ends_at),
        "headline": campaign.headline, "body": campaign.body, "hero_alt": campaign.hero_alt,
        "utm_source": campaign.utm_source, "utm_medium": campaign.utm_medium,
        "utm_campaign": campaign.utm_campaign, "baseline_days": str(campaign.baseline_days),
        "attribution_lookback_days": str(campaign.attribution_lookback_days),
        "links-TOTAL_FORMS": str(len(links)), "links-INITIAL_FORMS": str(sum("id" in row for row in links)),
        "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0",
    }
    for index, row in enumerate(links):
        defaults = {"campaign": campaign.pk, "platform": "other", "channel": "post", "label": "",
                    "destination_url": "", "active": "on"}
        data.update({f"links-{index}-{name}": value for name, value in {**defaults, **row}.items()})
    data.update(fields)
    return data
