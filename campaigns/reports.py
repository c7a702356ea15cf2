"""Read-only figures about campaigns for the admin: one aggregate query each, never Python sums."""

from django.db.models import Count, Q

from campaigns.models import Touch


def touches_by_link(campaign):
    """Rows of (account name, channel, label, people, bots) per tracking link, busiest first.

    One GROUP BY over the campaign's touches; touches recorded without a link
    (later: referral clicks, entries) are grouped under a blank link.
    """
    return list(
        Touch.objects.filter(campaign=campaign)
        .values("account__name", "link__channel", "link__label", "link__code")
        .annotate(people=Count("pk", filter=Q(is_bot=False)), bots=Count("pk", filter=Q(is_bot=True)))
        .order_by("-people", "account__name", "link__label")
    )
