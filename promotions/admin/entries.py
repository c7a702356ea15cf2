"""The moderation queue: entries awaiting review (proof links of a follow or share), approved or rejected in bulk.

Entries are facts written by complete_mission(); here they are only read and decided,
through promotions.reviews, never edited or deleted. The list opens on "Awaiting review",
newest first; filters read the giveaway, round and mission tables.
"""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from campaigns.admin.campaigns import local_time, person
from promotions import reviews
from promotions.admin.common import (
    CampaignScopedAdmin,
    DefaultChoiceFilter,
    email_for,
    giveaway_filter,
    masked_email,
    plural,
    within_chosen_giveaway_filter,
)
from promotions.admin.reasons import ask_for_reason, reason_given
from promotions.models import Entry, Mission, Round


class EntryStatusFilter(DefaultChoiceFilter):
    title = "status (default: awaiting review)"
    parameter_name = "status"
    options = Entry.Status.choices
    default = Entry.Status.AWAITING_REVIEW


def report(model_admin, request, outcome, *, verb, noun="entry", nouns="entries", why_unchanged):
    """Say what an action did, what it left and why, and what the user may only look at."""
    selected = len(request.POST.getlist(ACTION_CHECKBOX_NAME))
    if outcome.changed:
        model_admin.message_user(request, f"{verb} {plural(outcome.changed, noun, nouns)}.", messages.SUCCESS)
    if outcome.unchanged:
        model_admin.message_user(request, f"{plural(outcome.unchanged, noun, nouns)} left as "
                                          f"{'it was' if outcome.unchanged == 1 else 'they were'}: {why_unchanged}",
                                 messages.INFO)
    not_yours = selected - outcome.asked if request.POST.get("select_across") != "1" else 0
    if not_yours > 0:
        model_admin.message_user(request, f"{plural(not_yours, noun, nouns)} of the selection belong to giveaways "
                                          "where you may only look; the owner account's marketers decide them.",
                                 messages.WARNING)


def proof_link(answer):
    """A submitted proof URL as a link that passes no referrer rank and no window handle to the site it opens."""
    if answer.startswith(("https://", "http://")):
        return format_html('<a href="{}" target="_blank" rel="noopener nofollow noreferrer">{}</a>', answer, answer)
    return answer or "—"


@admin.register(Entry)
class EntryAdmin(CampaignScopedAdmin):
    account_path = "round__giveaway__campaign__owner_account"
    co_account_path = "round__giveaway__campaign__co_accounts"
    list_display = ["created_column", "participant_email", "round_column", "mission", "weight", "answer_column",
                    "status", "review_note"]
    list_filter = [EntryStatusFilter, giveaway_filter("round__giveaway"),
                   within_chosen_giveaway_filter(Round, "round", "round", "round"),
                   within_chosen_giveaway_filter(Mission, "mission", "mission", "mission")]
    list_select_related = ["participant", "mission", "round__giveaway__campaign__owner_account", "account"]
    search_fields = ["=participant__email"]
    search_help_text = "The person's email address, exactly."
    ordering = ["-created_at", "-id"]
    sortable_by = ["created_column"]
    show_full_result_count = False
    actions = ["approve", "reject"]
    fields = ["created_column", "participant_email", "round_column", "mission", "account", "weight",
              "answer_column", "status", "review_note", "reviewed_by_name", "reviewed_column", "flag_list"]
    readonly_fields = fields

    class Media:
        css = {"all": ["css/admin-promotions.css"]}

    @admin.display(description="Entered (local)", ordering="created_at")
    def created_column(self, entry):
        return local_time(entry.round.giveaway.campaign, entry.created_at)

    def mask_personal_data(self, entry):
        entry.participant.email = masked_email(entry.participant.email)

    @admin.display(description="Person")
    def participant_email(self, entry):
        return email_for(entry, entry.participant.email)

    @admin.display(description="Round")
    def round_column(self, entry):
        return f"{entry.round.giveaway.title} — round {entry.round.number}"

    @admin.display(description="Code, answer or proof")
    def answer_column(self, entry):
        if entry.mission.kind == Mission.Kind.PROOF_URL:
            return proof_link(entry.answer)
        return entry.answer or "—"

    @admin.display(description="Reviewed by")
    def reviewed_by_name(self, entry):
        return person(entry.reviewed_by) if entry.reviewed_at else "Not reviewed"

    @admin.display(description="Reviewed (local)")
    def reviewed_column(self, entry):
        return local_time(entry.round.giveaway.campaign, entry.reviewed_at)

    @admin.display(description="Fraud flags")
    def flag_list(self, entry):
        flags = list(entry.flags.all())
        if not flags:
            return "None"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {} ({})</li>", (
            (flag.get_rule_display(), flag.reason, flag.get_decision_display()) for flag in flags)))

    @admin.action(description="Approve the selected entries (they count)", permissions=["change"])
    def approve(self, request, queryset):
        outcome = reviews.review_entries(entries=list(queryset.values_list("pk", flat=True)), approve=True,
                                         by=request.user, at=timezone.now())
        report(self, request, outcome, verb="Approved", why_unchanged="only entries awaiting review can be "
               "approved (held entries are decided in the fraud review queue; drawn rounds are final).")

    @admin.action(description="Reject the selected entries, with a reason …", permissions=["change"])
    def reject(self, request, queryset):
        confirmed, reason = reason_given(request)
        if confirmed and reason:
            outcome = reviews.review_entries(entries=list(queryset.values_list("pk", flat=True)), approve=False,
                                             note=reason, by=request.user, at=timezone.now())
            report(self, request, outcome, verb="Rejected", why_unchanged="only entries awaiting review can be "
                   "rejected here (held entries are decided in the fraud review queue; drawn rounds are final).")
            return None
        return ask_for_reason(self, request, queryset, action="reject", title="Reject entries",
                              question="Why are these entries rejected? (kept with each entry; the person may ask)",
                              button="Reject the entries",
                              error="Write the reason before rejecting." if confirmed else "")
