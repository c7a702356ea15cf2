"""Duplicating a campaign: a new draft with the same content, accounts and links."""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignEvent, RetiredSlug, TrackingLink


def free_slug(base):
    """`base-copy`, then `base-copy-2`, … : the first slug no campaign uses now or used before a rename."""
    stem = f"{base[:70]}-copy"
    taken = {*Campaign.objects.filter(slug__startswith=stem).values_list("slug", flat=True),
             *RetiredSlug.objects.filter(slug__startswith=stem).values_list("slug", flat=True)}
    if stem not in taken:
        return stem
    number = 2
    while f"{stem}-{number}" in taken:
        number += 1
    return f"{stem}-{number}"


def own_page_paths(campaign):
    """The paths that reach `campaign`'s landing page: its current slug and every retired one."""
    slugs = [campaign.slug, *campaign.retired_slugs.values_list("slug", flat=True)]
    return {reverse("campaigns:landing", args=[slug]) for slug in slugs}


def copied_destination(destination, *, own_paths):
    """A link's destination in the copy: blank (the copy's own page, resolved at click time) if it led to
    the original's page, by path or by this site's full address; other destinations are kept.

    A query string or fragment on the original's page goes too: the copy's UTM values apply, and
    sending the copy's visitors to the old campaign would be worse than losing a hand-made parameter.
    """
    if not destination:
        return ""
    parts = urlsplit(destination)
    site = urlsplit(getattr(settings, "PUBLIC_BASE_URL", "") or "")
    on_this_site = not parts.netloc or (parts.scheme in {"http", "https"} and site.netloc
                                        and parts.netloc.lower() == site.netloc.lower())
    if on_this_site and parts.path in own_paths:
        return ""
    return destination


@transaction.atomic
def duplicate_campaign(*, campaign, by, at=None):
    """Copy `campaign` as a draft (same dates, content, co-running accounts and links, new link codes).

    Links that led to the original's own page lead to the copy's page: a copy is made to run again,
    and its posts must not send people to the old campaign. Other destinations are kept.
    """
    at = at or timezone.now()
    copy = Campaign.objects.get(pk=campaign.pk)
    copy.pk = None
    copy.name = f"Copy of {campaign.name}"[:120]
    copy.slug = free_slug(campaign.slug)
    copy.status = Campaign.Status.DRAFT
    copy.created_by = copy.updated_by = by
    copy.save()
    copy.co_accounts.set(campaign.co_accounts.all())
    own_paths = own_page_paths(campaign)
    TrackingLink.objects.bulk_create(
        TrackingLink(campaign=copy, account_id=link.account_id, platform=link.platform, channel=link.channel,
                     label=link.label, active=link.active,
                     destination_url=copied_destination(link.destination_url, own_paths=own_paths))
        for link in campaign.links.all()
    )
    CampaignEvent.objects.create(campaign=copy, occurred_at=at, actor=by, from_status=Campaign.Status.DRAFT,
                                 to_status=Campaign.Status.DRAFT, note=f"duplicated from “{campaign.name}”")
    return copy
