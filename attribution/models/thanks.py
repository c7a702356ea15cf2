"""The thank-you e-mail an account may send to buyers its campaigns or promotions brought in."""

from django.conf import settings
from django.db import models

from accounts.models import BrandAccount
from attribution.models.sales import Sale

DEFAULT_SUBJECT = "Thank you for your order from {account}"
DEFAULT_BODY = (
    "Hello,\n\nThank you for your order {order}. We are glad {campaign} brought you to us"
    "{referrer_clause}.\n\nSee you soon,\n{account}"
)


class ThankYouTemplate(models.Model):
    account = models.OneToOneField(BrandAccount, on_delete=models.CASCADE, related_name="thank_you")
    enabled = models.BooleanField(default=False, help_text="Send the e-mail to newly credited buyers.")
    subject = models.CharField(max_length=150, default=DEFAULT_SUBJECT)
    body = models.TextField(default=DEFAULT_BODY, help_text=(
        "Plain text. Variables: {account}, {order}, {campaign}, {item}, {referrer} (the referrer's first name, "
        "or empty) and {referrer_clause} (\" through Mina\" or empty)."))
    enabled_at = models.DateTimeField(null=True, blank=True, editable=False,
                                      help_text="When the e-mail was last switched on: only sales recorded after it.")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)

    class Meta:
        verbose_name = "thank-you e-mail"

    def __str__(self):
        return f"Thank-you e-mail of {self.account}"


class ThankYouMessage(models.Model):
    """At most one per sale: the unique key is what makes "once per order" hold under retries."""

    class Status(models.TextChoices):
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Not sent"
        FAILED = "failed", "Failed; will retry"

    sale = models.OneToOneField(Sale, on_delete=models.CASCADE, related_name="thank_you")
    account = models.ForeignKey(BrandAccount, on_delete=models.CASCADE, related_name="thank_you_messages")
    status = models.CharField(max_length=8, choices=Status.choices)
    reason = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["status", "at"], name="attribution_thanks_status")]

    def __str__(self):
        return f"Thank-you e-mail for {self.sale}: {self.get_status_display()}"


class MailOptOut(models.Model):
    """A customer who asked for no more thank-you e-mails (by the link in one). Keyed by normalised address."""

    identity = models.CharField(max_length=254, unique=True)
    at = models.DateTimeField()

    def __str__(self):
        return f"Opt-out of {self.identity}"
