"""What the public pages say about a giveaway's timing, and promotions' part of the campaign landing page.

The campaign page (`/c/<slug>/`, campaigns/views/landing.py) knows nothing of promotions: promotions adds
`giveaways_on_landing_page` and `offers_on_landing_page` to it from `PromotionsConfig.ready()`. Those parts
are rendered into the anonymous page every visitor shares, so they hold nothing personal, and each costs a
fixed number of queries whatever the number of giveaways (the giveaways, their open rounds) or offers (the
offers, their items, their tiers); windows are computed from the campaign already loaded.
"""

import datetime
from dataclasses import dataclass

from django.template.loader import render_to_string

from campaigns.models import Campaign
from campaigns.schedules import to_local
from promotions import rounds
from promotions.giveaways import current_rounds_for
from promotions.models import Giveaway, ReferralOffer
from promotions.tiers import price_at

Status = Campaign.Status


@dataclass(frozen=True)
class Timing:
    """Where a giveaway stands at a moment, in the owner's wall-clock time.

    state is "open" (taking entries until `closes_local`), "upcoming" (next round opens at `opens_local`),
    "paused" (the campaign is paused; `closes_local` if a round is running) or "ended" (no round left).
    """

    state: str
    zone: str
    closes_local: datetime.datetime | None = None
    opens_local: datetime.datetime | None = None

    @property
    def is_open(self):
        return self.state == "open"


def zone_name(tz_name):
    """“Asia/Seoul” → “Seoul”: what people call the clock (“closes 2 Dec 10:00 Seoul time”)."""
    return tz_name.rsplit("/", 1)[-1].replace("_", " ")


def timing(giveaway, *, at, current=None):
    """The giveaway's Timing at `at`. `current` is its open Round if the caller loaded it (its window wins:
    a schedule edited mid-round applies from the next round)."""
    campaign = giveaway.campaign
    tz_name = campaign.owner_account.timezone
    zone = zone_name(tz_name)
    if campaign.has_ended():
        return Timing("ended", zone)
    try:
        if current is not None and current.opens_at <= at < current.closes_at:
            window = current
        else:
            window = rounds.window_at(giveaway, at)
        upcoming = None if window else rounds.next_window(giveaway, at)
    except ValueError:  # a schedule the admin will flag (e.g. a one-off round without a date): nothing to enter
        return Timing("ended", zone)
    closes_local = window and to_local(window.closes_at, tz_name)
    if campaign.status == Status.PAUSED:
        return Timing("paused", zone, closes_local=closes_local)
    if window is not None and campaign.status != Status.SCHEDULED:
        return Timing("open", zone, closes_local=closes_local)
    if window is not None:  # scheduled, and the sweep has not started it yet: it opens any moment
        return Timing("upcoming", zone, opens_local=to_local(window.opens_at, tz_name))
    if upcoming is not None:
        return Timing("upcoming", zone, opens_local=to_local(upcoming.opens_at, tz_name))
    return Timing("ended", zone)


def giveaways_on_landing_page(campaign, *, at, preview, accepting_entries):
    """The campaign's giveaways for its landing page (registered with campaigns' add_to_landing_page)."""
    giveaways = list(Giveaway.objects.filter(campaign=campaign).order_by("title", "pk"))
    if not giveaways:
        return ""
    open_rounds = current_rounds_for([giveaway.pk for giveaway in giveaways], at)
    shown = []
    for giveaway in giveaways:
        giveaway.campaign = campaign  # the page's campaign, already loaded: no query per giveaway
        shown.append((giveaway, timing(giveaway, at=at, current=open_rounds.get(giveaway.pk))))
    return render_to_string("promotions/_landing_giveaways.html", {
        "giveaways": shown, "preview": preview, "accepting_entries": accepting_entries,
    })


def offers_on_landing_page(campaign, *, at, preview, accepting_entries):
    """The campaign's referral offers for its landing page: three queries (offers, items, tiers), whatever
    their number (registered with campaigns' add_to_landing_page)."""
    offers = list(ReferralOffer.objects.filter(campaign=campaign).prefetch_related("items", "tiers")
                  .order_by("title", "pk"))
    if not offers:
        return ""
    shown = []
    for offer in offers:
        items = list(offer.items.all())
        deepest = max((min(tier.discount_percent, offer.max_discount_percent) for tier in offer.tiers.all()),
                      default=0)
        lowest = min((price_at(item.base_price, deepest) for item in items), default=None)
        # "Start a group" only where one can start (referrals.offer_problem(), the campaign's status apart).
        startable = (offer.starts_at <= at < offer.ends_at and offer.settled_at is None
                     and offer.budget_reached_at is None and offer.liability < offer.budget)
        shown.append((offer, items, lowest, startable))
    return render_to_string("promotions/_landing_offers.html", {
        "offers": shown, "preview": preview, "accepting_entries": accepting_entries,
    })
