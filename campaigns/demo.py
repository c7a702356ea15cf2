"""Demo campaigns for Hanbit Air: the 10th-anniversary push co-run by the main and deals accounts.

Idempotent like accounts/demo.py: campaigns are found by slug, so a second
run changes nothing. Dates are relative to `at`, so the anniversary campaign
is live whenever the demo is loaded.
"""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageColor, ImageDraw

from accounts.images import MOBILE, SOCIAL_CARD, render_image
from accounts.models import BrandAccount, User
from campaigns.models import Campaign, TrackingLink
from campaigns.running import add_tracking_link, set_co_accounts
from campaigns.schedules import advance_due_campaigns, to_local, to_utc
from campaigns.status import change_status

ANNIVERSARY_BODY = """Hanbit Air turns ten this year, and we are celebrating with you.

On the 10th of every month we give away return tickets to anywhere we fly. \
Complete the missions our accounts post to earn entries: the more missions, the more chances.

Follow @hanbitair for the missions and @hanbitair_deals for the anniversary fares."""

JEJU_BODY = """Winter on Jeju: hourly shuttles from Gimpo, and seats from ₩19,900 for the first week of January.

Share the sale with friends: the more of you book the same flight, the lower the fare goes for everyone."""


def demo_hero(colour):
    """A generated hero picture (sky gradient and a runway of lights), through the real image pipeline."""
    width, height = 1600, 900
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    top, bottom = ImageColor.getrgb(colour), (255, 214, 170)
    for y in range(height):
        share = y / height
        colour_at_y = tuple(round(a + (b - a) * share) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (width, y)], fill=colour_at_y)
    for step in range(12):
        x = width // 2 + (step - 6) * 90
        draw.ellipse([x - 6, height - 120 - step * 4, x + 6, height - 108 - step * 4], fill=(255, 250, 220))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return render_image(upload=SimpleUploadedFile("hero.png", buffer.getvalue()), renditions=[SOCIAL_CARD, MOBILE])


def local_midnight(day, tz_name):
    return to_utc(datetime.datetime.combine(day, datetime.time()), tz_name)


@transaction.atomic
def load_campaign_demo(*, at=None):
    at = at or timezone.now()
    main = BrandAccount.objects.get(slug="hanbit-air")
    deals = BrandAccount.objects.get(slug="hanbit-air-deals")
    jeju = BrandAccount.objects.get(slug="hanbit-jeju-shuttle")
    alice = User.objects.get(email="alice@hanbit-air.example")
    mina = User.objects.get(email="mina@hanbit-air.example")
    today = to_local(at, main.timezone).date()
    month_start = today.replace(day=1)

    anniversary, created = Campaign.objects.get_or_create(slug="hanbit-10th-anniversary", defaults={
        "owner_account": main, "name": "10th anniversary giveaways",
        "headline": "Ten years of Hanbit Air: win free tickets on the 10th of every month",
        "body": ANNIVERSARY_BODY, "utm_source": "", "utm_campaign": "anniversary10",
        # Under way since last month, so the giveaway demo has a round already drawn.
        "starts_at": local_midnight((month_start - datetime.timedelta(days=1)).replace(day=1), main.timezone),
        "ends_at": local_midnight(month_start + datetime.timedelta(days=183), main.timezone),
        "created_by": alice, "updated_by": alice,
    })
    if created:
        hero = demo_hero(main.brand_colour)
        anniversary.hero_card.save(hero["card"].name, hero["card"], save=False)
        anniversary.hero_mobile.save(hero["mobile"].name, hero["mobile"], save=False)
        anniversary.hero_alt = "An evening sky over a runway lined with lights"
        anniversary.save()
        set_co_accounts(campaign=anniversary, accounts=[deals])
        Platform, Channel = TrackingLink.Platform, TrackingLink.Channel
        links = [
            (main, Platform.X, Channel.POST, "launch post"),
            (main, Platform.INSTAGRAM, Channel.PROFILE, "bio link"),
            (deals, Platform.X, Channel.POST, "anniversary fares"),
            (deals, Platform.INSTAGRAM, Channel.STORY, "countdown"),
        ]
        for account, platform, channel, label in links:
            add_tracking_link(campaign=anniversary, account=account, platform=platform, channel=channel, label=label)
        change_status(campaign=anniversary, to=Campaign.Status.SCHEDULED, by=alice, at=at,
                      note="demo: scheduled by Alice")

    next_month = (month_start + datetime.timedelta(days=32)).replace(day=1)
    jeju_sale, created = Campaign.objects.get_or_create(slug="jeju-winter-seat-sale", defaults={
        "owner_account": jeju, "name": "Jeju winter seat sale",
        "headline": "Jeju from ₩19,900: the more friends book, the lower it goes",
        "body": JEJU_BODY,
        "starts_at": local_midnight(next_month, jeju.timezone),
        "ends_at": local_midnight(next_month + datetime.timedelta(days=14), jeju.timezone),
        "created_by": mina, "updated_by": mina,
    })
    if created:
        add_tracking_link(campaign=jeju_sale, account=jeju, platform=TrackingLink.Platform.X,
                          channel=TrackingLink.Channel.POST, label="teaser")
        change_status(campaign=jeju_sale, to=Campaign.Status.SCHEDULED, by=mina, at=at, note="demo")

    Campaign.objects.get_or_create(slug="skypoints-double-week", defaults={
        "owner_account": BrandAccount.objects.get(slug="hanbit-skypoints"), "name": "SkyPoints double week",
        "headline": "Double SkyPoints on every flight this week", "body": "Draft: dates to be agreed with finance.",
        "created_by": mina, "updated_by": mina,
    })
    advance_due_campaigns(at=at)
