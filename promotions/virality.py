"""Viral figures of referral offers, for marketers: groups started, members per group, generations, K-factor.

Counted from live purchases (in their hold or confirmed; refunded, rejected and held-for-review ones left
out), whether or not they count toward their group's tier: a self-referral is still a booking the link
brought. Definitions:

- **groups started**: groups of the offers, whether anyone bought yet or not;
- **members per group**: live purchases ÷ groups started, and how many groups have 0, 1, 2–4, 5–9 and 10+;
- **share by generation**: live purchases by generation (0 the founder's own, 1 their friends, 2 the
  friends' friends, 3+), as counts and shares of all live purchases;
- **K-factor** (new members per member): purchases through someone's link (generation ≥ 1) ÷ people who
  had a link to share (founders + every live purchase). 0.5 means every two people with a link brought
  one new buyer; above 1 the groups grow on their own;
- **growth by generation**: purchases of generation g + 1 ÷ purchases (or founders, for g = 0) of
  generation g — how far each wave of sharing carried.

Two queries: live purchases by generation (an aggregate), and one number per group (its live purchases).
"""

from dataclasses import dataclass, field

from django.db.models import Count, Q

from promotions import referrals
from promotions.models import GroupMember, ReferralGroup, ReferralOffer

BUCKETS = [("0", 0, 0), ("1", 1, 1), ("2–4", 2, 4), ("5–9", 5, 9), ("10+", 10, None)]


@dataclass(frozen=True)
class ViralFigures:
    groups: int
    members: int
    by_generation: dict  # {"0": n, "1": n, "2": n, "3+": n}
    group_sizes: dict = field(default_factory=dict)  # bucket label → number of groups

    @property
    def members_per_group(self):
        return round(self.members / self.groups, 2) if self.groups else 0

    @property
    def through_links(self):
        return self.members - self.by_generation.get("0", 0)

    @property
    def k_factor(self):
        people = self.groups + self.members
        return round(self.through_links / people, 2) if people else 0

    def share(self, generation):
        return round(100 * self.by_generation.get(generation, 0) / self.members, 1) if self.members else 0

    def growth(self):
        """[(generation g, purchases of g + 1 ÷ those of g)] for the generations present."""
        sizes = [self.groups, self.by_generation.get("1", 0), self.by_generation.get("2", 0),
                 self.by_generation.get("3+", 0)]
        return [(index, round(sizes[index + 1] / sizes[index], 2) if sizes[index] else 0)
                for index in range(3) if sizes[index]]


def figures(offers):
    """ViralFigures over `offers` (a queryset of ReferralOffer)."""
    offer_ids = offers.values("pk")
    generations = (GroupMember.objects.filter(offer__in=offer_ids, status__in=referrals.LIVE)
                   .values_list("generation").annotate(n=Count("pk")).order_by())
    by_generation = {"0": 0, "1": 0, "2": 0, "3+": 0}
    for generation, count in generations:
        by_generation[str(generation) if generation < 3 else "3+"] += count
    # One number per group (its live purchases), bucketed here: a GROUP BY over an aggregate is not SQL.
    sizes = (ReferralGroup.objects.filter(offer__in=offer_ids).order_by()
             .annotate(live=Count("members", filter=Q(members__status__in=referrals.LIVE)))
             .values_list("live", flat=True))
    group_sizes = dict.fromkeys((label for label, _low, _high in BUCKETS), 0)
    groups = 0
    for live in sizes.iterator():
        groups += 1
        for label, low, high in BUCKETS:
            if live >= low and (high is None or live <= high):
                group_sizes[label] += 1
    return ViralFigures(groups=groups, members=sum(by_generation.values()), by_generation=by_generation,
                        group_sizes=group_sizes)


def for_offer(offer):
    return figures(ReferralOffer.objects.filter(pk=offer.pk))


def for_campaign(campaign_id):
    return figures(ReferralOffer.objects.filter(campaign_id=campaign_id))


def for_account(account_id):
    """Offers the account runs (as owner or co-runner of their campaigns)."""
    return figures(ReferralOffer.objects.filter(account_id=account_id))
