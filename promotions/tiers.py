"""Tier maths for referral offers, pure: which discount a group size earns, prices and rebates to the cent.

A tier table is a list of (min_members, discount_percent) pairs, both strictly increasing.
A group with `n` confirmed members earns the discount of the last tier whose size is at most
`n` (none: 0 %), never more than the offer's maximum. Prices round half up to the cent; a
rebate is what a member paid, net of refunds, above the price at the group's discount, so
for every member `net paid − rebate = list price × (1 − discount)` to the cent whenever
they paid at least that price.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Tier:
    min_members: int
    discount_percent: Decimal


def as_tiers(rows):
    """Tiers from model rows or (size, percent) pairs, sorted by size."""
    tiers = [row if isinstance(row, Tier) else
             Tier(*row) if isinstance(row, tuple | list) else
             Tier(row.min_members, Decimal(row.discount_percent)) for row in rows]
    return sorted(tiers, key=lambda tier: tier.min_members)


def tiers_problem(rows, *, max_discount):
    """What is wrong with a tier table, in words a marketer can act on, or "" when it is usable."""
    tiers = as_tiers(rows)
    sizes = [tier.min_members for tier in tiers]
    if len(set(sizes)) != len(sizes):
        return "Two tiers have the same group size; give each tier its own size."
    for tier in tiers:
        if tier.min_members < 1:
            return "A tier's group size must be at least 1."
        if not ZERO < tier.discount_percent <= HUNDRED:
            return f"The tier for {tier.min_members} members must give more than 0 % and at most 100 %."
        if tier.discount_percent > max_discount:
            return (f"The tier for {tier.min_members} members gives {tier.discount_percent} %, more than the "
                    f"offer's maximum of {max_discount} %; lower it or raise the maximum.")
    for smaller, larger in zip(tiers, tiers[1:], strict=False):
        if larger.discount_percent <= smaller.discount_percent:
            return (f"Discounts must grow with the group: {larger.min_members} members give "
                    f"{larger.discount_percent} %, no more than {smaller.min_members} members' "
                    f"{smaller.discount_percent} %.")
    return ""


def discount_for(tiers, count, *, max_discount):
    """The discount (percent) a group of `count` confirmed members earns."""
    earned = ZERO
    for tier in tiers:
        if tier.min_members <= count:
            earned = tier.discount_percent
    return min(Decimal(earned), Decimal(max_discount)).quantize(CENT)


def next_tier(tiers, count, *, max_discount):
    """The first tier deeper than what `count` members earn, or None at the deepest."""
    current = discount_for(tiers, count, max_discount=max_discount)
    for tier in tiers:
        if tier.min_members > count and min(tier.discount_percent, Decimal(max_discount)) > current:
            return tier
    return None


def crossed(tiers, from_percent, to_percent, *, max_discount):
    """The discounts passed going from one discount to another, in the order they are passed.

    Each is the discount of a tier (capped at the maximum), so a group jumping two tiers at once
    crosses two. Moving down lists the discounts left behind, deepest first, ending at `to_percent`'s
    neighbour; e.g. 10 → 30 with tiers 10/20/30 gives [20, 30]; 30 → 10 gives [20, 10].
    """
    levels = sorted({min(tier.discount_percent, Decimal(max_discount)).quantize(CENT) for tier in tiers} | {ZERO})
    if to_percent > from_percent:
        return [level for level in levels if from_percent < level <= to_percent]
    return [level for level in reversed(levels) if to_percent <= level < from_percent]


def price_at(list_price, percent):
    """The price after `percent` off, half up to the cent."""
    return (Decimal(list_price) * (HUNDRED - Decimal(percent)) / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def rebate_target(*, list_price, net_paid, percent):
    """What a member is owed at `percent`: what they paid above the price at that discount, never negative."""
    return max(ZERO, (Decimal(net_paid) - price_at(list_price, percent)).quantize(CENT))
