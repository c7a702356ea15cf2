"""Referral groups in the admin: read-only pages (members, generations, the ledger, tier changes, where the clicks
came from) and switching a group's link off or on with a reason — never edits of money, which only
promotions/referrals.py writes, and never a deletion: the ledger is what finance reconciles.

Co-running teams and the owner's analysts and finance look, with people's email addresses masked; the owner
account's managers and marketers switch links off and on.
"""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from campaigns.admin.campaigns import local_time
from campaigns.models import Touch
from promotions import referrals
from promotions.admin.common import CampaignScopedAdmin, email_for, masked_email, personal_data_shown, plural
from promotions.admin.offers import offer_filter
from promotions.admin.reasons import ask_for_reason, reason_given
from promotions.models import LedgerEntry, ReferralGroup

HOSTS_SHOWN = 10
SWITCH_OFF_QUESTION = "Why is the link switched off? (kept with the group, e.g. “posted on a coupon site”)"


class GroupStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Taking purchases"), ("off", "Link switched off"), ("settled", "Settled")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(disabled_at__isnull=True, settled_at__isnull=True)
        if self.value() == "off":
            return queryset.filter(disabled_at__isnull=False)
        if self.value() == "settled":
            return queryset.filter(settled_at__isnull=False)
        return queryset


def not_yours(model_admin, request, done_on, noun, nouns):
    """Tell the user when part of a selection belongs to campaigns where they may only look."""
    selected = len(request.POST.getlist(ACTION_CHECKBOX_NAME))
    left = selected - done_on if request.POST.get("select_across") != "1" else 0
    if left > 0:
        model_admin.message_user(request, f"{plural(left, noun, nouns)} of the selection belong to campaigns where "
                                          "you may only look; the owner account's managers and marketers decide them.",
                                 messages.WARNING)


@admin.register(ReferralGroup)
class ReferralGroupAdmin(CampaignScopedAdmin):
    account_path = "offer__campaign__owner_account"
    co_account_path = "offer__campaign__co_accounts"
    list_display = ["code", "item", "offer", "founder_email", "created_column", "confirmed_count", "member_count",
                    "tier_column", "state"]
    list_select_related = ["item", "offer__campaign__owner_account", "founder"]
    list_filter = [offer_filter("offer"), GroupStatusFilter]
    search_fields = ["code"]
    search_help_text = "A group's code, or any share code of its members (the part after /r/)."
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    actions = ["switch_off", "switch_on"]
    fields = ["offer", "item", "code", "founder_email", "created_column", "state", "confirmed_count", "member_count",
              "tier_column", "members_table", "tier_changes", "referring_hosts", "ledger_table"]
    readonly_fields = fields

    class Media:
        css = {"all": ["css/admin-promotions.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("offer__campaign__owner_account", "item", "founder")

    def get_search_results(self, request, queryset, search_term):
        """A group's code, exactly; a member's share code (the group's code and six more characters) finds its group."""
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(code=term[:referrals.GROUP_CODE_LENGTH]), False

    def mask_personal_data(self, group):
        group.founder.email = masked_email(group.founder.email)

    # --- columns and read-only parts -------------------------------------------------------

    @admin.display(description="Founder")
    def founder_email(self, group):
        return email_for(group, group.founder.email)

    @admin.display(description="Started (local)", ordering="created_at")
    def created_column(self, group):
        return local_time(group.offer.campaign, group.created_at)

    @admin.display(description="Group discount now", ordering="tier_percent")
    def tier_column(self, group):
        return f"{group.tier_percent}%"

    @admin.display(description="Status")
    def state(self, group):
        if group.settled_at:
            return f"Settled at {local_time(group.offer.campaign, group.settled_at)}"
        if group.disabled_at:
            return (f"Link switched off at {local_time(group.offer.campaign, group.disabled_at)}: "
                    f"{group.disabled_reason}")
        return "Taking purchases"

    @admin.display(description="Members")
    def members_table(self, group):
        members = list(group.members.select_related("participant", "referred_by__participant")
                       .order_by("bought_at", "pk"))
        if not members:
            return "Nobody has bought through this group yet."
        shown = personal_data_shown(group)

        def email(participant):
            return participant.email if shown else masked_email(participant.email)

        rows = format_html_join("", '<tr><th scope="row"><a href="{}">{}</a></th><td>{}</td><td>{}</td><td>{}</td>'
                                    "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (reverse("admin:promotions_groupmember_change", args=[member.pk]), member.order_reference,
             email(member.participant), member.generation,
             (f"{member.referred_by.order_reference} ({email(member.referred_by.participant)})"
              if member.referred_by else "the founder"),
             member.paid, member.refunded, member.rebate_owed,
             member.get_status_display() + ("" if member.counts_toward_tier else "; does not count"),
             member.reason or "—")
            for member in members))
        return format_html(
            '<table class="giveaway-figures"><thead><tr><th scope="col">Order</th><th scope="col">Buyer</th>'
            '<th scope="col">Gen&shy;eration</th><th scope="col">Through the link of</th><th scope="col">Paid</th>'
            '<th scope="col">Refunded</th><th scope="col">Rebate owed</th><th scope="col">Status</th>'
            '<th scope="col">Reason</th></tr></thead><tbody>{}</tbody></table><p class="help">Amounts in {}. '
            "Generation 0 is the founder's own purchase, 1 came through the founder's link, 2 through a generation-1 "
            "member's link, and so on. “Does not count”: toward the tier (a self-referral or a second purchase); the "
            "member still gets the group's price.</p>", rows, group.offer.currency)

    @admin.display(description="Tier changes")
    def tier_changes(self, group):
        changes = list(group.tier_changes.order_by("at", "pk"))
        if not changes:
            return "The group has not reached a tier yet."
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}% → {}% ({} confirmed; {})</li>", (
            (local_time(group.offer.campaign, change.at), change.from_percent, change.to_percent,
             change.confirmed_count, change.get_cause_display()) for change in changes)))

    @admin.display(description="Where its clicks came from")
    def referring_hosts(self, group):
        # The campaign first, so the (campaign, occurred_at) index narrows the touches before the reference does.
        hosts = (Touch.objects.filter(campaign_id=group.offer.campaign_id, kind=Touch.Kind.REFERRAL_CLICK,
                                      reference=referrals.touch_reference(group), is_bot=False)
                 .values("referrer_host").annotate(clicks=Count("pk")).order_by("-clicks", "referrer_host")
                 [:HOSTS_SHOWN])
        rows = [(row["referrer_host"] or "(no referring page: apps, e-mail, typed)", row["clicks"]) for row in hosts]
        if not rows:
            return "No clicks on its share links yet."
        return format_html('<table class="giveaway-figures"><thead><tr><th scope="col">Site</th><th scope="col">'
                           "Clicks</th></tr></thead><tbody>{}</tbody></table><p class=\"help\">The {} sites with the "
                           "most clicks (bots left out). A coupon or deal site here? Switch the link off: purchases "
                           "stop joining; the members and the ledger stay.</p>",
                           format_html_join("", '<tr><th scope="row">{}</th><td>{}</td></tr>', rows), HOSTS_SHOWN)

    @admin.display(description="Ledger")
    def ledger_table(self, group):
        rows = list(LedgerEntry.objects.filter(group=group).select_related("member").order_by("at", "pk"))
        if not rows:
            return "No money has moved yet."
        body = format_html_join("", '<tr><td>{}</td><th scope="row">{}</th><td>{}</td><td>{} {}</td><td>{}%</td>'
                                    "<td>{}</td></tr>",
                                ((local_time(group.offer.campaign, row.at), row.member.order_reference,
                                  row.get_kind_display(), row.amount, row.currency, row.tier_percent, row.note)
                                 for row in rows))
        return format_html(
            '<table class="giveaway-figures"><thead><tr><th scope="col">When (local)</th><th scope="col">Order</th>'
            '<th scope="col">Kind</th><th scope="col">Amount</th><th scope="col">Group discount</th>'
            '<th scope="col">Note</th></tr></thead><tbody>{}</tbody></table><p class="help">Append-only: a '
            "correction is a new row (a reversal), never an edit.</p>", body)

    # --- switching links off and on: the list's actions and the page's buttons ---------------

    @admin.action(description="Switch the links off (e.g. found on a coupon site), with a reason …",
                  permissions=["change"])
    def switch_off(self, request, queryset):
        groups = list(self.editable(request, queryset))
        if not groups:  # nothing the user may switch: say so rather than ask for a reason
            not_yours(self, request, 0, "group", "groups")
            return None
        confirmed, reason = reason_given(request)
        if not (confirmed and reason):
            return ask_for_reason(self, request, self.editable(request, queryset), action="switch_off",
                                  title="Switch links off", question=SWITCH_OFF_QUESTION, button="Switch them off",
                                  error="Write the reason before switching off." if confirmed else "",
                                  explanation="New purchases through these links join no group and the links land "
                                              "on the offer at list price; members, rebates and the ledger stay.")
        done = sum(self.switch_group_off(request, group, reason) for group in groups)
        self.message_user(request, f"Switched off {plural(done, 'link')}. Members and the ledger stay; settlement "
                                   "still settles them.", messages.SUCCESS)
        already = len(groups) - done
        if already:
            self.message_user(request, f"{plural(already, 'link')} {'was' if already == 1 else 'were'} switched off "
                                       "already.", messages.INFO)
        not_yours(self, request, len(groups), "group", "groups")
        return None

    @admin.action(description="Switch the links back on", permissions=["change"])
    def switch_on(self, request, queryset):
        groups = list(self.editable(request, queryset))
        done = sum(self.switch_group_on(request, group) for group in groups)
        self.message_user(request, f"Switched on {plural(done, 'link')}.", messages.SUCCESS)
        not_yours(self, request, len(groups), "group", "groups")

    def switch_group_off(self, request, group, reason):
        done = referrals.disable_group(group=group, reason=reason, at=timezone.now())
        if done:
            self.log_change(request, group, f"Switched the link off: {reason}")
        return done

    def switch_group_on(self, request, group):
        done = referrals.enable_group(group=group)
        if done:
            self.log_change(request, group, "Switched the link back on.")
        return done

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            may_edit = self.may_edit(request, obj)
            context.update({
                "may_switch_off": may_edit and obj.disabled_at is None,
                "may_switch_on": may_edit and obj.disabled_at is not None,
                "switch_off_url": reverse("admin:promotions_referralgroup_switch_off", args=[obj.pk]),
                "switch_on_url": reverse("admin:promotions_referralgroup_switch_on", args=[obj.pk]),
                "switch_off_question": SWITCH_OFF_QUESTION,
                "group_note": "" if may_edit else (
                    f"You may look at this group; {obj.offer.campaign.owner_account}'s managers and marketers "
                    "switch its link off or on."),
            })
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("<path:object_id>/switch-off/", wrap(self.switch_off_view),
                     name="promotions_referralgroup_switch_off"),
                path("<path:object_id>/switch-on/", wrap(self.switch_on_view),
                     name="promotions_referralgroup_switch_on"),
                *super().get_urls()]

    def editable_group(self, request, object_id):
        """The group if the user may change it; 404 for one they cannot see, 403 for one they may only look at."""
        group = self.get_object(request, object_id)
        if group is None or not self.has_view_permission(request, group):
            raise Http404("No such group.")
        if not self.may_edit(request, group):
            raise PermissionDenied
        return group

    def switch_off_view(self, request, object_id):
        """POST from the group page's "Switch the link off", with the reason."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        group = self.editable_group(request, object_id)
        try:
            done = self.switch_group_off(request, group, request.POST.get("reason", ""))
        except referrals.GroupRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
        else:
            self.message_user(request, "Switched the link off: new purchases through it join no group; the members "
                                       "and the ledger stay." if done else "The link was switched off already.",
                              messages.SUCCESS if done else messages.INFO)
        return HttpResponseRedirect(reverse("admin:promotions_referralgroup_change", args=[group.pk]))

    def switch_on_view(self, request, object_id):
        """POST from the group page's "Switch the link back on"."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        group = self.editable_group(request, object_id)
        done = self.switch_group_on(request, group)
        self.message_user(request, "Switched the link back on: purchases through it join the group again."
                          if done else "The link was on already.", messages.SUCCESS if done else messages.INFO)
        return HttpResponseRedirect(reverse("admin:promotions_referralgroup_change", args=[group.pk]))
