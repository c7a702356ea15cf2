"""Giveaways: the set-up (giveaway, missions), the people (participants), the facts (entries, flags) and the draws.

Facts are rows and totals are derived: an `Entry` is one completed mission in one
round; `EntryTally` rows are what the tally workers derive from them for the admin
and can always be recomputed (promotions/tallies.py). Rules live in functions
(promotions/giveaways.py, rounds.py, drawing.py, winners.py, fraud.py, rules.py),
not here.
"""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from accounts.models import BrandAccount, validate_currency
from campaigns.models import Campaign, TrackingLink
from promotions import recurrence


def new_salt():
    return secrets.token_hex(16)


def new_referral_code():
    return secrets.token_urlsafe(6)


class Giveaway(models.Model):
    """A prize draw inside a campaign, held once or in recurring rounds in the owner account's time zone."""

    class Recurrence(models.TextChoices):
        ONCE = recurrence.ONCE, "Once"
        DAILY = recurrence.DAILY, "Every day"
        WEEKLY = recurrence.WEEKLY, "Every week"
        MONTHLY = recurrence.MONTHLY, "Every month"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="giveaways")
    title = models.CharField(max_length=120, help_text="What people win, in a few words, e.g. “Two tickets to Jeju”.")
    slug = models.SlugField(max_length=80, unique=True,
                            help_text="The giveaway's address: /g/ followed by this slug.")
    prize_description = models.TextField(blank=True, help_text="Plain text; blank lines start new paragraphs.")
    prize_card = models.ImageField(upload_to="promotions/prizes/", blank=True, editable=False)
    prize_mobile = models.ImageField(upload_to="promotions/prizes/", blank=True, editable=False)
    prize_alt = models.CharField("prize image description", max_length=200, blank=True,
                                 help_text="What the prize image shows, for screen readers.")
    prize_value = models.DecimalField(
        "approximate retail value per winner", max_digits=12, decimal_places=2, default=0,
        validators=[MinValueValidator(0)],
        help_text="The ARV the official rules state, per winner, in the currency below.",
    )
    currency = models.CharField(max_length=3, default="USD", validators=[validate_currency])
    winners_per_round = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1),
                                                                                MaxValueValidator(1000)])
    alternates_per_round = models.PositiveSmallIntegerField(
        default=3, validators=[MaxValueValidator(1000)],
        help_text="Drawn in order after the winners; the next one replaces a winner who forfeits.",
    )
    claim_days = models.PositiveSmallIntegerField(
        "days to claim", default=14, validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="A winner who has not claimed the prize this many days after being told forfeits it.",
    )

    minimum_age = models.PositiveSmallIntegerField(default=18, validators=[MaxValueValidator(120)])
    allowed_countries = models.CharField(
        max_length=400, blank=True,
        help_text="Two-letter country codes separated by commas, e.g. “KR, JP”; blank allows every country.",
    )
    denied_countries = models.CharField(max_length=400, blank=True,
                                        help_text="Two-letter country codes that may not enter, e.g. “US”.")
    exclude_past_winners = models.BooleanField(
        default=False, help_text="People who won an earlier round of this giveaway cannot win again.",
    )
    entry_limit_per_person = models.PositiveIntegerField(
        "entries per person per round", null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="The most entries one person can earn in a round; blank for no limit.",
    )

    recurrence = models.CharField("rounds", max_length=8, choices=Recurrence.choices, default=Recurrence.ONCE)
    opens_at_local_time = models.TimeField(
        "rounds open at", help_text="Wall-clock time in the owner account's time zone; the draw is at the close.",
    )
    window_hours = models.PositiveIntegerField(
        "entries open for (hours)", null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Blank: each round stays open until the next one opens (the last until the campaign ends).",
    )
    opens_on = models.DateField("one-off round opens on", null=True, blank=True)
    day_of_week = models.PositiveSmallIntegerField(null=True, blank=True, choices=Weekday.choices)
    day_of_month = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text="29, 30 and 31 fall on the last day of shorter months.",
    )

    sponsor = models.CharField(max_length=200, blank=True,
                               help_text="The legal name and address of the sponsor, for the official rules.")
    free_entry_method = models.TextField(
        "free method of entry", blank=True,
        help_text="How to enter without buying anything (required when a mission asks for a purchase).",
    )
    rules_text = models.TextField("additional rules", blank=True,
                                  help_text="Free text added to the generated official rules.")
    draws_automatically = models.BooleanField(
        default=True,
        help_text="Draw each round as soon as it closes. Untick to review held entries first and press "
                  "“Draw now” on the round.",
    )
    registration_threshold = models.DecimalField(
        max_digits=12, decimal_places=2, default=5000, validators=[MinValueValidator(0)],
        help_text="Warn when the prizes of all rounds together pass this value (New York and Florida "
                  "require registration above $5,000).",
    )

    # Secret: keys the public pseudonyms of entrants (promotions.identities.pseudonym).
    pseudonym_salt = models.CharField(max_length=64, default=new_salt, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("promotions:giveaway-detail", args=[self.slug])

    @property
    def owner_account(self):
        return self.campaign.owner_account

    def schedule(self):
        """The recurrence as promotions.recurrence understands it (raises ValueError for an impossible one)."""
        import datetime

        return recurrence.Recurrence(
            kind=self.recurrence,
            opens_at_local_time=self.opens_at_local_time,
            closes_after=datetime.timedelta(hours=self.window_hours) if self.window_hours else None,
            day_of_week=self.day_of_week if self.recurrence == recurrence.WEEKLY else None,
            day_of_month=self.day_of_month if self.recurrence == recurrence.MONTHLY else None,
            opens_on=self.opens_on if self.recurrence == recurrence.ONCE else None,
        )


class Mission(models.Model):
    """One way to earn entries in a giveaway; each person completes it once per round (daily: once a day)."""

    class Kind(models.TextChoices):
        VISIT_LINK = "visit_link", "Visit a tracking link"
        SECRET_CODE = "secret_code", "Enter a secret code"
        QUIZ = "quiz", "Answer a quiz question"
        PROOF_URL = "proof_url", "Follow or share, with a link as proof"
        REFER_FRIEND = "refer_friend", "Refer a friend"
        PURCHASE = "purchase", "Make a purchase"
        DAILY_VISIT = "daily_visit", "Come back daily"
        NEWSLETTER = "newsletter", "Sign up for the newsletter"

    giveaway = models.ForeignKey(Giveaway, on_delete=models.CASCADE, related_name="missions")
    position = models.PositiveSmallIntegerField(default=0, help_text="Missions are listed in this order.")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    title = models.CharField(max_length=120, help_text="What the customer sees, e.g. “Find the code on @hanbit_deals”.")
    instructions = models.TextField(blank=True)
    entries = models.PositiveSmallIntegerField("entries earned", default=1,
                                               validators=[MinValueValidator(1), MaxValueValidator(1000)])
    required = models.BooleanField(default=False,
                                   help_text="Entries count in the draw only once every required mission is done.")
    unlock_after = models.PositiveSmallIntegerField(
        "unlocked after", default=0,
        help_text="How many other missions a person must complete first; 0 means open from the start.",
    )
    account = models.ForeignKey(
        BrandAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The account that announces this mission (posts the code, carries the link); "
                  "blank means the campaign's owner account.",
    )
    link = models.ForeignKey(TrackingLink, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             help_text="For “visit a tracking link”: the link to visit.")
    secret_code = models.CharField(max_length=60, blank=True,
                                   help_text="For “enter a secret code”: case and spaces do not matter.")
    code_posted_at = models.DateTimeField(null=True, blank=True,
                                          help_text="When the account posts the code (for the team's calendar).")
    question = models.CharField(max_length=300, blank=True)
    choices = models.TextField(blank=True, help_text="For a quiz: one answer per line.")
    correct_choice = models.CharField(max_length=200, blank=True, help_text="For a quiz: the right answer, as listed.")
    minimum_purchase = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True,
                                           help_text="For “make a purchase”: the least a sale must be worth.")

    class Meta:
        ordering = ["giveaway", "position", "pk"]

    def __str__(self):
        return self.title

    def choice_list(self):
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class Participant(models.Model):
    """One person across all of the brand's accounts, keyed by their normalised email (identities.py)."""

    identity = models.CharField(max_length=254, unique=True,
                                help_text="The normalised email: every spelling of one address gives one person.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="participants")
    email = models.EmailField(help_text="The address as the person typed it, for sending.")
    country = models.CharField(max_length=2, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    referral_code = models.CharField(max_length=16, unique=True, default=new_referral_code)
    blocked_at = models.DateTimeField(null=True, blank=True)
    blocked_reason = models.CharField(max_length=300, blank=True)
    blocked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField()

    def __str__(self):
        return self.email


class Round(models.Model):
    """One entry window of a giveaway and its draw; created when it opens (promotions/rounds.py)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        DRAWN = "drawn", "Drawn"

    giveaway = models.ForeignKey(Giveaway, on_delete=models.PROTECT, related_name="rounds")
    number = models.PositiveIntegerField()
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    # The seed stays secret until the draw; its commitment is public from the opening.
    seed = models.CharField(max_length=64, editable=False)
    commitment = models.CharField(max_length=64, editable=False)
    rules_version = models.ForeignKey("RulesVersion", on_delete=models.PROTECT, related_name="rounds")
    # The figures the rules promise for this round (winners, eligibility, limits, required missions),
    # frozen at the opening with the rules text: promotions.rules.terms_of(round).
    terms = models.JSONField(default=dict, editable=False)
    # Set by the draw: the size of the frozen entry set (its digest is the Draw's).
    entrant_count = models.PositiveIntegerField(null=True, blank=True)
    total_weight = models.PositiveBigIntegerField(null=True, blank=True)
    tallied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["giveaway", "number"]
        constraints = [
            models.UniqueConstraint(fields=["giveaway", "number"], name="promotions_round_number"),
            models.UniqueConstraint(fields=["giveaway", "opens_at"], name="promotions_round_opening"),
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")),
                                   name="promotions_round_closes_after_opening"),
        ]
        indexes = [models.Index(fields=["status", "closes_at"])]

    def __str__(self):
        return f"{self.giveaway} — round {self.number}"

    def is_open(self, at):
        return self.status == self.Status.OPEN and self.opens_at <= at < self.closes_at


class RoundEvent(models.Model):
    """Append-only log of a round's status changes, like CampaignEvent."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", help_text="Empty when the scheduler did it.")
    from_status = models.CharField(max_length=8, choices=Round.Status.choices, blank=True)
    to_status = models.CharField(max_length=8, choices=Round.Status.choices)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["occurred_at", "pk"]

    def __str__(self):
        return f"{self.round}: {self.from_status or 'new'} → {self.to_status}"


class RulesVersion(models.Model):
    """The official rules as they stood when a round opened; never edited (promotions/rules.py)."""

    giveaway = models.ForeignKey(Giveaway, on_delete=models.CASCADE, related_name="rules_versions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["giveaway", "number"]
        constraints = [models.UniqueConstraint(fields=["giveaway", "number"], name="promotions_rules_version_number")]

    def __str__(self):
        return f"{self.giveaway} — rules version {self.number}"


class Entry(models.Model):
    """One completed mission in one round: the fact every tally and draw is derived from.

    Written only by promotions.giveaways.complete_mission(). `occurrence` tells repeatable completions
    apart ("" for once per round, the local date for daily visits, "friend:<id>" for referrals); the
    unique constraint makes a double submit a no-op.
    """

    class Status(models.TextChoices):
        COUNTED = "counted", "Counted"
        AWAITING_REVIEW = "review", "Awaiting review"
        HELD = "held", "Held by a fraud rule"
        REJECTED = "rejected", "Rejected"

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="entries")
    mission = models.ForeignKey(Mission, on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(BrandAccount, on_delete=models.PROTECT, related_name="+",
                                help_text="The account credited with the completion.")
    occurrence = models.CharField(max_length=80, blank=True, default="")
    weight = models.PositiveIntegerField(help_text="Entries earned; may be cut by the per-person limit.")
    answer = models.CharField(max_length=500, blank=True, help_text="The code, answer or proof link given.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.COUNTED)
    review_note = models.CharField(max_length=300, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    ip_hash = models.CharField(max_length=64, blank=True)
    network_hash = models.CharField(max_length=64, blank=True, help_text="Keyed hash of the /24 (IPv6: /48).")
    agent_hash = models.CharField(max_length=64, blank=True, help_text="Keyed hash of the user agent.")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "entries"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["round", "mission", "participant", "occurrence"],
                                    name="promotions_entry_once"),
        ]
        indexes = [
            models.Index(fields=["participant", "round"]),
            models.Index(fields=["round", "status"]),
            models.Index(fields=["ip_hash", "created_at"]),
            models.Index(fields=["network_hash", "created_at"]),
        ]

    def __str__(self):
        return f"{self.participant} — {self.mission} ({self.weight})"


class Flag(models.Model):
    """Why a fraud rule held an entry or a participant; cleared or upheld by a marketer, never deleted."""

    class Rule(models.TextChoices):
        DISPOSABLE_EMAIL = "disposable", "Disposable email address"
        IP_VELOCITY = "ip_velocity", "Too many entries from one IP address"
        PARTICIPANT_VELOCITY = "velocity", "Too many entries from one person"
        CLUSTER = "cluster", "Many people on one network and browser"
        REFERRAL_LOOP = "referral_loop", "Referral loop"

    class Decision(models.TextChoices):
        OPEN = "open", "Awaiting review"
        CLEARED = "cleared", "Cleared"
        UPHELD = "upheld", "Upheld (entries rejected)"

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="flags")
    rule = models.CharField(max_length=16, choices=Rule.choices)
    reason = models.CharField(max_length=300)
    decision = models.CharField(max_length=8, choices=Decision.choices, default=Decision.OPEN)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["decision", "created_at"])]

    def __str__(self):
        return f"{self.get_rule_display()}: {self.reason}"


class Referral(models.Model):
    """A friend who came to a giveaway through a participant's referral link."""

    giveaway = models.ForeignKey(Giveaway, on_delete=models.CASCADE, related_name="referrals")
    referrer = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="referrals_made")
    friend = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="referrals_received")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["giveaway", "friend"], name="promotions_referral_once_per_friend"),
            models.CheckConstraint(condition=~Q(referrer=models.F("friend")), name="promotions_referral_not_self"),
        ]

    def __str__(self):
        return f"{self.referrer} → {self.friend}"


class NewsletterConsent(models.Model):
    """Consent to an account's newsletter: separate from any entry, with the text the person agreed to."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="consents")
    account = models.ForeignKey(BrandAccount, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=300)
    given_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.participant} — {self.account}"


class EntryTally(models.Model):
    """Entries of one round per mission, account and local day, derived by promotions/tallies.py."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="tallies")
    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(BrandAccount, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="Day in the owner account's time zone.")
    counted_entries = models.PositiveBigIntegerField(default=0)
    completions = models.PositiveBigIntegerField(default=0, help_text="Counted completions.")
    waiting = models.PositiveBigIntegerField(default=0, help_text="Completions awaiting review or held.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "mission", "account", "day"],
                                               name="promotions_entry_tally_key")]

    def __str__(self):
        return f"{self.round} / {self.mission} / {self.day}"


class Draw(models.Model):
    """The one draw of a round: everything needed to re-run it (promotions/drawing.py, docs/draws.md)."""

    round = models.OneToOneField(Round, on_delete=models.PROTECT, related_name="draw")
    algorithm = models.CharField(max_length=32)
    seed = models.CharField(max_length=64)
    commitment = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)
    winners = models.PositiveSmallIntegerField()
    alternates = models.PositiveSmallIntegerField()
    result = models.JSONField(help_text="Pseudonyms of the winners then the alternates, in order.")
    entrants_file = models.FileField(upload_to="promotions/draws/", editable=False)
    drawn_at = models.DateTimeField()
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")

    def __str__(self):
        return f"Draw of {self.round}"

    def get_absolute_url(self):
        return reverse("promotions:draw-detail", args=[self.round.giveaway.slug, self.pk])


class Winner(models.Model):
    """A drawn place: a winner, or an alternate waiting to replace one. Status changes are WinnerEvents."""

    class Status(models.TextChoices):
        ALTERNATE = "alternate", "Alternate, waiting"
        NOTIFIED = "notified", "Notified"
        CLAIMED = "claimed", "Claimed"
        VERIFIED = "verified", "Verified"
        FORFEITED = "forfeited", "Forfeited"

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="places")
    place = models.PositiveSmallIntegerField(help_text="1 is the first winner; alternates follow the winners.")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="wins")
    pseudonym = models.CharField(max_length=16)
    status = models.CharField(max_length=10, choices=Status.choices)
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="replaced_by")
    claim_token = models.CharField(max_length=43, unique=True, null=True, blank=True, editable=False)
    notified_at = models.DateTimeField(null=True, blank=True)
    claim_deadline = models.DateTimeField(null=True, blank=True)
    full_name = models.CharField(max_length=200, blank=True)
    shipping_address = models.TextField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["draw", "place"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "place"], name="promotions_winner_place"),
            models.UniqueConstraint(fields=["draw", "participant"], name="promotions_winner_once_per_draw"),
        ]

    def __str__(self):
        return f"#{self.place} {self.pseudonym} ({self.get_status_display()})"


class WinnerEvent(models.Model):
    """Append-only history of a drawn place: notified, claimed, verified, forfeited, replaced, with reasons."""

    winner = models.ForeignKey(Winner, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    from_status = models.CharField(max_length=10, choices=Winner.Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Winner.Status.choices)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["occurred_at", "pk"]

    def __str__(self):
        return f"{self.winner}: {self.from_status or 'drawn'} → {self.to_status}"
