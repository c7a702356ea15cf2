"""People taking part in giveaways: looked at, and blocked with a reason — never edited or deleted.

A participant is one person across all of the brand's accounts, so no brand account owns
them. A member of staff sees the people who have entries in giveaways of campaigns their
accounts own or co-run (superusers see everyone), and may block those with entries in a
giveaway whose owner account gives them an edit role. Blocking is brand-wide: the person
can enter no giveaway any more (promotions.reviews.block_participant); the entries and flags
it rejects are only those in giveaways of campaigns the blocker may edit.
"""

from django.contrib import admin
from django.db.models import BooleanField, Count, Exists, OuterRef, Sum, Value
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.roles import EDITOR_ROLES
from accounts.scoping import is_superuser, roles_of
from promotions import reviews
from promotions.admin.common import (
    PERSONAL_DATA,
    editable_campaign_ids,
    email_for,
    masked_email,
    personal_data_shown,
    visible_campaign_ids,
)
from promotions.admin.entries import report
from promotions.admin.reasons import ask_for_reason, reason_given
from promotions.models import Entry, Participant


def with_entries_in(campaign_ids):
    return Exists(Entry.objects.filter(participant=OuterRef("pk"), round__giveaway__campaign__in=campaign_ids))


class BlockedFilter(admin.SimpleListFilter):
    title = "blocked"
    parameter_name = "blocked"

    def lookups(self, request, model_admin):
        return [("yes", "Blocked"), ("no", "Not blocked")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(blocked_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(blocked_at__isnull=True)
        return queryset


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    edit_roles = EDITOR_ROLES
    list_display = ["email_column", "country", "created_at", "blocked_column"]
    list_select_related = ["blocked_by"]
    list_filter = [BlockedFilter]
    search_fields = ["=email"]
    search_help_text = "The person's email address, exactly."
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    object_history_template = "admin/campaigns/campaign/object_history.html"  # staff by name, not address
    actions = ["block"]
    fields = ["email", "country", "created_at", "blocked_column", "entries_by_giveaway"]
    readonly_fields = fields

    class Media:
        css = {"all": ["css/admin-promotions.css"]}

    def get_queryset(self, request):
        """People with entries the user sees; each row says whether the user may see their address (PERSONAL_DATA).

        The address is for those who run a giveaway the person entered (a manager or marketer of its
        owner account, or a superuser); co-running teams, analysts and finance see it masked.
        """
        queryset = super().get_queryset(request)
        if is_superuser(request):
            return queryset.annotate(**{PERSONAL_DATA: Value(True, output_field=BooleanField())})
        return (queryset.filter(with_entries_in(visible_campaign_ids(request)))
                .annotate(**{PERSONAL_DATA: with_entries_in(editable_campaign_ids(request, self.edit_roles))}))

    def blockable(self, request, queryset):
        if is_superuser(request):
            return queryset
        return queryset.filter(with_entries_in(editable_campaign_ids(request, self.edit_roles)))

    def has_module_permission(self, request):
        return is_superuser(request) or bool(roles_of(request))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)  # get_queryset limits which people

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Only the block action, for people with an edit role somewhere; the person's page is read-only.
        return obj is None and (is_superuser(request) or any(role in self.edit_roles
                                                             for role in roles_of(request).values()))

    def has_delete_permission(self, request, obj=None):
        return False  # blocking never deletes

    def action_checkbox(self, participant):
        # The checkbox's aria-label is str(person), their address: masked first for viewers.
        if not personal_data_shown(participant):
            participant.email = masked_email(participant.email)
        return super().action_checkbox(participant)

    @admin.display(description="Email", ordering="email")
    def email_column(self, participant):
        return email_for(participant, participant.email)

    @admin.display(description="Blocked")
    def blocked_column(self, participant):
        if participant.blocked_at is None:
            return "No"
        by = f" by {participant.blocked_by.name or 'a colleague'}" if participant.blocked_by else ""
        return f"Since {participant.blocked_at:%Y-%m-%d %H:%M} UTC{by}: {participant.blocked_reason}"

    @admin.display(description="Entries in your giveaways")
    def entries_by_giveaway(self, participant):
        entries = Entry.objects.filter(participant=participant)
        campaign_ids = getattr(participant, "visible_campaign_ids", [])
        if campaign_ids is not None:  # None: a superuser, who sees every giveaway
            entries = entries.filter(round__giveaway__campaign__in=campaign_ids)
        rows = list(entries.values("round__giveaway__title", "status").annotate(n=Count("pk"), weight=Sum("weight"))
                    .order_by("round__giveaway__title", "status"))
        if not rows:
            return "None"
        labels = dict(Entry.Status.choices)
        body = format_html_join("", "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (row["round__giveaway__title"], labels[row["status"]], row["n"], row["weight"]) for row in rows))
        return format_html('<table><thead><tr><th scope="col">Giveaway</th><th scope="col">Status</th>'
                           '<th scope="col">Completions</th><th scope="col">Entries</th></tr></thead>'
                           "<tbody>{}</tbody></table>", body)

    def get_object(self, request, object_id, from_field=None):
        participant = super().get_object(request, object_id, from_field)
        if participant is not None:  # for entries_by_giveaway: read-only fields get only the object
            participant.visible_campaign_ids = None if is_superuser(request) else visible_campaign_ids(request)
            if not personal_data_shown(participant):
                # In memory only (the page is read-only): the title, breadcrumbs and history show str(person).
                participant.email = masked_email(participant.email)
        return participant

    @admin.action(description="Block the selected people, with a reason …", permissions=["change"])
    def block(self, request, queryset):
        confirmed, reason = reason_given(request)
        if confirmed and reason:
            people = list(self.blockable(request, queryset))
            at = timezone.now()
            changed = 0
            # The block is brand-wide; the entries and flags it rejects are only those the user decides.
            campaign_ids = None if is_superuser(request) else editable_campaign_ids(request, self.edit_roles)
            for person in people:
                if reviews.block_participant(participant=person, reason=reason, by=request.user, at=at,
                                             campaign_ids=campaign_ids):
                    self.log_change(request, person, f"Blocked: {reason}")
                    changed += 1
            report(self, request, reviews.Outcome(changed=changed, asked=len(people)), verb="Blocked",
                   noun="person", nouns="people", why_unchanged="they were blocked already.")
            return None
        return ask_for_reason(self, request, self.blockable(request, queryset), action="block", title="Block people",
                              question="Why are these people blocked? (kept with each person; their entries in "
                                       "rounds not yet drawn of your giveaways are rejected with it)",
                              explanation="Blocking is brand-wide: a blocked person can enter no giveaway of any "
                                          "of the brand's accounts any more and is never drawn. Only their entries "
                                          "and open flags in giveaways of campaigns you run are rejected now; "
                                          "those in other accounts' giveaways are left to their marketers.",
                              button="Block them", error="Write the reason before blocking." if confirmed else "")
