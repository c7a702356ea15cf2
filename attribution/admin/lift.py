"""The "Sales lift and credit" part of the campaign page (through `add_to_campaign_page`).

Read-only: the part is an inline formset that lists nothing and posts nothing (promotions'
`ListOnlyFormSet`), so the campaign form saves exactly as before. Its figures are computed only when
the page is rendered, by `attribution.lift` (the rules live there): the co-running accounts, one
GROUP BY over the sales and one over the campaign's credit — a fixed number of queries whatever the
number of sales, days or accounts, and never a read of the touch table.

Anyone who may view the campaign sees the part, but its figures hold only the running accounts the
viewer is a member of (superusers: all of them): another team's sales never appear, not even inside a
total. Only aggregates are shown: no customer, no order.
"""

from django.utils import timezone
from django.utils.functional import cached_property

from accounts.scoping import is_superuser, roles_of
from attribution import charts
from attribution.lift import ORDER_PLACES, campaign_credit, campaign_lift, format_money
from attribution.models import Credit
from campaigns.admin.campaigns import add_to_campaign_page, local_time
from promotions.admin.common import CampaignPageList, ListOnlyFormSet

MINUS = "\N{MINUS SIGN}"


def signed(value, text):
    """"+30.0", "−2.5", "±0": a difference (`text` is its absolute value, formatted) with its sign spelled out."""
    if value is None:
        return "—"
    if value > 0:
        return f"+{text}"
    if value < 0:
        return f"{MINUS}{text}"
    return f"±{text}"


def orders_text(value):
    return "—" if value is None else f"{value.quantize(ORDER_PLACES):,}"


def money_text(value, currency):
    return "—" if value is None else format_money(value, currency)


def comparison_row(label, comparison, *, currency=None):
    """The figures of one Comparison as strings: actual, ordinary days, difference, ratio (money if `currency`)."""

    def text(value):
        return money_text(value, currency) if currency else orders_text(value)

    difference = comparison.difference
    return {"label": label,
            "actual": text(comparison.actual) if currency else f"{int(comparison.actual):,}",
            "expected": text(comparison.expected),
            "difference": "—" if difference is None else signed(difference, text(abs(difference))),
            "ratio": comparison.ratio_text}


def currency_rows(lift):
    """[(label, orders row, revenue row)] of per-currency figures, for the totals and each account."""
    return [{"currency": total.currency, "orders": comparison_row("Orders", total.orders),
             "revenue": comparison_row("Net revenue", total.revenue, currency=total.currency)} for total in lift]


def visible_account_ids(request):
    """None for superusers (every running account); otherwise the accounts the viewer is a member of."""
    return None if is_superuser(request) else list(roles_of(request))


def lift_panel(*, request, campaign, at):
    """What the template shows: the lift per currency (chart and tables), per account, and the credit."""
    lift = campaign_lift(campaign=campaign, account_ids=visible_account_ids(request), at=at)
    shown_ids = None if is_superuser(request) else [account_lift.account.pk for account_lift in lift.accounts]
    credit = campaign_credit(campaign=campaign, account_ids=shown_ids) if shown_ids != [] else []
    names = [account_lift.account.name for account_lift in lift.accounts]
    if is_superuser(request):
        scope = "Figures of every account running the campaign."
    elif names:
        scope = (f"Figures of {', '.join(names)} only: sales of other accounts running the campaign stay with "
                 "their teams.")
    else:
        scope = "You are a member of none of the accounts running this campaign, so there are no figures to show."
    currencies = []
    for index, total in enumerate(currency_rows(lift.totals)):
        currency = total["currency"]
        currencies.append({
            **total,
            "chart": charts.lift_chart(lift=lift, currency=currency, chart_id=f"lift-chart-{index}"),
            "days": [{"date": day.date.isoformat(), "weekday": day.weekday, "partial": day.partial,
                      "orders": day.orders, "expected_orders": orders_text(day.expected_orders),
                      "revenue": money_text(day.revenue, currency),
                      "expected_revenue": money_text(day.expected_revenue, currency)}
                     for day in lift.days_in(currency)],
            "weekdays": [{"name": average.name, "days": average.days, "orders": orders_text(average.orders),
                          "revenue": money_text(average.revenue, currency)}
                         for average in lift.averages_in(currency)],
        })
    return {
        "lift": lift,
        "scope": scope,
        "window": (f"{local_time(campaign, lift.window_from)} → {local_time(campaign, lift.window_until)}"
                   if lift.window_from else ""),
        "window_day_count": len(lift.window_days),
        "baseline": (f"{lift.baseline_first.isoformat()} – {lift.baseline_last.isoformat()}"
                     if lift.baseline_first else ""),
        "currencies": currencies,
        "accounts": [{"name": account_lift.account.name, "currencies": currency_rows(account_lift.currencies)}
                     for account_lift in lift.accounts],
        "credit": [{"model": total.model_label, "currency": total.currency, "orders": f"{total.orders:,}",
                    "credited_net": format_money(total.credited_net, total.currency)} for total in credit],
    }


class LiftFormSet(ListOnlyFormSet):
    """Lists nothing and takes nothing back; `panel` is computed when (and only if) the page is rendered."""

    request = None  # set per request by LiftInline.get_formset (the admin itself is shared by requests)

    @cached_property
    def panel(self):
        return lift_panel(request=self.request, campaign=self.instance, at=timezone.now())


class LiftInline(CampaignPageList):
    model = Credit  # only for the inline machinery: the part lists no credit rows
    formset = LiftFormSet
    template = "admin/attribution/lift_panel.html"
    verbose_name = "sales lift and credit"
    verbose_name_plural = "sales lift and credit"
    fields = ["model"]
    readonly_fields = ["model"]

    def get_queryset(self, request):
        return super().get_queryset(request).none()  # figures come from lift_panel, not from rows

    def has_view_permission(self, request, obj=None):
        return obj is not None and super().has_view_permission(request, obj)  # nothing to show before a save

    def has_add_permission(self, request, obj=None):
        return False

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (formset,), {"request": request})


add_to_campaign_page(LiftInline)
