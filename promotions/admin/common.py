"""What the giveaway admin pages share: visibility through the campaign, filters from small tables, local times.

Every giveaway object belongs to a campaign (a round through its giveaway, an entry through
its round …). Its admin names the paths to the campaign's owner and co-running accounts;
visibility is `<path to campaign> IN (<ids>)`, the ids of the campaigns the user's accounts
own or co-run read once per request from the campaign table — never a subquery over the
listed table, which for entries may hold millions of rows. Filters read the giveaway,
round and mission tables, never "what occurs among the entries".
"""

from django.contrib import admin
from django.db.models import BooleanField, Case, Q, Value, When
from django.forms.models import BaseInlineFormSet

from accounts.scoping import AccountScopedAdmin, AccountScopedInline, account_ids_with, is_superuser, roles_of
from campaigns.admin.campaigns import local_time
from campaigns.models import Campaign
from promotions.models import Giveaway, Mission, Round

CACHE_ATTRIBUTE = "_chorus_visible_campaign_ids"


def visible_campaign_ids(request):
    """Ids of the campaigns the user's accounts own or co-run: one small query per request."""
    if not hasattr(request, CACHE_ATTRIBUTE):
        account_ids = list(roles_of(request))
        ids = (Campaign.objects.filter(Q(owner_account__in=account_ids) | Q(co_accounts__in=account_ids))
               .order_by().values_list("pk", flat=True).distinct())
        setattr(request, CACHE_ATTRIBUTE, list(ids))
    return getattr(request, CACHE_ATTRIBUTE)


def editable_campaign_ids(request, roles):
    """Ids of the campaigns whose owner account gives the user one of `roles` (co-running gives no edit right)."""
    return list(Campaign.objects.filter(owner_account__in=account_ids_with(request, roles))
                .values_list("pk", flat=True))


#: Annotated on every row of a CampaignScopedAdmin (and on people): whether the user may see the
#: person's email address and a winner's name, address and phone there.
PERSONAL_DATA = "personal_data_shown"


def masked_email(email):
    """"d…@gmail.com" for "dana@gmail.com": enough to tell two people apart in a list, not to write to them."""
    local, _, domain = (email or "").rpartition("@")
    if not local:
        return "…"
    return f"{local[:1]}…@{domain}"


def personal_data_shown(obj):
    return bool(getattr(obj, PERSONAL_DATA, False))


def email_for(obj, email):
    """The email address as the user may see it on `obj`'s row: whole for those who run the giveaway, masked else."""
    return email if personal_data_shown(obj) else masked_email(email)


class CampaignScopedAdmin(AccountScopedAdmin):
    """An AccountScopedAdmin whose co-accounts sit on the campaign, however far away it is.

    Subclasses set `account_path` and `co_account_path` ("round__giveaway__campaign__owner_account" …).
    Nothing a marketer sees here is deleted from the admin: entries, flags, rounds and winners are facts.
    """

    show_facets = admin.ShowFacets.NEVER  # facet counts are a GROUP BY over the listed table per filter
    # People by name, never by address: co-running teams read these histories too.
    object_history_template = "admin/campaigns/campaign/object_history.html"

    def visible_holder_ids(self, request):
        return visible_campaign_ids(request)

    def get_queryset(self, request):
        """Each row says whether the user may see its person's data (PERSONAL_DATA), per row, in SQL.

        People's email addresses, and a winner's name, address and phone, are for those who run the
        giveaway: the owner account's managers and marketers (and superusers). Co-running teams and the
        owner's analysts and finance may look at the rows, with the address masked and the rest left out.
        """
        if is_superuser(request):
            shown = Value(True, output_field=BooleanField())
        else:  # an empty list compiles to the default: Case skips a When that can match nothing
            shown = Case(When(**{self.account_lookup(): account_ids_with(request, self.edit_roles)},
                              then=Value(True)), default=Value(False), output_field=BooleanField())
        return super().get_queryset(request).annotate(**{PERSONAL_DATA: shown})

    def get_object(self, request, object_id, from_field=None):
        """The object, with its person's email masked in memory for viewers (titles, breadcrumbs, history).

        Every page of these admins is read-only for objects (has_change_permission(obj) is False), so
        the masked copy is never saved; it only keeps str(entry) ("dana@gmail.com — mission …") off
        the page's title and breadcrumbs.
        """
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and not personal_data_shown(obj):
            self.mask_personal_data(obj)
        return obj

    def mask_personal_data(self, obj):
        """Hide the person's data on `obj` in memory; subclasses name what their objects hold."""

    def action_checkbox(self, obj):
        # The checkbox's aria-label is str(obj) ("dana@gmail.com — Share our post"): masked first for viewers.
        if not personal_data_shown(obj):
            self.mask_personal_data(obj)
        return super().action_checkbox(obj)

    def campaign_path(self):
        return self.co_account_holder()

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Actions need the change right; the object's own page is read-only (its facts are not edited by hand).
        return obj is None and self.may_edit(request)

    def editable(self, request, queryset):
        """`queryset` narrowed to objects whose owner account gives the user an edit role."""
        if is_superuser(request):
            return queryset
        return queryset.filter(**{self.account_lookup(): account_ids_with(request, self.edit_roles)})


def visible_giveaways(request, model_admin):
    giveaways = Giveaway.objects.order_by("title")
    if not is_superuser(request):
        giveaways = giveaways.filter(campaign__in=visible_campaign_ids(request))
    return giveaways


def giveaway_filter(path):
    """A list filter on the giveaways the user sees, read from the giveaway table."""

    class GiveawayFilter(admin.SimpleListFilter):
        title = "giveaway"
        parameter_name = "giveaway"

        def lookups(self, request, model_admin):
            giveaways = visible_giveaways(request, model_admin)
            return [(str(pk), title) for pk, title in giveaways.values_list("pk", "title")]

        def queryset(self, request, queryset):
            if not (self.value() or "").isdigit():
                return queryset
            return queryset.filter(**{path: self.value()})  # within get_queryset's campaigns, whatever is asked

    return GiveawayFilter


def within_chosen_giveaway_filter(model, path, title, parameter_name):
    """A filter on the rounds or missions of the giveaway picked in the giveaway filter (none offered before)."""

    class WithinGiveawayFilter(admin.SimpleListFilter):
        def lookups(self, request, model_admin):
            chosen = request.GET.get("giveaway", "")
            if not chosen.isdigit() or not visible_giveaways(request, model_admin).filter(pk=chosen).exists():
                return []
            return [(str(obj.pk), label_of(obj)) for obj in model.objects.filter(giveaway_id=chosen)]

        def queryset(self, request, queryset):
            if not (self.value() or "").isdigit():
                return queryset
            return queryset.filter(**{path: self.value()})

    WithinGiveawayFilter.title = title
    WithinGiveawayFilter.parameter_name = parameter_name
    return WithinGiveawayFilter


def label_of(obj):
    if isinstance(obj, Round):
        return f"Round {obj.number}"
    if isinstance(obj, Mission):
        return obj.title
    return str(obj)


class DefaultChoiceFilter(admin.SimpleListFilter):
    """A filter on a choice field with a default in force (the queue), plus "All"."""

    field = "status"
    options = ()  # (value, label) pairs
    default = ""

    def lookups(self, request, model_admin):
        return [*self.options, ("all", "All")]

    def value(self):
        return super().value() or self.default

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {"selected": self.value() == value, "display": label,
                   "query_string": changelist.get_query_string({self.parameter_name: value})}

    def queryset(self, request, queryset):
        value = self.value()
        if value == "all" or value not in {choice for choice, _ in self.lookup_choices}:
            return queryset
        return queryset.filter(**{self.field: value})


def round_window(round):
    """"2026-12-01 10:00 → 2026-12-02 10:00 Asia/Seoul" from a round with its campaign and owner loaded."""
    campaign = round.giveaway.campaign
    opens, closes = local_time(campaign, round.opens_at), local_time(campaign, round.closes_at)
    zone = campaign.owner_account.timezone
    return f"{opens.removesuffix(' ' + zone)} → {closes}"


def plural(count, noun, nouns=None):
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


# --- promotions listed on the campaign page ---------------------------------------------------


class ListOnlyFormSet(BaseInlineFormSet):
    """Lists a campaign's giveaways or offers and takes nothing back: no management form, nothing to validate or save.

    Giveaways and offers have inlines of their own (missions; items and tiers), which Django cannot nest, so
    each is edited on its own page; the campaign page links there. Because nothing is posted for this list,
    the campaign form saves exactly as it did before the list was added.
    """

    def __init__(self, data=None, files=None, **kwargs):
        super().__init__(data=None, files=None, **kwargs)
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []

    def is_valid(self):
        return True

    def has_changed(self):
        return False

    def save(self, commit=True):
        return []


class CampaignPageList(AccountScopedInline, admin.TabularInline):
    """A read-only list of a campaign's promotions on the campaign page (subclasses: model, template, names)."""

    formset = ListOnlyFormSet
    account_path = "owner_account"
    co_account_path = "co_accounts"
    fields = ["title"]
    readonly_fields = ["title"]
    extra = 0
    max_num = 0
    can_delete = False

    class Media:
        css = {"all": ["css/admin-promotions.css"]}

    def has_change_permission(self, request, obj=None):
        return False  # edited on its own page

    def has_delete_permission(self, request, obj=None):
        return False
