"""Finance exports (immutable files with their checksum) and closed periods with their frozen figures."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import BrandAccount
from attribution.models.sales import MONEY


class FinanceExport(models.Model):
    """A requested export. Once `done`, its file, row count, totals and SHA-256 never change."""

    class Kind(models.TextChoices):
        CREDITS = "credits", "Sales and credit"
        RESTATEMENT = "restatement", "Restatement of a closed period"
        REBATES = "rebates", "Referral rebates owed"
        PRIZES = "prizes", "Giveaway prize liabilities"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Writing"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    file_format = models.CharField("format", max_length=4, choices=Format.choices)
    accounts = models.ManyToManyField(BrandAccount, related_name="finance_exports")
    # Period, time zone, campaigns and model, as chosen (ids and ISO strings): the job reads only these.
    parameters = models.JSONField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_expected = models.PositiveIntegerField(null=True, blank=True)
    rows_written = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True, help_text="Under EXPORTS_ROOT; never served directly.")
    byte_size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    totals = models.JSONField(default=dict, blank=True, help_text="Per currency: sales net and credited net.")
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["status", "requested_at"], name="attribution_export_due")]

    def __str__(self):
        return f"{self.get_kind_display()} export #{self.pk}"


class ClosedPeriod(models.Model):
    """A period finance has closed for an account: its figures are frozen in `ClosedFigure` rows."""

    account = models.ForeignKey(BrandAccount, on_delete=models.PROTECT, related_name="closed_periods")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    timezone = models.CharField(max_length=64)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField()
    export = models.ForeignKey(FinanceExport, on_delete=models.PROTECT, related_name="+",
                               help_text="The export that was current when the period closed.")

    class Meta:
        ordering = ["account", "-starts_at"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")),
                                              name="attribution_closed_period_ends_after_start")]

    def __str__(self):
        return f"{self.account}: {self.starts_at:%Y-%m-%d} – {self.ends_at:%Y-%m-%d} (closed)"


class ClosedFigure(models.Model):
    """One credit row as it stood when its period closed (a sale with no credit: empty model and touch)."""

    period = models.ForeignKey(ClosedPeriod, on_delete=models.CASCADE, related_name="figures")
    sale_id = models.BigIntegerField()
    model = models.CharField(max_length=12)
    touch_id = models.BigIntegerField(null=True)
    campaign_id = models.BigIntegerField(null=True)
    account_id = models.BigIntegerField(null=True)
    currency = models.CharField(max_length=3)
    gross = models.DecimalField(**MONEY)
    refunded = models.DecimalField(**MONEY)
    credited_net = models.DecimalField(**MONEY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["period", "sale_id", "model", "touch_id"],
                                               name="attribution_closed_figure_once")]

    def __str__(self):
        return f"Sale {self.sale_id} as closed ({self.model or 'no credit'})"
