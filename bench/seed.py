"""Seeding for the HTTP benchmarks; run inside `manage.py shell` by bench/*.py."""

import datetime

from django.utils import timezone

from accounts.models import BrandAccount, SocialHandle
from bench.benchsite.models import BarePage
from campaigns.models import Campaign, TrackingLink


def seed_campaign(*, co_accounts=1):
    now = timezone.now()
    owner = BrandAccount.objects.create(name="Bench Air", slug="bench-air", timezone="Asia/Seoul", currency="KRW")
    SocialHandle.objects.create(account=owner, platform="x", handle="bench_air")
    campaign = Campaign.objects.create(
        owner_account=owner, name="Bench campaign", slug="bench", status=Campaign.Status.LIVE,
        starts_at=now - datetime.timedelta(days=1), ends_at=now + datetime.timedelta(days=30),
        headline="Ten years, ten free tickets", body="Complete missions to enter.\n\nWinners on the 10th.",
    )
    for number in range(co_accounts):
        account = BrandAccount.objects.create(name=f"Bench Deals {number}", slug=f"bench-deals-{number}")
        SocialHandle.objects.create(account=account, platform="x", handle=f"bench_deals_{number}")
        campaign.co_accounts.add(account)
    link = TrackingLink.objects.create(campaign=campaign, account=owner, destination_url="/c/bench/")
    page = BarePage.objects.create(headline=campaign.headline, body=campaign.body)
    return campaign, link, page
