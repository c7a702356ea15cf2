"""Referral groups in the admin: read-only pages (members, generations, the ledger, tier changes, where clicks came
from), and switching a group's link off or on — never edits of money, which only promotions/referrals.py writes."""

from django.contrib import admin, messages
from django.db.models import Count
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from campaigns.admin.campaigns import local_time
from campaigns.models import Touch
from promotions import referrals
from promotions.admin.common import CampaignScopedAdmin, email_for, masked_email, personal_data_shown
from promotions.admin.reasons import ask_for_reason, reason_given
from promotions.models import GroupMember, LedgerEntry, ReferralGroup

HOSTS_SHOWN = 10


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


@admin.register(ReferralGroup)
class ReferralGroupAdmin(CampaignScopedAdmin):
    account_path = "offer__campaign__owner_account"
    co_account_path = "offer__campaign__co_accounts"
    list_display = ["code", "item", "offer", "founder_email", "confirmed_count", "member_count", "tier_percent",
                    "state"]
    list_select_related = ["item", "offer", "founder"]
    list_filter = [GroupStatusFilter]
    search_fields = ["code"]
    actions = ["switch_off", "switch_on"]
    fields = ["offer", "item", "code", "founder_email", "created_at", "state", "confirmed_count", "member_count",
              "tier_percent", "members_table", "tier_changes", "referring_hosts", "ledger_table"]
    readonly_fields = fields

    def mask_personal_data(self, group):
        group.founder.email = masked_email(group.founder.email)

    @admin.display(description="Founder")
    def founder_email(self, group):
        return email_for(group, group.founder.email)

    @admin.display(description="Status")
    def state(self, group):
        if group.settled_at:
            return f"Settled {local_time(group.offer.campaign, group.settled_at)}"
        if group.disabled_at:
            return f"Link switched off: {group.disabled_reason}"
        return "Taking purchases"

    @admin.display(description="Members")
    def members_table(self, group):
        members = list(group.members.select_related("participant", "referred_by").order_by("bought_at", "pk"))
        if not members:
            return "Nobody has bought through this group yet."
        shown = personal_data_shown(group)
        rows = format_html_join("", "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                                    "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (member.order_reference, member.participant.email if shown else masked_email(member.participant.email),
             member.generation,
             member.referred_by.order_reference if member.referred_by else "the founder's link",
             member.paid, member.refunded, member.rebate_owed, member.get_status_display(),
             member.reason or ("counts" if member.counts_toward_tier else "does not count"))
            for member in members))
        return format_html(
            '<table class="giveaway-figures"><thead><tr><th scope="col">Order</th><th scope="col">Buyer</th>'
            '<th scope="col">Generation</th><th scope="col">Through</th><th scope="col">Paid</th>'
            '<th scope="col">Refunded</th><th scope="col">Rebate owed</th><th scope="col">Status</th>'
            '<th scope="col">Counting</th></tr></thead><tbody>{}</tbody></table>', rows)

    @admin.display(description="Tier changes")
    def tier_changes(self, group):
        changes = list(group.tier_changes.order_by("at", "pk"))
        if not changes:
            return "The group has not reached a tier yet."
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}% → {}% ({} confirmed, {})</li>", (
            (local_time(group.offer.campaign, change.at), change.from_percent, change.to_percent,
             change.confirmed_count, change.get_cause_display()) for change in changes)))

    @admin.display(description="Where its clicks came from")
    def referring_hosts(self, group):
        hosts = (Touch.objects.filter(campaign_id=group.offer.campaign_id, kind=Touch.Kind.REFERRAL_CLICK,
                                      reference=referrals.touch_reference(group), is_bot=False)
                 .values("referrer_host").annotate(clicks=Count("pk")).order_by("-clicks")[:HOSTS_SHOWN])
        rows = [(row["referrer_host"] or "(no referring page: apps, e-mail, typed)", row["clicks"]) for row in hosts]
        if not rows:
            return "No clicks yet."
        return format_html("<ul>{}</ul><p class=\"help\">A coupon or deal site here? Switch the link off (action "
                           "in the list): purchases stop joining, the members and ledger stay.</p>",
                           format_html_join("", "<li>{}: {} click(s)</li>", rows))

    @admin.display(description="Ledger")
    def ledger_table(self, group):
        rows = list(LedgerEntry.objects.filter(group=group).select_related("member").order_by("at", "pk"))
        if not rows:
            return "No money has moved yet."
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{}%</td><td>{}</td></tr>",
                                ((local_time(group.offer.campaign, row.at), row.member.order_reference,
                                  row.get_kind_display(), row.amount, row.currency, row.tier_percent, row.note)
                                 for row in rows))
        return format_html(
            '<table class="giveaway-figures"><thead><tr><th scope="col">When</th><th scope="col">Order</th>'
            '<th scope="col">Kind</th><th scope="col">Amount</th><th scope="col">Group discount</th>'
            '<th scope="col">Note</th></tr></thead><tbody>{}</tbody></table>', body)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("offer__campaign__owner_account", "item", "founder")

    @admin.action(description="Switch the link off (e.g. found on a coupon site), with a reason …",
                  permissions=["change"])
    def switch_off(self, request, queryset):
        queryset = self.editable(request, queryset)
        confirmed, reason = reason_given(request)
        if confirmed and reason:
            done = sum(referrals.disable_group(group=group, reason=reason, at=timezone.now()) for group in queryset)
            self.message_user(request, f"Switched off {done} link(s). Members and the ledger stay; settlement "
                                       "still settles them.", messages.SUCCESS)
            return None
        return ask_for_reason(self, request, queryset, action="switch_off", title="Switch links off",
                              question="Why? (kept with the group, e.g. “posted on a coupon site”)",
                              button="Switch them off",
                              error="Write the reason before switching off." if confirmed else "")

    @admin.action(description="Switch the link back on", permissions=["change"])
    def switch_on(self, request, queryset):
        done = sum(referrals.enable_group(group=group) for group in self.editable(request, queryset))
        self.message_user(request, f"Switched on {done} link(s).", messages.SUCCESS)


class ReviewStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("flagged", "Held for review"), ("all", "All")]

    def value(self):
        return super().value() or "flagged"

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {"selected": self.value() == value, "display": label,
                   "query_string": changelist.get_query_string({self.parameter_name: value})}

    def queryset(self, request, queryset):
        return queryset if self.value() == "all" else queryset.filter(status=GroupMember.Status.FLAGGED)


@admin.register(GroupMember)
class GroupMemberAdmin(CampaignScopedAdmin):
    """The review queue: purchases held by the burst rule, cleared or rejected with a reason."""

    account_path = "group__offer__campaign__owner_account"
    co_account_path = "group__offer__campaign__co_accounts"
    list_display = ["order_reference", "buyer", "group_link", "generation", "paid", "bought_at", "status", "reason"]
    list_select_related = ["participant", "group__item"]
    list_filter = [ReviewStatusFilter]
    search_fields = ["order_reference"]
    actions = ["clear", "reject"]
    fields = ["order_reference", "buyer", "group_link", "generation", "paid", "refunded", "rebate_owed", "status",
              "reason", "bought_at", "hold_until"]
    readonly_fields = fields

    def mask_personal_data(self, member):
        member.participant.email = masked_email(member.participant.email)

    @admin.display(description="Buyer")
    def buyer(self, member):
        return email_for(member, member.participant.email)

    @admin.display(description="Group")
    def group_link(self, member):
        return f"{member.group.item} · {member.group.code}"

    def review(self, request, queryset, *, approve, reason=""):
        done, refused = 0, []
        for member in self.editable(request, queryset).filter(status=GroupMember.Status.FLAGGED):
            try:
                referrals.review_member(member=member, approve=approve, by=request.user, reason=reason)
                done += 1
            except referrals.GroupRefused as refusal:
                refused.append(f"{member.order_reference}: {refusal}")
        self.message_user(request, f"{'Cleared' if approve else 'Rejected'} {done} purchase(s).", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.WARNING)

    @admin.action(description="Clear: the purchase counts once its hold is over", permissions=["change"])
    def clear(self, request, queryset):
        self.review(request, queryset, approve=True)

    @admin.action(description="Reject, with a reason …", permissions=["change"])
    def reject(self, request, queryset):
        confirmed, reason = reason_given(request)
        if confirmed and reason:
            self.review(request, queryset, approve=False, reason=reason)
            return None
        return ask_for_reason(self, request, queryset, action="reject", title="Reject purchases",
                              question="Why? (kept with the purchase)", button="Reject them",
                              error="Write the reason before rejecting." if confirmed else "")

