"""Crediting a sale to the touches that led to it, under every model; the only writer of `Credit`.

Which touches: those of the same visitor (the Chorus cookie the shop passed on) or the same customer
(a signed-in person whose e-mail is the buyer's), not bots, at or before the sale and within the
lookback window of the touch's campaign (`Campaign.attribution_lookback_days`, 30 by default).
Oldest first, ties by touch id. Each model's shares come from `weights`; the sale's gross and net are
split to the currency's minor unit, so credited net sums to the sale's net exactly. A refund lowers
the net and so every credit of the sale in proportion.

`credit_sale()` computes what the rows should be and writes only the differences, under the sale's
row lock: a recompute that agrees writes nothing, and two workers crediting the same sale queue up.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q

from accounts.currencies import minor_units
from accounts.models import User
from attribution import weights
from attribution.models import Credit, Sale
from campaigns.models import Touch
from promotions.models import GroupMember

# No campaign may look back further than this (the field's own maximum).
LONGEST_LOOKBACK = timedelta(days=365)
GROUP_PREFIX = "group:"
COMPARED = ("touch_at", "campaign_id", "account_id", "touch_kind", "reference", "referral_group_id", "generation",
            "share", "credited_gross", "credited_net")


@dataclass(frozen=True)
class Outcome:
    created: int
    updated: int
    deleted: int

    @property
    def changed(self):
        return bool(self.created or self.updated or self.deleted)

    def __str__(self):
        if not self.changed:
            return "credit unchanged"
        return f"credit: {self.created} added, {self.updated} changed, {self.deleted} removed"


def buyer_user_ids(email):
    if not email:
        return []
    return list(User.objects.filter(email__iexact=email).values_list("pk", flat=True)[:5])


def touches_for(sale):
    """The creditable touches of `sale`, oldest first (one query on the visitor and user indexes)."""
    who = Q()
    if sale.visitor_id:
        who |= Q(visitor_id=sale.visitor_id)
    user_ids = buyer_user_ids(sale.email)
    if user_ids:
        who |= Q(user_id__in=user_ids)
    if not who:
        return []
    rows = (Touch.objects.filter(who, is_bot=False, occurred_at__lte=sale.occurred_at,
                                 occurred_at__gte=sale.occurred_at - LONGEST_LOOKBACK)
            .values("id", "occurred_at", "campaign_id", "account_id", "kind", "reference",
                    "campaign__attribution_lookback_days")
            .order_by("occurred_at", "id"))
    return [row for row in rows
            if row["occurred_at"] >= sale.occurred_at - timedelta(days=row["campaign__attribution_lookback_days"])]


def group_of(reference):
    if reference.startswith(GROUP_PREFIX) and reference[len(GROUP_PREFIX):].isdigit():
        return int(reference[len(GROUP_PREFIX):])
    return None


def generations_for(sale, group_ids):
    """{group id: the buyer's generation in it} for the groups this order joined (one query, or none)."""
    if not group_ids:
        return {}
    members = GroupMember.objects.filter(group_id__in=group_ids, source=sale.source.key, order_reference=sale.order_id)
    return dict(members.values_list("group_id", "generation"))


def desired_credits(sale, touches, generations):
    """{(model, touch id): field values} the sale's credit should be, under every model."""
    places = minor_units(sale.currency)
    times = [touch["occurred_at"] for touch in touches]
    wanted = {}
    for model in weights.MODELS:
        raw = weights.raw_weights(model, times, sale.occurred_at) if touches else []
        shares = weights.allocate(1, raw, weights.SHARE_PLACES) if touches else []
        gross_parts = weights.allocate(sale.gross, raw, places)
        net_parts = weights.allocate(sale.gross - sale.refunded, raw, places)
        for touch, share, gross, net in zip(touches, shares, gross_parts, net_parts, strict=True):
            if share <= 0:
                continue
            group_id = group_of(touch["reference"])
            wanted[(model, touch["id"])] = {
                "touch_at": touch["occurred_at"], "campaign_id": touch["campaign_id"],
                "account_id": touch["account_id"], "touch_kind": touch["kind"], "reference": touch["reference"],
                "referral_group_id": group_id, "generation": generations.get(group_id),
                "share": share, "credited_gross": gross, "credited_net": net,
            }
    return wanted


def credit_sale(*, sale_id, at):
    """Bring the sale's credit rows in line with its touches and amounts; returns what changed."""
    with transaction.atomic():
        sale = Sale.objects.select_for_update().select_related("source").filter(pk=sale_id).first()
        if sale is None:
            return Outcome(0, 0, 0)
        touches = touches_for(sale)
        generations = generations_for(sale, {group_of(t["reference"]) for t in touches} - {None})
        wanted = desired_credits(sale, touches, generations)
        existing = {(credit.model, credit.touch_id): credit for credit in Credit.objects.filter(sale=sale)}
        stale = [credit.pk for key, credit in existing.items() if key not in wanted]
        created, changed = [], []
        for key, fields in wanted.items():
            credit = existing.get(key)
            if credit is None:
                created.append(Credit(sale=sale, model=key[0], touch_id=key[1], **fields))
            elif any(getattr(credit, name) != value for name, value in fields.items()):
                for name, value in fields.items():
                    setattr(credit, name, value)
                changed.append(credit)
        if stale:
            Credit.objects.filter(pk__in=stale).delete()
        if created:
            Credit.objects.bulk_create(created)
        if changed:
            Credit.objects.bulk_update(changed, COMPARED)
        if sale.credited_at is None:
            Sale.objects.filter(pk=sale.pk).update(credited_at=at)
    return Outcome(len(created), len(changed), len(stale))


def recredit_sales(*, sales, at, progress=None):
    """Recompute the credit of every sale in the queryset `sales` (oldest first); returns (sales, changed).

    Writes only what differs, so running it over data that agrees writes nothing.
    """
    seen = changed = 0
    for sale_id in sales.order_by("occurred_at", "pk").values_list("pk", flat=True).iterator(chunk_size=2000):
        seen += 1
        changed += credit_sale(sale_id=sale_id, at=at).changed
        if progress is not None and seen % 1000 == 0:
            progress(seen)
    return seen, changed
