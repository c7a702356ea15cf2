"""The review queue of referral purchases: those the burst rule held (several purchases from one network and
browser within minutes), cleared or rejected with a reason — in bulk from the list, or one by one from the
purchase's page — through referrals.review_member().

A member is a fact written by promotions/referrals.py: its page is read-only (money, status and ledger) and
nothing is deleted. The list opens on the purchases held for review, newest first. Co-running teams and the
owner's analysts and finance look, with email addresses masked; the owner account's managers and marketers
decide.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from campaigns.admin.campaigns import local_time, person
from promotions import referrals
from promotions.admin.common import CampaignScopedAdmin, DefaultChoiceFilter, email_for, masked_email, plural
from promotions.admin.groups import not_yours
from promotions.admin.offers import offer_filter
from promotions.admin.reasons import ask_for_reason, reason_given
from promotions.models import GroupMember

Status = GroupMember.Status
REJECT_QUESTION = "Why are these purchases rejected? (kept with each purchase, e.g. “one household, many cards”)"
REJECT_ONE_QUESTION = "Why is this purchase rejected? (kept with the purchase, e.g. “one household, many cards”)"


class MemberStatusFilter(DefaultChoiceFilter):
    title = "status (default: held for review)"
    parameter_name = "status"
    options = Status.choices
    default = Status.FLAGGED


@admin.register(GroupMember)
class GroupMemberAdmin(CampaignScopedAdmin):
    # Members carry their offer: visibility is `offer.campaign IN (<ids>)`, one join, whatever the group.
    account_path = "offer__campaign__owner_account"
    co_account_path = "offer__campaign__co_accounts"
    list_display = ["bought_column", "order_reference", "buyer", "group_link", "generation", "referrer", "paid",
                    "status", "reason"]
    list_select_related = ["participant", "group__item", "referred_by", "offer__campaign__owner_account"]
    list_filter = [MemberStatusFilter, offer_filter("offer")]
    search_fields = ["=order_reference"]
    search_help_text = "The shop's order reference, exactly."
    ordering = ["-bought_at", "-id"]
    sortable_by = ["bought_column"]
    show_full_result_count = False
    actions = ["clear", "reject"]
    fields = ["order_reference", "source", "buyer", "group_link", "generation", "referrer", "bought_column",
              "hold_column", "quantity", "list_price", "paid", "refunded", "rebate_owed", "currency", "status",
              "counts_toward_tier", "reason", "reviewed_by_name", "reviewed_column", "ledger_table"]
    readonly_fields = fields

    class Media:
        css = {"all": ["css/admin-promotions.css"]}

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": "Referral purchases: the review queue",
                                                 **(extra_context or {})})

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("participant", "group__item", "referred_by",
                                                            "offer__campaign__owner_account", "reviewed_by")

    def mask_personal_data(self, member):
        member.participant.email = masked_email(member.participant.email)

    # --- columns and read-only parts -------------------------------------------------------

    @admin.display(description="Bought (local)", ordering="bought_at")
    def bought_column(self, member):
        return local_time(member.offer.campaign, member.bought_at)

    @admin.display(description="Refund hold until (local)")
    def hold_column(self, member):
        return local_time(member.offer.campaign, member.hold_until)

    @admin.display(description="Buyer")
    def buyer(self, member):
        return email_for(member, member.participant.email)

    @admin.display(description="Group")
    def group_link(self, member):
        return format_html('<a href="{}">{} · {}</a>', reverse("admin:promotions_referralgroup_change",
                                                               args=[member.group_id]),
                           member.group.item, member.group.code)

    @admin.display(description="Through the link of")
    def referrer(self, member):
        if member.generation == 0:
            return "— (the founder's own purchase)"
        return f"order {member.referred_by.order_reference}" if member.referred_by else "the founder"

    @admin.display(description="Reviewed by")
    def reviewed_by_name(self, member):
        return person(member.reviewed_by) if member.reviewed_at else "Not reviewed"

    @admin.display(description="Reviewed (local)")
    def reviewed_column(self, member):
        return local_time(member.offer.campaign, member.reviewed_at)

    @admin.display(description="Ledger")
    def ledger_table(self, member):
        rows = list(member.ledger.order_by("at", "pk"))
        if not rows:
            return "No money has moved yet."
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{} {}</td><td>{}%</td><td>{}</td></tr>", (
            (local_time(member.offer.campaign, row.at), row.get_kind_display(), row.amount, row.currency,
             row.tier_percent, row.note) for row in rows))
        return format_html(
            '<table class="giveaway-figures"><thead><tr><th scope="col">When (local)</th><th scope="col">Kind</th>'
            '<th scope="col">Amount</th><th scope="col">Group discount</th><th scope="col">Note</th></tr></thead>'
            "<tbody>{}</tbody></table>", body)

    # --- reviews: the list's actions and the page's buttons ----------------------------------

    def review(self, request, members, *, approve, reason=""):
        """referrals.review_member() for each member (only the editable ones are passed); (done, refusals)."""
        done, refusals = 0, []
        for member in members:
            try:
                referrals.review_member(member=member, approve=approve, by=request.user, at=timezone.now(),
                                        reason=reason)
            except referrals.GroupRefused as refusal:
                refusals.append(f"{member.order_reference}: {refusal}")
            else:
                done += 1
        return done, refusals

    def report(self, request, *, done, refusals, approve):
        verb = "Cleared" if approve else "Rejected"
        after = (" They count toward their groups' tiers once their refund hold is over." if approve else
                 " They never count toward a tier or earn a rebate.")
        if done:
            self.message_user(request, f"{verb} {plural(done, 'purchase')}.{after}", messages.SUCCESS)
        for refusal in refusals:
            self.message_user(request, refusal, messages.WARNING)

    def bulk_review(self, request, queryset, *, approve, reason=""):
        editable = list(self.editable(request, queryset))
        held = [member for member in editable if member.status == Status.FLAGGED]
        done, refusals = self.review(request, held, approve=approve, reason=reason)
        self.report(request, done=done, refusals=refusals, approve=approve)
        if len(editable) > len(held):
            self.message_user(request, f"{plural(len(editable) - len(held), 'purchase')} left as they were: only "
                                       "purchases held for review can be cleared or rejected.", messages.INFO)
        not_yours(self, request, len(editable), "purchase", "purchases")

    @admin.action(description="Clear the selected purchases (they count once their hold is over)",
                  permissions=["change"])
    def clear(self, request, queryset):
        self.bulk_review(request, queryset, approve=True)

    @admin.action(description="Reject the selected purchases, with a reason …", permissions=["change"])
    def reject(self, request, queryset):
        confirmed, reason = reason_given(request)
        if (confirmed and reason) or not self.editable(request, queryset).exists():
            self.bulk_review(request, queryset, approve=False, reason=reason)  # or says the selection is not theirs
            return None
        return ask_for_reason(self, request, self.editable(request, queryset), action="reject",
                              title="Reject purchases", question=REJECT_QUESTION, button="Reject the purchases",
                              error="Write the reason before rejecting." if confirmed else "",
                              explanation="A rejected purchase stays in its group's records but never counts toward "
                                          "a tier or earns a rebate.")

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            may_edit = self.may_edit(request, obj)
            context.update({
                "may_review": may_edit and obj.status == Status.FLAGGED,
                "review_url": reverse("admin:promotions_groupmember_review", args=[obj.pk]),
                "reject_question": REJECT_ONE_QUESTION,
                "member_note": "" if may_edit or obj.status != Status.FLAGGED else (
                    f"You may look at this purchase; {obj.offer.campaign.owner_account}'s managers and marketers "
                    "review it."),
            })
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("<path:object_id>/review/", wrap(self.review_view), name="promotions_groupmember_review"),
                *super().get_urls()]

    def review_view(self, request, object_id):
        """POST from the purchase's page: `decision` "clear", or "reject" with a `reason`. 404 for a purchase the
        user cannot see, 403 for one they may only look at."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        member = self.get_object(request, object_id)
        if member is None or not self.has_view_permission(request, member):
            raise Http404("No such purchase.")
        if not self.may_edit(request, member):
            raise PermissionDenied
        decision, reason = request.POST.get("decision"), request.POST.get("reason", "").strip()
        if decision == "reject" and not reason:
            self.message_user(request, "Write the reason before rejecting; it is kept with the purchase.",
                              messages.ERROR)
        elif decision in {"clear", "reject"}:
            done, refusals = self.review(request, [member], approve=decision == "clear", reason=reason)
            self.report(request, done=done, refusals=refusals, approve=decision == "clear")
        else:
            self.message_user(request, "Pick “Clear” or “Reject”.", messages.ERROR)
        return HttpResponseRedirect(reverse("admin:promotions_groupmember_change", args=[member.pk]))
