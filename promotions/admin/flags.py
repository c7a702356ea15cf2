"""The fraud review queue: flags a rule raised on entries, each with its reason, cleared or upheld in bulk.

A held entry counts only once every flag on it is cleared; upholding a flag rejects the entry
(promotions.reviews.decide_flags). Flags are never deleted: the decision, who made it and
when stay on the row. The list opens on the flags awaiting review, newest first.
"""

from django.contrib import admin
from django.utils import timezone

from campaigns.admin.campaigns import local_time, person
from promotions import reviews
from promotions.admin.common import CampaignScopedAdmin, DefaultChoiceFilter, email_for, giveaway_filter, masked_email
from promotions.admin.entries import proof_link, report
from promotions.models import Flag, Mission


class DecisionFilter(DefaultChoiceFilter):
    title = "decision (default: awaiting review)"
    parameter_name = "decision"
    field = "decision"
    options = Flag.Decision.choices
    default = Flag.Decision.OPEN


@admin.register(Flag)
class FlagAdmin(CampaignScopedAdmin):
    account_path = "entry__round__giveaway__campaign__owner_account"
    co_account_path = "entry__round__giveaway__campaign__co_accounts"
    list_display = ["created_column", "rule", "reason", "participant_email", "round_column", "mission_column",
                    "entry_status", "decision"]
    list_filter = [DecisionFilter, "rule", giveaway_filter("entry__round__giveaway")]
    list_select_related = ["entry__participant", "entry__mission", "entry__round__giveaway__campaign__owner_account"]
    search_fields = ["=entry__participant__email"]
    search_help_text = "The person's email address, exactly."
    ordering = ["-created_at", "-id"]
    sortable_by = ["created_column"]
    show_full_result_count = False
    actions = ["clear", "uphold"]
    fields = ["created_column", "rule", "reason", "participant_email", "round_column", "mission_column",
              "answer_column", "entry_status", "decision", "decided_by_name", "decided_column", "decision_note"]
    readonly_fields = fields

    class Media:
        css = {"all": ["css/admin-promotions.css"]}

    @admin.display(description="Raised (local)", ordering="created_at")
    def created_column(self, flag):
        return local_time(flag.entry.round.giveaway.campaign, flag.created_at)

    def mask_personal_data(self, flag):
        flag.entry.participant.email = masked_email(flag.entry.participant.email)

    @admin.display(description="Person")
    def participant_email(self, flag):
        return email_for(flag, flag.entry.participant.email)

    @admin.display(description="Round")
    def round_column(self, flag):
        return f"{flag.entry.round.giveaway.title} — round {flag.entry.round.number}"

    @admin.display(description="Mission")
    def mission_column(self, flag):
        return flag.entry.mission.title

    @admin.display(description="Code, answer or proof")
    def answer_column(self, flag):
        if flag.entry.mission.kind == Mission.Kind.PROOF_URL:
            return proof_link(flag.entry.answer)
        return flag.entry.answer or "—"

    @admin.display(description="Entry")
    def entry_status(self, flag):
        return flag.entry.get_status_display()

    @admin.display(description="Decided by")
    def decided_by_name(self, flag):
        return person(flag.decided_by) if flag.decided_at else "Not decided"

    @admin.display(description="Decided (local)")
    def decided_column(self, flag):
        return local_time(flag.entry.round.giveaway.campaign, flag.decided_at)

    @admin.action(description="Clear the selected flags (the entry counts once no flag is open)",
                  permissions=["change"])
    def clear(self, request, queryset):
        outcome = reviews.decide_flags(flags=list(queryset.values_list("pk", flat=True)), clear=True,
                                       by=request.user, at=timezone.now())
        report(self, request, outcome, verb="Cleared", noun="flag", nouns="flags",
               why_unchanged="only flags awaiting review can be decided, and drawn rounds are final.")

    @admin.action(description="Uphold the selected flags (their entries are rejected)", permissions=["change"])
    def uphold(self, request, queryset):
        outcome = reviews.decide_flags(flags=list(queryset.values_list("pk", flat=True)), clear=False,
                                       by=request.user, at=timezone.now())
        report(self, request, outcome, verb="Upheld", noun="flag", nouns="flags",
               why_unchanged="only flags awaiting review can be decided, and drawn rounds are final.")
