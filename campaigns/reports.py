"""Read-only figures about campaigns for the admin, from the tallied rollups (campaigns/rollups.py).

No function here reads the touch table: a page view costs the same with five
thousand touches or fifty million. The words are the same in every report:

- clicks: touches that are not bots (rows, so one person clicking twice is two clicks);
- people: distinct visitors among those touches (their visitor cookie), exact;
- bots: touches from known crawlers and link previewers, never credited, never in the other two.

Figures are as fresh as the last tally (`tallied_until()`), normally a minute or two.
"""

from django.db.models import F, Sum

from campaigns.models import TouchRollup, TouchRollupState

EMPTY = {"clicks": 0, "people": 0, "bots": 0}


def touches_by_link(campaign):
    """Per tracking link: account__name, link__platform, link__channel, link__label, link__code, clicks, people, bots.

    Busiest first. Touches recorded without a link (referral clicks, entries, or
    the touches of a deleted link) are one row per account with the link
    fields empty. One GROUP BY over the campaign's rollup rows (links × days).
    """
    return list(
        TouchRollup.objects.filter(campaign=campaign)
        .values("account_id", "account__name", "link_id", "link__platform", "link__channel", "link__label",
                "link__code")
        .annotate(clicks=Sum("clicks"), people=Sum("people_first_seen"), bots=Sum("bots"))
        .order_by("-people", "-clicks", "account__name", F("link__label").asc(nulls_last=True), "link_id")
    )


def touch_totals(campaign_ids):
    """{campaign id: {"clicks", "people", "bots"}} for these campaigns (zeros when none): one query.

    Call it with the campaigns of the page being shown, not a whole list:
    people are distinct per campaign, so they are summed from the rollups'
    campaign-wide first sightings, never from the per-link figures.
    """
    campaign_ids = list(campaign_ids)
    totals = {campaign_id: dict(EMPTY) for campaign_id in campaign_ids}
    rows = (TouchRollup.objects.filter(campaign_id__in=campaign_ids).values("campaign_id")
            .annotate(clicks=Sum("clicks"), people=Sum("campaign_people_first_seen"), bots=Sum("bots"))
            .order_by())
    for row in rows:
        totals[row.pop("campaign_id")] = row
    return totals


def tallied_until():
    """The time the figures are complete up to (every touch recorded before it is counted), or None."""
    return TouchRollupState.objects.values_list("complete_as_of", flat=True).first()
