"""The admin's campaign form: local wall-clock dates and the hero image upload."""

import datetime

from django import forms

from accounts.images import MOBILE, SOCIAL_CARD, ImageRejected, render_image
from campaigns.models import Campaign, TrackingLink
from campaigns.running import co_accounts_problem, link_account_problem, running_account_ids
from campaigns.schedules import WallClockError, to_local, to_utc
from campaigns.slugs import has_been_public, retire_slug, slug_problem

LOCAL_INPUT_FORMATS = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"]


class WallClockField(forms.DateTimeField):
    """A naive wall-clock date-time: never interpreted in the server's zone (the owner's zone applies)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value.replace(tzinfo=None)
        return forms.fields.BaseTemporalField.to_python(self, value)

    def strptime(self, value, format):
        return datetime.datetime.strptime(value, format)


class CampaignForm(forms.ModelForm):
    starts_local = WallClockField(
        label="Starts", required=False, input_formats=LOCAL_INPUT_FORMATS,
        help_text="Wall-clock time in the owner account's time zone, e.g. 2026-12-10 10:00.",
    )
    ends_local = WallClockField(
        label="Ends", required=False, input_formats=LOCAL_INPUT_FORMATS,
        help_text="Wall-clock time in the owner account's time zone.",
    )
    confirm_slug_change = forms.BooleanField(
        label="Yes, change the public address", required=False,
        help_text="Only needed when changing the slug of a campaign that has been public.",
    )
    hero_upload = forms.FileField(
        label="Hero image", required=False,
        help_text="JPEG, PNG, WebP or GIF up to 5 MB. Chorus makes a 1200×630 social card and a 600 px phone image.",
    )

    class Meta:
        model = Campaign
        fields = ["owner_account", "co_accounts", "name", "slug", "headline", "body", "hero_alt",
                  "utm_source", "utm_medium", "utm_campaign", "baseline_days", "attribution_lookback_days"]
        # A brand has a handful of accounts: plain checkboxes read better (and to screen readers) than
        # the admin's two-list widget.
        widgets = {"co_accounts": forms.CheckboxSelectMultiple}

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
        problem = co_accounts_problem(owner=owner, co_accounts=co_accounts or [])
        if problem:
            self.add_error("co_accounts", problem)
        if owner is not None and co_accounts is not None:
            # The links on the same page are checked against the accounts that will run the campaign once
            # this save is done, not the ones saved before it (a removed co-account's new link would be dead).
            self.instance.running_ids_after_save = {owner.pk, *(account.pk for account in co_accounts)}
        if owner:
            self.convert_local_times(owner.timezone)
            self.require_dates_unless_draft()
        if owner is not None and self.instance.owner_account_id is None:
            self.instance.owner_account = owner  # so a clash with the account's own old slug names the campaign
        self.check_slug_change(cleaned.get("slug"))
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

    def check_slug_change(self, slug):
        """A slug kept for another campaign's old links is refused; changing a public slug needs a tick."""
        if not slug:
            return
        problem = slug_problem(slug=slug, campaign=self.instance)
        if problem:
            self.add_error("slug", problem)
            return
        old_slug = self.initial.get("slug")
        if (self.instance.pk and old_slug and slug != old_slug and has_been_public(self.instance)
                and not self.cleaned_data.get("confirm_slug_change")):
            self.add_error("confirm_slug_change", (
                f"This campaign has been public at /c/{old_slug}/. Links and QR codes with the old address "
                f"keep working (they redirect to /c/{slug}/), but posts and print will show the old one. "
                "Tick the box to change it."))

    def after_save(self, *, at):
        """Keep the old address working when a public campaign's slug changed (same transaction as the save)."""
        old_slug = self.initial.get("slug")
        if old_slug and "slug" in self.changed_data and has_been_public(self.instance):
            retire_slug(campaign=self.instance, old_slug=old_slug, at=at)

    def require_dates_unless_draft(self):
        """The sweep starts and ends campaigns by their dates; only drafts and archived ones may lack them."""
        status = Campaign.Status(self.instance.status)
        if status in {Campaign.Status.DRAFT, Campaign.Status.ARCHIVED}:
            return
        for local_name, field_name in (("starts_local", "starts_at"), ("ends_local", "ends_at")):
            if getattr(self.instance, field_name) is None and not self.has_error(local_name):
                self.add_error(local_name, f"A {status.label.lower()} campaign needs a start and an end. "
                                           "To clear the dates, move it back to draft first.")

    def model_fields_to_save(self):
        """The columns this form writes: its own fields and what they become, never the status.

        Saving with exactly these `update_fields` means a pause, or the scheduler's start, that lands
        while someone has the form open is not reverted by their save.
        """
        own = [field.name for field in Campaign._meta.concrete_fields if field.name in self.fields]
        extra = ["starts_at", "ends_at", "updated_by", "updated_at"]
        if getattr(self, "hero_renditions", None):
            extra += ["hero_card", "hero_mobile"]
        return own + extra

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Rows of a table have no <label>s: each field names itself to screen readers.
        for name, field in self.fields.items():
            if name in self._meta.fields:
                widget = getattr(field.widget, "widget", field.widget)  # the admin wraps the account menu
                widget.attrs.setdefault("aria-label", str(field.label).capitalize())


class TrackingLinkFormSet(forms.BaseInlineFormSet):
    #: Accounts whose links the user may make and change (None: any). The admin sets it per request.
    editable_account_ids = None

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs["aria-label"] = "Delete this link"

    def not_editable(self, account_id):
        return self.editable_account_ids is not None and account_id not in self.editable_account_ids

    def clean(self):
        super().clean()
        running = getattr(self.instance, "running_ids_after_save", None) or running_account_ids(self.instance)
        kept = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data"):
                continue
            # The saved account, not the posted one (the form has copied the posted values onto the instance).
            initial_account_id = form.initial.get("account") if form.instance.pk else None
            touched = form.has_changed() or form.cleaned_data.get("DELETE")
            if touched and initial_account_id is not None and self.not_editable(initial_account_id):
                kept.append(f"/l/{form.instance.code} belongs to {form.instance.account}: only its own marketers "
                            "change or delete it. Nothing was saved; undo the change to that row.")
                continue
            if form.cleaned_data.get("DELETE"):
                # A link that has brought touches stays: sales are credited to it (and its figures).
                link = form.instance
                if link.pk is not None and link.touches.exists():
                    kept.append(f"/l/{link.code} has recorded touches that sales may be credited to, so it "
                                "cannot be deleted; untick Active to switch it off instead.")
                continue
            account = form.cleaned_data.get("account")
            if account is None or not form.has_changed():
                continue
            if self.not_editable(account.pk):
                form.add_error("account", f"Only {account}'s own marketers make links for it.")
                continue
            problem = link_account_problem(campaign=self.instance, account=account, running_ids=running)
            if problem:
                form.add_error("account", problem)
        if kept:
            raise forms.ValidationError(kept)
