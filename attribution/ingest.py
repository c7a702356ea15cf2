"""Sales in: storing events in the inbox, then applying them. The only writer of sales and refunds.

The webhook and the CSV import both call `receive_event()`: it stores the checked event once per
(source, event id) and, on commit, asks a worker to apply it. The shop's 2xx means the inbox row
exists; everything after that can be retried, so every step of `apply_event()` is idempotent and the
inbox row is marked applied last. A sweep (`apply_waiting_events`) applies whatever a lost job left.

End state is independent of order and repetition: a sale is one row per (source, order id) — the
first `order.paid` stored wins, a differing later one is recorded as a conflict for a person to
look at; each refund is one append-only row per event, joined to its sale by (source, order id)
whenever either arrives; `refresh_order()` sets the sale's `refunded` to the sum of its refunds in
its currency, capped at the gross, under the sale's row lock.

After a sale is stored, promotions are told with plain values (promotions never imports us):
`referrals.record_purchase()` / `record_refund()` for referral groups, then the sale is credited
(`crediting.credit_sale`), then `giveaways.record_purchase()` for the purchase missions of every
campaign that earned credit.
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import django_rq
from django.db import IntegrityError, transaction
from django.db.models import Sum
from redis.exceptions import RedisError

from attribution import crediting
from attribution.models import InboxEvent, Refund, Sale
from common.inserts import insert_row
from promotions import giveaways, referrals

log = logging.getLogger(__name__)

# The sweep leaves fresh rows to their own job for this long.
SWEEP_GRACE = timedelta(seconds=30)
SWEEP_BATCH = 500
ENQUEUE_PAUSE_SECONDS = 10
enqueue_paused_until = 0.0
APPLY_REQUEST_SECONDS = 1
apply_requested_at = -APPLY_REQUEST_SECONDS


@dataclass(frozen=True)
class Receipt:
    event: InboxEvent
    created: bool
    conflict: bool = False  # the same event id arrived before with different facts


def receive_event(*, source, facts, via, at, apply_now=False):
    """Store one checked event (events.read_event) for `source`; idempotent by event id.

    Returns a Receipt: `created` False for a repeat. A repeat whose facts differ from the stored ones
    is a `conflict` (the shop reused an event id): nothing is overwritten. With `apply_now` (the CSV
    import, which is already a background job or a command) the event is applied in this process;
    otherwise a worker applies it after the commit.
    """
    values = {"source_id": source.pk, "event_id": facts["id"], "kind": facts["type"], "order_id": facts["order_id"],
              "facts": facts, "via": via, "received_at": at, "outcome": ""}
    try:
        with transaction.atomic():
            # One INSERT without the ORM's compiler: this is the webhook's hot path (docs/performance.md).
            pk = insert_row(InboxEvent, values, returning_pk=True)
            if not apply_now:
                transaction.on_commit(enqueue_apply)
    except IntegrityError:
        event = InboxEvent.objects.filter(source=source, event_id=facts["id"]).first()
        if event is None:
            raise
        return Receipt(event, created=False, conflict=event.facts != facts)
    event = InboxEvent(pk=pk, **values)
    event.source = source
    if apply_now:
        apply_event(event_pk=pk, at=at)
    return Receipt(event, created=True)


def enqueue_apply():
    """Ask a worker to apply the events waiting in the inbox (after the commit).

    At most one job per web process per APPLY_REQUEST_SECONDS: the job applies every waiting event, so
    a burst costs a few Redis round trips, not one per event. An event stored just after a job finished
    and within that second waits for the next event's job or the every-minute sweep. Redis being down
    loses nothing either (the sweep); a failed enqueue costs seconds (the client's retries), so after one
    this process leaves Redis alone for ENQUEUE_PAUSE_SECONDS and the webhook keeps answering at once.
    """
    global enqueue_paused_until, apply_requested_at
    now = time.monotonic()
    if now < enqueue_paused_until or now - apply_requested_at < APPLY_REQUEST_SECONDS:
        return
    apply_requested_at = now
    try:
        django_rq.get_queue("default", commit_mode="auto").enqueue("attribution.jobs.apply_new_sales_events")
    except RedisError as error:
        enqueue_paused_until = time.monotonic() + ENQUEUE_PAUSE_SECONDS
        log.warning("Could not ask a worker to apply new sales events (%s); the every-minute sweep applies them, "
                    "and this process leaves Redis alone for %s s.", error, ENQUEUE_PAUSE_SECONDS)


def apply_event(*, event_pk, at):
    """Apply one inbox event; safe to run any number of times, concurrently too. Returns the outcome words."""
    event = InboxEvent.objects.select_related("source").filter(pk=event_pk).first()
    if event is None:
        return "no such event"
    if event.applied_at is not None:
        return event.outcome
    outcome = apply_paid(event, at=at) if event.kind == InboxEvent.Kind.PAID else apply_refund(event, at=at)
    InboxEvent.objects.filter(pk=event.pk, applied_at__isnull=True).update(applied_at=at, outcome=outcome[:300])
    return outcome


def apply_paid(event, *, at):
    facts = event.facts
    sale = record_sale(event)
    if sale.event_id != event.event_id and not same_sale(sale, facts):
        return (f"Conflict: order {event.order_id} was recorded by event {sale.event_id} with other amounts; "
                "this event was kept but not applied.")
    sale = refresh_order(source=event.source, order_id=event.order_id) or sale
    words = [tell_referrals(sale)]
    if sale.refunded:
        referrals.record_refund(order_reference=sale.order_id, refunded_total=sale.refunded, at=at,
                                source=sale.source.key)
    words.append(str(crediting.credit_sale(sale_id=sale.pk, at=at)))
    words.append(tell_giveaways(sale, at=at))
    Sale.objects.filter(pk=sale.pk, promotions_told_at__isnull=True).update(promotions_told_at=at)
    prefix = "Sale recorded" if sale.event_id == event.event_id else "Sale already recorded by another event"
    return f"{prefix}; " + "; ".join(word for word in words if word)


def record_sale(event):
    """The sale of the event's order: created from this event, or the one already there."""
    facts = event.facts
    fields = {
        "account_id": event.source.account_id, "event_id": event.event_id,
        "occurred_at": datetime.fromisoformat(facts["occurred_at"]), "currency": facts["currency"],
        "gross": Decimal(facts["amount"]), "email": facts.get("customer_email", ""),
        "visitor_id": facts.get("visitor_id") or None, "referral_code": facts.get("referral_code", ""),
        "coupon_code": facts.get("coupon_code", ""), "payment_fingerprint": facts.get("payment_fingerprint", ""),
        "lines": facts.get("lines", []), "recorded_at": event.received_at,
    }
    try:
        with transaction.atomic():
            return Sale.objects.create(source=event.source, order_id=event.order_id, **fields)
    except IntegrityError:
        existing = Sale.objects.filter(source=event.source, order_id=event.order_id).first()
        if existing is None:
            raise
        return existing


def same_sale(sale, facts):
    return (sale.currency == facts["currency"] and sale.gross == Decimal(facts["amount"])
            and sale.occurred_at == datetime.fromisoformat(facts["occurred_at"]))


def apply_refund(event, *, at):
    facts = event.facts
    try:
        with transaction.atomic():
            Refund.objects.create(source=event.source, order_id=event.order_id, event_id=event.event_id,
                                  amount=Decimal(facts["amount"]), currency=facts["currency"],
                                  occurred_at=datetime.fromisoformat(facts["occurred_at"]),
                                  recorded_at=event.received_at)
    except IntegrityError:
        pass  # this refund event was recorded before; refreshing below is still right
    sale = refresh_order(source=event.source, order_id=event.order_id)
    if sale is None:
        return "Refund kept; its sale has not arrived yet and will take it into account when it does."
    if sale.currency != facts["currency"]:
        return (f"Refund kept but not counted: it is in {facts['currency']}, the sale in {sale.currency}. "
                "Send it again in the sale's currency with a new event id.")
    referrals.record_refund(order_reference=sale.order_id, refunded_total=sale.refunded, at=at,
                            source=sale.source.key)
    credit = crediting.credit_sale(sale_id=sale.pk, at=at)
    return f"Refund recorded; the sale's refunds now total {sale.refunded} {sale.currency}; {credit}"


def refresh_order(*, source, order_id):
    """Set the sale's `refunded` to its refunds' sum (its currency, capped at the gross); the sale or None."""
    with transaction.atomic():
        sale = Sale.objects.select_for_update().select_related("source").filter(
            source=source, order_id=order_id).first()
        if sale is None:
            return None
        total = Refund.objects.filter(source=source, order_id=order_id, currency=sale.currency).aggregate(
            total=Sum("amount"))["total"] or Decimal(0)
        refunded = min(total, sale.gross)
        if refunded != sale.refunded:
            sale.refunded = refunded
            Sale.objects.filter(pk=sale.pk).update(refunded=refunded)
    return sale


def tell_referrals(sale):
    outcome = referrals.record_purchase(
        order_reference=sale.order_id, amount=sale.gross, currency=sale.currency, email=sale.email,
        at=sale.occurred_at, referral_code=sale.referral_code, visitor_id=sale.visitor_id,
        payment_fingerprint=sale.payment_fingerprint, source=sale.source.key, lines=sale.lines)
    if outcome.member is None:
        return ""  # no group involved: nothing worth saying on every sale
    return f"referral group: {outcome.message}"


def tell_giveaways(sale, *, at):
    if not sale.email:
        return ""
    campaign_ids = sorted(set(sale.credits.values_list("campaign_id", flat=True)))
    entries = 0
    for campaign_id in campaign_ids:
        entries += len(giveaways.record_purchase(email=sale.email, campaign_id=campaign_id, amount=sale.gross,
                                                 currency=sale.currency, at=sale.occurred_at))
    return f"{entries} purchase-mission entr{'y' if entries == 1 else 'ies'}" if entries else ""


def apply_waiting_events(*, at, grace=SWEEP_GRACE, limit=SWEEP_BATCH):
    """Apply inbox events received at least `grace` ago that are not applied yet, oldest first.

    The job after new events passes no grace; the every-minute sweep leaves fresh rows to that job.
    """
    waiting = list(InboxEvent.objects.filter(applied_at__isnull=True, received_at__lte=at - grace)
                   .order_by("received_at", "pk").values_list("pk", flat=True)[:limit])
    applied = 0
    for event_pk in waiting:
        try:
            apply_event(event_pk=event_pk, at=at)
            applied += 1
        except Exception:  # one bad event must not stop the others; it stays unapplied and is logged
            log.exception("Applying sales event %s failed; it will be retried by the next sweep.", event_pk)
    return applied
