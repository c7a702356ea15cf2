"""Credit: the share of a sale given to one touch under one attribution model.

Written only by `attribution.crediting`, which can recompute every row from the sales and the
touches (and writes nothing when a recompute agrees). A credit keeps the touch's facts (campaign,
account, kind, reference, time) rather than relying on the touch row, so the touch table can be
partitioned or pruned later (docs/architecture.md, "Past one machine").
"""

from django.db import models
from django.db.models import Q

from accounts.models import BrandAccount
from attribution.models.sales import MONEY, Sale
from campaigns.models import Campaign


class Model(models.TextChoices):
    LAST_TOUCH = "last_touch", "Last touch"
    FIRST_TOUCH = "first_touch", "First touch"
    LINEAR = "linear", "Linear"
    POSITION = "position", "Position-based (40/20/40)"
    TIME_DECAY = "time_decay", "Time decay (7-day half-life)"


class Credit(models.Model):
    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="credits")
    model = models.CharField(max_length=12, choices=Model.choices)
    touch_id = models.BigIntegerField(help_text="The touch credited (kept as a number: touches may be pruned).")
    touch_at = models.DateTimeField()
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="credits")
    account = models.ForeignKey(BrandAccount, on_delete=models.PROTECT, related_name="credits",
                                help_text="The account the touch was made through.")
    touch_kind = models.CharField(max_length=16)
    reference = models.CharField(max_length=64, blank=True)
    referral_group_id = models.BigIntegerField(null=True, blank=True)
    generation = models.PositiveSmallIntegerField(null=True, blank=True)
    share = models.DecimalField(max_digits=9, decimal_places=8, help_text="This touch's part of the sale, 0–1.")
    credited_gross = models.DecimalField(**MONEY)
    credited_net = models.DecimalField(**MONEY, help_text="The share of the sale's net (gross less refunds).")

    class Meta:
        ordering = ["sale", "model", "touch_at"]
        constraints = [
            models.UniqueConstraint(fields=["sale", "model", "touch_id"], name="attribution_credit_once"),
            models.CheckConstraint(condition=Q(share__gt=0) & Q(share__lte=1), name="attribution_credit_share"),
        ]
        indexes = [
            models.Index(fields=["campaign", "model"], name="attribution_credit_campaign"),
            models.Index(fields=["account", "model"], name="attribution_credit_account"),
        ]

    def __str__(self):
        return f"{self.get_model_display()} credit of {self.sale} to touch {self.touch_id}"
