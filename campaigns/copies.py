"""Duplicating a campaign: a new draft with the same content, accounts and links."""

from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, CampaignEvent, TrackingLink


def free_slug(base):
    """`base-copy`, then `base-copy-2`, … : the first slug no campaign uses yet."""
    stem = f"{base[:70]}-copy"
    taken = set(Campaign.objects.filter(slug__startswith=stem).values_list("slug", flat=True))
    if stem not in taken:
        return stem
    number = 2
    while f"{stem}-{number}" in taken:
        number += 1
    return f"{stem}-{number}"


@transaction.atomic
def duplicate_campaign(*, campaign, by, at=None):
    """Copy `campaign` as a draft (same dates, content, co-running accounts and links, new link codes)."""
    at = at or timezone.now()
    copy = Campaign.objects.get(pk=campaign.pk)
    copy.pk = None
    copy.name = f"Copy of {campaign.name}"[:120]
    copy.slug = free_slug(campaign.slug)
    copy.status = Campaign.Status.DRAFT
    copy.created_by = copy.updated_by = by
    copy.save()
    copy.co_accounts.set(campaign.co_accounts.all())
    TrackingLink.objects.bulk_create(
        TrackingLink(campaign=copy, account_id=link.account_id, channel=link.channel, label=link.label,
                     destination_url=link.destination_url, active=link.active)
        for link in campaign.links.all()
    )
    CampaignEvent.objects.create(campaign=copy, occurred_at=at, actor=by, from_status=Campaign.Status.DRAFT,
                                 to_status=Campaign.Status.DRAFT, note=f"duplicated from “{campaign.name}”")
    return copy
