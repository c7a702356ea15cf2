"""Demo sales for Hanbit Air's web shop: an ordinary baseline, then the anniversary campaign's window.

Idempotent (found by the source's key). Every sale goes through the real ingest — signed facts read by
`events.read_event`, stored in the inbox, applied, credited — so lift, credit and exports show exactly
what a real shop's events would give. The figures are drawn from a seeded random generator, so every
demo is the same relative to its start date:

- the `baseline_days` before the campaign: ordinary days, busier at weekends, all in KRW;
- the campaign window up to now: more orders, about a third after a click on one of the campaign's
  tracking links (main and deals accounts) a few hours to days before, and the giveaway days (the
  10th) at roughly seven times an ordinary day;
- a few orders from the international site in USD (amounts are never summed across currencies),
  and a few refunds, one arriving before its sale.
"""

import datetime
import random
import uuid
import zoneinfo
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import BrandAccount
from attribution import events, ingest, sources
from attribution.models import InboxEvent, SalesSource
from campaigns.models import Campaign, Touch
from campaigns.schedules import to_local
from campaigns.touches import TouchFacts, record_touch

SOURCE_KEY = "hanbit-web-shop"
CAMPAIGN_SLUG = "hanbit-10th-anniversary"
SEED = 20261110
FARES = [Decimal(fare) for fare in ("89000", "129000", "159000", "219000", "289000", "389000")]
DAY = datetime.timedelta(days=1)


def orders_on(day, rng, *, in_window):
    """How many orders a local day gets: weekends busier, campaign days more, the 10th a giveaway day."""
    ordinary = 4 + (2 if day.weekday() >= 5 else 0)
    if not in_window:
        return ordinary + rng.randint(-1, 1)
    if day.day == 10:
        return 7 * ordinary + rng.randint(-2, 2)
    return ordinary + 3 + rng.randint(-1, 2)


def deliver(source, event, at):
    facts = events.read_event(event, now=at)
    return ingest.receive_event(source=source, facts=facts, via=InboxEvent.Via.WEBHOOK, at=at, apply_now=True)


@transaction.atomic  # all or nothing: a half-loaded demo would be skipped as "already there" next time
def load_sales_demo(*, at=None):
    at = at or timezone.now()
    if SalesSource.objects.filter(key=SOURCE_KEY).exists():
        return {"created": False}
    main = BrandAccount.objects.get(slug="hanbit-air")
    campaign = Campaign.objects.get(slug=CAMPAIGN_SLUG)
    shop = sources.create_source(account=main, name="Web shop", key=SOURCE_KEY, at=at)
    links = list(campaign.links.filter(active=True).select_related("account"))
    rng = random.Random(SEED)
    zone = main.timezone
    local_zone = zoneinfo.ZoneInfo(zone)
    first_day = to_local(campaign.starts_at, zone).date() - datetime.timedelta(days=campaign.baseline_days)
    today = to_local(at, zone).date()
    number = 0
    day = first_day
    while day <= today:
        in_window = campaign.starts_at <= datetime.datetime.combine(day, datetime.time(12), local_zone)
        for _ in range(max(orders_on(day, rng, in_window=in_window), 0)):
            number += 1
            moment = datetime.datetime.combine(day, datetime.time(rng.randint(7, 22), rng.randint(0, 59)),
                                               local_zone)
            if moment >= at:
                continue
            order = f"HB-{number:05d}"
            visitor = uuid.uuid5(uuid.NAMESPACE_URL, f"chorus-demo-visitor-{number}")
            if in_window and links and rng.random() < 0.35:
                link = rng.choice(links)
                clicked = moment - datetime.timedelta(hours=rng.randint(1, 72))
                if clicked >= campaign.starts_at:
                    record_touch(visitor_id=visitor, campaign=campaign, account=link.account, link=link,
                                 kind=Touch.Kind.LINK_CLICK, facts=TouchFacts(), at=clicked)
            usd = rng.random() < 0.05
            amount = f"{rng.choice((129, 189, 249))}.00" if usd else str(rng.choice(FARES))
            event = {"id": f"evt_{order}", "type": "order.paid", "source": SOURCE_KEY, "order_id": order,
                     "occurred_at": moment.isoformat(), "amount": amount, "currency": "USD" if usd else "KRW",
                     "customer_email": f"traveller{number}@example.com", "visitor_id": str(visitor)}
            refund = rng.random() < 0.03
            if refund and rng.random() < 0.5:  # the refund reaches us first; the sale still ends up right
                deliver(shop, refund_event(order, amount, usd, moment, at), at)
                refund = False
            deliver(shop, event, at)
            if refund:
                deliver(shop, refund_event(order, amount, usd, moment, at), at)
        day += DAY
    return {"created": True}


def refund_event(order, amount, usd, moment, at):
    part = (Decimal(amount) / 2).quantize(Decimal("0.01") if usd else Decimal(1))
    return {"id": f"evt_refund_{order}", "type": "order.refunded", "source": SOURCE_KEY, "order_id": order,
            "occurred_at": min(moment + datetime.timedelta(hours=5), at).isoformat(), "amount": str(part),
            "currency": "USD" if usd else "KRW"}
