"""Tracking links: where a click is sent, and finding the link behind a click.

The rules for safe destinations and link codes live in campaigns/destinations.py
(no models there, so the models can use them); this module may use the models.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse

from campaigns.destinations import destination_problem
from campaigns.models import Campaign, TrackingLink
from common.recent import RecentCache


def redirect_url(link, *, extra_parameters):
    """The link's destination with the campaign's UTM values added (existing ones in the URL win)."""
    campaign = link.campaign
    parameters = {
        "utm_source": campaign.utm_source or link.account.slug,
        "utm_medium": campaign.utm_medium or link.channel,
        "utm_campaign": campaign.utm_campaign_value,
        "utm_content": link.label or link.channel,
        **extra_parameters,
    }
    # A blank destination is the campaign's own landing page, resolved now so it follows slug changes.
    # A link in this process's short cache still carries the slug it was loaded with, for at most
    # TRACKING_LINK_CACHE_SECONDS after a rename; the old slug is retired, so its page answers a 301.
    destination = link.destination_url or reverse("campaigns:landing", args=[campaign.slug])
    parts = urlsplit(destination)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for name, value in parameters.items():
        if value:
            query.setdefault(name, value)
    return urlunsplit(parts._replace(query=urlencode(query)))


# --- finding the link behind a click --------------------------------------------------------

# Each web process keeps recently clicked links for a few seconds (TRACKING_LINK_CACHE_SECONDS):
# a viral post sends thousands of clicks to one code, and the lookup would otherwise double
# the database work of every click. Switching a link off, deactivating its account or removing
# the account from the campaign's co-running accounts therefore takes that long to apply.
recent_links = RecentCache()


def find_clickable_link(code):
    """The active, safe link for `code` with its campaign and account loaded, or None.

    A link is clickable while it is switched on, its campaign is not a draft, and its account is active and
    still runs the campaign (the owner or a co-running account). One query, or none while this process has
    the link cached: the link's account is then known to run the campaign, which `record_touch()` relies on
    (`checked_running_account_ids`) so a click costs nothing but its INSERT.
    """
    cached = recent_links.get(code)
    if cached is not None:
        return cached
    co_running = Campaign.co_accounts.through.objects.filter(campaign_id=OuterRef("campaign_id"),
                                                             brandaccount_id=OuterRef("account_id"))
    rows = (TrackingLink.objects.select_related("campaign", "account")
            .only("campaign_id", "account_id", "destination_url", "channel", "label", "active",
                  "campaign__slug", "campaign__status", "campaign__utm_source", "campaign__utm_medium",
                  "campaign__utm_campaign", "account__slug")
            .filter(Q(campaign__owner_account_id=F("account_id")) | Exists(co_running),
                    code=code, active=True, account__active=True)
            .order_by()[:1])
    link = next(iter(rows), None)
    if link is not None and link.campaign.status == Campaign.Status.DRAFT:
        link = None
    # Checked again here, not only when saved, in case LINK_ALLOWED_HOSTS has changed since.
    if link is not None and link.destination_url and destination_problem(link.destination_url):
        link = None
    if link is not None:
        link.campaign.checked_running_account_ids = frozenset({link.account_id})
        recent_links.put(code, link, seconds=settings.TRACKING_LINK_CACHE_SECONDS)
    return link
