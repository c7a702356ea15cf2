"""The referral offer page: set-up with items and tiers inline; budget, groups, settlement and viral figures.

Saving the offer writes only the form's own columns (`update_fields`): the rebates owed, the budget stamp
and the settlement stamp are written by promotions/referrals.py under the groups' locks, and a stale form
must never put an old figure back. What a started offer promised (tiers, prices, currency …) is refused
through referrals.setup_change_problem().
"""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.images import MOBILE, SOCIAL_CARD, ImageRejected, render_image
from accounts.scoping import AccountScopedInline
from campaigns.admin.campaigns import add_to_campaign_page, local_time
from campaigns.running import running_account_ids
from common.addresses import absolute_url
from promotions import referrals, tiers, virality
from promotions.admin.common import CampaignScopedAdmin
from promotions.admin.giveaways import ListOnlyFormSet
from promotions.models import ReferralItem, ReferralOffer, ReferralTier

OFFER_FIELDS = ["campaign", "account", "title", "slug", "description", "currency", "max_discount_percent", "budget",
                "starts_at", "ends_at", "hold_days", "hold_rule", "self_referral"]


class ReferralOfferForm(forms.ModelForm):
    class Meta:
        model = ReferralOffer
        fields = OFFER_FIELDS

    def clean(self):
        cleaned = super().clean()
        errors = {}
        campaign, account = cleaned.get("campaign"), cleaned.get("account")
        if campaign is not None and account is not None and account.pk not in running_account_ids(campaign):
            errors["account"] = (f"{account} does not run this campaign; pick its owner or one of its co-running "
                                 "accounts (add the account to the campaign's co-running accounts first).")
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            errors["ends_at"] = "The offer must end after it starts."
        problem = referrals.setup_change_problem(offer=self.instance, changed_fields=self.changed_data,
                                                 new_budget=cleaned.get("budget"))
        if problem:
            errors["budget" if "owes" in problem else "__all__"] = problem
        if errors:
            raise ValidationError(errors)
        return cleaned


class ItemForm(forms.ModelForm):
    booking_url = forms.URLField(label="Booking URL", required=False, max_length=500, assume_scheme="https",
                                 help_text=ReferralItem._meta.get_field("booking_url").help_text)
    image_upload = forms.FileField(
        label="Image", required=False,
        help_text="JPEG, PNG, WebP or GIF up to 5 MB. Chorus makes a 1200×630 card and a 600 px phone image.")

    class Meta:
        model = ReferralItem
        fields = ["position", "name", "description", "sku", "base_price", "booking_url", "image_upload", "image_alt"]

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("image_upload")
        if upload:
            try:
                self.renditions = render_image(upload=upload, renditions=[SOCIAL_CARD, MOBILE])
            except ImageRejected as error:
                raise ValidationError({"image_upload": str(error)}) from None
        return cleaned

    def save(self, commit=True):
        item = super().save(commit=False)
        renditions = getattr(self, "renditions", None)
        if renditions:  # re-encoded renditions under server-side names; the upload itself is never stored
            item.image_card.save(renditions["card"].name, renditions["card"], save=False)
            item.image_mobile.save(renditions["mobile"].name, renditions["mobile"], save=False)
        if commit:
            item.save()
        return item


class ItemFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        skus = [form.cleaned_data.get("sku") for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        if len(skus) != len(set(skus)):
            raise ValidationError("Two items have the same SKU; each item needs its own, as in the shop.")
        prices_changed = any(form.instance.pk and ("base_price" in form.changed_data or form.cleaned_data.get("DELETE"))
                             for form in self.forms if form.cleaned_data)
        problem = referrals.setup_change_problem(offer=self.instance, prices_changed=prices_changed)
        if problem:
            raise ValidationError(problem)


class TierFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        rows = [(form.cleaned_data["min_members"], form.cleaned_data["discount_percent"]) for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        maximum = Decimal(self.data.get("max_discount_percent") or self.instance.max_discount_percent or 100)
        problem = tiers.tiers_problem(rows, max_discount=maximum)
        if not problem and not rows:
            problem = "Add at least one tier: the group size from which a discount applies."
        if not problem:
            problem = referrals.setup_change_problem(offer=self.instance, tiers_changed=self.has_changed())
        if problem:
            raise ValidationError(problem)


class ItemInline(AccountScopedInline, admin.StackedInline):
    model = ReferralItem
    form = ItemForm
    formset = ItemFormSet
    account_path = "campaign__owner_account"  # from the offer, the page's object
    co_account_path = "campaign__co_accounts"
    extra = 0
    readonly_fields = ["image_preview"]

    @admin.display(description="Current image")
    def image_preview(self, item):
        if not item.image_mobile:
            return "No image yet."
        return format_html('<img src="{}" alt="{}" width="240">', item.image_mobile.url, item.image_alt)


class TierInline(AccountScopedInline, admin.TabularInline):
    model = ReferralTier
    formset = TierFormSet
    account_path = "campaign__owner_account"  # from the offer, the page's object
    co_account_path = "campaign__co_accounts"
    extra = 0


class ReferralOfferAdmin(CampaignScopedAdmin):
    form = ReferralOfferForm
    account_path = "campaign__owner_account"
    co_account_path = "campaign__co_accounts"
    inlines = [ItemInline, TierInline]
    list_display = ["title", "campaign", "account", "starts_at", "ends_at", "group_total", "budget_column"]
    list_select_related = ["campaign", "account"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["public_link", "budget_figure", "settlement", "viral_figures"]
    fieldsets = [
        (None, {"fields": ["campaign", "account", "title", "slug", "public_link", "description"]}),
        ("Money", {"fields": ["currency", "max_discount_percent", "budget"]}),
        ("When", {"fields": ["starts_at", "ends_at", "hold_days", "hold_rule", "self_referral"],
                  "description": "Times are in your own time zone (shown beside the fields)."}),
    ]
    FIGURES = [
        ("Budget", {"fields": ["budget_figure"]}),
        ("Settlement", {"fields": ["settlement"]}),
        ("Viral figures", {"fields": ["viral_figures"],
                           "description": "Live purchases only (refunded, rejected and held ones left out)."}),
    ]

    class Media:
        css = {"all": ["css/admin-promotions.css"]}

    def has_add_permission(self, request):
        return self.may_edit(request)

    def has_change_permission(self, request, obj=None):
        return self.may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        # An offer with groups keeps them: their ledger is what finance reconciles.
        if obj is not None and obj.groups.exists():
            return False
        return self.may_edit(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(group_count=Count("groups", distinct=True))

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(name, {**options, "fields": [f for f in options["fields"] if f != "public_link"]})
                    for name, options in self.fieldsets]
        return [*self.fieldsets, *self.FIGURES]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["campaign", "slug"]  # its groups and share links belong to that campaign and address
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None else super().get_prepopulated_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if not self.may_edit(request, obj):
            raise PermissionDenied("You may not save objects in this account.")
        if change:  # only the form's own columns: never a stale liability or settlement stamp
            obj.save(update_fields=[name for name in form._meta.fields if name in form.fields] + ["updated_at"])
        else:
            obj.save()

    def view_on_site(self, offer):
        return absolute_url(offer.get_absolute_url())

    @admin.display(description="Groups", ordering="group_count")
    def group_total(self, offer):
        return offer.group_count

    @admin.display(description="Budget used")
    def budget_column(self, offer):
        return f"{offer.liability} of {offer.budget} {offer.currency}"

    @admin.display(description="Public page")
    def public_link(self, offer):
        page = absolute_url(offer.get_absolute_url())
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', page, page)

    @admin.display(description="Rebates owed")
    def budget_figure(self, offer):
        share = (100 * offer.liability / offer.budget) if offer.budget else Decimal(100)
        reached = (format_html('<p role="alert"><strong>Budget reached on {}</strong>: groups no longer move to '
                               "deeper tiers and no new group can start.</p>", local_time(offer.campaign,
                                                                                         offer.budget_reached_at))
                   if offer.budget_reached_at else "")
        return format_html('<p>{} of {} {} ({}%)</p><meter min="0" max="100" value="{}" aria-label="Budget used">'
                           "</meter>{}", offer.liability, offer.budget, offer.currency, f"{share:.1f}",
                           f"{share:.1f}", reached)

    @admin.display(description="Preview")
    def settlement(self, offer):
        if offer.settled_at:
            return format_html("<p>Settled on {}: every group's final tier and rebates are in the ledger.</p>",
                               local_time(offer.campaign, offer.settled_at))
        now = timezone.now()
        rows = referrals.settlement_preview(offer=offer, at=max(now, offer.settles_at))
        body = format_html_join("", '<tr><th scope="row"><a href="{}">{}</a></th><td>{}</td><td>{}%</td><td>{}</td>'
                                    "<td>{}</td></tr>", (
                                        (reverse("admin:promotions_referralgroup_change", args=[row.group.pk]),
                                         f"{row.group.item} · {row.group.code}", row.confirmed, row.percent,
                                         row.rebates, row.unreviewed) for row in rows[:50]))
        total = sum((row.rebates for row in rows), Decimal("0.00"))
        due = local_time(offer.campaign, offer.settles_at)
        if now < offer.ends_at:
            action = format_html("<p>Settles automatically on {} (the close plus the {}-day hold).</p>", due,
                                 offer.hold_days)
        elif getattr(offer, "_may_settle", False):
            early = ("" if now >= offer.settles_at else
                     " Settling before the holds end leaves purchases still in their hold out of the final tiers.")
            action = format_html('<p>Settles automatically on {}.{}</p><button type="submit" class="button" '
                                 'formaction="{}" formnovalidate>Settle now</button>', due, early,
                                 reverse("admin:promotions_referraloffer_settle", args=[offer.pk]))
        else:
            action = format_html("<p>Settles automatically on {}.</p>", due)
        return format_html(
            '<table class="giveaway-figures"><thead><tr><th scope="col">Group</th><th scope="col">Confirmed</th>'
            '<th scope="col">Final discount</th><th scope="col">Rebates owed</th><th scope="col">Awaiting review</th>'
            "</tr></thead><tbody>{}</tbody><tfoot><tr><th scope=\"row\">All {} groups</th><td></td><td></td>"
            "<td>{} {}</td><td></td></tr></tfoot></table>{}", body, len(rows), total, offer.currency, action)

    @admin.display(description="Groups and generations")
    def viral_figures(self, offer):
        rows = [("This offer", virality.for_offer(offer)),
                (f"Campaign “{offer.campaign}”", virality.for_campaign(offer.campaign_id)),
                (f"Account “{offer.account}”", virality.for_account(offer.account_id))]
        body = format_html_join("", '<tr><th scope="row">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}%</td>'
                                    "<td>{}%</td><td>{}%</td><td>{}%</td><td>{}</td></tr>", (
                                        (label, f.groups, f.members, f.members_per_group, f.share("0"), f.share("1"),
                                         f.share("2"), f.share("3+"), f.k_factor) for label, f in rows))
        sizes = rows[0][1].group_sizes
        size_cells = format_html_join(", ", "{}: {}", sizes.items())
        return format_html(
            '<table class="giveaway-figures"><thead><tr><th scope="col">Offers of</th><th scope="col">Groups</th>'
            '<th scope="col">Members</th><th scope="col">Per group</th><th scope="col">Generation 0</th>'
            '<th scope="col">1</th><th scope="col">2</th><th scope="col">3+</th><th scope="col">K-factor</th>'
            "</tr></thead><tbody>{}</tbody></table><p>Groups of this offer by members: {}.</p>"
            '<p class="help">K-factor: purchases through someone\'s link ÷ people who had a link (founders and '
            "members).</p>", body, size_cells)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            obj._may_settle = self.may_edit(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("<path:object_id>/settle/", wrap(self.settle_view), name="promotions_referraloffer_settle"),
                *super().get_urls()]

    def settle_view(self, request, object_id):
        """POST from "Settle now": referrals.settle_offer(), reported in a message."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        offer = self.get_object(request, object_id)
        if offer is None or not self.has_view_permission(request, offer):
            raise Http404("No such offer.")
        if not self.may_edit(request, offer):
            raise PermissionDenied
        try:
            settled = referrals.settle_offer(offer=offer, at=timezone.now())
        except referrals.GroupRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
        else:
            self.message_user(request, f"Settled {settled} group(s); members are told by e-mail.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:promotions_referraloffer_change", args=[offer.pk]))


admin.site.register(ReferralOffer, ReferralOfferAdmin)


class OfferInline(AccountScopedInline, admin.TabularInline):
    """The campaign's referral offers on the campaign page: a list with links (items and tiers are inlines of
    the offer's own page, which Django cannot nest)."""

    model = ReferralOffer
    formset = ListOnlyFormSet
    account_path = "owner_account"
    co_account_path = "co_accounts"
    fields = ["title"]
    readonly_fields = ["title"]
    extra = 0
    max_num = 0
    can_delete = False
    template = "admin/promotions/referraloffer/campaign_inline.html"
    verbose_name_plural = "referral offers"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(group_count=Count("groups")).order_by("title")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


add_to_campaign_page(OfferInline)
