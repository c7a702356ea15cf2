import re
import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.currencies import ISO_4217_CODES
from accounts.roles import Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A person: customer, staff member or both. The email address is the login."""

    email = models.EmailField("email address", unique=True)
    name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(
        default=False, help_text="May sign in to the admin. Granted when the user joins a brand account."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self):
        return self.email

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return self.name.split(" ")[0] if self.name else self.email


def validate_timezone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            f"“{value}” is not a time zone name. Use an IANA name such as Asia/Seoul or Europe/Paris."
        )


def validate_currency(value):
    if value not in ISO_4217_CODES:
        raise ValidationError(f"“{value}” is not an ISO 4217 currency code. Use three capitals such as KRW or EUR.")


validate_colour = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", "Enter the colour as # and six hex digits, e.g. #0A5FFF."
)


class BrandAccount(models.Model):
    """One social presence of the brand: its main account, deals account, a product line or a persona."""

    class Kind(models.TextChoices):
        MAIN = "main", "Main"
        DEALS = "deals", "Deals"
        PRODUCT = "product", "Product line"
        SUPPORT = "support", "Support"
        PERSONA = "persona", "Staff persona"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MAIN)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The account this one sits under, e.g. the main account for a deals account.",
    )
    description = models.TextField(blank=True)
    avatar = models.ImageField(upload_to="accounts/avatars/", blank=True, editable=False,
                               help_text="A 256×256 rendition made by accounts.images; never the upload itself.")
    brand_colour = models.CharField(max_length=7, default="#1F4E8C", validators=[validate_colour])
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="Schedules and draws of this account use this IANA time zone, e.g. Asia/Seoul.",
    )
    currency = models.CharField(max_length=3, default="USD", validators=[validate_currency])
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")), name="accounts_brandaccount_not_own_parent"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.currency:
            self.currency = self.currency.upper()
        ancestor = self.parent
        while ancestor is not None:
            if self.pk is not None and ancestor.pk == self.pk:
                raise ValidationError({"parent": "An account cannot sit under itself or one of its own sub-accounts."})
            ancestor = ancestor.parent


class SocialHandle(models.Model):
    """The account's name on one social platform."""

    class Platform(models.TextChoices):
        X = "x", "X (Twitter)"
        FACEBOOK = "facebook", "Facebook"
        INSTAGRAM = "instagram", "Instagram"
        THREADS = "threads", "Threads"
        TIKTOK = "tiktok", "TikTok"
        YOUTUBE = "youtube", "YouTube"
        LINE = "line", "LINE"
        KAKAO = "kakao", "KakaoTalk channel"
        OTHER = "other", "Other"

    account = models.ForeignKey(BrandAccount, on_delete=models.CASCADE, related_name="handles")
    platform = models.CharField(max_length=12, choices=Platform.choices)
    handle = models.CharField(
        max_length=100,
        validators=[
            RegexValidator(
                r"^[\w.\-]+$",
                "Use the handle's letters, digits, dots, dashes and underscores only, without @.",
                flags=re.UNICODE,
            )
        ],
    )
    profile_url = models.URLField("profile URL", blank=True)

    class Meta:
        ordering = ["platform", "handle"]
        constraints = [
            models.UniqueConstraint(
                "platform", Lower("handle"), name="accounts_socialhandle_unique_per_platform",
                violation_error_message="This handle is already listed for this platform; each handle belongs "
                                        "to one brand account.",
            ),
        ]

    def __str__(self):
        return f"@{self.handle} on {self.get_platform_display()}"

    def clean(self):
        self.handle = (self.handle or "").strip().lstrip("@")


class Membership(models.Model):
    """A staff user's role in one brand account."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    account = models.ForeignKey(BrandAccount, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="accounts_membership_one_role_per_account"),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} of {self.account}"
