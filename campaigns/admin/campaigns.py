"""The campaign admin: the list, the campaign page with its links and status log, and the status buttons."""

import zoneinfo
from functools import partial

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.scoping import AccountScopedAdmin, account_ids_with, is_superuser
from campaigns.admin.calendar import calendar_view
from campaigns.admin.links import TrackingLinkInline, link_qr_view
from campaigns.copies import duplicate_campaign
from campaigns.forms import CampaignForm
from campaigns.models import Campaign, TrackingLink
from campaigns.reports import tallied_until, touch_totals, touches_by_link
from campaigns.schedules import to_local
from campaigns.status import TRANSITIONS, StatusChangeRefused, change_status, next_step_label
from common.addresses import absolute_url

Status = Campaign.Status


def local_time(campaign, instant):
    """`instant` as wall-clock time in the owner account's zone, naming the zone ("—" when unset)."""
    if instant is None:
        return "—"
    tz_name = campaign.owner_account.timezone
    return f"{to_local(instant, tz_name):%Y-%m-%d %H:%M} {tz_name}"


def person(user):
    """How the campaign page names a member of staff: by name (co-running teams never see addresses)."""
    if user is None:
        return "the scheduler"
    return user.name or "a colleague without a name on file"


def freshness(campaign):
    """How fresh the touch figures are: workers tally touches into rollups every minute."""
    until = tallied_until()
    if until is None:
        return "Touches are tallied every minute; none have been tallied yet."
    return f"Counted up to {local_time(campaign, until)}; touches are tallied every minute."


def status_badge_html(campaign):
    return format_html('<span class="status-badge status-{}">{}</span>', campaign.status,
                       campaign.get_status_display())


def count_of(model, **filters):
    """A correlated COUNT(*) subquery per campaign row: no N+1, no GROUP BY over the whole list."""
    rows = model.objects.filter(campaign=OuterRef("pk"), **filters).order_by().values("campaign")
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), Value(0))


class CampaignChangeList(ChangeList):
    """Touch figures are read for the rows of the page shown, in one query over the tallied rollups."""

    def get_results(self, request):
        super().get_results(request)
        totals = touch_totals([campaign.pk for campaign in self.result_list])
        for campaign in self.result_list:
            campaign.touch_figures = totals[campaign.pk]


READ_ONLY_SCHEDULE = ("Schedule", {"fields": ["starts_column", "ends_column"],
                                   "description": "Wall-clock times in the owner account's time zone."})


@admin.register(Campaign)
class CampaignAdmin(AccountScopedAdmin):
    form = CampaignForm
    account_path = "owner_account"
    co_account_path = "co_accounts"
    inlines = [TrackingLinkInline]
    list_display = ["name", "owner_account", "status_badge", "starts_column", "ends_column", "link_count",
                    "people_column", "clicks_column"]
    list_filter = ["status", "owner_account", "co_accounts", ("starts_at", admin.DateFieldListFilter)]
    search_fields = ["name", "slug", "headline"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["status_badge", "status_log", "hero_preview", "landing_page", "touch_breakdown",
                       "created_by_name", "updated_by_name", "created_local", "updated_local", "starts_column",
                       "ends_column"]
    actions = ["schedule", "unschedule", "pause", "resume", "end", "archive", "duplicate"]
    fieldsets = [
        (None, {"fields": ["owner_account", "co_accounts", "name", "slug", "confirm_slug_change", "status_badge",
                           "landing_page"]}),
        ("Schedule", {"fields": ["starts_local", "ends_local"],
                      "description": "Wall-clock times in the owner account's time zone."}),
        ("Landing page", {"fields": ["headline", "body", "hero_upload", "hero_alt", "hero_preview"]}),
        ("Touches", {"fields": ["touch_breakdown"]}),
        ("Tracking defaults", {"fields": ["utm_source", "utm_medium", "utm_campaign", "baseline_days",
                                          "attribution_lookback_days"],
                               "classes": ["collapse"]}),
        ("History", {"fields": ["created_by_name", "created_local", "updated_by_name", "updated_local"],
                     "classes": ["collapse"]}),
        ("Status log", {"fields": ["status_log"]}),
    ]

    class Media:
        css = {"all": ["css/admin-campaigns.css"]}
        js = ["js/copy-link.js"]

    def visible_campaigns(self, request):
        """The campaigns this user may see, without the list's per-row figures (for the calendar)."""
        return super().get_queryset(request).select_related("owner_account")

    def get_queryset(self, request):
        return self.visible_campaigns(request).annotate(link_total=count_of(TrackingLink))

    def get_changelist(self, request, **kwargs):
        return CampaignChangeList

    def get_form(self, request, obj=None, change=False, **kwargs):
        request.campaign_being_edited = obj  # for the co-running menu below (the admin is shared by requests)
        return super().get_form(request, obj, change, **kwargs)

    def scope_related_queryset(self, db_field, request, queryset):
        # Any active account of the brand may be invited to co-run (its own objects stay hidden), except
        # the owner itself.
        if db_field.name == "co_accounts":
            campaign = getattr(request, "campaign_being_edited", None)
            if campaign is None:
                return queryset.filter(active=True)
            # Current co-accounts stay offered even if switched off, or a save would silently drop them.
            current = models.Q(pk__in=campaign.co_accounts.values("pk"))
            return queryset.filter(models.Q(active=True) | current).exclude(pk=campaign.owner_account_id)
        return super().scope_related_queryset(db_field, request, queryset)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        editable = account_ids_with(request, self.edit_roles)
        if "owner_account" not in initial and len(editable) == 1:
            initial["owner_account"] = editable[0]  # a marketer of one account need not pick it
        return initial

    def get_fieldsets(self, request, obj=None):
        """People who may only look see the schedule as text, not empty form-only fields."""
        if obj is not None and not self.may_edit(request, obj):
            fieldsets = []
            for name, options in self.fieldsets:
                if name == "Schedule":
                    fieldsets.append(READ_ONLY_SCHEDULE)
                    continue
                fields = [field for field in options["fields"] if field not in {"hero_upload", "confirm_slug_change"}]
                fieldsets.append((name, {**options, "fields": fields}))
            return fieldsets
        if obj is None:
            return [(name, {**options, "fields": [field for field in options["fields"]
                                                  if field not in {"confirm_slug_change", "status_badge"}]})
                    for name, options in self.fieldsets]
        return self.fieldsets

    def view_on_site(self, campaign):
        return absolute_url(campaign.get_absolute_url())

    # --- columns and read-only fields -------------------------------------------------------

    @admin.display(description="Status", ordering="status")
    def status_badge(self, campaign):
        return status_badge_html(campaign)

    @admin.display(description="Starts (local)", ordering="starts_at")
    def starts_column(self, campaign):
        return local_time(campaign, campaign.starts_at)

    @admin.display(description="Ends (local)", ordering="ends_at")
    def ends_column(self, campaign):
        return local_time(campaign, campaign.ends_at)

    @admin.display(description="Created")
    def created_local(self, campaign):
        return local_time(campaign, campaign.created_at)

    @admin.display(description="Last changed")
    def updated_local(self, campaign):
        return local_time(campaign, campaign.updated_at)

    @admin.display(description="Created by")
    def created_by_name(self, campaign):
        return person(campaign.created_by)

    @admin.display(description="Last changed by")
    def updated_by_name(self, campaign):
        return person(campaign.updated_by)

    @admin.display(description="Links", ordering="link_total")
    def link_count(self, campaign):
        return campaign.link_total

    @admin.display(description="People")
    def people_column(self, campaign):
        return campaign.touch_figures["people"]

    @admin.display(description="Clicks")
    def clicks_column(self, campaign):
        return campaign.touch_figures["clicks"]

    @admin.display(description="Changes")
    def status_log(self, campaign):
        """The append-only status log, newest last, times in the owner account's zone, people by name."""
        if not campaign.pk:
            return "—"
        events = list(campaign.events.select_related("actor"))
        if not events:
            return "No status changes yet."
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (local_time(campaign, event.occurred_at), event.get_from_status_display(), event.get_to_status_display(),
             person(event.actor), event.note or "—")
            for event in events
        ))
        return format_html(
            '<table class="status-log"><thead><tr><th scope="col">When (local)</th><th scope="col">From</th>'
            '<th scope="col">To</th><th scope="col">By</th><th scope="col">Note</th></tr></thead>'
            "<tbody>{}</tbody></table>", rows)

    @admin.display(description="Hero image")
    def hero_preview(self, campaign):
        if not campaign.hero_mobile:
            return "No image yet."
        return format_html('<img src="{}" alt="{}" width="300">', campaign.hero_mobile.url, campaign.hero_alt)

    @admin.display(description="By link")
    def touch_breakdown(self, campaign):
        if not campaign.pk:
            return "—"
        rows = touches_by_link(campaign)
        if not rows:
            return f"No touches yet. {freshness(campaign)}"
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                                    "<td>{}</td></tr>", (
            (row["account__name"], row["link__platform"] or "—", row["link__channel"] or "—",
             row["link__label"] or "—", row["people"], row["clicks"], row["bots"])
            for row in rows
        ))
        return format_html(
            '<table class="touch-breakdown"><thead><tr><th scope="col">Account</th><th scope="col">Platform</th>'
            '<th scope="col">Channel</th><th scope="col">Label</th><th scope="col">People</th>'
            '<th scope="col">Clicks</th><th scope="col">Bots (never credited)</th></tr></thead><tbody>{}</tbody>'
            "</table><p class=\"help\">People are distinct visitors; clicks count every visit; bots are "
            "crawlers and link previewers. {}</p>", body, freshness(campaign))

    @admin.display(description="Landing page")
    def landing_page(self, campaign):
        if not campaign.pk:
            return "Save to get the landing page."
        url = absolute_url(campaign.get_absolute_url())
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    # --- the campaign page and its history ---------------------------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The status buttons, from the campaign the admin has loaded already. (Times on the page are
        # written by local_time(), in the owner account's zone.)
        context.update(self.status_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_view(self, request, object_id, extra_context=None):
        """Django's history page, rendered with the owner account's zone active so its times are local."""
        campaign = self.get_object(request, object_id)
        if campaign is None:
            return super().history_view(request, object_id, extra_context)
        zone = campaign.owner_account.timezone
        extra_context = {**(extra_context or {}), "subtitle": f"Times in {zone} (the owner account's zone)"}
        response = super().history_view(request, object_id, extra_context)
        with timezone.override(zoneinfo.ZoneInfo(zone)):
            return response.render()

    # --- status: buttons on the campaign page and actions on the list ------------------------

    def status_context(self, request, campaign):
        if campaign is None:
            return {}
        if not self.may_edit(request, campaign):
            owner = campaign.owner_account
            return {"status_note": f"You may look at this campaign; its status is changed by {owner}'s "
                                   "managers and marketers."}
        steps = [(status.value, next_step_label(campaign.status, status)) for status in
                 sorted(TRANSITIONS[Status(campaign.status)], key=lambda status: list(Status).index(status))]
        return {"status_steps": steps,
                "status_url": reverse("admin:campaigns_campaign_status", args=[campaign.pk]),
                "status_note": "" if steps else "Archived campaigns stay as they are."}

    def status_view(self, request, object_id):
        """POST `to=<status>` from a button on the campaign page: the same status machine as the actions."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        campaign = self.get_object(request, object_id)
        if campaign is None or not self.has_view_permission(request, campaign):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.may_edit(request, campaign):
            raise PermissionDenied
        to = request.POST.get("to", "")
        if to not in Status.values:
            self.message_user(request, "Pick one of the status buttons.", messages.ERROR)
        else:
            try:
                if change_status(campaign=campaign, to=to, by=request.user, at=timezone.now()):
                    self.message_user(request, f"“{campaign}” is now {campaign.get_status_display().lower()}.",
                                      messages.SUCCESS)
                else:
                    self.message_user(request, f"“{campaign}” was already {campaign.get_status_display().lower()}.",
                                      messages.INFO)
            except StatusChangeRefused as refusal:
                self.message_user(request, str(refusal), messages.ERROR)
        return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))

    def change_each(self, request, queryset, to, verb):
        """Run one status change over the selection and say what happened to each campaign, and why not."""
        selected = len(request.POST.getlist(ACTION_CHECKBOX_NAME))
        campaigns = list(queryset)
        changed, already, refusals = 0, 0, []
        at = timezone.now()
        for campaign in campaigns:
            try:
                if change_status(campaign=campaign, to=to, by=request.user, at=at):
                    changed += 1
                else:
                    already += 1
            except StatusChangeRefused as refusal:
                refusals.append(str(refusal))
        if changed:
            self.message_user(request, f"{verb} {changed} campaign{'s' if changed != 1 else ''}.", messages.SUCCESS)
        if already:
            self.message_user(request, f"{already} of the selected campaign{'s were' if already != 1 else ' was'} "
                                       "already in that state: nothing to change there.", messages.INFO)
        for refusal in refusals:
            self.message_user(request, refusal, messages.ERROR)
        not_yours = selected - len(campaigns) if request.POST.get("select_across") != "1" else 0
        if not_yours > 0:
            self.message_user(request, f"{not_yours} of the selected campaigns belong to accounts where you may only "
                                       "look; their owner account's marketers change them.", messages.WARNING)

    @admin.action(description="Schedule (go live at the start time)", permissions=["change"])
    def schedule(self, request, queryset):
        self.change_each(request, queryset, Status.SCHEDULED, "Scheduled")

    @admin.action(description="Unschedule (back to draft)", permissions=["change"])
    def unschedule(self, request, queryset):
        self.change_each(request, queryset, Status.DRAFT, "Moved back to draft")

    @admin.action(description="Pause", permissions=["change"])
    def pause(self, request, queryset):
        self.change_each(request, queryset, Status.PAUSED, "Paused")

    @admin.action(description="Resume", permissions=["change"])
    def resume(self, request, queryset):
        self.change_each(request, queryset, Status.LIVE, "Resumed")

    @admin.action(description="End now", permissions=["change"])
    def end(self, request, queryset):
        self.change_each(request, queryset, Status.ENDED, "Ended")

    @admin.action(description="Archive", permissions=["change"])
    def archive(self, request, queryset):
        self.change_each(request, queryset, Status.ARCHIVED, "Archived")

    @admin.action(description="Duplicate as a draft", permissions=["change"])
    def duplicate(self, request, queryset):
        copies = [duplicate_campaign(campaign=campaign, by=request.user) for campaign in queryset]
        for copy in copies:
            self.message_user(request, format_html('Created <a href="{}">{}</a>.',
                                                   reverse("admin:campaigns_campaign_change", args=[copy.pk]),
                                                   copy.name), messages.SUCCESS)

    # --- saving ----------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        if not change:
            obj.created_by = request.user
            return super().save_model(request, obj, form, change)
        if not self.may_edit(request, obj):
            raise PermissionDenied("You may not change campaigns of this account.")
        # Only the form's own columns: a pause or the scheduler's start that landed while the form
        # was open must survive this save (the status is never among them).
        obj.save(update_fields=form.model_fields_to_save())
        form.after_save(at=timezone.now())
        return None

    # --- deleting ----------------------------------------------------------------------------

    def has_delete_permission(self, request, obj=None):
        # Live and ended campaigns carry touches that sales are credited to: archive them instead.
        if obj is not None and obj.status not in {Status.DRAFT, Status.SCHEDULED}:
            return False
        return super().has_delete_permission(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        campaign = self.get_object(request, object_id)
        if campaign is not None and self.may_edit(request, campaign):
            reason = deletion_refusal(campaign)
            if reason:
                self.message_user(request, reason, messages.ERROR)
                return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
        return super().delete_view(request, object_id, extra_context)

    # --- extra pages -------------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("calendar/", wrap(partial(calendar_view, self)), name="campaigns_campaign_calendar"),
            path("<path:object_id>/status/", wrap(self.status_view), name="campaigns_campaign_status"),
            path("<path:object_id>/links/<int:link_id>/qr.<str:kind>", wrap(partial(link_qr_view, self)),
                 name="campaigns_campaign_link_qr"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        until = tallied_until()
        tally_note = ("People (distinct visitors) and clicks are tallied every minute"
                      + (f"; counted up to {until:%Y-%m-%d %H:%M} UTC." if until else "; none tallied yet."))
        extra_context = {**(extra_context or {}), "calendar_url": reverse("admin:campaigns_campaign_calendar"),
                         "tally_note": tally_note}
        return super().changelist_view(request, extra_context)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not is_superuser(request):
            fields.append("owner_account")  # moving a campaign to another team would hand it over
        return fields


def deletion_refusal(campaign):
    """None when `campaign` may be deleted; otherwise the sentence saying why not and what to do."""
    if campaign.status not in {Status.DRAFT, Status.SCHEDULED}:
        return (f"“{campaign}” is {campaign.get_status_display().lower()}: campaigns that have run are kept for "
                "attribution and finance. Archive it instead (after it has ended).")
    if campaign.touches.exists():
        return (f"“{campaign}” has recorded touches that sales may be credited to, so it cannot be deleted. "
                "Move it back to draft and archive it instead.")
    return None




def add_to_campaign_page(inline_class):
    """Put a later app's inline (a giveaway, a referral offer) on the campaign page, after the links.

    Promotions and attribution call this from their own admin.py: campaigns never imports them. The
    inline should build on AccountScopedInline with account_path "owner_account", so it inherits the
    edit-scoped choices and the save re-checks. Calling it twice adds the inline once.
    """
    if inline_class not in CampaignAdmin.inlines:
        CampaignAdmin.inlines = [*CampaignAdmin.inlines, inline_class]
