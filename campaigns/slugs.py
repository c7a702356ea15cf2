"""Slugs that keep working: once a campaign's page has been public, its old addresses redirect to it.

Posts, emails and printed QR codes carry `/c/<slug>/` literally and cannot be
edited, so renaming a public campaign records the old slug as a RetiredSlug;
the landing page answers an old slug with a 301 to the current one (one
redirect, however many renames, because every retired slug points at the
campaign, not at the next slug). A retired slug stays with its campaign: no
other campaign may take it, or old posts would send people to the wrong page.
A campaign may take one of its own retired slugs back.
"""

from django.db import transaction
from django.db.models import Q

from campaigns.models import Campaign, CampaignEvent, RetiredSlug

Status = Campaign.Status

# Statuses in which the page is (or was) visible to everyone. Archived is left out: a draft
# can be archived without ever being published, so for archived campaigns the log decides.
PUBLIC_STATUSES = (Status.SCHEDULED, Status.LIVE, Status.PAUSED, Status.ENDED)


def has_been_public(campaign):
    """True if anyone could have seen (and posted) this campaign's page: no query unless it is a draft or
    archived, then one on its status log (a draft may have been scheduled and taken back)."""
    if campaign.status in PUBLIC_STATUSES:
        return True
    if campaign.pk is None:
        return False
    return CampaignEvent.objects.filter(Q(to_status__in=PUBLIC_STATUSES) | Q(from_status__in=PUBLIC_STATUSES),
                                        campaign=campaign).exists()


@transaction.atomic
def retire_slug(*, campaign, old_slug, at):
    """Record that `campaign` (already carrying its new slug) was reachable at `old_slug` until `at`.

    Call it whenever a saved campaign's slug changes, in the same transaction as the save. It does
    nothing for campaigns that were never public (no one can have posted their address), and running
    it twice changes nothing the second time. If the new slug is one of the campaign's own retired
    slugs, that slug is live again and stops being retired.
    """
    RetiredSlug.objects.filter(campaign=campaign, slug=campaign.slug).delete()
    if not old_slug or old_slug == campaign.slug or not has_been_public(campaign):
        return
    retired, created = RetiredSlug.objects.get_or_create(slug=old_slug,
                                                         defaults={"campaign": campaign, "retired_at": at})
    if not created and retired.campaign_id != campaign.pk:
        # Only possible if the slug was taken without slug_problem() being asked. The most recent
        # posts carrying it are this campaign's, so its old links win.
        RetiredSlug.objects.filter(pk=retired.pk).update(campaign=campaign, retired_at=at)


def slug_problem(*, slug, campaign):
    """None if `campaign` (saved or not) may use `slug`, else a sentence saying what to do.

    Refuses another campaign's retired slug: its old links must keep reaching that campaign. The other
    campaign is named only if it belongs to the same owner account; otherwise the message would tell
    one account the names of another's campaigns.
    """
    retired = (RetiredSlug.objects.filter(slug=slug).exclude(campaign_id=campaign.pk)
               .select_related("campaign").only("campaign__name", "campaign__owner_account_id").first())
    if retired is None:
        return None
    if campaign.owner_account_id is not None and retired.campaign.owner_account_id == campaign.owner_account_id:
        holder = f"“{retired.campaign.name}”"
    else:
        holder = "another account's campaign"
    return f"/c/{slug}/ is kept for the old links of {holder}; pick another."
