from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from accounts.models import BrandAccount
from campaigns.destinations import new_code, validate_destination


class Campaign(models.Model):
    """A time-boxed push owned by one brand account and optionally co-run by others."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        LIVE = "live", "Live"
        PAUSED = "paused", "Paused"
        ENDED = "ended", "Ended"
        ARCHIVED = "archived", "Archived"

    owner_account = models.ForeignKey(BrandAccount, on_delete=models.PROTECT, related_name="campaigns")
    co_accounts = models.ManyToManyField(
        BrandAccount,
        blank=True,
        related_name="co_run_campaigns",
        verbose_name="co-running accounts",
        help_text="Other accounts of the brand that announce this campaign too.",
    )
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True,
                            help_text="The landing page address: /c/ followed by this slug, e.g. /c/winter-sale/.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False)
    # Entered as wall-clock times in the owner account's time zone; stored in UTC.
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)

    headline = models.CharField(max_length=140, blank=True)
    body = models.TextField(blank=True, help_text="Plain text; blank lines start new paragraphs.")
    hero_card = models.ImageField(upload_to="campaigns/hero/", blank=True, editable=False)
    hero_mobile = models.ImageField(upload_to="campaigns/hero/", blank=True, editable=False)
    hero_alt = models.CharField("hero image description", max_length=200, blank=True,
                                help_text="What the hero image shows, for screen readers.")

    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True, default="social")
    utm_campaign = models.CharField(max_length=100, blank=True, help_text="Defaults to the slug when blank.")
    baseline_days = models.PositiveSmallIntegerField(
        "baseline length (days)", default=28, validators=[MinValueValidator(7), MaxValueValidator(365)],
        help_text="Lift compares campaign-window sales with the same weekdays in this many days before the start "
                  "(at least a week).",
    )
    attribution_lookback_days = models.PositiveSmallIntegerField(
        "attribution lookback (days)", default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="A sale is credited to this campaign's touches from up to this many days before it.",
    )

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "name"]
        indexes = [models.Index(fields=["status", "starts_at"]), models.Index(fields=["status", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="campaigns_campaign_ends_after_start",
            ),
            # The sweep starts and ends campaigns by their dates: only drafts and archived ones may lack them.
            models.CheckConstraint(
                condition=Q(status__in=["draft", "archived"]) | Q(starts_at__isnull=False, ends_at__isnull=False),
                name="campaigns_campaign_dates_unless_draft_or_archived",
                violation_error_message="A scheduled, live, paused or ended campaign needs a start and an end.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("campaigns:landing", args=[self.slug])

    @property
    def utm_campaign_value(self):
        return self.utm_campaign or self.slug

    def has_ended(self):
        return self.status in {self.Status.ENDED, self.Status.ARCHIVED}

    def running_accounts(self):
        """The owner first, then the co-running accounts by name (uses prefetched co_accounts)."""
        return [self.owner_account, *sorted(self.co_accounts.all(), key=lambda account: account.name)]


class RetiredSlug(models.Model):
    """A slug a campaign's public page had before a rename: links posted with it keep working (301)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="retired_slugs")
    slug = models.SlugField(max_length=80, unique=True)
    retired_at = models.DateTimeField()

    class Meta:
        ordering = ["-retired_at"]

    def __str__(self):
        return f"/c/{self.slug}/ → {self.campaign}"


class CampaignEvent(models.Model):
    """Append-only log of a campaign's status changes: who, when, from what to what."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", help_text="Empty when the scheduler did it.")
    from_status = models.CharField(max_length=10, choices=Campaign.Status.choices)
    to_status = models.CharField(max_length=10, choices=Campaign.Status.choices)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["occurred_at", "pk"]

    def __str__(self):
        return f"{self.campaign}: {self.from_status} → {self.to_status}"


class TrackingLink(models.Model):
    """A short link per (campaign, account, channel, label) that records a touch and redirects."""

    class Channel(models.TextChoices):
        POST = "post", "Social post"
        PROFILE = "profile", "Profile link"
        STORY = "story", "Story"
        DIRECT_MESSAGE = "dm", "Direct message"
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        AD = "ad", "Paid ad"
        OTHER = "other", "Other"

    class Platform(models.TextChoices):
        X = "x", "X"
        INSTAGRAM = "instagram", "Instagram"
        FACEBOOK = "facebook", "Facebook"
        TIKTOK = "tiktok", "TikTok"
        YOUTUBE = "youtube", "YouTube"
        LINE = "line", "LINE"
        KAKAO = "kakao", "KakaoTalk"
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        OTHER = "other", "Other"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="links")
    account = models.ForeignKey(BrandAccount, on_delete=models.PROTECT, related_name="tracking_links",
                                help_text="The account whose post carries this link.")
    platform = models.CharField(max_length=10, choices=Platform.choices, default=Platform.OTHER,
                                help_text="Where the link is posted.")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.POST)
    label = models.CharField(max_length=60, blank=True, help_text="Tells links of the same channel apart.")
    code = models.SlugField(max_length=16, unique=True, editable=False, default=new_code)
    destination_url = models.CharField(
        "destination", max_length=2000, blank=True, validators=[validate_destination],
        help_text="Leave blank for this campaign's landing page (it follows slug changes), or enter a path "
                  "on this site such as /c/other-campaign/, or a URL on an allowed host.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "account__name", "platform", "channel", "label"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "account", "platform", "channel", "label"],
                                    name="campaigns_trackinglink_unique_per_place",
                                    violation_error_message="This account already has a link with this platform, "
                                                            "channel and label; give the new one another label."),
        ]

    def __str__(self):
        return f"/l/{self.code}"

    def get_absolute_url(self):
        return reverse("campaigns:link", args=[self.code])


class Touch(models.Model):
    """One recorded interaction that can earn credit for a sale. Written only by touches.record_touch()."""

    class Kind(models.TextChoices):
        LINK_CLICK = "link_click", "Tracking-link click"
        REFERRAL_CLICK = "referral_click", "Referral-link click"
        ENTRY = "entry", "Giveaway entry"

    # Indexes are chosen for the click path: every one costs each INSERT (see docs/performance.md).
    visitor_id = models.UUIDField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="touches")
    # Touches are facts sales are credited to: a campaign that has them cannot be deleted (archive it).
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="touches",
                                 db_index=False)  # covered by the (campaign, occurred_at) index
    account = models.ForeignKey(BrandAccount, on_delete=models.PROTECT, related_name="touches")
    link = models.ForeignKey(TrackingLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="touches")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    reference = models.CharField(max_length=64, blank=True,
                                 help_text='The promotion object behind the touch, e.g. "giveaway:12".')
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    utm_term = models.CharField(max_length=100, blank=True)
    utm_content = models.CharField(max_length=100, blank=True)
    gclid = models.CharField(max_length=255, blank=True)
    fbclid = models.CharField(max_length=255, blank=True)
    msclkid = models.CharField(max_length=255, blank=True)
    ttclid = models.CharField(max_length=255, blank=True)
    twclid = models.CharField(max_length=255, blank=True)
    ip_hash = models.CharField(max_length=64, blank=True, help_text="Keyed hash of the IP address; never the IP.")
    is_bot = models.BooleanField(default=False, help_text="Known crawlers and link previewers; never credited.")
    # For fraud rules on referral groups: bursts from one network and browser, links posted on coupon sites.
    network_hash = models.CharField(max_length=64, blank=True,
                                    help_text="Keyed hash of the /24 (IPv6: /48) network; never the address.")
    agent_hash = models.CharField(max_length=64, blank=True, help_text="Keyed hash of the browser's user agent.")
    referrer_host = models.CharField(max_length=253, blank=True,
                                     help_text="The host of the page the click came from, when the browser said.")
    occurred_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "touches"
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["campaign", "occurred_at"]),
            models.Index(fields=["visitor_id", "occurred_at"]),
            # The admin's touch list: newest first within a date range, for every campaign the user sees.
            models.Index(fields=["occurred_at", "id"], name="campaigns_touch_newest"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.campaign} at {self.occurred_at:%Y-%m-%d %H:%M}"


class TouchRollup(models.Model):
    """Touches of one campaign through one account's link on one UTC day, tallied by workers.

    Written only by campaigns.rollups; admin pages read these few rows instead of
    the touch table. Every figure is recomputable from the touches
    (rollups.rebuild_touch_rollups). Sums over rows are exact:

    - `clicks`: rows that are not bots; `bots`: rows that are;
    - `people_first_seen`: visitors whose first touch through this link (or this
      account without a link) was this row's, so their sum over a link's rows is
      the link's distinct visitors;
    - `campaign_people_first_seen`: the same for the campaign as a whole, so the
      sum over a campaign's rows is its distinct visitors (a person who came
      through two links counts once).

    "First" means the touch with the lowest id, so a tally in batches and a
    rebuild from scratch agree row by row.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", db_index=False)
    account = models.ForeignKey(BrandAccount, on_delete=models.CASCADE, related_name="+")
    # SET_NULL like Touch.link: the figures of a deleted link move to "no link" with its touches.
    link = models.ForeignKey(TrackingLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    day = models.DateField(help_text="UTC day of the touches.")
    clicks = models.PositiveBigIntegerField(default=0)
    bots = models.PositiveBigIntegerField(default=0)
    people_first_seen = models.PositiveBigIntegerField(default=0)
    campaign_people_first_seen = models.PositiveBigIntegerField(default=0)

    class Meta:
        # Not unique: a link's deletion turns its rows into "no link" rows beside existing ones (NULLs
        # are distinct), which still sum correctly. The tally finds a row by this key under its lock.
        indexes = [models.Index(fields=["campaign", "day"], name="campaigns_rollup_campaign_day")]

    def __str__(self):
        return f"{self.campaign_id}/{self.account_id}/{self.link_id} on {self.day}"


class TouchRollupVisitor(models.Model):
    """A visitor seen (not as a bot) in a campaign through a link: the set behind the exact people counts.

    One row per distinct (visitor, campaign, account, link); the tally looks a
    batch's visitors up here to know who is new, so counting them twice is
    impossible as long as the tally holds its lock.
    """

    visitor_id = models.UUIDField()
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(BrandAccount, on_delete=models.CASCADE, related_name="+", db_index=False)
    link = models.ForeignKey(TrackingLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            # Leads with visitor_id: the tally looks up a batch's visitors by it.
            models.UniqueConstraint(fields=["visitor_id", "campaign", "account", "link"],
                                    name="campaigns_touchrollupvisitor_unique"),
        ]

    def __str__(self):
        return f"{self.visitor_id} in {self.campaign_id} via {self.link_id}"


class TouchRollupState(models.Model):
    """The tally's one row: how far the rollups have counted, and the lock that makes tallies take turns."""

    tallied_through_id = models.BigIntegerField(default=0, help_text="Every touch with an id up to this is counted.")
    target_id = models.BigIntegerField(null=True, blank=True,
                                       help_text="The highest touch id committed when target_seen_at was read.")
    target_seen_at = models.DateTimeField(null=True, blank=True)
    target_horizon = models.BigIntegerField(
        null=True, blank=True,
        help_text="PostgreSQL: the first transaction id not started when the target was read (pg_snapshot_xmax).")
    complete_as_of = models.DateTimeField(null=True, blank=True,
                                          help_text="Every touch committed before this time is counted.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"tallied through touch {self.tallied_through_id}"
