"""The giveaway page: prize, eligibility, schedule, rules and missions; its rounds, live counts and chart.

Figures on the page come from the tally rows (EntryTally) and the round rows, never from the
entries: the page costs the same with ten entries or ten million, and a fixed number of
queries whatever the number of missions and rounds (a test holds it to that).
"""

import zoneinfo

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.images import MOBILE, SOCIAL_CARD, ImageRejected, render_image
from accounts.scoping import AccountScopedInline, account_ids_with, is_superuser
from campaigns.admin.campaigns import add_to_campaign_page, local_time
from campaigns.models import Campaign
from campaigns.running import running_account_ids
from common.addresses import absolute_url
from promotions import charts, series
from promotions.admin.common import CampaignPageList, CampaignScopedAdmin, round_window
from promotions.models import EntryTally, Giveaway, Mission, Round
from promotions.rules import country_list

Kind = Mission.Kind
PARENT_ATTRIBUTE = "_chorus_giveaway_being_edited"
ROUNDS_SHOWN = 20
SLUG_LOCKED_HELP = ("The address can no longer change: the campaign has left its draft, so its page and posts link to "
                    "/g/ and this slug already, and a new address would break those links.")


def tallied_entries(round_path="pk"):
    """Counted entries of a round from its tally rows, as a correlated subquery (no GROUP BY over entries)."""
    rows = (EntryTally.objects.filter(round=OuterRef(round_path)).order_by().values("round")
            .annotate(total=Sum("counted_entries")).values("total"))
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


# --- the giveaway's own form ---------------------------------------------------------------


class GiveawayForm(forms.ModelForm):
    prize_upload = forms.FileField(
        label="Prize image", required=False,
        help_text="JPEG, PNG, WebP or GIF up to 5 MB. Chorus makes a 1200×630 social card and a 600 px phone image.",
    )

    class Meta:
        model = Giveaway
        fields = ["campaign", "title", "slug", "prize_description", "prize_alt", "prize_value", "currency",
                  "winners_per_round", "alternates_per_round", "claim_days", "minimum_age", "allowed_countries",
                  "denied_countries", "exclude_past_winners", "entry_limit_per_person", "recurrence",
                  "opens_at_local_time", "window_hours", "opens_on", "day_of_week", "day_of_month",
                  "draws_automatically", "sponsor", "free_entry_method", "rules_text", "registration_threshold"]

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("recurrence")
        errors = {}
        if kind == Giveaway.Recurrence.ONCE and not cleaned.get("opens_on"):
            errors["opens_on"] = "Pick the day the one-off round opens (in the owner account's time zone)."
        if kind == Giveaway.Recurrence.WEEKLY and cleaned.get("day_of_week") is None:
            errors["day_of_week"] = "Pick the weekday on which the weekly rounds open."
        if kind == Giveaway.Recurrence.MONTHLY and not cleaned.get("day_of_month"):
            errors["day_of_month"] = ("Pick the day of the month on which the rounds open (29, 30 and 31 fall on the "
                                      "last day of shorter months).")
        for name in ("allowed_countries", "denied_countries"):
            wrong = [code for code in country_list(cleaned.get(name, "")) if len(code) != 2 or not code.isalpha()]
            if wrong:
                errors[name] = (f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not two-letter country "
                                "codes; write them like “KR, JP”.")
        if not errors and kind and cleaned.get("opens_at_local_time"):
            trial = Giveaway(**{name: cleaned.get(name) for name in (
                "recurrence", "opens_at_local_time", "window_hours", "opens_on", "day_of_week", "day_of_month")})
            try:
                trial.schedule()
            except ValueError as problem:
                errors["window_hours"] = str(problem)
        upload = cleaned.get("prize_upload")
        if upload:
            try:
                self.prize_renditions = render_image(upload=upload, renditions=[SOCIAL_CARD, MOBILE])
            except ImageRejected as error:
                errors["prize_upload"] = str(error)
        if errors:
            raise ValidationError(errors)
        return cleaned

    def save(self, commit=True):
        giveaway = super().save(commit=False)
        renditions = getattr(self, "prize_renditions", None)
        if renditions:  # re-encoded renditions under server-side names; the upload itself is never stored
            giveaway.prize_card.save(renditions["card"].name, renditions["card"], save=False)
            giveaway.prize_mobile.save(renditions["mobile"].name, renditions["mobile"], save=False)
        if commit:
            giveaway.save()
            self._save_m2m()
        return giveaway


# --- missions ------------------------------------------------------------------------------


class MissionForm(forms.ModelForm):
    class Meta:
        model = Mission
        fields = ["position", "kind", "title", "instructions", "entries", "required", "unlock_after", "account",
                  "secret_code", "code_posted_at", "link", "question", "choices", "correct_choice",
                  "minimum_purchase"]
        labels = {"code_posted_at": "code posted at (owner's time zone)", "account": "announced by"}
        widgets = {"instructions": forms.Textarea(attrs={"rows": 2}), "choices": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The admin's split date and time boxes share one <label>, which names only the first box's
        # neighbour: each box gets its own name for screen readers (axe checks it).
        posted = self.fields.get("code_posted_at")
        if posted is not None and hasattr(posted.widget, "widgets"):
            date, time = posted.widget.widgets
            date.attrs["aria-label"] = "Code posted on (date, owner's time zone)"
            time.attrs["aria-label"] = "Code posted at (time, owner's time zone)"

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        errors = {}
        if kind == Kind.NEWSLETTER and cleaned.get("required"):
            errors["required"] = ("A newsletter sign-up cannot be required: consent must be given freely, apart from "
                                  "entering. Untick “required”.")
        if kind == Kind.PURCHASE and cleaned.get("required"):
            errors["required"] = ("A purchase can never be required: no purchase is necessary to enter or win, and "
                                  "a required purchase would leave only buyers eligible. Untick “required”.")
        if kind == Kind.REFER_FRIEND and cleaned.get("required"):
            errors["required"] = ("A referral cannot be required: it depends on someone else entering, so nobody "
                                  "could be sure to qualify by their own action. Untick “required”.")
        if kind == Kind.SECRET_CODE and not (cleaned.get("secret_code") or "").strip():
            errors["secret_code"] = "Enter the code the account will post."  # noqa: S105 - a message, not a password
        if kind == Kind.VISIT_LINK and not cleaned.get("link"):
            errors["link"] = ("Pick the tracking link people should visit (add it under the campaign's tracking links "
                              "first).")
        if kind == Kind.QUIZ:
            choices = [line.strip() for line in (cleaned.get("choices") or "").splitlines() if line.strip()]
            if not (cleaned.get("question") or "").strip():
                errors["question"] = "Write the quiz question."
            if len(choices) < 2:
                errors["choices"] = "List at least two answers, one per line."
            elif (cleaned.get("correct_choice") or "").strip() not in choices:
                errors["correct_choice"] = "Copy the right answer exactly as it appears among the answers."
        if errors:
            raise ValidationError(errors)
        return cleaned


class MissionFormSet(BaseInlineFormSet):
    """Checks across the giveaway: a purchase needs a free method of entry; links and accounts of its campaign."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        # The account and link menus are read once per page, not once per mission row.
        cache = self.__dict__.setdefault("_menu_choices", {})
        for name in ("account", "link"):
            if name in form.fields:
                if name not in cache:
                    cache[name] = list(form.fields[name].choices)
                form.fields[name].choices = cache[name]

    def clean(self):
        super().clean()
        giveaway = self.instance
        live_forms = [form for form in self.forms if (form.has_changed() or form.instance.pk)
                      and hasattr(form, "cleaned_data") and not self._should_delete_form(form)]
        kinds = [form.cleaned_data.get("kind") for form in live_forms]
        if Kind.PURCHASE in kinds and not (giveaway.free_entry_method or "").strip():
            raise ValidationError("A “make a purchase” mission needs a free method of entry: describe one under "
                                  "“Free method of entry” (e.g. how to enter by post), so that no purchase is "
                                  "necessary to enter or win.")
        if giveaway.campaign_id is None:
            return
        running = running_account_ids(giveaway.campaign)
        for form in live_forms:
            link = form.cleaned_data.get("link")
            if link is not None and link.campaign_id != giveaway.campaign_id and "link" in form.changed_data:
                form.add_error("link", "Pick a tracking link of this giveaway's campaign.")
            account = form.cleaned_data.get("account")
            if account is not None and account.pk not in running and "account" in form.changed_data:
                form.add_error("account", f"{account} does not run this campaign; add it as a co-running account on "
                                          "the campaign page first.")


class MissionInline(AccountScopedInline, admin.StackedInline):
    model = Mission
    form = MissionForm
    formset = MissionFormSet
    account_path = "campaign__owner_account"
    co_account_path = "campaign__co_accounts"
    extra = 0
    fieldsets = [
        (None, {"fields": [("position", "kind", "entries"), "title", "instructions", ("required", "unlock_after")]}),
        ("Where it is announced", {"fields": [("account", "code_posted_at"), "secret_code", "link"],
                                   "description": "The account that posts the code or carries the link, and when."}),
        ("Quiz and purchase", {"fields": ["question", "choices", "correct_choice", "minimum_purchase"],
                               "classes": ["collapse"]}),
    ]

    def get_formset(self, request, obj=None, **kwargs):
        setattr(request, PARENT_ATTRIBUTE, obj)  # the menus depend on the giveaway; the admin is shared
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in {"account", "link"} and formfield is not None:
            for flag in ("can_add_related", "can_change_related", "can_delete_related", "can_view_related"):
                setattr(formfield.widget, flag, False)
            if db_field.name == "link":
                formfield.label_from_instance = lambda link: (
                    f"{link.account.name} · {link.get_platform_display()} · {link.get_channel_display()}"
                    f"{' · ' + link.label if link.label else ''} ({link})")
        return formfield

    def scope_related_queryset(self, db_field, request, queryset):
        """Accounts running the giveaway's campaign and links of that campaign, of accounts the user may edit.

        An entry credits the account that announced its mission (and a link its account), so only someone
        with an edit role in that account may pick it. What existing missions use stays in the menus so
        their rows show it.
        """
        if db_field.name not in {"account", "link"}:
            return super().scope_related_queryset(db_field, request, queryset)
        giveaway = getattr(request, PARENT_ATTRIBUTE, None)
        editable = None if is_superuser(request) else set(account_ids_with(request, self.edit_roles))
        in_use = set()
        if giveaway is not None and giveaway.pk is not None:
            in_use = set(giveaway.missions.exclude(**{f"{db_field.name}__isnull": True})
                         .values_list(f"{db_field.name}_id", flat=True))
        if db_field.name == "account":
            offered = Q(active=True)
            if giveaway is not None and giveaway.pk is not None:
                offered &= Q(pk__in=running_account_ids(giveaway.campaign))
            if editable is not None:
                offered &= Q(pk__in=editable)
            return queryset.filter(offered | Q(pk__in=in_use))
        offered = Q(campaign=giveaway.campaign_id) if giveaway is not None and giveaway.pk else Q()
        if editable is not None:
            offered &= Q(account__in=editable, campaign__owner_account__in=editable)
        return queryset.filter(offered | Q(pk__in=in_use)).select_related("account")


# --- the giveaway admin ------------------------------------------------------------------


@admin.register(Giveaway)
class GiveawayAdmin(CampaignScopedAdmin):
    form = GiveawayForm
    account_path = "campaign__owner_account"
    co_account_path = "campaign__co_accounts"
    inlines = [MissionInline]
    list_display = ["title", "campaign", "recurrence", "round_count", "entries_column"]
    list_select_related = ["campaign"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["prize_preview", "public_links", "series_figure", "rounds_table", "live_counts", "entries_chart",
                       "announcements"]
    fieldsets = [
        (None, {"fields": ["campaign", "title", "slug", "public_links"]}),
        ("Prize", {"fields": ["prize_description", "prize_upload", "prize_alt", "prize_preview",
                              ("prize_value", "currency"), ("winners_per_round", "alternates_per_round"),
                              "claim_days"]}),
        ("Who may enter", {"fields": ["minimum_age", "allowed_countries", "denied_countries", "exclude_past_winners",
                                      "entry_limit_per_person"]}),
        ("Rounds", {"fields": ["recurrence", "opens_at_local_time", "window_hours", "opens_on", "day_of_week",
                               "day_of_month", "draws_automatically"],
                    "description": "Times and days are in the owner account's time zone."}),
        ("Official rules", {"fields": ["sponsor", "free_entry_method", "rules_text", "registration_threshold",
                                       "series_figure"]}),
    ]
    FIGURES = [
        ("Rounds held", {"fields": ["rounds_table"]}),
        ("Live counts", {"fields": ["live_counts", "entries_chart"],
                         "description": "Tallied by the workers every minute from the entries; waiting means "
                                        "awaiting review or held by a fraud rule."}),
        ("Who posts what, and when", {"fields": ["announcements"]}),
    ]

    class Media:
        css = {"all": ["css/admin-promotions.css"]}

    def has_add_permission(self, request):
        return self.may_edit(request)

    def has_change_permission(self, request, obj=None):
        return self.may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        # A giveaway that has held a round keeps it: its entries and draws are facts people can check.
        if obj is not None and obj.round_total:
            return False
        return self.may_edit(request, obj)

    def get_queryset(self, request):
        return (super().get_queryset(request).select_related("campaign__owner_account")
                .annotate(round_total=Coalesce(Subquery(
                    Round.objects.filter(giveaway=OuterRef("pk")).order_by().values("giveaway")
                    .annotate(n=Sum(Value(1))).values("n"), output_field=IntegerField()), Value(0)),
                    entry_total=Coalesce(Subquery(
                        EntryTally.objects.filter(round__giveaway=OuterRef("pk")).order_by().values("round__giveaway")
                        .annotate(n=Sum("counted_entries")).values("n"), output_field=IntegerField()), Value(0))))

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(name, {**options, "fields": [field for field in options["fields"]
                                                  if field not in {"public_links", "series_figure"}]})
                    for name, options in self.fieldsets]
        return [*self.fieldsets, *self.FIGURES]

    @staticmethod
    def slug_locked(giveaway):
        """The address stays once it may be out there: linked from the campaign's page and posts, or used by a round.

        A giveaway of a campaign that has left its draft is listed on /c/<slug>/, which the accounts
        already share; a changed slug would break every link to /g/<slug>/ posted since.
        """
        if giveaway is None or giveaway.pk is None:
            return False
        return giveaway.campaign.status != Campaign.Status.DRAFT or bool(getattr(giveaway, "round_total", 0))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("campaign")  # its rounds and entries belong to that campaign
            if self.slug_locked(obj):
                fields.append("slug")  # the address is in posts by now: it stays
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        if self.slug_locked(obj):
            kwargs.setdefault("help_texts", {})["slug"] = SLUG_LOCKED_HELP
        return super().get_form(request, obj, change, **kwargs)

    def get_prepopulated_fields(self, request, obj=None):
        return {} if self.slug_locked(obj) else super().get_prepopulated_fields(request, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """The page in the owner account's zone, so the missions' "code posted at" reads and saves in local time."""
        giveaway = self.get_object(request, object_id) if object_id else None
        if giveaway is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        with timezone.override(zoneinfo.ZoneInfo(giveaway.campaign.owner_account.timezone)):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        return response

    def view_on_site(self, giveaway):
        return absolute_url(giveaway.get_absolute_url())

    # --- columns ---------------------------------------------------------------------------

    @admin.display(description="Rounds", ordering="round_total")
    def round_count(self, giveaway):
        return giveaway.round_total

    @admin.display(description="Counted entries", ordering="entry_total")
    def entries_column(self, giveaway):
        return giveaway.entry_total

    # --- read-only parts of the page -------------------------------------------------------

    @admin.display(description="Current image")
    def prize_preview(self, giveaway):
        if not giveaway.prize_mobile:
            return "No image yet: the page shows the prize in words."
        return format_html('<img src="{}" alt="{}" width="300">', giveaway.prize_mobile.url, giveaway.prize_alt)

    @admin.display(description="Public pages")
    def public_links(self, giveaway):
        if not giveaway.pk:
            return "Save to get the giveaway's page."
        page = absolute_url(giveaway.get_absolute_url())
        rules = absolute_url(reverse("promotions:giveaway-rules", args=[giveaway.slug]))
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a> · '
                           '<a href="{}" target="_blank" rel="noopener">Official rules</a>', page, page, rules)

    @admin.display(description="Prize value of the series")
    def series_figure(self, giveaway):
        if not giveaway.pk:
            return "—"
        total = series.series_total(giveaway)
        note = format_html(' <span class="help">{}</span>', total.note) if total.note else ""
        if total.crosses_threshold:
            return format_html('<p class="series-warning" role="alert"><strong>Above the registration threshold.'
                               "</strong> {}</p><p>{}{}</p>", total.warning(), total.in_words(), note)
        return format_html("<p>{}{}</p><p class=\"help\">Below the registration threshold of {} {}.</p>",
                            total.in_words(), note, f"{total.threshold:,.2f}", total.currency)

    def tally_figures(self, giveaway):
        """The tally rows and missions of this giveaway, read once for the counts and the chart."""
        if not hasattr(giveaway, "_tally_figures"):
            missions = list(giveaway.missions.select_related("account").order_by("position", "pk"))
            giveaway._tally_figures = (charts.tally_rows(giveaway), missions)
        return giveaway._tally_figures

    @admin.display(description="By mission")
    def live_counts(self, giveaway):
        rows, missions = self.tally_figures(giveaway)
        if not missions:
            return "No missions yet: add them below, then save."
        totals = charts.mission_totals(rows)
        empty = {"entries": 0, "completions": 0, "waiting": 0}
        body = format_html_join("", "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (mission.title, mission.get_kind_display(), totals.get(mission.pk, empty)["entries"],
             totals.get(mission.pk, empty)["completions"], totals.get(mission.pk, empty)["waiting"])
            for mission in missions))
        grand = {name: sum(total[name] for total in totals.values()) for name in empty}
        return format_html(
            '<table class="giveaway-figures"><thead><tr><th scope="col">Mission</th><th scope="col">Kind</th>'
            '<th scope="col">Counted entries</th><th scope="col">Completions</th><th scope="col">Waiting</th>'
            "</tr></thead><tbody>{}</tbody><tfoot><tr><th scope=\"row\">All missions</th><td></td><td>{}</td>"
            "<td>{}</td><td>{}</td></tr></tfoot></table>",
            body, grand["entries"], grand["completions"], grand["waiting"])

    @admin.display(description="Entries per day")
    def entries_chart(self, giveaway):
        rows, missions = self.tally_figures(giveaway)
        return charts.entries_chart(rows=rows, missions=[(mission.pk, mission.title) for mission in missions])

    @admin.display(description="Announcements")
    def announcements(self, giveaway):
        _, missions = self.tally_figures(giveaway)
        announced = [mission for mission in missions if mission.kind in {Kind.SECRET_CODE, Kind.VISIT_LINK}
                     or mission.account_id]
        if not announced:
            return "No mission is announced by an account yet."
        campaign = giveaway.campaign
        body = format_html_join("", "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (mission.title, mission.account.name if mission.account else f"{campaign.owner_account.name} (owner)",
             mission.secret_code or "—", local_time(campaign, mission.code_posted_at))
            for mission in announced))
        return format_html('<table class="giveaway-announcements"><thead><tr><th scope="col">Mission</th>'
                           '<th scope="col">Posted by</th><th scope="col">Code</th><th scope="col">Posted at</th>'
                           "</tr></thead><tbody>{}</tbody></table>", body)

    @admin.display(description="Rounds")
    def rounds_table(self, giveaway):
        rounds = list(giveaway.rounds.select_related("draw").annotate(tallied=tallied_entries())
                      .order_by("-number")[:ROUNDS_SHOWN])
        if not rounds:
            return "No round has opened yet: the first opens at its scheduled time while the campaign is live."
        may_draw = getattr(giveaway, "_may_draw", False)
        for round in rounds:
            round.giveaway = giveaway  # loaded already, with its campaign and owner
        rows = format_html_join("", "<tr>{}</tr>", ((round_row(round, may_draw),) for round in rounds))
        more = ""
        if giveaway.round_total > ROUNDS_SHOWN:
            more = format_html('<p><a href="{}?giveaway={}">All {} rounds</a></p>',
                               reverse("admin:promotions_round_changelist"), giveaway.pk, giveaway.round_total)
        tallied = [round.tallied_at for round in rounds if round.tallied_at is not None]
        freshness = (format_html("<p>Counts tallied by the workers at {}; entries since then show within a "
                                 "minute.</p>", local_time(giveaway.campaign, max(tallied)))
                     if tallied else format_html("<p>{}</p>", "Not tallied yet: the workers count within a minute."))
        return format_html(
            '<table class="giveaway-rounds"><thead><tr><th scope="col">Round</th><th scope="col">Entry window</th>'
            '<th scope="col">Status</th><th scope="col">Commitment</th><th scope="col">Counted entries</th>'
            '<th scope="col">Draw</th></tr></thead><tbody>{}</tbody></table>{}{}', rows, freshness, more)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            obj._may_draw = self.may_edit(request, obj)  # the "Draw now" buttons
        return super().render_change_form(request, context, add, change, form_url, obj)


def round_row(round, may_draw):
    """One row of the rounds table; a closed round without a draw gets "Draw now" for those who may draw."""
    link = format_html('<a href="{}">Round {}</a>', reverse("admin:promotions_round_change", args=[round.pk]),
                       round.number)
    draw = getattr(round, "draw", None) if round.status == Round.Status.DRAWN else None
    if draw is not None:
        draw_cell = format_html('<a href="{}">Winners</a> · '
                                '<a href="{}" target="_blank" rel="noopener">Public proof</a>',
                                reverse("admin:promotions_winner_changelist")
                                + f"?giveaway={round.giveaway_id}&round={round.pk}",
                                absolute_url(draw.get_absolute_url()))
    elif round.status == Round.Status.CLOSED and may_draw:
        draw_cell = format_html(
            '<button type="submit" class="button draw-now" formaction="{}" formnovalidate name="return_to" '
            'value="giveaway">Draw now</button>', reverse("admin:promotions_round_draw", args=[round.pk]))
    elif round.status == Round.Status.CLOSED:
        draw_cell = "Waiting for the draw"
    else:
        draw_cell = "After the close"
    return format_html('<th scope="row">{}</th><td>{}</td><td>{}</td><td><code title="{}">{}…</code></td><td>{}</td>'
                       "<td>{}</td>", link, round_window(round), round.get_status_display(), round.commitment,
                       round.commitment[:12], round.tallied, draw_cell)


# --- the giveaways of a campaign, on the campaign page ----------------------------------------


class GiveawayInline(CampaignPageList):
    model = Giveaway
    template = "admin/promotions/giveaway/campaign_inline.html"
    verbose_name_plural = "giveaways"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(round_total=Coalesce(Subquery(
            Round.objects.filter(giveaway=OuterRef("pk")).order_by().values("giveaway")
            .annotate(n=Sum(Value(1))).values("n"), output_field=IntegerField()), Value(0))).order_by("title")


add_to_campaign_page(GiveawayInline)

