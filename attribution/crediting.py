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
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower

from accounts.currencies import minor_units
from accounts.models import User
from attribution import weights
from attribution.models import Credit, Sale
from campaigns.models import Touch
from common.inserts import insert_rows
from promotions.models import GroupMember

BATCH_SIZE = 1000
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


def buyers(sales):
    """{lower-cased e-mail: [user ids]} for the buyers' addresses (one query)."""
    emails = {sale.email.lower() for sale in sales if sale.email}
    if not emails:
        return {}
    found = {}
    for pk, email in User.objects.annotate(address=Lower("email")).filter(address__in=emails).values_list(
            "pk", "address"):
        found.setdefault(email, []).append(pk)
    return found


def touches_by_buyer(sales, user_ids_by_email):
    """{touch id: touch} of every sale's visitor or users, in the longest lookback before the latest sale."""
    visitors = {sale.visitor_id for sale in sales if sale.visitor_id}
    user_ids = {pk for ids in user_ids_by_email.values() for pk in ids}
    if not visitors and not user_ids:
        return {}, {}
    rows = (Touch.objects.filter(Q(visitor_id__in=visitors) | Q(user_id__in=user_ids), is_bot=False,
                                 occurred_at__gte=min(sale.occurred_at for sale in sales) - LONGEST_LOOKBACK,
                                 occurred_at__lte=max(sale.occurred_at for sale in sales))
            .values("id", "occurred_at", "campaign_id", "account_id", "kind", "reference", "visitor_id", "user_id",
                    "campaign__attribution_lookback_days"))
    by_visitor, by_user = {}, {}
    for row in rows:
        by_visitor.setdefault(row["visitor_id"], []).append(row)
        if row["user_id"] is not None:
            by_user.setdefault(row["user_id"], []).append(row)
    return by_visitor, by_user


def touches_for(sale, by_visitor, by_user, user_ids):
    """The creditable touches of `sale`, oldest first (ties by id)."""
    found = {row["id"]: row for row in by_visitor.get(sale.visitor_id, ()) if sale.visitor_id}
    for pk in user_ids:
        found.update((row["id"], row) for row in by_user.get(pk, ()))
    kept = [row for row in found.values()
            if sale.occurred_at - timedelta(days=row["campaign__attribution_lookback_days"]) <= row["occurred_at"]
            <= sale.occurred_at]
    return sorted(kept, key=lambda row: (row["occurred_at"], row["id"]))


def group_of(reference):
    if reference.startswith(GROUP_PREFIX) and reference[len(GROUP_PREFIX):].isdigit():
        return int(reference[len(GROUP_PREFIX):])
    return None


def generations(sales, touches_of):
    """{(group id, source key, order id): generation} of the orders that joined a group they clicked (one query)."""
    group_ids = {group_of(row["reference"]) for touches in touches_of.values() for row in touches} - {None}
    if not group_ids:
        return {}
    members = GroupMember.objects.filter(group_id__in=group_ids,
                                         order_reference__in={sale.order_id for sale in sales})
    return {(group_id, source, order): generation for group_id, source, order, generation in members.values_list(
        "group_id", "source", "order_reference", "generation")}


def desired_credits(sale, touches, generation_of, models=weights.MODELS):
    """{(model, touch id): field values} the sale's credit should be, under `models`."""
    places = minor_units(sale.currency)
    times = [touch["occurred_at"] for touch in touches]
    wanted = {}
    for model in models:
        if not touches:
            break
        raw = weights.raw_weights(model, times, sale.occurred_at)
        shares = weights.allocate(Decimal(1), raw, weights.SHARE_PLACES)
        gross_parts = weights.allocate(sale.gross, raw, places)
        net_parts = weights.allocate(sale.gross - sale.refunded, raw, places)
        for touch, share, gross, net in zip(touches, shares, gross_parts, net_parts, strict=True):
            if share <= 0:
                continue
            group_id = group_of(touch["reference"])
            wanted[(model, touch["id"])] = {
                "touch_at": touch["occurred_at"], "campaign_id": touch["campaign_id"],
                "account_id": touch["account_id"], "touch_kind": touch["kind"], "reference": touch["reference"],
                "referral_group_id": group_id,
                "generation": generation_of.get((group_id, sale.source.key, sale.order_id)),
                "share": share, "credited_gross": gross, "credited_net": net,
            }
    return wanted


def credit_sale(*, sale_id, at):
    """Bring one sale's credit rows in line with its touches and amounts; returns what changed."""
    return credit_sales(sale_ids=[sale_id], at=at)


def credit_sales(*, sale_ids, at, models=weights.MODELS):
    """Bring the credit of a batch of sales in line with their touches and amounts, writing only differences.

    A fixed number of queries per batch whatever its size: the sales (locked), the buyers' users, their
    touches, the referral generations, the existing credit, then bulk writes. The sales' row locks make
    two workers crediting the same sale queue up; lock order is by id, so two batches never deadlock.
    """
    with transaction.atomic():
        sales = list(Sale.objects.select_for_update(of=("self",)).select_related("source")
                     .filter(pk__in=list(sale_ids)).order_by("pk"))
        if not sales:
            return Outcome(0, 0, 0)
        user_ids_by_email = buyers(sales)
        by_visitor, by_user = touches_by_buyer(sales, user_ids_by_email)
        touches_of = {sale.pk: touches_for(sale, by_visitor, by_user, user_ids_by_email.get(sale.email.lower(), ()))
                      for sale in sales}
        generation_of = generations(sales, touches_of)
        existing = {(credit.sale_id, credit.model, credit.touch_id): credit
                    for credit in Credit.objects.filter(sale_id__in=[sale.pk for sale in sales], model__in=models)}
        created, changed, wanted_keys = [], [], set()
        for sale in sales:
            for (model, touch_id), fields in desired_credits(sale, touches_of[sale.pk], generation_of,
                                                             models).items():
                key = (sale.pk, model, touch_id)
                wanted_keys.add(key)
                credit = existing.get(key)
                if credit is None:
                    created.append((sale.pk, model, touch_id, *(fields[name] for name in COMPARED)))
                elif any(getattr(credit, name) != value for name, value in fields.items()):
                    for name, value in fields.items():
                        setattr(credit, name, value)
                    changed.append(credit)
        stale = [credit.pk for key, credit in existing.items() if key not in wanted_keys]
        if stale:
            Credit.objects.filter(pk__in=stale).delete()
        if created:
            insert_rows(Credit, ("sale", "model", "touch_id", *COMPARED), created)
        if changed:
            Credit.objects.bulk_update(changed, COMPARED, batch_size=1000)
        uncredited = [sale.pk for sale in sales if sale.credited_at is None]
        if uncredited:
            Sale.objects.filter(pk__in=uncredited).update(credited_at=at)
    return Outcome(len(created), len(changed), len(stale))


def recredit_sales(*, sales, at, progress=None, batch=BATCH_SIZE, models=weights.MODELS):
    """Recompute the credit of every sale in the queryset `sales` in batches; returns (sales seen, rows changed).

    Writes only what differs, so running it over data that agrees writes nothing.
    """
    ids = list(sales.order_by("pk").values_list("pk", flat=True))
    changed = 0
    for start in range(0, len(ids), batch):
        outcome = credit_sales(sale_ids=ids[start:start + batch], at=at, models=models)
        changed += outcome.created + outcome.updated + outcome.deleted
        if progress is not None:
            progress(min(start + batch, len(ids)))
    return len(ids), changed
