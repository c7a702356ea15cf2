"""The read-only touch list: every recorded click and entry, scoped to the user's campaigns.

Built for a touch table of many millions of rows: a page view reads one page
of touches through an index and never counts or scans the table
(docs/performance.md):

- visibility is `campaign_id IN (<the campaigns the user sees>)`, the ids read
  from Campaign in one small query (the scoping mixin does this for every
  admin whose co-accounts sit on a parent object);
- the campaign and account filters offer what Campaign and BrandAccount say
  the user may see, never "what occurs among the touches";
- the last 7 days are shown unless the user picks another period, newest
  first, on the (occurred_at, id) index; other columns do not sort;
- the count stops at COUNT_CAP and the page says "more than 10,000".
"""

import datetime

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property

from accounts.models import BrandAccount
from accounts.scoping import AccountScopedAdmin, is_superuser
from campaigns.models import Campaign, Touch

COUNT_CAP = 10_000


class CampaignFilter(admin.SimpleListFilter):
    """Campaigns the user sees, newest first, from the campaign table."""

    title = "campaign"
    parameter_name = "campaign"

    def lookups(self, request, model_admin):
        campaigns = Campaign.objects.order_by("-starts_at", "name")
        if not is_superuser(request):
            campaigns = campaigns.filter(pk__in=model_admin.visible_holder_ids(request))
        return [(str(pk), name) for pk, name in campaigns.values_list("pk", "name")]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(campaign_id=self.value())  # within get_queryset's campaigns, whatever is asked


class AccountFilter(admin.SimpleListFilter):
    """Accounts running the campaigns the user sees (owners and co-runners), from the account table."""

    title = "account"
    parameter_name = "account"

    def lookups(self, request, model_admin):
        accounts = BrandAccount.objects.order_by("name")
        if not is_superuser(request):
            ids = model_admin.visible_holder_ids(request)
            accounts = accounts.filter(Q(campaigns__in=ids) | Q(co_run_campaigns__in=ids)).distinct()
        return [(str(pk), name) for pk, name in accounts.values_list("pk", "name")]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(account_id=self.value())


class PeriodFilter(admin.SimpleListFilter):
    """A date range is always in force, so the newest-first index reads one page, not the whole table."""

    title = "when (default: last 7 days)"
    parameter_name = "when"
    DEFAULT = "7d"
    PERIODS = {
        "1d": ("Last 24 hours", datetime.timedelta(days=1)),
        "7d": ("Last 7 days", datetime.timedelta(days=7)),
        "30d": ("Last 30 days", datetime.timedelta(days=30)),
        "365d": ("Last 12 months", datetime.timedelta(days=365)),
        "all": ("Any time", None),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.PERIODS.items()]

    def value(self):
        return super().value() or self.DEFAULT

    def choices(self, changelist):
        # No "All" entry: leaving the filter means the default period, which is listed by name.
        for key, label in self.lookup_choices:
            yield {"selected": self.value() == key, "display": label,
                   "query_string": changelist.get_query_string({self.parameter_name: key})}

    def queryset(self, request, queryset):
        if self.value() not in self.PERIODS:
            raise ValueError(f"Pick a period: {', '.join(self.PERIODS)}.")  # the admin shows the list unfiltered
        period = self.PERIODS[self.value()][1]
        if period is None:
            return queryset
        return queryset.filter(occurred_at__gte=timezone.now() - period)


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP rows (one index range read), instead of COUNT(*) over millions.

    Pages past the cap are not offered; narrowing the filters shows the rest.
    """

    @cached_property
    def count(self):
        counted = self.object_list.order_by()[: COUNT_CAP + 1].count()
        self.capped = counted > COUNT_CAP
        return min(counted, COUNT_CAP)


class MoreThan(int):
    """A capped count: the admin's page arithmetic sees the cap, the page reads "more than 10,000 touches".

    (The changelist prints `result_count` with str() and passes it to ngettext, which needs an int.)
    """

    def __str__(self):
        return f"more than {int(self):,}"


class TouchChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        if getattr(self.paginator, "capped", False):
            self.result_count = MoreThan(self.result_count)


@admin.register(Touch)
class TouchAdmin(AccountScopedAdmin):
    """Recorded touches, read-only: facts for attribution are never edited by hand."""

    account_path = "campaign__owner_account"
    co_account_path = "campaign__co_accounts"
    list_display = ["occurred_at", "campaign", "account", "kind", "link", "utm_source", "utm_medium", "is_bot"]
    list_filter = [PeriodFilter, CampaignFilter, AccountFilter, "kind", "is_bot"]
    list_select_related = ["campaign", "account", "link"]
    fields = ["occurred_at", "campaign", "account", "link", "kind", "reference", "visitor_id", "user",
              "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
              "gclid", "fbclid", "msclkid", "ttclid", "twclid", "is_bot"]
    readonly_fields = fields
    ordering = ["-occurred_at", "-id"]  # the campaigns_touch_newest index, read backwards
    sortable_by = ["occurred_at"]  # any other sort would order every touch in the period
    paginator = CappedPaginator
    show_full_result_count = False  # a COUNT(*) over millions of touches per page view is not worth it
    show_facets = admin.ShowFacets.NEVER  # facet counts are a GROUP BY over the touches per filter
    actions = None

    def get_changelist(self, request, **kwargs):
        return TouchChangeList

    def changelist_view(self, request, extra_context=None):
        if PeriodFilter.parameter_name not in request.GET:
            extra_context = {**(extra_context or {}),
                             "subtitle": "Touches of the last 7 days, newest first; pick another period under "
                                         "“When” in the filters."}
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
