"""Sales sources, the webhook inbox, sales and refunds: the facts attribution starts from.

Sales come in through `attribution.ingest` only (the webhook and the CSV import are its callers).
A sale is one row per (source, order id); a refund is one append-only row per event and the
sale's `refunded` is their sum, capped at the gross (kept by `ingest.refresh_order`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import BrandAccount

# Three decimal places hold every ISO 4217 minor unit (KWD has three); ingest refuses more than the currency's.
MONEY = {"max_digits": 15, "decimal_places": 3}


class SalesSource(models.Model):
    """A shop (or till, or app) that reports a brand account's sales, e.g. "web shop"."""

    account = models.ForeignKey(BrandAccount, on_delete=models.PROTECT, related_name="sales_sources")
    name = models.CharField(max_length=80, help_text='What the team calls it, e.g. "Web shop".')
    key = models.SlugField(max_length=40, unique=True,
                           help_text='Sent by the shop as "source" in each event and named by the CSV import, '
                                     'e.g. hanbit-web-shop. Cannot change once the source has sales.')
    active = models.BooleanField(default=True, help_text="A switched-off source's events are refused (403).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account__name", "name"]
        constraints = [models.UniqueConstraint(fields=["account", "name"], name="attribution_source_name_unique")]

    def __str__(self):
        return f"{self.name} ({self.account})"


class SourceSecret(models.Model):
    """A signing secret of a source. Rotation adds a new one and lets the old one expire later (overlap)."""

    source = models.ForeignKey(SalesSource, on_delete=models.CASCADE, related_name="secrets")
    secret = models.CharField(max_length=80, editable=False)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: valid until the next rotation.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Secret of {self.source.name} from {self.created_at:%Y-%m-%d %H:%M}"


class InboxEvent(models.Model):
    """One event as the shop sent it, stored before anything is applied (the 2xx means this row exists)."""

    class Kind(models.TextChoices):
        PAID = "order.paid", "Order paid"
        REFUNDED = "order.refunded", "Order refunded"

    class Via(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        CSV = "csv", "CSV import"

    source = models.ForeignKey(SalesSource, on_delete=models.PROTECT, related_name="inbox")
    event_id = models.CharField(max_length=128)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    order_id = models.CharField(max_length=128)
    # The event's facts after validation (decimal strings, ISO times): what `ingest.apply_event` reads.
    facts = models.JSONField()
    via = models.CharField(max_length=8, choices=Via.choices)
    received_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True, help_text="What applying the event did, in words.")

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["source", "event_id"], name="attribution_inbox_event_once")]
        indexes = [models.Index(fields=["received_at"], condition=Q(applied_at__isnull=True),
                                name="attribution_inbox_unapplied")]

    def __str__(self):
        return f"{self.kind} {self.event_id} ({self.source.key})"


class RejectedDelivery(models.Model):
    """A webhook call that was refused, kept so the shop's developers can see why (never the secret)."""

    source = models.ForeignKey(SalesSource, null=True, blank=True, on_delete=models.CASCADE, related_name="rejects")
    received_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField()
    error = models.CharField(max_length=40)
    detail = models.CharField(max_length=300)
    event_id = models.CharField(max_length=128, blank=True)
    body_excerpt = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "rejected deliveries"
        indexes = [models.Index(fields=["source", "received_at"], name="attribution_reject_recent")]

    def __str__(self):
        return f"{self.status_code} {self.error} at {self.received_at:%Y-%m-%d %H:%M:%S}"


class Sale(models.Model):
    """An order the shop reported as paid. One per (source, order id), whatever the deliveries."""

    source = models.ForeignKey(SalesSource, on_delete=models.PROTECT, related_name="sales")
    account = models.ForeignKey(BrandAccount, on_delete=models.PROTECT, related_name="sales",
                                help_text="The source's account, kept on the row for scoping and lift.")
    order_id = models.CharField(max_length=128)
    event_id = models.CharField(max_length=128, help_text="The order.paid event that recorded the sale.")
    occurred_at = models.DateTimeField()
    currency = models.CharField(max_length=3)
    gross = models.DecimalField(**MONEY)
    refunded = models.DecimalField(**MONEY, default=0, help_text="Refunds so far, never more than the gross.")
    email = models.EmailField(max_length=254, blank=True)
    visitor_id = models.UUIDField(null=True, blank=True)
    referral_code = models.CharField(max_length=32, blank=True)
    coupon_code = models.CharField(max_length=64, blank=True)
    payment_fingerprint = models.CharField(max_length=128, blank=True)
    lines = models.JSONField(default=list, blank=True)
    recorded_at = models.DateTimeField()
    # Set by crediting when the stored credits match the sale as it is now; cleared by a refund.
    credited_at = models.DateTimeField(null=True, blank=True)
    promotions_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "order_id"], name="attribution_sale_once_per_order"),
            models.CheckConstraint(condition=Q(gross__gt=0), name="attribution_sale_gross_positive"),
            models.CheckConstraint(condition=Q(refunded__gte=0) & Q(refunded__lte=models.F("gross")),
                                   name="attribution_sale_refunded_within_gross"),
        ]
        indexes = [
            models.Index(fields=["account", "occurred_at"], name="attribution_sale_account_day"),
            models.Index(fields=["occurred_at", "id"], name="attribution_sale_period"),
            models.Index(fields=["recorded_at"], condition=Q(credited_at__isnull=True),
                         name="attribution_sale_uncredited"),
        ]

    def __str__(self):
        return f"Order {self.order_id} ({self.source.key})"

    @property
    def net(self):
        return self.gross - self.refunded

    @property
    def status(self):
        if self.refunded <= 0:
            return "paid"
        return "refunded" if self.refunded >= self.gross else "partially_refunded"


class Refund(models.Model):
    """One refund event: append-only. It may arrive before its sale; it is joined by (source, order id)."""

    source = models.ForeignKey(SalesSource, on_delete=models.PROTECT, related_name="refunds")
    order_id = models.CharField(max_length=128)
    event_id = models.CharField(max_length=128)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["occurred_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "event_id"], name="attribution_refund_once_per_event"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="attribution_refund_positive"),
        ]
        indexes = [models.Index(fields=["source", "order_id"], name="attribution_refund_order")]

    def __str__(self):
        return f"Refund {self.event_id} of order {self.order_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Refunds are append-only: record another refund instead of changing one.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Refunds are append-only and are never deleted.")
