"""Viral figures of referral offers, for marketers: groups started, members per group, generations, K-factor.

Read-only, in two SQL aggregates whatever the number of offers, groups and members, and whether the
answer is one total or one row per offer, campaign or account: members by generation (a GROUP BY over
the member rows) and groups by size (a GROUP BY over the group rows, using each group's live-purchase
counter, `member_count`, which promotions/referrals.py keeps with the rows).

**Which purchases count.** Live purchases only: those in their refund hold (pending) and confirmed
ones. Pending purchases are in because the hold is long (14 days by default): leaving them out would
show the spread of a fortnight ago; a refund takes a purchase out again. Refunded and rejected
purchases are left out, and so are those held for review until a marketer clears them (a burst of
purchases from one network is exactly what should not inflate these figures). A live purchase is a
*member* whether or not it counts toward its group's tier: a self-referral is still a booking.

**Definitions** (`ViralFigures`):

- **groups started**: groups of the offers, whether anyone has bought through them or not;
- **members**: live purchases in those groups; **members per group**: members ÷ groups started, and
  the distribution of groups by members: 0, 1, 2–4, 5–9, 10+;
- **share by generation**: members by generation — 0 the founder's own purchase, 1 through the
  founder's link, 2 through a generation-1 member's link, 3+ beyond — as counts and percentages of
  all members;
- **new people through a link**: live purchases of generation ≥ 1 that count toward the tier. Those
  that do not count are not new people: a purchase through one's own link or with the sharer's card
  (self-referral), or a second purchase of someone already counting in the group;
- **people in groups**: founders (one per group started) + new people through a link. The founder's
  own purchase is the founder, not a new person, so it adds no one;
- **K-factor**: new people through a link ÷ people in groups — the average number of people each
  person who had a link to share brought in. Every new person was brought by exactly one person in
  a group, so for sharing that has run its course this is the classic viral coefficient: 0.5 means
  every two people with a link brought one more; it approaches 1 as each person brings one more.

Ratios are rounded to two decimal places (percentages to one), once, in the properties below;
they are not money.
"""

from dataclasses import dataclass, field

from django.db.models import Case, Count, Q, Value, When

from promotions import referrals
from promotions.models import GroupMember, ReferralGroup, ReferralOffer

GENERATIONS = ("0", "1", "2", "3+")
# (label, fewest members, most members or None): the distribution of groups by their live purchases.
SIZE_BUCKETS = (("0", 0, 0), ("1", 1, 1), ("2–4", 2, 4), ("5–9", 5, 9), ("10+", 10, None))
# What the figures can be broken down by: the path from a group or member to it (both have `offer`).
PER = {"offer": "offer_id", "campaign": "offer__campaign_id", "account": "offer__account_id"}


@dataclass(frozen=True)
class ViralFigures:
    groups: int = 0
    members: int = 0
    new_people: int = 0
    by_generation: dict = field(default_factory=lambda: dict.fromkeys(GENERATIONS, 0))
    group_sizes: dict = field(default_factory=lambda: dict.fromkeys((label for label, _, _ in SIZE_BUCKETS), 0))

    @property
    def members_per_group(self):
        return round(self.members / self.groups, 2) if self.groups else 0

    @property
    def people(self):
        """People in groups: founders and the new people who joined through a link."""
        return self.groups + self.new_people

    @property
    def k_factor(self):
        return round(self.new_people / self.people, 2) if self.people else 0

    def share(self, generation):
        """Percentage of members of `generation` ("0", "1", "2" or "3+")."""
        return round(100 * self.by_generation.get(generation, 0) / self.members, 1) if self.members else 0


def generation_label(generation):
    return str(generation) if generation < 3 else "3+"


def size_bucket():
    """The label of a group's SIZE_BUCKETS entry, in SQL, from its live purchases.

    A group's `member_count` is its live purchases: promotions/referrals.py keeps it with the member rows
    under the group's lock, and `referrals.recount_group` checks it against them. Reading it keeps this
    one plain GROUP BY over the groups, instead of a count of members per group.
    """
    whens = [When(member_count__lte=high, then=Value(label)) for label, _, high in SIZE_BUCKETS if high is not None]
    return Case(*whens, default=Value(SIZE_BUCKETS[-1][0]))


def figures_by(offers, per):
    """{id: ViralFigures} for `offers` (a ReferralOffer queryset) broken down per "offer", "campaign" or
    "account" (the account that runs the offer). Ids without groups are absent. Two queries."""
    return {owner: ViralFigures(**tally) for owner, tally in tallies(offers, PER[per]).items()}


def figures(offers):
    """ViralFigures of `offers` (a ReferralOffer queryset) all together. Two queries."""
    return ViralFigures(**tallies(offers, None).get(None, new_tally()))


def tallies(offers, key):
    """{key's value (None without a key): the ViralFigures fields} from two aggregate queries."""
    keys = [key] if key else []
    offer_ids = offers.order_by().values("pk")
    # 1. Members by (key, generation): live purchases and, among them, new people through a link.
    members = (GroupMember.objects.filter(offer__in=offer_ids, status__in=referrals.LIVE).order_by()
               .values(*keys, "generation")
               .annotate(purchases=Count("pk"), new=Count("pk", filter=Q(generation__gte=1, counts_toward_tier=True))))
    # 2. Groups by (key, size bucket).
    groups = (ReferralGroup.objects.filter(offer__in=offer_ids).order_by().annotate(bucket=size_bucket())
              .values(*keys, "bucket").annotate(groups=Count("pk")))
    found = {}
    for row in members:
        tally = found.setdefault(row.get(key), new_tally())
        tally["by_generation"][generation_label(row["generation"])] += row["purchases"]
        tally["members"] += row["purchases"]
        tally["new_people"] += row["new"]
    for row in groups:
        tally = found.setdefault(row.get(key), new_tally())
        tally["group_sizes"][row["bucket"]] += row["groups"]
        tally["groups"] += row["groups"]
    return found


def new_tally():
    return {"groups": 0, "members": 0, "new_people": 0, "by_generation": dict.fromkeys(GENERATIONS, 0),
            "group_sizes": dict.fromkeys((label for label, _, _ in SIZE_BUCKETS), 0)}


def for_offer(offer):
    return figures(ReferralOffer.objects.filter(pk=offer.pk))


def for_campaign(campaign_id, *, offers):
    """The offers of one campaign, among `offers` (those the reader may see)."""
    return figures(offers.filter(campaign_id=campaign_id))


def for_account(account_id, *, offers):
    """The offers one account runs, among `offers`: callers pass only offers the reader may see, because an
    account's offers span campaigns that other teams cannot see."""
    return figures(offers.filter(account_id=account_id))
