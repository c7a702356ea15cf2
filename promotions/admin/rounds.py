"""Rounds in the admin: read-only facts, "Draw now" for a closed round, the CSV of its entrants.

A round's facts (window, status, commitment, frozen digest) are written by the sweep and the
draw, never by hand, so its page is read-only. The seed is never shown here: it stays secret
until the draw, whose public page reveals it.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from campaigns.admin.campaigns import local_time, person
from promotions import drawing, exports
from promotions.admin.common import CampaignScopedAdmin, email_for, giveaway_filter, round_window
from promotions.admin.giveaways import tallied_entries
from promotions.models import Round, Winner


@admin.register(Round)
class RoundAdmin(CampaignScopedAdmin):
    account_path = "giveaway__campaign__owner_account"
    co_account_path = "giveaway__campaign__co_accounts"
    list_display = ["__str__", "window", "status", "entries", "draw_column"]
    list_filter = [giveaway_filter("giveaway"), "status"]
    list_select_related = ["giveaway__campaign__owner_account", "draw"]
    ordering = ["-opens_at", "-id"]
    fields = ["giveaway", "number", "window", "status", "commitment", "rules_version", "digest", "entrant_count",
              "total_weight", "entries", "winners_table", "event_log"]
    readonly_fields = fields
    actions = None

    class Media:
        css = {"all": ["css/admin-promotions.css"]}

    def get_queryset(self, request):
        return (super().get_queryset(request).select_related("giveaway__campaign__owner_account", "draw")
                .annotate(tallied=tallied_entries()))

    @admin.display(description="Digest of the entry set")
    def digest(self, round):
        draw = getattr(round, "draw", None)  # one-to-one, loaded with the round; absent until the draw
        return draw.digest if draw is not None else "Made when the round is drawn."

    @admin.display(description="Entry window")
    def window(self, round):
        return round_window(round)

    @admin.display(description="Counted entries (tallied)")
    def entries(self, round):
        return round.tallied

    @admin.display(description="Draw")
    def draw_column(self, round):
        if round.status == Round.Status.DRAWN:
            return format_html('<a href="{}?giveaway={}&amp;round={}">Winners</a>',
                               reverse("admin:promotions_winner_changelist"), round.giveaway_id, round.pk)
        return "Waiting for the draw" if round.status == Round.Status.CLOSED else "After the close"

    @admin.display(description="Winners and alternates")
    def winners_table(self, round):
        if round.status != Round.Status.DRAWN:
            return "Not drawn yet."
        places = list(Winner.objects.filter(draw__round=round).select_related("participant", "replaced_by"))
        if not places:
            return "The draw picked nobody: the round had no eligible entries."
        rows = format_html_join("", "<tr><th scope=\"row\">#{}</th><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (place.place, place.pseudonym, email_for(round, place.participant.email), winner_status(place))
            for place in places))
        return format_html('<table class="round-winners"><thead><tr><th scope="col">Place</th><th scope="col">'
                           'Pseudonym</th><th scope="col">Email</th><th scope="col">Status</th></tr></thead>'
                           "<tbody>{}</tbody></table>", rows)

    @admin.display(description="Status log")
    def event_log(self, round):
        campaign = round.giveaway.campaign
        events = list(round.events.select_related("actor"))
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (local_time(campaign, event.occurred_at), event.get_from_status_display() or "—",
             event.get_to_status_display(), person(event.actor), event.note or "—") for event in events))
        return format_html('<table class="status-log"><thead><tr><th scope="col">When (local)</th><th scope="col">'
                           'From</th><th scope="col">To</th><th scope="col">By</th><th scope="col">Note</th></tr>'
                           "</thead><tbody>{}</tbody></table>", rows)

    # --- the page's header: draw and export --------------------------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            may_edit = self.may_edit(request, obj)
            context.update({
                "may_draw": may_edit and obj.status == Round.Status.CLOSED,
                "draw_url": reverse("admin:promotions_round_draw", args=[obj.pk]),
                "may_export": may_edit,
                "export_url": reverse("admin:promotions_round_entrants", args=[obj.pk]),
                "round_note": "" if may_edit else (
                    f"You may look at this round; {obj.giveaway.campaign.owner_account}'s managers and marketers "
                    "draw it and download its entrants."),
            })
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/draw/", wrap(self.draw_view), name="promotions_round_draw"),
            path("<path:object_id>/entrants.csv", wrap(self.entrants_view), name="promotions_round_entrants"),
            *super().get_urls(),
        ]

    def editable_round(self, request, object_id):
        """The round if the user may edit it; 404 for a round they cannot see, 403 for one they may only view."""
        round = self.get_object(request, object_id)
        if round is None or not self.has_view_permission(request, round):
            raise Http404("No such round.")
        if not self.may_edit(request, round):
            raise PermissionDenied
        return round

    def draw_view(self, request, object_id):
        """POST from "Draw now" (here or on the giveaway page): drawing.draw_round(), reported in a message."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        round = self.editable_round(request, object_id)
        if round.status != Round.Status.CLOSED:
            self.message_user(request, f"{round} is {round.get_status_display().lower()}: only a closed round that "
                                       "has not been drawn can be drawn.", messages.ERROR)
        else:
            try:
                draw = drawing.draw_round(round=round, by=request.user, at=timezone.now())
            except drawing.DrawRefused as refusal:
                self.message_user(request, str(refusal), messages.ERROR)
            else:
                self.message_user(request, f"Drew {round}: {draw.winners} winner(s) and {draw.alternates} "
                                           "alternate(s). The winners are listed below; the public proof page "
                                           "shows the seed.", messages.SUCCESS)
        if request.POST.get("return_to") == "giveaway":
            return HttpResponseRedirect(reverse("admin:promotions_giveaway_change", args=[round.giveaway_id]))
        return HttpResponseRedirect(reverse("admin:promotions_round_change", args=[round.pk]))

    def entrants_view(self, request, object_id):
        """The round's entrants as CSV, streamed; email addresses, so only for those who run the giveaway."""
        round = self.editable_round(request, object_id)
        response = StreamingHttpResponse(exports.entrant_lines(round), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{exports.entrants_filename(round)}"'
        return response


def winner_status(place):
    """"Verified", "Forfeited — replaced by #3", "Alternate, waiting" …"""
    status = place.get_status_display()
    replacement = getattr(place, "replaced_by", None)
    if replacement is not None:
        return f"{status} — replaced by #{replacement.place}"
    return status
