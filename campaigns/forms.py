"""The admin's campaign form: local wall-clock dates and the hero image upload."""

from django import forms

from accounts.images import MOBILE, SOCIAL_CARD, ImageRejected, render_image
from campaigns.models import Campaign, TrackingLink
from campaigns.schedules import WallClockError, to_local, to_utc

LOCAL_INPUT_FORMATS = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"]


class CampaignForm(forms.ModelForm):
    starts_local = forms.DateTimeField(
        label="Starts", required=False, input_formats=LOCAL_INPUT_FORMATS,
        help_text="Wall-clock time in the owner account's time zone, e.g. 2026-12-10 10:00.",
    )
    ends_local = forms.DateTimeField(
        label="Ends", required=False, input_formats=LOCAL_INPUT_FORMATS,
        help_text="Wall-clock time in the owner account's time zone.",
    )
    hero_upload = forms.FileField(
        label="Hero image", required=False,
        help_text="JPEG, PNG, WebP or GIF up to 5 MB. Chorus makes a 1200×630 social card and a 600 px phone image.",
    )

    class Meta:
        model = Campaign
        fields = ["owner_account", "co_accounts", "name", "slug", "headline", "body", "hero_alt",
                  "utm_source", "utm_medium", "utm_campaign", "baseline_days"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        if instance.pk and instance.owner_account_id:
            tz_name = instance.owner_account.timezone
            if instance.starts_at:
                self.initial["starts_local"] = to_local(instance.starts_at, tz_name)
            if instance.ends_at:
                self.initial["ends_local"] = to_local(instance.ends_at, tz_name)
        for name in ("starts_local", "ends_local"):
            if name in self.fields:
                # The field shows wall-clock values as they are, never shifted by the server's zone.
                self.fields[name].widget = forms.DateTimeInput(format="%Y-%m-%d %H:%M",
                                                               attrs={"placeholder": "2026-12-10 10:00"})

    def clean(self):
        cleaned = super().clean()
        owner = cleaned.get("owner_account")
        if owner is None and self.instance.owner_account_id:
            owner = self.instance.owner_account  # read-only once saved
        co_accounts = cleaned.get("co_accounts")
        if owner and co_accounts and owner in co_accounts:
            self.add_error("co_accounts", f"{owner} owns the campaign already; pick only the other accounts.")
        if owner:
            self.convert_local_times(owner.timezone)
        upload = cleaned.get("hero_upload")
        if upload:
            try:
                self.hero_renditions = render_image(upload=upload, renditions=[SOCIAL_CARD, MOBILE])
            except ImageRejected as error:
                self.add_error("hero_upload", str(error))
        return cleaned

    def convert_local_times(self, tz_name):
        for local_name, field_name in (("starts_local", "starts_at"), ("ends_local", "ends_at")):
            local = self.cleaned_data.get(local_name)
            if local is None:
                setattr(self.instance, field_name, None)
                continue
            local = local.replace(tzinfo=None)
            if not 2000 <= local.year <= 2100:
                self.add_error(local_name, "Pick a date between the years 2000 and 2100.")
                continue
            try:
                setattr(self.instance, field_name, to_utc(local, tz_name))
            except WallClockError as error:
                self.add_error(local_name, str(error))
        starts, ends = self.instance.starts_at, self.instance.ends_at
        if starts and ends and ends <= starts and not self.has_error("ends_local"):
            self.add_error("ends_local", "The end must come after the start.")

    def save(self, commit=True):
        campaign = super().save(commit=False)
        renditions = getattr(self, "hero_renditions", None)
        if renditions:
            campaign.hero_card.save(renditions["card"].name, renditions["card"], save=False)
            campaign.hero_mobile.save(renditions["mobile"].name, renditions["mobile"], save=False)
        if commit:
            campaign.save()
            self._save_m2m()
        return campaign


class TrackingLinkForm(forms.ModelForm):
    class Meta:
        model = TrackingLink
        fields = ["account", "platform", "channel", "label", "destination_url", "active"]


class TrackingLinkFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        campaign = self.instance
        owner_id = getattr(campaign, "owner_account_id", None)
        running = {owner_id}
        if campaign.pk:
            running |= set(campaign.co_accounts.values_list("pk", flat=True))
        for form in self.forms:
            account = form.cleaned_data.get("account") if hasattr(form, "cleaned_data") else None
            if account and not form.cleaned_data.get("DELETE") and account.pk not in running:
                form.add_error("account", f"{account} does not run this campaign; add it as a co-running "
                                          "account first, save, then add its links.")
