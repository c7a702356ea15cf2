"""Lift: did a campaign move sales? Its window's orders and revenue against an ordinary day's.

The rules, in the words of docs/lift.md:

- Days are local dates in the owner account's time zone. The window runs from the campaign's start to
  its end, or to `at` while it is still running; its days are the local dates it touches, so the first
  and last days may be partial (`LiftDay.partial`). Sales on the first day before the start count
  nowhere.
- The baseline is the `Campaign.baseline_days` whole local days before the start's date. For each
  weekday its average per day is the baseline's total on that weekday divided by the number of such
  days in the baseline (days without sales count as zero). What an ordinary day predicts for a window
  day is the average of its weekday; the window's expected figure is the sum over its days.
- Orders are sales (`Sale.occurred_at` decides the day, `Sale.account` the account); revenue is their
  net, gross less refunds so far. Every figure is per currency: amounts are never summed across
  currencies.
- The ratio is actual ÷ expected ("7.0× an ordinary day"); it is None when the baseline has nothing
  to compare with. Money is Decimal throughout; expected revenue and differences are rounded once,
  here, to the currency's minor unit (the ratio is taken before rounding); expected orders to 0.1.

Cost: one GROUP BY over the sales of the chosen accounts (account, local day, currency → count, gross,
refunded) between the baseline's first day and the window's end, on the (account, occurred_at) index,
plus the campaign's co-running accounts unless prefetched. Nothing here reads the touch table.
"""

import datetime
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from accounts.currencies import minor_units
from attribution.models import Credit, Model, Sale

ZERO = Decimal(0)
ORDER_PLACES = Decimal("0.1")
RATIO_PLACES = Decimal("0.01")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NO_BASELINE = "no sales in the baseline"
NOTHING_TO_COMPARE = "nothing on these weekdays in the baseline"
SHORT_BASELINE = "the baseline is shorter than a week"


def round_money(amount, currency):
    """`amount` to the currency's minor unit (0 places for KRW and JPY, 3 for KWD, otherwise 2)."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def format_money(amount, currency):
    """"1,290,000 KRW", "12.50 USD": the currency's own number of decimals."""
    return f"{round_money(amount, currency):,.{minor_units(currency)}f} {currency}"


@dataclass(frozen=True)
class Comparison:
    """One figure (orders or revenue) of one currency: what happened against what ordinary days predict."""

    actual: Decimal
    expected: Decimal | None  # None: the baseline lacks a weekday of the window (shorter than a week)
    ratio: Decimal | None  # actual ÷ expected to 0.01; None when there is nothing to compare with
    difference: Decimal | None  # actual − expected
    why_no_ratio: str = ""

    @property
    def ratio_text(self):
        if self.ratio is None:
            return self.why_no_ratio
        return f"{self.ratio.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}× an ordinary day"


def compare(*, actual, expected, places, baseline_orders):
    """A Comparison; `places` rounds expected and difference (the ratio uses the exact expected)."""
    if expected is None:
        return Comparison(actual=actual, expected=None, ratio=None, difference=None, why_no_ratio=SHORT_BASELINE)
    rounded = expected.quantize(places, rounding=ROUND_HALF_UP)
    if expected == 0:
        why = NO_BASELINE if baseline_orders == 0 else NOTHING_TO_COMPARE
        return Comparison(actual=actual, expected=rounded, ratio=None, difference=actual - rounded, why_no_ratio=why)
    ratio = (actual / expected).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)
    return Comparison(actual=actual, expected=rounded, ratio=ratio, difference=actual - rounded)


@dataclass(frozen=True)
class CurrencyLift:
    """Orders and revenue in one currency over the whole window, with the baseline they are judged by."""

    currency: str
    orders: Comparison
    revenue: Comparison
    baseline_orders: int
    baseline_revenue: Decimal


@dataclass(frozen=True)
class LiftDay:
    """One window day in one currency: actual and the ordinary day of its weekday (the baseline average)."""

    date: datetime.date
    currency: str
    partial: bool
    orders: int
    revenue: Decimal
    expected_orders: Decimal | None
    expected_revenue: Decimal | None

    @property
    def weekday(self):
        return WEEKDAYS[self.date.weekday()]


@dataclass(frozen=True)
class WeekdayAverage:
    """The baseline's ordinary day for one weekday and currency (`days`: how many such days it holds)."""

    weekday: int
    currency: str
    days: int
    orders: Decimal
    revenue: Decimal

    @property
    def name(self):
        return WEEKDAYS[self.weekday]


@dataclass(frozen=True)
class AccountLift:
    account: object  # BrandAccount
    currencies: list  # [CurrencyLift], by currency code


@dataclass(frozen=True)
class CampaignLift:
    campaign: object
    timezone: str
    window_from: datetime.datetime | None
    window_until: datetime.datetime | None
    window_days: list  # [date], oldest first; empty before the start
    baseline_first: datetime.date | None
    baseline_last: datetime.date | None
    accounts: list  # [AccountLift], in running order (owner first)
    totals: list  # [CurrencyLift] over `accounts`, by currency code
    days: list  # [LiftDay] over `accounts`, by currency then date
    weekday_averages: list  # [WeekdayAverage] over `accounts`, by currency then weekday
    note: str = ""  # why there is nothing to show yet, if so

    @property
    def currencies(self):
        return [lift.currency for lift in self.totals]

    def days_in(self, currency):
        return [day for day in self.days if day.currency == currency]

    def averages_in(self, currency):
        return [average for average in self.weekday_averages if average.currency == currency]


def local_midnight(day, zone):
    """The instant a local date begins (a midnight skipped by daylight saving: the first instant after it)."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone).astimezone(datetime.UTC)


def local_date(instant, zone):
    return instant.astimezone(zone).date()


def date_range(first, last):
    return [first + datetime.timedelta(days=offset) for offset in range((last - first).days + 1)]


def campaign_lift(*, campaign, account_ids=None, at):
    """The lift of `campaign` at `at`, per running account and in total (running accounts ∩ `account_ids`).

    `account_ids=None` takes every running account; the admin passes those the viewer is a member of,
    so other teams' sales never enter a figure, not even a total.
    """
    zone_name = campaign.owner_account.timezone
    zone = zoneinfo.ZoneInfo(zone_name)
    wanted = None if account_ids is None else set(account_ids)
    accounts = [account for account in campaign.running_accounts() if wanted is None or account.pk in wanted]

    def empty(note):
        return CampaignLift(campaign=campaign, timezone=zone_name, window_from=None, window_until=None,
                            window_days=[], baseline_first=None, baseline_last=None,
                            accounts=[AccountLift(account=account, currencies=[]) for account in accounts],
                            totals=[], days=[], weekday_averages=[], note=note)

    if campaign.starts_at is None:
        return empty("The campaign has no start date yet: lift is measured from its start.")
    window_from = campaign.starts_at
    window_until = at if campaign.ends_at is None else min(campaign.ends_at, at)
    if window_until <= window_from:
        return empty("The campaign has not started yet: lift is measured from its start.")

    first_day = local_date(window_from, zone)
    # The window is [from, until): its last day is the local date of its last instant.
    last_day = local_date(window_until - datetime.timedelta(microseconds=1), zone)
    window_days = date_range(first_day, last_day)
    partial = dict.fromkeys(window_days, False)
    partial[first_day] |= window_from != local_midnight(first_day, zone)
    partial[last_day] |= window_until != local_midnight(last_day + datetime.timedelta(days=1), zone)
    baseline_days = date_range(first_day - datetime.timedelta(days=campaign.baseline_days),
                               first_day - datetime.timedelta(days=1))
    weekday_counts = defaultdict(int)
    for day in baseline_days:
        weekday_counts[day.weekday()] += 1

    rows = sales_by_day(account_ids=[account.pk for account in accounts], zone=zone, window_from=window_from,
                        window_until=window_until, baseline_from=local_midnight(baseline_days[0], zone)
                        if baseline_days else None, baseline_until=local_midnight(first_day, zone))

    per_account = defaultdict(list)
    for row in rows:
        per_account[row["account_id"]].append(row)
    account_lifts = [AccountLift(account=account, currencies=currency_lifts(
        per_account[account.pk], first_day=first_day, window_days=window_days, weekday_counts=weekday_counts))
        for account in accounts]
    totals = currency_lifts(rows, first_day=first_day, window_days=window_days, weekday_counts=weekday_counts)
    averages = weekday_averages(rows, first_day=first_day, weekday_counts=weekday_counts)
    days = lift_days(rows, first_day=first_day, window_days=window_days, partial=partial, averages=averages,
                     currencies=[lift.currency for lift in totals])
    return CampaignLift(
        campaign=campaign, timezone=zone_name, window_from=window_from, window_until=window_until,
        window_days=window_days, baseline_first=baseline_days[0] if baseline_days else None,
        baseline_last=baseline_days[-1] if baseline_days else None, accounts=account_lifts, totals=totals,
        days=days, weekday_averages=[average for currency in sorted(averages)
                                     for _, average in sorted(averages[currency].items())])


def sales_by_day(*, account_ids, zone, window_from, window_until, baseline_from, baseline_until):
    """[{account_id, day, currency, orders, gross, refunded}]: the one aggregate query lift reads.

    Two ranges on the (account, occurred_at) index: the baseline's whole days and the window itself
    (so sales on the first day before the start fall in neither).
    """
    if not account_ids:
        return []
    ranges = Q(occurred_at__gte=window_from, occurred_at__lt=window_until)
    if baseline_from is not None:
        ranges |= Q(occurred_at__gte=baseline_from, occurred_at__lt=baseline_until)
    return list(Sale.objects.filter(ranges, account_id__in=account_ids)
                .annotate(day=TruncDate("occurred_at", tzinfo=zone))
                .values("account_id", "day", "currency")
                .annotate(orders=Count("pk"), gross=Sum("gross"), refunded=Sum("refunded"))
                .order_by())


def net_of(row):
    return (row["gross"] or ZERO) - (row["refunded"] or ZERO)


def weekday_averages(rows, *, first_day, weekday_counts):
    """{currency: {weekday: WeekdayAverage}} from the baseline rows (every weekday the baseline holds)."""
    sums = defaultdict(lambda: defaultdict(lambda: [0, ZERO]))
    for row in rows:
        if row["day"] < first_day:
            total = sums[row["currency"]][row["day"].weekday()]
            total[0] += row["orders"]
            total[1] += net_of(row)
    currencies = {row["currency"] for row in rows}
    return {currency: {weekday: WeekdayAverage(
        weekday=weekday, currency=currency, days=count, orders=Decimal(sums[currency][weekday][0]) / count,
        revenue=sums[currency][weekday][1] / count) for weekday, count in weekday_counts.items()}
        for currency in currencies}


def expected_of(averages, window_days, figure):
    """Sum over the window's days of their weekday's average; None if the baseline lacks one of them."""
    total = ZERO
    for day in window_days:
        average = averages.get(day.weekday())
        if average is None:
            return None
        total += getattr(average, figure)
    return total


def currency_lifts(rows, *, first_day, window_days, weekday_counts):
    """[CurrencyLift] for `rows` (one account's, or all of them), by currency code."""
    averages = weekday_averages(rows, first_day=first_day, weekday_counts=weekday_counts)
    lifts = []
    for currency in sorted(averages):
        mine = [row for row in rows if row["currency"] == currency]
        window = [row for row in mine if row["day"] >= first_day]
        baseline = [row for row in mine if row["day"] < first_day]
        baseline_orders = sum(row["orders"] for row in baseline)
        expected_orders = expected_of(averages[currency], window_days, "orders")
        expected_revenue = expected_of(averages[currency], window_days, "revenue")
        lifts.append(CurrencyLift(
            currency=currency,
            orders=compare(actual=Decimal(sum(row["orders"] for row in window)), expected=expected_orders,
                           places=ORDER_PLACES, baseline_orders=baseline_orders),
            revenue=compare(actual=round_money(sum((net_of(row) for row in window), ZERO), currency),
                            expected=expected_revenue, places=Decimal(1).scaleb(-minor_units(currency)),
                            baseline_orders=baseline_orders),
            baseline_orders=baseline_orders,
            baseline_revenue=round_money(sum((net_of(row) for row in baseline), ZERO), currency)))
    return lifts


def lift_days(rows, *, first_day, window_days, partial, averages, currencies):
    """[LiftDay] for every window day and currency (days without sales included), by currency then date."""
    actual = defaultdict(lambda: [0, ZERO])
    for row in rows:
        if row["day"] >= first_day:
            total = actual[(row["currency"], row["day"])]
            total[0] += row["orders"]
            total[1] += net_of(row)
    days = []
    for currency in currencies:
        for day in window_days:
            orders, revenue = actual.get((currency, day), (0, ZERO))
            average = averages.get(currency, {}).get(day.weekday())
            days.append(LiftDay(
                date=day, currency=currency, partial=partial.get(day, False), orders=orders,
                revenue=round_money(revenue, currency),
                expected_orders=None if average is None else average.orders.quantize(ORDER_PLACES, ROUND_HALF_UP),
                expected_revenue=None if average is None else round_money(average.revenue, currency)))
    return days


# --- credit -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreditTotal:
    """The credit a campaign earned under one model in one currency."""

    model: str
    currency: str
    orders: int  # sales with some credit to this campaign under the model
    credited_net: Decimal

    @property
    def model_label(self):
        return Model(self.model).label


def campaign_credit(*, campaign, account_ids=None):
    """[CreditTotal] of `campaign`, last touch (the default model) first, then by currency.

    Counts the credit of sales of `account_ids` (None: every sale), whichever of the campaign's
    accounts the touch came through: a sale's money belongs to the account that sold. One aggregate
    query on the (campaign, model) index, joined to the sales for their currency and account.
    """
    credits = Credit.objects.filter(campaign=campaign)
    if account_ids is not None:
        credits = credits.filter(sale__account_id__in=list(account_ids))
    rows = (credits.values("model", "sale__currency")
            .annotate(orders=Count("sale_id", distinct=True), credited=Sum("credited_net")).order_by())
    order = {model: index for index, model in enumerate(Model.values)}
    totals = [CreditTotal(model=row["model"], currency=row["sale__currency"], orders=row["orders"],
                          credited_net=round_money(row["credited"] or ZERO, row["sale__currency"]))
              for row in rows]
    return sorted(totals, key=lambda total: (order.get(total.model, len(order)), total.currency))
