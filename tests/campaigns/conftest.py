import datetime

import pytest

from campaigns.models import Campaign, TrackingLink

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
