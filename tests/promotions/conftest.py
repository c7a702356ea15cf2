"""Giveaway fixtures: a live campaign of alice's main account with a daily giveaway and its missions.

NOW is 2026-12-01 03:00 UTC (12:00 in Seoul). The campaign runs from a day before to ten days after;
the giveaway's rounds open every day at 10:00 Seoul time (01:00 UTC) for 24 hours, so the round open at
NOW opened at 2026-12-01 01:00 UTC and closes at 2026-12-02 01:00 UTC.
"""

import datetime

import pytest

from accounts.models import User
from campaigns.models import Campaign
from promotions import referrals
from promotions.giveaways import EntryFacts, participant_for, save_details
from promotions.models import Giveaway, Mission, ReferralItem, ReferralOffer, ReferralTier
from tests.campaigns.conftest import DAY, HOUR, NOW, make_campaign

__all__ = ["DAY", "HOUR", "NOW", "make_giveaway", "make_mission", "make_person", "facts", "make_offer", "buy"]


def make_giveaway(campaign, *, slug="free-tickets", **fields):
    defaults = {
        "title": "Two tickets to Jeju", "prize_description": "Return flights for two.", "prize_value": "1200.00",
        "currency": "USD", "winners_per_round": 1, "alternates_per_round": 2, "recurrence": Giveaway.Recurrence.DAILY,
        "opens_at_local_time": datetime.time(10, 0), "window_hours": 24, "sponsor": "Alice Air Co., Seoul",
    }
    return Giveaway.objects.create(campaign=campaign, slug=slug, **{**defaults, **fields})


def make_mission(giveaway, kind=Mission.Kind.SECRET_CODE, **fields):
    defaults = {
        Mission.Kind.SECRET_CODE: {"title": "Find the code", "secret_code": "JEJU 2026"},
        Mission.Kind.QUIZ: {"title": "Quiz", "question": "Where?", "choices": "Jeju\nBusan\nSeoul",
                            "correct_choice": "Jeju"},
        Mission.Kind.PROOF_URL: {"title": "Share our post"},
        Mission.Kind.VISIT_LINK: {"title": "Visit the deals page"},
        Mission.Kind.REFER_FRIEND: {"title": "Bring a friend", "entries": 3},
        Mission.Kind.PURCHASE: {"title": "Book a flight", "entries": 5},
        Mission.Kind.DAILY_VISIT: {"title": "Come back tomorrow"},
        Mission.Kind.NEWSLETTER: {"title": "Get our newsletter"},
    }[kind]
    position = fields.pop("position", giveaway.missions.count())
    return Mission.objects.create(giveaway=giveaway, kind=kind, position=position, **{**defaults, **fields})


def make_person(email, *, country="KR", birth_date=datetime.date(1990, 5, 17)):
    """A signed-up customer (not staff, member of nothing) and their participant, eligible by default."""
    user = User.objects.create_user(email=email, password="correct horse battery staple")
    participant = participant_for(user=user, at=NOW)
    save_details(participant=participant, country=country, birth_date=birth_date)
    return participant


def facts(ip="203.0.113.7", agent="Mozilla/5.0 (iPhone)"):
    """EntryFacts as a request from `ip` with `agent` would give (no visitor cookie: no touch)."""
    from campaigns.touches import TouchFacts, hash_ip, keyed_hash, network_of

    return EntryFacts(touch=TouchFacts(ip_hash=hash_ip(ip)), network_hash=keyed_hash("network", network_of(ip)),
                      agent_hash=keyed_hash("agent", agent))


@pytest.fixture
def live_giveaway_campaign(main_account):
    return make_campaign(main_account, slug="anniversary", status=Campaign.Status.LIVE,
                         starts_at=NOW - DAY, ends_at=NOW + 10 * DAY)


@pytest.fixture
def giveaway(live_giveaway_campaign):
    return make_giveaway(live_giveaway_campaign)


@pytest.fixture
def code_mission(giveaway):
    return make_mission(giveaway, Mission.Kind.SECRET_CODE)


@pytest.fixture
def dana(db):
    return make_person("dana@gmail.com")


# --- referral offers ---

TIERS = ((2, "10"), (4, "20"), (6, "30"))


def make_offer(campaign, *, slug="fly-together", tiers=TIERS, base_price="200.00", **fields):
    """An offer of `campaign`'s owner account, open from a day before NOW to ten days after, with one item
    (Seoul → Jeju, SKU JEJU-RT, USD 200.00) and tiers 2 → 10 %, 4 → 20 %, 6 → 30 %; no refund hold."""
    defaults = {
        "account": campaign.owner_account, "title": "Fly together", "currency": "USD",
        "max_discount_percent": "50", "budget": "100000.00", "starts_at": NOW - DAY, "ends_at": NOW + 10 * DAY,
        "hold_days": 0,
    }
    offer = ReferralOffer.objects.create(campaign=campaign, slug=slug, **{**defaults, **fields})
    ReferralItem.objects.create(offer=offer, name="Seoul → Jeju", sku="JEJU-RT", base_price=base_price,
                                booking_url="https://shop.example.com/jeju")
    for size, percent in tiers:
        ReferralTier.objects.create(offer=offer, min_members=size, discount_percent=percent)
    offer.refresh_from_db()  # Decimals and datetimes as the database gives them, not the strings above
    return offer


def buy(code, email, order, amount="200.00", *, at=NOW, **facts):
    """A purchase through `code` (a group's or member's share code) as attribution's ingest would report it."""
    return referrals.record_purchase(order_reference=order, amount=amount, currency=facts.pop("currency", "USD"),
                                     email=email, referral_code=code, at=at, **facts)


@pytest.fixture
def offer(live_giveaway_campaign):
    return make_offer(live_giveaway_campaign)


@pytest.fixture
def group(offer, dana):
    """dana's group for the offer's one item."""
    return referrals.start_group(offer=offer, item=offer.items.get(), participant=dana, at=NOW)
