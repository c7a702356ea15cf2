"""Winners and alternates of the draws: status per place, and the marketer's two decisions, verify and forfeit.

Each place's history (WinnerEvent) is append-only; a forfeit never overwrites a winner: the
next alternate steps up as a new notified place that "replaces #n" (promotions.winners).
"""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from campaigns.admin.campaigns import local_time, person
from promotions import winners
from promotions.admin.common import (
    CampaignScopedAdmin,
    email_for,
    giveaway_filter,
    masked_email,
    personal_data_shown,
    within_chosen_giveaway_filter,
)
from promotions.admin.entries import report
from promotions.admin.reasons import ask_for_reason, reason_given
from promotions.models import Round, Winner
from promotions.reviews import Outcome


@admin.register(Winner)
class WinnerAdmin(CampaignScopedAdmin):
    account_path = "draw__round__giveaway__campaign__owner_account"
    co_account_path = "draw__round__giveaway__campaign__co_accounts"
    list_display = ["round_column", "place_column", "pseudonym", "participant_email", "status_column",
                    "deadline_column"]
    list_filter = ["status", giveaway_filter("draw__round__giveaway"),
                   within_chosen_giveaway_filter(Round, "draw__round", "round", "round")]
    list_select_related = ["draw__round__giveaway__campaign__owner_account", "participant", "replaces",
                           "replaced_by"]
    ordering = ["-draw__drawn_at", "draw", "place"]
    sortable_by = []
    actions = ["verify", "forfeit"]
    fields = ["round_column", "place_column", "pseudonym", "participant_email", "status_column", "deadline_column",
              "full_name", "shipping_address", "phone", "claimed_column", "history"]
    readonly_fields = fields
    #: Only for those who run the giveaway: the prize is sent there.
    PERSONAL_FIELDS = ("full_name", "shipping_address", "phone")

    class Media:
        css = {"all": ["css/admin-promotions.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.list_select_related)

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is None or personal_data_shown(obj):
            return fields
        return [name for name in fields if name not in self.PERSONAL_FIELDS]

    def mask_personal_data(self, winner):
        winner.participant.email = masked_email(winner.participant.email)
        for name in self.PERSONAL_FIELDS:
            setattr(winner, name, "")

    @admin.display(description="Round")
    def round_column(self, winner):
        round = winner.draw.round
        return f"{round.giveaway.title} — round {round.number}"

    @admin.display(description="Place")
    def place_column(self, winner):
        winners_per_round = winner.draw.winners
        if winner.place <= winners_per_round:
            return f"#{winner.place} (winner)"
        return f"#{winner.place} (alternate {winner.place - winners_per_round})"

    @admin.display(description="Person")
    def participant_email(self, winner):
        return email_for(winner, winner.participant.email)

    @admin.display(description="Status")
    def status_column(self, winner):
        status = winner.get_status_display()
        parts = [status]
        if winner.replaces_id:
            parts.append(f"replaces #{winner.replaces.place}")
        replacement = getattr(winner, "replaced_by", None)
        if replacement is not None:
            parts.append(f"replaced by #{replacement.place}")
        return " — ".join(parts)

    @admin.display(description="Claim by (local)")
    def deadline_column(self, winner):
        return local_time(winner.draw.round.giveaway.campaign, winner.claim_deadline)

    @admin.display(description="Claimed (local)")
    def claimed_column(self, winner):
        return local_time(winner.draw.round.giveaway.campaign, winner.claimed_at)

    @admin.display(description="History")
    def history(self, winner):
        campaign = winner.draw.round.giveaway.campaign
        events = list(winner.events.select_related("actor"))
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (local_time(campaign, event.occurred_at), event.get_to_status_display(), person(event.actor),
             event.reason or "—") for event in events))
        return format_html('<table class="status-log"><thead><tr><th scope="col">When (local)</th><th scope="col">'
                           'Status</th><th scope="col">By</th><th scope="col">Why</th></tr></thead><tbody>{}</tbody>'
                           "</table>", rows)

    @admin.action(description="Verify the selected claims (the prize can be sent)", permissions=["change"])
    def verify(self, request, queryset):
        at, verified, refusals = timezone.now(), 0, []
        places = list(queryset)
        for winner in places:
            try:
                winners.verify_winner(winner=winner, by=request.user, at=at)
                verified += 1
            except winners.WinnerRefused as refusal:
                refusals.append(str(refusal))
        report(self, request, Outcome(changed=verified, asked=len(places)), verb="Verified", noun="place",
               nouns="places", why_unchanged="see why below.")
        for refusal in refusals:
            self.message_user(request, refusal, messages.ERROR)

    @admin.action(description="Forfeit the selected winners, with a reason …", permissions=["change"])
    def forfeit(self, request, queryset):
        confirmed, reason = reason_given(request)
        if not (confirmed and reason):
            return ask_for_reason(self, request, queryset, action="forfeit", title="Forfeit prizes",
                                  question="Why do these winners forfeit? (kept in each place's history; the next "
                                           "alternate is told they won)",
                                  button="Forfeit the prizes",
                                  error="Write the reason before forfeiting." if confirmed else "")
        at, forfeited, refusals = timezone.now(), 0, []
        places = list(queryset.order_by("draw", "place"))
        for winner in places:
            try:
                replacement = winners.forfeit(winner=winner, reason=reason, by=request.user, at=at)
            except winners.WinnerRefused as refusal:
                refusals.append(str(refusal))
                continue
            forfeited += 1
            if replacement is None:
                self.message_user(request, f"Place {winner.place} of {winner.draw.round} forfeited; no alternate is "
                                           "left to replace it.", messages.WARNING)
            else:
                self.message_user(request, f"Place {winner.place} of {winner.draw.round} forfeited; alternate "
                                           f"#{replacement.place} ({replacement.pseudonym}) replaces it and is told "
                                           "by email.", messages.SUCCESS)
        report(self, request, Outcome(changed=forfeited, asked=len(places)), verb="Forfeited", noun="place",
               nouns="places", why_unchanged="see why below.")
        for refusal in refusals:
            self.message_user(request, refusal, messages.ERROR)
        return None

