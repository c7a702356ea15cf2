"""Fixtures for the public pages, which read the clock: a live campaign and its offer around the real now
(the shared fixtures in conftest.py are built around NOW). Import them into a test module to use them."""

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from tests.campaigns.conftest import DAY, make_campaign
from tests.promotions.conftest import make_offer


@pytest.fixture
def campaign(main_account):
    now = timezone.now()
    return make_campaign(main_account, slug="fly", status=Campaign.Status.LIVE, starts_at=now - DAY,
                         ends_at=now + 10 * DAY)


@pytest.fixture
def offer(campaign):
    now = timezone.now()
    return make_offer(campaign, starts_at=now - DAY, ends_at=now + 10 * DAY)
