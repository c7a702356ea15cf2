"""Demo referral offers for Hanbit Air's deals account: destinations whose price drops as friends book together.

Idempotent like the other loaders (found by slug). Everything goes through the real rules —
start_group(), record_purchase() with `at` in the past, record_refund(), the hold sweep and
settle_offer() — so the demo's counters and ledger are exactly what customers would produce.

- "Fly together" (open, 7-day refund hold): Yuna's Jeju group with friends of friends down to
  generation 3; Haruto's Osaka group, where his own purchase does not count (self-referral);
  Daniel's Da Nang group, pulled back a tier by a refund; Seoyeon's group, just started.
- "Spring fares together" (ended and settled): one group whose rebates are final.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import BrandAccount, User
from campaigns.demo import demo_hero
from campaigns.models import Campaign
from promotions import referrals
from promotions.giveaways import participant_for
from promotions.models import ReferralItem, ReferralOffer, ReferralTier

OPEN_SLUG = "hanbit-fly-together"
SETTLED_SLUG = "hanbit-spring-fares-together"
DAY = datetime.timedelta(days=1)

DESTINATIONS = [  # name, SKU, list price (KRW), colour
    ("Seoul → Jeju, return", "HB-JEJU-RT", "129000.00", "#1F4E8C"),
    ("Seoul → Osaka, return", "HB-KIX-RT", "289000.00", "#8C1F4E"),
    ("Seoul → Da Nang, return", "HB-DAD-RT", "389000.00", "#1F8C6A"),
]
TIERS = [(2, "5"), (4, "10"), (6, "15"), (10, "20")]


def make_offer(*, campaign, deals, slug, title, starts_at, ends_at, hold_days, items):
    offer = ReferralOffer.objects.create(
        campaign=campaign, account=deals, slug=slug, title=title, currency="KRW", max_discount_percent="20",
        budget="5000000.00", starts_at=starts_at, ends_at=ends_at, hold_days=hold_days,
        description="Pick a destination and share it. Every friend who books it through your link lowers the "
                    "fare for the whole group — earlier bookers get the difference back after the offer closes.")
    for position, (name, sku, price, colour) in enumerate(items):
        renditions = demo_hero(colour)
        item = ReferralItem(offer=offer, name=name, sku=sku, base_price=price, position=position,
                            booking_url=f"https://www.hanbit-air.example/book/{sku.lower()}",
                            image_alt=f"A sky gradient over a runway, for {name}")
        item.image_card.save(renditions["card"].name, renditions["card"], save=False)
        item.image_mobile.save(renditions["mobile"].name, renditions["mobile"], save=False)
        item.save()
    for size, percent in TIERS:
        ReferralTier.objects.create(offer=offer, min_members=size, discount_percent=percent)
    offer.refresh_from_db()  # Decimals as the database gives them, not the strings above
    return offer


def customer(email, at):
    return participant_for(user=User.objects.get(email=email), at=at)


def buy(code, email, order, price, at, **facts):
    outcome = referrals.record_purchase(order_reference=order, amount=price, currency="KRW", email=email,
                                        referral_code=code, at=at, source="hanbit-web", **facts)
    if outcome.member is None:
        raise RuntimeError(f"The demo purchase {order} joined nothing: {outcome.message}")
    return outcome.member


@transaction.atomic
def load_referral_demo(*, at=None):
    """Create the demo's referral offers, groups, purchases, a refund and a settled offer; {"created": bool}."""
    at = at or timezone.now()
    if ReferralOffer.objects.filter(slug=OPEN_SLUG).exists():
        return {"created": False}
    campaign = Campaign.objects.get(slug="hanbit-10th-anniversary")
    deals = BrandAccount.objects.get(slug="hanbit-air-deals")
    start = min(campaign.starts_at, at - 30 * DAY)

    offer = make_offer(campaign=campaign, deals=deals, slug=OPEN_SLUG, title="Fly together: cheaper for all",
                       starts_at=start, ends_at=campaign.ends_at, hold_days=7, items=DESTINATIONS)
    jeju, osaka, danang = offer.items.order_by("position")
    price = {item.pk: str(item.base_price) for item in (jeju, osaka, danang)}

    # Yuna's Jeju group: friends, their friends and theirs (generations 1–3); all past their hold.
    yuna = referrals.start_group(offer=offer, item=jeju, participant=customer("yuna@customer.example", start),
                                 at=start + DAY)
    minji = buy(yuna.code, "minji@friends.example", "HB-10001", price[jeju.pk], start + 2 * DAY)
    buy(yuna.code, "jisoo@friends.example", "HB-10002", price[jeju.pk], start + 2 * DAY)
    taeho = buy(minji.share_code, "taeho@friends.example", "HB-10003", price[jeju.pk], start + 3 * DAY)
    buy(minji.share_code, "hana@friends.example", "HB-10004", price[jeju.pk], start + 4 * DAY)
    buy(taeho.share_code, "woojin@friends.example", "HB-10005", price[jeju.pk], start + 5 * DAY)
    # One more, this week: still in its refund hold, so the page says it will count.
    buy(yuna.code, "sena@friends.example", "HB-10006", price[jeju.pk], at - DAY)

    # Haruto's Osaka group: his own booking does not count (self-referral); two friends' do.
    haruto = referrals.start_group(offer=offer, item=osaka, participant=customer("haruto@customer.example", start),
                                   at=start + 3 * DAY)
    buy(haruto.code, "haruto@customer.example", "HB-20001", price[osaka.pk], start + 3 * DAY)
    buy(haruto.code, "kenji@friends.example", "HB-20002", price[osaka.pk], start + 4 * DAY)
    buy(haruto.code, "aiko@friends.example", "HB-20003", price[osaka.pk], start + 6 * DAY)

    # Daniel's Da Nang group reached 10 %, then a refund pulled it back to 5 %.
    daniel = referrals.start_group(offer=offer, item=danang, participant=customer("daniel@customer.example", start),
                                   at=start + 2 * DAY)
    for number, email in enumerate(["mark@friends.example", "sujin@friends.example", "lee@friends.example",
                                    "park@friends.example"]):
        buy(daniel.code, email, f"HB-3000{number + 1}", price[danang.pk], start + (3 + number) * DAY)
    referrals.confirm_due_members(at=start + 14 * DAY)
    referrals.record_refund(order_reference="HB-30004", refunded_total=price[danang.pk], at=start + 15 * DAY,
                            source="hanbit-web")

    # Seoyeon has just started hers.
    referrals.start_group(offer=offer, item=jeju, participant=customer("seoyeon@customer.example", start),
                          at=at - datetime.timedelta(hours=3))
    referrals.confirm_due_members(at=at)

    # An earlier offer, ended and settled: its rebates are final.
    spring_start, spring_end = start - 40 * DAY, start - 10 * DAY
    spring = make_offer(campaign=campaign, deals=deals, slug=SETTLED_SLUG, title="Spring fares together",
                        starts_at=spring_start, ends_at=spring_end, hold_days=3, items=DESTINATIONS[:1])
    item = spring.items.get()
    group = referrals.start_group(offer=spring, item=item, participant=customer("yuna@customer.example", start),
                                  at=spring_start + DAY)
    for number in range(6):
        buy(group.code, f"spring{number + 1}@friends.example", f"HB-4000{number + 1}", str(item.base_price),
            spring_start + (2 + number) * DAY)
    referrals.settle_offer(offer=spring, at=spring.settles_at)
    return {"created": True}
