"""Referral-discount offers: the set-up (offer, items, tiers), the groups, their members and the ledger.

A group is started by one customer for one item; each friend whose purchase arrives through
the group's links joins it (one `GroupMember` per order) and, once past the refund hold,
counts toward the group's tier. Money facts are `LedgerEntry` rows, append-only: a
payment, a refund, the discount given at purchase, a rebate owed, a reversal. The
counters on the group and the member (`confirmed_count`, `rebate_owed`, …) are what the
rules in promotions/referrals.py keep in step with the rows under the group's lock; they
can always be recounted from the rows (`referrals.recount_group`).
"""

import datetime
import secrets
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from accounts.models import BrandAccount, validate_currency
from campaigns.models import Campaign
from promotions.models.giveaways import Participant

MONEY = {"max_digits": 12, "decimal_places": 2}
PERCENT = {"max_digits": 5, "decimal_places": 2, "validators": [MinValueValidator(0), MaxValueValidator(100)]}


def new_share_code():
    """8 URL-safe characters from `secrets`: 48 bits, not guessable, short enough to read aloud."""
    return secrets.token_urlsafe(6)


class ReferralOffer(models.Model):
    """Items whose price drops for a whole group as friends buy through the group's links."""

    class HoldRule(models.TextChoices):
        AFTER_PURCHASE = "after_purchase", "Each purchase counts once it is older than the hold"
        AT_SETTLEMENT = "at_settlement", "Purchases count at the settlement date (close + hold)"

    class SelfReferral(models.TextChoices):
        NEVER = "never", "Never: a purchase through one's own link does not count, the founder's included"
        FOUNDER_COUNTS = "founder_counts", "The founder's own purchase counts as the group's first member"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="referral_offers")
    account = models.ForeignKey(
        BrandAccount, on_delete=models.PROTECT, related_name="+",
        help_text="The account that runs the offer (the campaign's owner or a co-running account, e.g. the deals "
                  "account); share-link clicks are credited to it.",
    )
    title = models.CharField(max_length=120, help_text="What the offer is, e.g. “Fly together: cheaper for all”.")
    slug = models.SlugField(max_length=80, unique=True, help_text="The offer's address: /o/ followed by this slug.")
    description = models.TextField(blank=True, help_text="Plain text; blank lines start new paragraphs.")
    currency = models.CharField(max_length=3, default="USD", validators=[validate_currency],
                                help_text="Every item's price, the budget and all rebates are in this currency.")
    max_discount_percent = models.DecimalField(
        "maximum discount (%)", default=50, **PERCENT,
        help_text="No group goes deeper than this, whatever the tier table says.",
    )
    budget = models.DecimalField(
        "discount budget", **MONEY, validators=[MinValueValidator(0)],
        help_text="The most the offer may owe in rebates, all groups together. When it is reached, groups stop "
                  "moving to deeper tiers and no new group can start; the offer page says so.",
    )
    starts_at = models.DateTimeField(help_text="Groups can start and purchases join from this moment.")
    ends_at = models.DateTimeField(help_text="Purchases after this moment join no group.")
    hold_days = models.PositiveSmallIntegerField(
        "refund hold (days)", default=14, validators=[MaxValueValidator(365)],
        help_text="How long a purchase can still be refunded; 0 counts purchases at once.",
    )
    hold_rule = models.CharField(max_length=16, choices=HoldRule.choices, default=HoldRule.AFTER_PURCHASE)
    self_referral = models.CharField("self-referral", max_length=16, choices=SelfReferral.choices,
                                     default=SelfReferral.NEVER)

    # Kept by promotions/referrals.py under the groups' locks; never edited in the admin.
    liability = models.DecimalField(**MONEY, default=0, editable=False,
                                    help_text="Rebates owed now: the sum of the ledger's rebates and reversals.")
    budget_reached_at = models.DateTimeField(null=True, blank=True, editable=False)
    settled_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")),
                                   name="promotions_offer_ends_after_start"),
            models.CheckConstraint(condition=Q(liability__gte=0), name="promotions_offer_liability_not_negative"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("promotions:offer-detail", args=[self.slug])

    @property
    def owner_account(self):
        return self.campaign.owner_account

    @property
    def settles_at(self):
        """When the last purchase's hold is over: the close plus the hold."""
        return self.ends_at + datetime.timedelta(days=self.hold_days)


class ReferralItem(models.Model):
    """Something a group can form around, e.g. a destination, with its list price."""

    offer = models.ForeignKey(ReferralOffer, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(max_length=120, help_text="E.g. “Seoul → Jeju, return”.")
    description = models.CharField(max_length=300, blank=True)
    sku = models.CharField("SKU", max_length=64,
                           help_text="The shop's product code: a purchase joins only when its lines include it "
                                     "(or when the shop sends no lines).")
    base_price = models.DecimalField("list price", **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    booking_url = models.URLField(
        max_length=500, blank=True,
        help_text="Where customers buy it. The group's referral code is added as ?ref=<code> (or replaces "
                  "{code} in the address), so the shop can send it back with the sale.",
    )
    image_card = models.ImageField(upload_to="promotions/items/", blank=True, editable=False)
    image_mobile = models.ImageField(upload_to="promotions/items/", blank=True, editable=False)
    image_alt = models.CharField("image description", max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["offer", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["offer", "sku"], name="promotions_item_unique_sku")]

    def __str__(self):
        return self.name


class ReferralTier(models.Model):
    """From `min_members` confirmed members on, every member pays `discount_percent` less than list."""

    offer = models.ForeignKey(ReferralOffer, on_delete=models.CASCADE, related_name="tiers")
    min_members = models.PositiveIntegerField("confirmed members", validators=[MinValueValidator(1)])
    discount_percent = models.DecimalField("discount (%)", **PERCENT)

    class Meta:
        ordering = ["offer", "min_members"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "min_members"], name="promotions_tier_unique_size"),
            models.CheckConstraint(condition=Q(discount_percent__gt=0) & Q(discount_percent__lte=100),
                                   name="promotions_tier_percent_range"),
        ]

    def __str__(self):
        return f"{self.min_members}+ → {self.discount_percent}%"


class ReferralGroup(models.Model):
    """One customer's group for one item; the founder's share link is /r/<code>."""

    offer = models.ForeignKey(ReferralOffer, on_delete=models.PROTECT, related_name="groups")
    item = models.ForeignKey(ReferralItem, on_delete=models.PROTECT, related_name="groups")
    founder = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="founded_groups")
    code = models.CharField(max_length=16, unique=True, default=new_share_code)
    created_at = models.DateTimeField()

    # Kept by promotions/referrals.py under this row's lock.
    confirmed_count = models.PositiveIntegerField(default=0, help_text="Members past their hold who count.")
    member_count = models.PositiveIntegerField(default=0, help_text="Purchases in the group not refunded.")
    tier_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    settled_at = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)

    # The share card (promotions/sharecards.py): re-rendered by a job whenever `card_version` moves past
    # `card_rendered_version`.
    card = models.ImageField(upload_to="promotions/cards/", blank=True)
    card_version = models.PositiveIntegerField(default=1)
    card_rendered_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["item", "founder"], name="promotions_group_one_per_founder")]
        # The card sweep reads only groups whose card is behind their figures.
        indexes = [models.Index(fields=["id"], condition=Q(card_rendered_version__lt=models.F("card_version")),
                                name="promotions_group_card_stale")]

    def __str__(self):
        return f"{self.item} · {self.code}"

    def get_absolute_url(self):
        return reverse("promotions:group-detail", args=[self.offer.slug, self.code])


class GroupMember(models.Model):
    """One purchase that joined a group: who bought, through whose link, what they paid, where it stands."""

    class Status(models.TextChoices):
        PENDING = "pending", "In the refund hold"
        CONFIRMED = "confirmed", "Confirmed"
        FLAGGED = "flagged", "Held for review"
        REJECTED = "rejected", "Rejected on review"
        REFUNDED = "refunded", "Refunded"

    offer = models.ForeignKey(ReferralOffer, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(ReferralGroup, on_delete=models.PROTECT, related_name="members")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="group_memberships")
    referred_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals",
                                    help_text="The member whose link it came through; blank: the founder's.")
    generation = models.PositiveSmallIntegerField(help_text="0: the founder; 1: the founder's friends; 2: theirs…")
    # The group's code followed by the member's own part: /r/<share_code> lands on the group and says who shared.
    share_code = models.CharField(max_length=16, unique=True)

    source = models.CharField(max_length=64, blank=True, help_text="The sales source the order came from.")
    order_reference = models.CharField(max_length=128)
    quantity = models.PositiveIntegerField(default=1)
    list_price = models.DecimalField(**MONEY, help_text="The item's list price × quantity at purchase.")
    paid = models.DecimalField(**MONEY)
    refunded = models.DecimalField(**MONEY, default=0)
    rebate_owed = models.DecimalField(**MONEY, default=0, help_text="Rebates minus reversals in the ledger.")
    currency = models.CharField(max_length=3)
    payment_fingerprint = models.CharField(max_length=128, blank=True)
    network_hash = models.CharField(max_length=64, blank=True)
    agent_hash = models.CharField(max_length=64, blank=True)

    status = models.CharField(max_length=12, choices=Status.choices)
    counts_toward_tier = models.BooleanField(default=True)
    reason = models.CharField(max_length=300, blank=True,
                              help_text="Why the purchase does not count, or why it is held for review.")
    bought_at = models.DateTimeField()
    hold_until = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    # Notifications (promotions/referral_notices.py): what the member is to be told, and when they last were.
    notice_due = models.CharField(max_length=12, blank=True)
    last_emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["group", "bought_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "source", "order_reference"],
                                    name="promotions_member_one_per_order"),
            models.CheckConstraint(condition=Q(refunded__gte=0) & Q(refunded__lte=models.F("paid")),
                                   name="promotions_member_refund_within_paid"),
            models.CheckConstraint(condition=Q(rebate_owed__gte=0), name="promotions_member_rebate_not_negative"),
        ]
        indexes = [
            models.Index(fields=["status", "hold_until"], name="promotions_member_due"),
            models.Index(fields=["source", "order_reference"], name="promotions_member_order"),
            models.Index(fields=["offer", "network_hash", "bought_at"], name="promotions_member_burst"),
            # The every-minute notice sweep reads only the few members with something to hear.
            models.Index(fields=["group", "participant"], condition=~Q(notice_due=""),
                         name="promotions_member_notice_due"),
        ]

    def __str__(self):
        return f"{self.order_reference} in {self.group_id}"

    @property
    def net_paid(self):
        return self.paid - self.refunded


class TierChange(models.Model):
    """A group crossed one tier, up or down: one row per tier crossed (append-only)."""

    class Cause(models.TextChoices):
        JOIN = "join", "A purchase joined"
        HOLD = "hold", "Refund holds ended"
        REFUND = "refund", "A refund"
        REVIEW = "review", "A review"
        SETTLEMENT = "settlement", "Settlement"

    group = models.ForeignKey(ReferralGroup, on_delete=models.PROTECT, related_name="tier_changes")
    from_percent = models.DecimalField(max_digits=5, decimal_places=2)
    to_percent = models.DecimalField(max_digits=5, decimal_places=2)
    confirmed_count = models.PositiveIntegerField()
    cause = models.CharField(max_length=12, choices=Cause.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["group", "at", "id"]

    def __str__(self):
        return f"{self.from_percent}% → {self.to_percent}%"


class LedgerEntry(models.Model):
    """One money fact of one member, never updated or deleted (corrections are new rows).

    Amounts are signed: a payment is positive and a refund negative (their sum is what the member paid,
    net); a rebate is positive and a reversal negative (their sum is the rebate owed). A discount row says
    how far under list price the shop charged at purchase; it is not money moving.
    """

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment"
        REFUND = "refund", "Refund"
        DISCOUNT = "discount", "Discount given at purchase"
        REBATE = "rebate", "Rebate owed"
        REVERSAL = "reversal", "Rebate reversed"

    offer = models.ForeignKey(ReferralOffer, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(ReferralGroup, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(GroupMember, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    tier_percent = models.DecimalField(max_digits=5, decimal_places=2,
                                       help_text="The group's discount when the row was written.")
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["member", "at", "id"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["offer", "kind"], name="promotions_ledger_offer_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} {self.currency}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Ledger entries are never changed; write a new entry (a reversal) instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ledger entries are never deleted; write a reversal instead.")
