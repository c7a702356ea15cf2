from functools import partial

from django.contrib import admin, messages
from django.contrib.sites.models import Site
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.scoping import AccountScopedAdmin, AccountScopedInline, is_superuser
from campaigns.admin.calendar import calendar_view
from campaigns.copies import duplicate_campaign
from campaigns.forms import CampaignForm, TrackingLinkForm, TrackingLinkFormSet
from campaigns.models import Campaign, CampaignEvent, Touch, TrackingLink
from campaigns.reports import touches_by_link
from campaigns.schedules import to_local
from campaigns.status import StatusChangeRefused, change_status

Status = Campaign.Status


def public_url(path_):
    """An absolute URL on the public site (the Site domain), for copying into posts."""
    scheme = "https"
    domain = Site.objects.get_current().domain
    if domain.startswith(("localhost", "127.0.0.1")):
        scheme = "http"
    return f"{scheme}://{domain}{path_}"


class TrackingLinkInline(AccountScopedInline, admin.TabularInline):
    model = TrackingLink
    form = TrackingLinkForm
    formset = TrackingLinkFormSet
    account_path = "owner_account"
    co_account_path = "co_accounts"
    fields = ["account", "platform", "channel", "label", "destination_url", "active", "share_url"]
    readonly_fields = ["share_url"]
    extra = 0

    @admin.display(description="Link to post")
    def share_url(self, link):
        if not link.pk:
            return "Save to get the link."
        url = public_url(link.get_absolute_url())
        return format_html('<input type="text" readonly value="{}" size="34" aria-label="Tracking link">', url)

    def scope_related_queryset(self, db_field, request, queryset):
        # Links may be made for any account running the campaign (the formset checks which),
        # including co-running accounts the user is not a member of.
        if db_field.name == "account":
            return queryset.filter(active=True)
        return super().scope_related_queryset(db_field, request, queryset)


class CampaignEventInline(AccountScopedInline, admin.TabularInline):
    """The append-only status log: shown, never edited."""

    model = CampaignEvent
    account_path = "owner_account"
    co_account_path = "co_accounts"
    fields = ["occurred_at", "from_status", "to_status", "actor", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def count_of(model, **filters):
    """A correlated COUNT(*) subquery per campaign row: no N+1, no GROUP BY over the whole list."""
    rows = model.objects.filter(campaign=OuterRef("pk"), **filters).order_by().values("campaign")
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), Value(0))


@admin.register(Campaign)
class CampaignAdmin(AccountScopedAdmin):
    form = CampaignForm
    account_path = "owner_account"
    co_account_path = "co_accounts"
    inlines = [TrackingLinkInline, CampaignEventInline]
    list_display = ["name", "owner_account", "status_badge", "starts_column", "ends_column", "link_count",
                    "touch_count"]
    list_filter = ["status", "owner_account", "co_accounts", ("starts_at", admin.DateFieldListFilter)]
    search_fields = ["name", "slug", "headline"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["co_accounts"]
    readonly_fields = ["status", "hero_preview", "landing_page", "touch_breakdown", "created_by", "updated_by",
                       "created_at", "updated_at"]
    actions = ["schedule", "unschedule", "pause", "resume", "end", "archive", "duplicate"]
    fieldsets = [
        (None, {"fields": ["owner_account", "co_accounts", "name", "slug", "status", "landing_page"]}),
        ("Schedule", {"fields": ["starts_local", "ends_local"],
                      "description": "Times are wall-clock times in the owner account's time zone."}),
        ("Landing page", {"fields": ["headline", "body", "hero_upload", "hero_alt", "hero_preview"]}),
        ("Touches", {"fields": ["touch_breakdown"]}),
        ("Tracking defaults", {"fields": ["utm_source", "utm_medium", "utm_campaign", "baseline_days"],
                               "classes": ["collapse"]}),
        ("History", {"fields": ["created_by", "created_at", "updated_by", "updated_at"], "classes": ["collapse"]}),
    ]

    def visible_campaigns(self, request):
        """The campaigns this user may see, without the list's per-row figures (for the calendar)."""
        return super().get_queryset(request).select_related("owner_account")

    def get_queryset(self, request):
        return self.visible_campaigns(request).annotate(
            touch_total=count_of(Touch, is_bot=False),
            link_total=count_of(TrackingLink),
        )

    def scope_related_queryset(self, db_field, request, queryset):
        # Any active account of the brand may be invited to co-run; its own objects stay hidden.
        if db_field.name == "co_accounts":
            return queryset.filter(active=True)
        return super().scope_related_queryset(db_field, request, queryset)

    # --- columns -------------------------------------------------------------------------

    @admin.display(description="Status", ordering="status")
    def status_badge(self, campaign):
        return campaign.get_status_display()

    @admin.display(description="Starts (local)", ordering="starts_at")
    def starts_column(self, campaign):
        return self.local_time(campaign, campaign.starts_at)

    @admin.display(description="Ends (local)", ordering="ends_at")
    def ends_column(self, campaign):
        return self.local_time(campaign, campaign.ends_at)

    def local_time(self, campaign, instant):
        if instant is None:
            return "—"
        return f"{to_local(instant, campaign.owner_account.timezone):%Y-%m-%d %H:%M} {campaign.owner_account.timezone}"

    @admin.display(description="Links", ordering="link_total")
    def link_count(self, campaign):
        return campaign.link_total

    @admin.display(description="Touches", ordering="touch_total")
    def touch_count(self, campaign):
        return campaign.touch_total

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
            return "No touches yet."
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (row["account__name"], row["link__channel"] or "—", row["link__label"] or "—", row["people"], row["bots"])
            for row in rows
        ))
        return format_html("<table><thead><tr><th>Account</th><th>Channel</th><th>Label</th><th>People</th>"
                           "<th>Bots (never credited)</th></tr></thead><tbody>{}</tbody></table>", body)

    @admin.display(description="Landing page")
    def landing_page(self, campaign):
        if not campaign.pk:
            return "Save to get the landing page."
        url = public_url(campaign.get_absolute_url())
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', campaign.get_absolute_url(), url)

    # --- saving ----------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    # --- actions: each calls the status machine and reports per campaign ------------------

    def change_each(self, request, queryset, to, verb):
        changed, refusals = 0, []
        at = timezone.now()
        for campaign in queryset:
            try:
                changed += change_status(campaign=campaign, to=to, by=request.user, at=at)
            except StatusChangeRefused as refusal:
                refusals.append(str(refusal))
        if changed:
            self.message_user(request, f"{verb} {changed} campaign{'s' if changed != 1 else ''}.", messages.SUCCESS)
        for refusal in refusals:
            self.message_user(request, refusal, messages.ERROR)
        if not changed and not refusals:
            self.message_user(request, "Nothing to change: the campaigns were already in that state.",
                              messages.INFO)

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

    # --- calendar --------------------------------------------------------------------------

    def get_urls(self):
        calendar = self.admin_site.admin_view(partial(calendar_view, self))
        return [path("calendar/", calendar, name="campaigns_campaign_calendar"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "calendar_url": reverse("admin:campaigns_campaign_calendar")}
        return super().changelist_view(request, extra_context)

    def has_delete_permission(self, request, obj=None):
        # Live and ended campaigns carry touches that sales are credited to: archive them instead.
        if obj is not None and obj.status not in {Status.DRAFT, Status.SCHEDULED}:
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not is_superuser(request):
            fields.append("owner_account")  # moving a campaign to another team would hand it over
        return fields
