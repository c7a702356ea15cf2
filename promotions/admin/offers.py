"""The referral offer page: set-up with items and tiers inline; budget, groups, settlement and viral figures.

Saving the offer writes only the form's own columns (`update_fields`): the rebates owed, the budget stamp
and the settlement stamp are written by promotions/referrals.py under the groups' locks, and a stale form
must never put an old figure back. What a started offer promised (tiers, prices, currency …) is refused
through referrals.setup_change_problem(). Times on the page are wall-clock times in the campaign owner's
zone, like the campaign and giveaway pages.

Co-running teams look; the owner account's managers and marketers set up, settle and decide. The offer's
account menu offers the accounts that run the campaign and that the user may edit (an offer credits its
account with every share-link click), and the save checks both again.

"Settle now" sits in the page's header in a form of its own (pressing Enter in a field of the offer's form
must never settle it). The viral figures (promotions/virality.py) appear on the offer page (the offer, its
campaign, its account) and on the "Referral figures" page (per campaign and account, or per offer of one
campaign), always over the offers the reader may see: an account's offers span campaigns other teams cannot.
The campaign page lists its offers through `add_to_campaign_page()`.
"""

import zoneinfo
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.images import MOBILE, SOCIAL_CARD, ImageRejected, render_image
from accounts.models import BrandAccount
from accounts.scoping import AccountScopedInline, account_ids_with, is_superuser
from campaigns.admin.campaigns import add_to_campaign_page, local_time
from campaigns.models import Campaign
from campaigns.running import running_account_ids
from common.addresses import absolute_url
from promotions import referrals, tiers, virality
from promotions.admin.common import (
    CampaignPageList,
    CampaignScopedAdmin,
    editable_campaign_ids,
    plural,
    visible_campaign_ids,
)
from promotions.models import ReferralGroup, ReferralItem, ReferralOffer, ReferralTier

OFFER_FIELDS = ["campaign", "account", "title", "slug", "description", "currency", "max_discount_percent", "budget",
                "starts_at", "ends_at", "hold_days", "hold_rule", "self_referral"]
PREVIEW_ROWS = 50  # groups listed in the settlement preview; the total covers them all
OFFER_BEING_EDITED = "_chorus_offer_being_edited"
CAMPAIGN_ATTRIBUTE = "_chorus_offer_campaign_asked_for"
# Okabe–Ito, as in promotions/charts.py: told apart with the common colour-vision deficiencies.
GENERATION_COLOURS = {"0": "#0072B2", "1": "#E69F00", "2": "#009E73", "3+": "#CC79A7"}


def visible_offers(request):
    """Offers of the campaigns the user's accounts own or co-run (all for superusers), without annotations."""
    offers = ReferralOffer.objects.all()
    if not is_superuser(request):
        offers = offers.filter(campaign__in=visible_campaign_ids(request))
    return offers


def offer_filter(path):
    """A list filter on the offers the user sees, read from the offer table (never from the listed rows)."""

    class OfferFilter(admin.SimpleListFilter):
        title = "offer"
        parameter_name = "offer"

        def lookups(self, request, model_admin):
            return [(str(pk), title) for pk, title in visible_offers(request).order_by("title").values_list(
                "pk", "title")]

        def queryset(self, request, queryset):
            if not (self.value() or "").isdigit():
                return queryset
            return queryset.filter(**{path: self.value()})  # within get_queryset's campaigns, whatever is asked

    return OfferFilter


# --- the offer's own form ------------------------------------------------------------------


class ReferralOfferForm(forms.ModelForm):
    class Meta:
        model = ReferralOffer
        fields = OFFER_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The admin's split date and time boxes share one <label>, which names neither box: each box gets its own
        # name for screen readers (axe checks it), as on the giveaway page.
        for name, words in (("starts_at", "Starts"), ("ends_at", "Ends")):
            field = self.fields.get(name)
            if field is not None and hasattr(field.widget, "widgets"):
                date, time = field.widget.widgets
                date.attrs["aria-label"] = f"{words} on (date, the campaign owner's time zone)"
                time.attrs["aria-label"] = f"{words} at (time, the campaign owner's time zone)"

    def clean(self):
        cleaned = super().clean()
        errors = {}
        campaign = cleaned.get("campaign") or (self.instance.campaign if self.instance.campaign_id else None)
        account = cleaned.get("account")
        if campaign is not None and account is not None:
            problem = referrals.offer_account_problem(campaign=campaign, account=account,
                                                      account_changed="account" in self.changed_data)
            if problem:
                errors["account"] = problem
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            errors["ends_at"] = "The offer must end after it starts; pick a later end."
        budget = cleaned.get("budget")
        problem = referrals.setup_change_problem(offer=self.instance, new_budget=budget) if budget is not None else ""
        if problem:
            errors["budget"] = problem
        problem = referrals.setup_change_problem(offer=self.instance, changed_fields=self.changed_data)
        if problem:
            errors["__all__"] = problem
        if errors:
            raise ValidationError(errors)
        return cleaned


# --- items and tiers -----------------------------------------------------------------------


class ItemForm(forms.ModelForm):
    booking_url = forms.URLField(label="Booking URL", required=False, max_length=500, assume_scheme="https",
                                 help_text=ReferralItem._meta.get_field("booking_url").help_text)
    image_upload = forms.FileField(
        label="Image", required=False,
        help_text="JPEG, PNG, WebP or GIF up to 5 MB. Chorus makes a 1200×630 card and a 600 px phone image.")

    class Meta:
        model = ReferralItem
        fields = ["position", "name", "description", "sku", "base_price", "booking_url", "image_upload", "image_alt"]

    def clean_sku(self):
        return (self.cleaned_data.get("sku") or "").strip()

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("image_upload")
        if upload:
            try:
                self.renditions = render_image(upload=upload, renditions=[SOCIAL_CARD, MOBILE])
            except ImageRejected as error:
                raise ValidationError({"image_upload": str(error)}) from None
            if not (cleaned.get("image_alt") or "").strip():
                self.add_error("image_alt", "Describe the image in a few words for people who cannot see it "
                                            "(e.g. “Jeju's coast at sunset”).")
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


def kept_forms(formset):
    """The formset's forms that will be saved: filled in (or existing) and not marked for deletion."""
    return [form for form in formset.forms if getattr(form, "cleaned_data", None)
            and not formset._should_delete_form(form)]


class ItemFormSet(BaseInlineFormSet):
    def validate_unique(self):
        """Our own sentence for two rows with one SKU, instead of Django's "Please correct the duplicate data"."""
        seen = {}
        for form in kept_forms(self):
            sku = form.cleaned_data.get("sku")
            if sku in seen:
                raise ValidationError(f"Two items have the SKU “{sku}”; each item needs its own, as in the shop.")
            seen[sku] = form
        super().validate_unique()

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not kept_forms(self):
            raise ValidationError("Add at least one item: the thing customers form groups around, with its SKU and "
                                  "list price.")
        prices_changed = any(form.instance.pk and ("base_price" in form.changed_data or self._should_delete_form(form))
                             for form in self.forms if getattr(form, "cleaned_data", None))
        problem = referrals.setup_change_problem(offer=self.instance, prices_changed=prices_changed)
        if problem:
            raise ValidationError(problem)


class TierFormSet(BaseInlineFormSet):
    def validate_unique(self):
        """Two tiers of one size are named by tiers_problem() in clean(), in words a marketer can act on."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        rows = [(form.cleaned_data["min_members"], form.cleaned_data["discount_percent"]) for form in kept_forms(self)]
        # The offer's form was cleaned first: the instance holds the maximum just posted (or the stored one when
        # the posted one was unusable, which the offer's form reports itself).
        maximum = Decimal(self.instance.max_discount_percent)
        problem = tiers.tiers_problem(rows, max_discount=maximum)
        if not problem and not rows:
            problem = "Add at least one tier: the group size from which a discount applies, and the discount."
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
    fieldsets = [(None, {"fields": [("position", "name"), "description", ("sku", "base_price"), "booking_url",
                                    "image_upload", "image_alt", "image_preview"]})]

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0  # a new offer starts with one empty item

    @admin.display(description="Current image")
    def image_preview(self, item):
        if not item.image_mobile:
            return "No image yet: the offer's pages show the item in words."
        return format_html('<img src="{}" alt="{}" width="240">', item.image_mobile.url, item.image_alt)


class TierInline(AccountScopedInline, admin.StackedInline):
    """One line per tier (stacked, so each box keeps its own label)."""

    model = ReferralTier
    formset = TierFormSet
    account_path = "campaign__owner_account"  # from the offer, the page's object
    co_account_path = "campaign__co_accounts"
    extra = 0
    fields = [("min_members", "discount_percent")]
    verbose_name_plural = "tiers (confirmed group size → discount, both growing)"

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0


# --- the offer admin -------------------------------------------------------------------------


def group_total():
    rows = ReferralGroup.objects.filter(offer=OuterRef("pk")).order_by().values("offer").annotate(n=Count("pk"))
    return Coalesce(Subquery(rows.values("n"), output_field=IntegerField()), Value(0))


def member_total():
    """Live purchases of the offer's groups, from the groups' counters (referrals.py keeps them with the rows)."""
    rows = (ReferralGroup.objects.filter(offer=OuterRef("pk")).order_by().values("offer")
            .annotate(n=Sum("member_count")))
    return Coalesce(Subquery(rows.values("n"), output_field=IntegerField()), Value(0))


@admin.register(ReferralOffer)
class ReferralOfferAdmin(CampaignScopedAdmin):
    form = ReferralOfferForm
    account_path = "campaign__owner_account"
    co_account_path = "campaign__co_accounts"
    inlines = [ItemInline, TierInline]
    list_display = ["title", "campaign", "account", "window", "group_column", "member_column", "budget_column"]
    list_select_related = ["campaign__owner_account", "account"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["public_link", "budget_figure", "settlement", "viral_figures"]
    fieldsets = [
        (None, {"fields": ["campaign", "account", "title", "slug", "public_link", "description"]}),
        ("Money", {"fields": ["currency", "max_discount_percent", "budget"]}),
        ("When", {"fields": ["starts_at", "ends_at", "hold_days", "hold_rule", "self_referral"]}),
    ]
    FIGURES = [
        ("Budget and groups", {"fields": ["budget_figure"]}),
        ("Settlement", {"fields": ["settlement"]}),
        ("Viral figures", {"fields": ["viral_figures"], "description": (
            "Live purchases (in their refund hold or confirmed); refunded, rejected and held ones are left out.")}),
    ]

    class Media:
        css = {"all": ["css/admin-promotions.css"]}

    # --- rights: the owner's editors change; an offer with groups keeps them ----------------

    def has_add_permission(self, request):
        return self.may_edit(request)

    def has_change_permission(self, request, obj=None):
        return self.may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        # An offer with groups keeps them: their ledger is what finance reconciles.
        if obj is not None and (obj.group_count if hasattr(obj, "group_count") else obj.groups.exists()):
            return False
        return self.may_edit(request, obj)

    def get_queryset(self, request):
        return (super().get_queryset(request).select_related("campaign__owner_account", "account")
                .annotate(group_count=group_total(), member_count=member_total()))

    # --- the form ---------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        zone = self.zone(request, obj)
        when = (f"Wall-clock times in {zone}, the campaign owner's zone." if zone != settings.TIME_ZONE else
                f"Times in {zone}; pick the campaign first (from its page's “Add a referral offer”) to enter them "
                "in its owner's zone.")
        fieldsets = [(name, {**options, "description": when} if name == "When" else options)
                     for name, options in self.fieldsets]
        if obj is None:
            return [(name, {**options, "fields": [f for f in options["fields"] if f != "public_link"]})
                    for name, options in fieldsets]
        return [*fieldsets, *self.FIGURES]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["campaign", "slug"]  # its groups and share links belong to that campaign and address
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None else super().get_prepopulated_fields(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        setattr(request, OFFER_BEING_EDITED, obj)  # the account menu depends on the offer; the admin is shared
        return super().get_form(request, obj, change, **kwargs)

    def scope_related_queryset(self, db_field, request, queryset):
        """The account menu: active accounts running the offer's campaign that the user may edit, and the one the
        offer has (so its page shows it). On the add page the campaign is known only from the campaign page's
        "Add a referral offer" link; otherwise the form checks it."""
        scoped = super().scope_related_queryset(db_field, request, queryset)
        if db_field.name != "account":
            return scoped
        offer = getattr(request, OFFER_BEING_EDITED, None)
        campaign = offer.campaign if offer is not None else (
            self.campaign_asked_for(request) if request.method == "GET" else None)  # a post is checked by the form
        offered = Q(pk__in=scoped.values("pk"), active=True)
        if campaign is not None:
            offered &= Q(pk__in=running_account_ids(campaign))
        if offer is not None:
            offered |= Q(pk=offer.account_id)
        return BrandAccount.objects.filter(offered).order_by("name")

    def campaign_asked_for(self, request):
        """The campaign in the add page's address (`?campaign=`, from the campaign page's "Add a referral offer"
        link, kept when the form posts back) if the user may edit it, else None. Read once per request."""
        if not hasattr(request, CAMPAIGN_ATTRIBUTE):
            value, campaign = request.GET.get("campaign", ""), None
            if value.isdigit():
                campaigns = Campaign.objects.select_related("owner_account").filter(pk=value)
                if not is_superuser(request):
                    campaigns = campaigns.filter(pk__in=editable_campaign_ids(request, self.edit_roles))
                campaign = campaigns.first()
            setattr(request, CAMPAIGN_ATTRIBUTE, campaign)
        return getattr(request, CAMPAIGN_ATTRIBUTE)

    def zone(self, request, obj=None):
        """The page's time zone: the campaign owner's (the offer's, or the one the add page was opened for)."""
        campaign = obj.campaign if obj is not None else self.campaign_asked_for(request)
        return campaign.owner_account.timezone if campaign is not None else settings.TIME_ZONE

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """The page in the campaign owner's zone, so the window reads and saves in local time."""
        offer = self.get_object(request, object_id) if object_id else None
        if object_id and offer is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        with timezone.override(zoneinfo.ZoneInfo(self.zone(request, offer))):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        return response

    def save_model(self, request, obj, form, change):
        if not self.may_edit(request, obj):
            raise PermissionDenied("You may not save objects in this account.")
        if "account" in form.changed_data and not is_superuser(request) and (
                obj.account_id not in account_ids_with(request, self.edit_roles)):
            raise PermissionDenied("You may only credit an offer to an account you may edit.")
        if change:  # only the form's own columns: never a stale liability or settlement stamp
            obj.save(update_fields=[name for name in form._meta.fields if name in form.fields] + ["updated_at"])
        else:
            obj.save()

    def view_on_site(self, offer):
        return absolute_url(offer.get_absolute_url())

    # --- columns ------------------------------------------------------------------------------

    @admin.display(description="Window")
    def window(self, offer):
        return f"{local_time(offer.campaign, offer.starts_at)} → {local_time(offer.campaign, offer.ends_at)}"

    @admin.display(description="Groups", ordering="group_count")
    def group_column(self, offer):
        return offer.group_count

    @admin.display(description="Members", ordering="member_count")
    def member_column(self, offer):
        return offer.member_count

    @admin.display(description="Rebates owed of the budget")
    def budget_column(self, offer):
        return f"{offer.liability} of {offer.budget} {offer.currency}"

    # --- read-only parts of the page -----------------------------------------------------------

    @admin.display(description="Public page")
    def public_link(self, offer):
        page = absolute_url(offer.get_absolute_url())
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', page, page)

    @admin.display(description="Budget used")
    def budget_figure(self, offer):
        share = (100 * offer.liability / offer.budget) if offer.budget else Decimal(100)
        reached = (format_html('<p role="status"><strong>Budget reached at {}</strong>: groups no longer move to '
                               "deeper tiers and no new group can start; existing groups keep their price.</p>",
                               local_time(offer.campaign, offer.budget_reached_at))
                   if offer.budget_reached_at else "")
        counts = offer.groups.aggregate(off=Count("pk", filter=Q(disabled_at__isnull=False)),
                                        settled=Count("pk", filter=Q(settled_at__isnull=False)))
        groups_url = reverse("admin:promotions_referralgroup_changelist") + f"?offer={offer.pk}"
        return format_html(
            "<p>Rebates owed: <strong>{} of {} {}</strong> ({}% of the budget)</p>"
            '<meter min="0" max="100" value="{}" aria-label="Share of the budget owed">{}%</meter>{}'
            "<p>Groups started: {} ({} with the link switched off, {} settled); {} members.</p>"
            '<p><a href="{}">See the groups</a></p>',
            offer.liability, offer.budget, offer.currency, f"{share:.1f}", f"{min(share, Decimal(100)):.1f}",
            f"{share:.1f}", reached, offer.group_count, counts["off"], counts["settled"], offer.member_count,
            groups_url)

    @admin.display(description="Preview")
    def settlement(self, offer):
        campaign = offer.campaign
        if offer.settled_at:
            return format_html("<p>Settled at {}: every group's final tier and rebates are in the ledger (each "
                               "group's page shows it).</p>", local_time(campaign, offer.settled_at))
        now = timezone.now()
        ended = now >= offer.ends_at
        at = now if ended else offer.settles_at
        rows = referrals.settlement_preview(offer=offer, at=at)
        if not rows:
            return "No group to settle yet."
        if ended:
            caption = format_html("If settled now ({}): purchases whose refund hold is over count toward the final "
                                  "tier.", local_time(campaign, now))
        else:
            caption = format_html("At the automatic settlement ({}, the close plus the {}-day hold), if no purchase "
                                  "is refunded or added by then.", local_time(campaign, offer.settles_at),
                                  offer.hold_days)
        body = format_html_join("", '<tr><th scope="row"><a href="{}">{}</a></th><td>{}</td><td>{}%</td>'
                                    "<td>{} {}</td><td>{}</td></tr>", (
                                        (reverse("admin:promotions_referralgroup_change", args=[row.group.pk]),
                                         f"{row.group.item} · {row.group.code}", row.confirmed, row.percent,
                                         row.rebates, offer.currency, row.unreviewed) for row in rows[:PREVIEW_ROWS]))
        more = (format_html("<p>The first {} groups are listed; the totals cover all {}.</p>", PREVIEW_ROWS, len(rows))
                if len(rows) > PREVIEW_ROWS else "")
        total = sum((row.rebates for row in rows), Decimal("0.00"))
        unreviewed = sum(row.unreviewed for row in rows)
        review = (format_html('<p role="status">{} awaiting review will settle as not counting.</p>'
                              '<p><a href="{}">Review them first</a></p>', plural(unreviewed, "purchase"),
                              reverse("admin:promotions_groupmember_changelist") + f"?offer={offer.pk}")
                  if unreviewed else "")
        return format_html(
            '<table class="giveaway-figures"><caption>{}</caption><thead><tr><th scope="col">Group</th>'
            '<th scope="col">Confirmed members</th><th scope="col">Final discount</th><th scope="col">Rebates owed'
            '</th><th scope="col">Awaiting review</th></tr></thead><tbody>{}</tbody><tfoot><tr><th scope="row">All '
            "{}</th><td></td><td></td><td>{} {}</td><td>{}</td></tr></tfoot></table>{}{}"
            '<p class="help">The budget is applied at settlement: a group stops at the deepest tier the rest of the '
            "budget pays for.</p>", caption, body, plural(len(rows), "group"), total, offer.currency, unreviewed,
            more, review)

    @admin.display(description="Groups and generations")
    def viral_figures(self, offer):
        offers = getattr(offer, "_visible_offers", ReferralOffer.objects.filter(pk=offer.pk))
        rows = [("This offer", virality.for_offer(offer)),
                (f"All offers of “{offer.campaign}”", virality.for_campaign(offer.campaign_id, offers=offers)),
                (f"Offers run by {offer.account} that you can see",
                 virality.for_account(offer.account_id, offers=offers))]
        sizes = format_html_join(", ", "{}: {}", rows[0][1].group_sizes.items())
        figures_url = reverse("admin:promotions_referraloffer_figures") + f"?campaign={offer.campaign_id}"
        return format_html("{}<p>Groups of this offer by members: {}.</p>"
                           '<p><a href="{}">Referral figures of the campaign and its accounts</a></p>',
                           figures_table(rows, first_column="Offers"), sizes, figures_url)

    # --- the page's header: settle now ------------------------------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            obj._visible_offers = visible_offers(request)  # the viral figures read only what the user may see
            may_edit = self.may_edit(request, obj)
            now = timezone.now()
            settled, ended = obj.settled_at is not None, now >= obj.ends_at
            context.update({
                "may_settle": may_edit and ended and not settled,
                "settle_url": reverse("admin:promotions_referraloffer_settle", args=[obj.pk]),
                "settle_note": settle_note(obj, may_edit=may_edit, now=now),
            })
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("figures/", wrap(self.figures_view), name="promotions_referraloffer_figures"),
                path("<path:object_id>/settle/", wrap(self.settle_view), name="promotions_referraloffer_settle"),
                *super().get_urls()]

    def settle_view(self, request, object_id):
        """POST from "Settle now": referrals.settle_offer(), reported in a message. 404 for an offer the user cannot
        see, 403 for one they may only look at."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        offer = self.get_object(request, object_id)
        if offer is None or not self.has_view_permission(request, offer):
            raise Http404("No such offer.")
        if not self.may_edit(request, offer):
            raise PermissionDenied
        change_page = HttpResponseRedirect(reverse("admin:promotions_referraloffer_change", args=[offer.pk]))
        if offer.settled_at is not None:
            settled_at = local_time(offer.campaign, offer.settled_at)
            self.message_user(request, f"The offer was settled already, at {settled_at}; nothing changed.",
                              messages.INFO)
            return change_page
        try:
            settled = referrals.settle_offer(offer=offer, at=timezone.now())
        except referrals.GroupRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
        else:
            offer.refresh_from_db(fields=["settled_at"])
            left = "" if offer.settled_at else " Some groups are not settled yet; settle again to finish them."
            self.message_user(request, f"Settled {plural(settled, 'group')}: final tiers and rebates are in the ledger "
                                       f"and members are told by e-mail.{left}",
                              messages.SUCCESS if not left else messages.WARNING)
            self.log_change(request, offer, f"Settled now: {plural(settled, 'group')}.")
        return change_page

    def figures_view(self, request):
        """Referral figures per campaign and per account (and per offer of one campaign), of the offers the user
        may see: two queries per table, whatever the number of groups."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        offers = visible_offers(request)
        campaign = None
        chosen = request.GET.get("campaign", "")
        if chosen.isdigit():
            campaign = Campaign.objects.filter(pk=chosen, pk__in=offers.values("campaign")).first()
            if campaign is None:
                raise Http404("No such campaign among those you can see.")
            offers = offers.filter(campaign=campaign)
        per_campaign = virality.figures_by(offers, "campaign")
        per_account = virality.figures_by(offers, "account")
        campaigns = dict(Campaign.objects.filter(pk__in=list(per_campaign)).values_list("pk", "name"))
        accounts = dict(BrandAccount.objects.filter(pk__in=list(per_account)).values_list("pk", "name"))
        campaign_rows = sorted(((campaigns[pk], figures) for pk, figures in per_campaign.items()),
                               key=lambda row: row[0].lower())
        account_rows = sorted(((accounts[pk], figures) for pk, figures in per_account.items()),
                              key=lambda row: row[0].lower())
        offer_rows = []
        if campaign is not None:
            per_offer = virality.figures_by(offers, "offer")
            titles = dict(offers.filter(pk__in=list(per_offer)).values_list("pk", "title"))
            offer_rows = sorted(((titles[pk], figures) for pk, figures in per_offer.items()),
                                key=lambda row: row[0].lower())
        total = virality.figures(offers)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Referral figures: {campaign}" if campaign else "Referral figures",
            "campaign": campaign,
            "total": total,
            "chart": generations_chart(offer_rows or campaign_rows, noun="offer" if offer_rows else "campaign"),
            "campaign_table": figures_table(campaign_rows, first_column="Campaign", explain=False),
            "account_table": figures_table(account_rows, first_column="Run by", explain=False),
            "offer_table": figures_table(offer_rows, first_column="Offer", explain=False) if offer_rows else "",
            "k_factor_help": K_FACTOR_HELP,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/promotions/referraloffer/figures.html", context)


def settle_note(offer, *, may_edit, now):
    """What the page's header says about settlement, for the person looking."""
    campaign = offer.campaign
    if offer.settled_at is not None:
        return f"Settled at {local_time(campaign, offer.settled_at)}."
    due = local_time(campaign, offer.settles_at)
    if now < offer.ends_at:
        return (f"Open until {local_time(campaign, offer.ends_at)}; it settles automatically at {due} (the close plus "
                f"the {offer.hold_days}-day refund hold). It can be settled early once it has ended.")
    if not may_edit:
        return (f"Ended; it settles automatically at {due}. {campaign.owner_account}'s managers and marketers can "
                "settle it earlier.")
    if now < offer.settles_at:
        return (f"Ended; it settles automatically at {due}. Settling now fixes every group's final tier and rebates "
                "at once: purchases still in their refund hold then do not count toward the final tier (they still "
                "get the final price). It cannot be undone.")
    return "Ended and past its refund hold: the workers settle it within a minute, or settle it now."


# --- figures as tables and a chart ---------------------------------------------------------------


K_FACTOR_HELP = ("K-factor: the people who joined through someone's link (members of generation 1 and beyond who "
                 "count) ÷ the people in groups (founders and those people): how many each person with a link "
                 "brought in, on average.")


def figures_table(rows, *, first_column, explain=True):
    """A table of ViralFigures, one row per (label, figures), with what the K-factor means below it."""
    body = format_html_join("", '<tr><th scope="row">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}%</td><td>{}%</td>'
                                "<td>{}%</td><td>{}%</td><td>{}</td><td>{}</td></tr>", (
                                    (label, f.groups, f.members, f.members_per_group, f.share("0"), f.share("1"),
                                     f.share("2"), f.share("3+"), f.people, f.k_factor) for label, f in rows))
    return format_html(
        '<table class="giveaway-figures"><thead><tr><th scope="col">{}</th><th scope="col">Groups started</th>'
        '<th scope="col">Members</th><th scope="col">Members per group</th><th scope="col">Generation 0 (founders\' '
        'own)</th><th scope="col">1</th><th scope="col">2</th><th scope="col">3+</th><th scope="col">People in '
        'groups</th><th scope="col">K-factor</th></tr></thead><tbody>{}</tbody></table>{}', first_column, body,
        format_html('<p class="help">{}</p>', K_FACTOR_HELP) if explain else "")


CHART_WIDTH, CHART_LEFT, BAR_HEIGHT, ROW_HEIGHT = 560, 160, 14, 22


def generations_chart(rows, *, noun):
    """A horizontal bar per (label, figures): the shares of members by generation, stacked to 100 %. Plain SVG with
    a title and description for screen readers; the table beside it has every figure."""
    rows = [(label, figures) for label, figures in rows if figures.members][:20]
    if not rows:
        return format_html('<p class="help">{}</p>', "No purchases yet: the chart appears with the first members.")
    span = CHART_WIDTH - CHART_LEFT - 8
    bars = []
    for index, (label, figures) in enumerate(rows):
        y, x = 8 + index * ROW_HEIGHT, CHART_LEFT
        bars.append(format_html('<text x="{}" y="{}" class="chart-axis" text-anchor="end">{}</text>',
                                CHART_LEFT - 6, y + BAR_HEIGHT - 3, label[:28]))
        for generation in virality.GENERATIONS:
            count = figures.by_generation[generation]
            if not count:
                continue
            width = span * count / figures.members
            bars.append(format_html('<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: generation {}, '
                                    "{} of {} members ({}%)</title></rect>", f"{x:.1f}", y, f"{width:.1f}",
                                    BAR_HEIGHT, GENERATION_COLOURS[generation], label, generation, count,
                                    figures.members, figures.share(generation)))
            x += width
    height = 16 + len(rows) * ROW_HEIGHT
    svg = format_html(
        '<svg class="entries-chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-labelledby="generations-title generations-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="generations-title">Members by generation, per {noun}</title>'
        '<desc id="generations-desc">{count}: the share of each {noun}\'s members who are founders\' own purchases '
        "(generation 0), founders' friends (1), their friends (2) and beyond (3+). The tables list every figure."
        "</desc>{bars}</svg>", w=CHART_WIDTH, h=height, noun=noun, count=plural(len(rows), noun),
        bars=format_html_join("", "{}", ((bar,) for bar in bars)))
    legend = format_html_join("", '<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" '
                                  'fill="{}"></rect></svg> Generation {}</li>',
                              ((colour, generation) for generation, colour in GENERATION_COLOURS.items()))
    return format_html('<figure class="entries-figure">{}<figcaption><ul class="chart-legend">{}</ul></figcaption>'
                       "</figure>", svg, legend)


# --- the offers of a campaign, on the campaign page ----------------------------------------------


class OfferInline(CampaignPageList):
    """The campaign's referral offers on the campaign page (items and tiers are on each offer's own page)."""

    model = ReferralOffer
    template = "admin/promotions/referraloffer/campaign_inline.html"
    verbose_name_plural = "referral offers"

    def get_queryset(self, request):
        return (super().get_queryset(request).select_related("account")
                .annotate(group_count=group_total(), member_count=member_total()).order_by("title"))


add_to_campaign_page(OfferInline)
