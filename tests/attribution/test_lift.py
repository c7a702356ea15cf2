"""Lift maths, hand-checked: weekday baselines, local days, currencies, refunds, accounts, credit, cost.

The main account keeps Asia/Seoul time (UTC+9). 2026-12-01 is a Tuesday; with the default 28-day
baseline, the baseline is 2026-11-03 … 2026-11-30, four of each weekday.
"""

import datetime
import itertools
import zoneinfo
from decimal import Decimal

from accounts.models import BrandAccount
from attribution.lift import NO_BASELINE, NOTHING_TO_COMPARE, SHORT_BASELINE, campaign_credit, campaign_lift
from attribution.models import Credit, Model, Sale, SalesSource
from campaigns.models import Campaign
from tests.campaigns.conftest import make_campaign

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
ORDERS = itertools.count(1)


def seoul(day, hour=12, minute=0):
    """An instant from a wall-clock time in Seoul."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SEOUL).astimezone(datetime.UTC)


def shop_of(account):
    return SalesSource.objects.get_or_create(account=account, key=f"shop-{account.slug}",
                                             defaults={"name": "Web shop"})[0]


def sale(account, *, at, gross="10000", refunded="0", currency="KRW", email="mina@example.com"):
    """A sale as ingest would store it (the ingest path has its own tests)."""
    number = next(ORDERS)
    return Sale.objects.create(source=shop_of(account), account=account, order_id=f"A-{number}",
                               event_id=f"evt_paid_{number}", occurred_at=at, currency=currency,
                               gross=Decimal(gross), refunded=Decimal(refunded), recorded_at=at, email=email)


def sales(account, count, *, at, **fields):
    return [sale(account, at=at, **fields) for _ in range(count)]


def day(value):
    return datetime.date.fromisoformat(value)


def baseline_before(first, days=28):
    return [first - datetime.timedelta(days=offset) for offset in range(days, 0, -1)]


TUESDAY = day("2026-12-01")
BASELINE = baseline_before(TUESDAY)


def one_day_campaign(account, *, first=TUESDAY, days=1, slug="one-day", **fields):
    """A campaign of whole local days from `first` (00:00 Seoul)."""
    return make_campaign(account, slug=slug, status=Campaign.Status.ENDED, starts_at=seoul(first, 0),
                         ends_at=seoul(first + datetime.timedelta(days=days), 0), **fields)


def at_the_end(campaign):
    return campaign.ends_at + datetime.timedelta(days=3)


def only(totals):
    (total,) = totals
    return total


def test_it_compares_a_campaign_day_with_an_ordinary_day_of_the_same_weekday(main_account):
    # Baseline: 3 orders of 10,000 KRW every Tuesday, 1 on every other day. The campaign's Tuesday: 21.
    for baseline_day in BASELINE:
        sales(main_account, 3 if baseline_day.weekday() == 1 else 1, at=seoul(baseline_day))
    campaign = one_day_campaign(main_account)
    sales(main_account, 21, at=seoul(TUESDAY, 15))

    lift = campaign_lift(campaign=campaign, at=at_the_end(campaign))

    total = only(lift.totals)
    assert total.currency == "KRW"
    assert (total.orders.actual, total.orders.expected, total.orders.difference) == (21, Decimal("3.0"), 18)
    assert total.orders.ratio == Decimal("7.00")
    assert total.orders.ratio_text == "7.0× an ordinary day"
    assert (total.revenue.actual, total.revenue.expected) == (Decimal("210000"), Decimal("30000"))
    assert total.revenue.difference == Decimal("180000")
    assert total.revenue.ratio_text == "7.0× an ordinary day"
    assert (total.baseline_orders, total.baseline_revenue) == (4 * 3 + 24 * 1, Decimal("360000"))
    assert lift.window_days == [TUESDAY]
    assert (lift.baseline_first, lift.baseline_last) == (day("2026-11-03"), day("2026-11-30"))
    tuesday = next(average for average in lift.weekday_averages if average.weekday == 1)
    assert (tuesday.days, tuesday.orders, tuesday.revenue) == (4, Decimal(3), Decimal(30000))


def test_it_sums_each_window_days_own_weekday_average(main_account):
    # Mondays average 2 orders (8 over 4), Tuesdays 1, Wednesdays 0: a Tue–Wed window expects 1.
    for baseline_day in BASELINE:
        sales(main_account, {0: 2, 1: 1}.get(baseline_day.weekday(), 0), at=seoul(baseline_day, 9))
    campaign = one_day_campaign(main_account, days=2)
    sales(main_account, 2, at=seoul(TUESDAY, 9))
    sales(main_account, 1, at=seoul(TUESDAY + datetime.timedelta(days=1), 9))

    lift = campaign_lift(campaign=campaign, at=at_the_end(campaign))

    total = only(lift.totals)
    assert (total.orders.actual, total.orders.expected, total.orders.ratio_text) == (
        3, Decimal("1.0"), "3.0× an ordinary day")
    assert [(d.date, d.weekday, d.orders, d.expected_orders) for d in lift.days] == [
        (TUESDAY, "Tuesday", 2, Decimal("1.0")), (day("2026-12-02"), "Wednesday", 1, Decimal("0.0"))]


def test_weekdays_are_the_owner_accounts_local_days_not_utc_days(main_account):
    # 00:30 on Tuesdays in Seoul is still Monday 15:30 in UTC: those sales are Tuesday's.
    for baseline_day in BASELINE:
        if baseline_day.weekday() == 1:
            sales(main_account, 2, at=seoul(baseline_day, 0, 30))
    # 23:30 on the Monday before the start (14:30 UTC) is the baseline's last day, not the window's.
    sale(main_account, at=seoul(day("2026-11-30"), 23, 30))
    campaign = one_day_campaign(main_account)
    late_monday_utc = seoul(TUESDAY, 0, 30)
    assert late_monday_utc.weekday() == 0  # Monday in UTC
    sales(main_account, 4, at=late_monday_utc)

    lift = campaign_lift(campaign=campaign, at=at_the_end(campaign))

    total = only(lift.totals)
    assert (total.orders.actual, total.orders.expected, total.orders.ratio_text) == (
        4, Decimal("2.0"), "2.0× an ordinary day")
    monday = next(average for average in lift.weekday_averages if average.weekday == 0)
    assert monday.orders == Decimal("0.25")  # the one late-Monday sale over four Mondays


def test_sales_before_the_start_on_the_first_day_count_nowhere(main_account):
    campaign = make_campaign(main_account, slug="from-nine", status=Campaign.Status.ENDED,
                             starts_at=seoul(TUESDAY, 9), ends_at=seoul(TUESDAY, 21))
    sales(main_account, 5, at=seoul(TUESDAY, 8))  # the same local day, before the campaign
    sales(main_account, 2, at=seoul(TUESDAY, 10))
    sales(main_account, 3, at=seoul(TUESDAY, 22))  # after its end

    lift = campaign_lift(campaign=campaign, at=at_the_end(campaign))

    total = only(lift.totals)
    assert (total.orders.actual, total.baseline_orders) == (2, 0)
    assert [(d.date, d.partial) for d in lift.days] == [(TUESDAY, True)]


def test_a_running_campaign_is_measured_up_to_now_with_today_partial(main_account):
    campaign = make_campaign(main_account, slug="running", status=Campaign.Status.LIVE,
                             starts_at=seoul(TUESDAY, 0), ends_at=seoul(TUESDAY + datetime.timedelta(days=10), 0))
    sale(main_account, at=seoul(TUESDAY, 12))
    sale(main_account, at=seoul(TUESDAY + datetime.timedelta(days=1), 11))
    sale(main_account, at=seoul(TUESDAY + datetime.timedelta(days=1), 13))  # after `at`

    lift = campaign_lift(campaign=campaign, at=seoul(TUESDAY + datetime.timedelta(days=1), 12))

    assert lift.window_until == seoul(TUESDAY + datetime.timedelta(days=1), 12)
    assert [(d.date.isoformat(), d.partial, d.orders) for d in lift.days] == [
        ("2026-12-01", False, 1), ("2026-12-02", True, 1)]


def test_a_campaign_that_has_not_started_has_no_window(main_account):
    campaign = make_campaign(main_account, slug="later", status=Campaign.Status.SCHEDULED,
                             starts_at=seoul(TUESDAY, 0), ends_at=seoul(TUESDAY, 23))
    lift = campaign_lift(campaign=campaign, at=seoul(TUESDAY, 0) - datetime.timedelta(minutes=1))
    assert (lift.window_days, lift.totals) == ([], [])
    assert "has not started yet" in lift.note
    draft = make_campaign(main_account, slug="draft")
    assert "no start date" in campaign_lift(campaign=draft, at=seoul(TUESDAY)).note


def test_without_baseline_sales_there_is_no_ratio(main_account):
    campaign = one_day_campaign(main_account)
    sales(main_account, 3, at=seoul(TUESDAY))

    total = only(campaign_lift(campaign=campaign, at=at_the_end(campaign)).totals)

    assert (total.orders.actual, total.orders.expected, total.orders.ratio) == (3, Decimal("0.0"), None)
    assert total.orders.ratio_text == total.revenue.ratio_text == NO_BASELINE == "no sales in the baseline"
    assert total.revenue.difference == Decimal("30000")


def test_a_baseline_with_sales_only_on_other_weekdays_says_so(main_account):
    sale(main_account, at=seoul(day("2026-11-30")))  # a Monday
    campaign = one_day_campaign(main_account)
    sale(main_account, at=seoul(TUESDAY))
    assert only(campaign_lift(campaign=campaign, at=at_the_end(campaign)).totals).orders.ratio_text == (
        NOTHING_TO_COMPARE)


def test_a_baseline_shorter_than_a_week_cannot_predict_every_weekday(main_account):
    sale(main_account, at=seoul(day("2026-11-30")))
    campaign = one_day_campaign(main_account, days=2, baseline_days=1)  # Monday only; window Tue–Wed
    sale(main_account, at=seoul(TUESDAY))
    total = only(campaign_lift(campaign=campaign, at=at_the_end(campaign)).totals)
    assert (total.orders.expected, total.orders.ratio, total.orders.ratio_text) == (None, None, SHORT_BASELINE)


def test_amounts_are_never_summed_across_currencies(main_account):
    for baseline_day in BASELINE:
        sale(main_account, at=seoul(baseline_day), gross="10000", currency="KRW")
        if baseline_day.weekday() == 1:
            sale(main_account, at=seoul(baseline_day), gross="12.50", currency="USD")
    campaign = one_day_campaign(main_account)
    sales(main_account, 2, at=seoul(TUESDAY), gross="10000", currency="KRW")
    sales(main_account, 3, at=seoul(TUESDAY), gross="12.50", currency="USD")

    lift = campaign_lift(campaign=campaign, at=at_the_end(campaign))

    krw, usd = lift.totals
    assert (krw.currency, krw.orders.actual, krw.revenue.actual, krw.revenue.expected) == (
        "KRW", 2, Decimal("20000"), Decimal("10000"))
    assert (usd.currency, usd.orders.actual, usd.revenue.actual, usd.revenue.expected) == (
        "USD", 3, Decimal("37.50"), Decimal("12.50"))
    assert usd.revenue.ratio_text == "3.0× an ordinary day"
    assert [d.revenue for d in lift.days_in("USD")] == [Decimal("37.50")]
    assert lift.currencies == ["KRW", "USD"]


def test_refunds_lower_revenue_but_not_orders(main_account):
    for baseline_day in BASELINE:
        if baseline_day.weekday() == 1:
            sale(main_account, at=seoul(baseline_day), gross="10000", refunded="10000")  # refunded in full
            sale(main_account, at=seoul(baseline_day), gross="10000")
    campaign = one_day_campaign(main_account)
    sale(main_account, at=seoul(TUESDAY), gross="10000", refunded="4000")
    sale(main_account, at=seoul(TUESDAY), gross="10000")

    total = only(campaign_lift(campaign=campaign, at=at_the_end(campaign)).totals)

    assert (total.orders.actual, total.orders.expected) == (2, Decimal("2.0"))
    assert (total.revenue.actual, total.revenue.expected, total.revenue.difference) == (
        Decimal("16000"), Decimal("10000"), Decimal("6000"))
    assert total.revenue.ratio_text == "1.6× an ordinary day"


def test_revenue_is_rounded_to_the_currencys_minor_unit(main_account):
    # Three Tuesdays of 10.00 USD and one of 10.01: an ordinary Tuesday is 10.0025 → 10.00.
    for index, tuesday in enumerate(d for d in BASELINE if d.weekday() == 1):
        sale(main_account, at=seoul(tuesday), gross="10.01" if index == 0 else "10.00", currency="USD")
    campaign = one_day_campaign(main_account)
    sale(main_account, at=seoul(TUESDAY), gross="70.02", currency="USD")
    total = only(campaign_lift(campaign=campaign, at=at_the_end(campaign)).totals)
    assert (total.revenue.expected, total.revenue.difference) == (Decimal("10.00"), Decimal("60.02"))
    assert total.revenue.ratio == Decimal("7.00")  # 70.02 / 10.0025, from the exact ordinary day


def test_it_breaks_the_lift_down_by_running_account(main_account, deals_account):
    campaign = one_day_campaign(main_account)
    campaign.co_accounts.add(deals_account)
    for baseline_day in BASELINE:
        if baseline_day.weekday() == 1:
            sale(main_account, at=seoul(baseline_day))
            sales(deals_account, 2, at=seoul(baseline_day), gross="500", currency="JPY")
    sales(main_account, 7, at=seoul(TUESDAY))
    sales(deals_account, 3, at=seoul(TUESDAY), gross="500", currency="JPY")

    lift = campaign_lift(campaign=campaign, at=at_the_end(campaign))

    assert [account_lift.account for account_lift in lift.accounts] == [main_account, deals_account]
    main, deals = lift.accounts
    assert [(c.currency, c.orders.actual, c.orders.ratio_text) for c in main.currencies] == [
        ("KRW", 7, "7.0× an ordinary day")]
    assert [(c.currency, c.orders.actual, c.revenue.actual, c.orders.ratio_text) for c in deals.currencies] == [
        ("JPY", 3, Decimal("1500"), "1.5× an ordinary day")]
    assert [t.currency for t in lift.totals] == ["JPY", "KRW"]


def test_only_the_chosen_running_accounts_enter_any_figure(main_account, deals_account):
    campaign = one_day_campaign(main_account)
    campaign.co_accounts.add(deals_account)
    sales(main_account, 7, at=seoul(TUESDAY))
    sales(deals_account, 3, at=seoul(TUESDAY))  # the same currency: a total would mix them
    product = BrandAccount.objects.create(name="Carol Cargo", slug="carol-cargo", timezone="Asia/Seoul",
                                          currency="KRW")
    sales(product, 5, at=seoul(TUESDAY))  # an account that does not run the campaign

    lift = campaign_lift(campaign=campaign, account_ids=[deals_account.pk, product.pk], at=at_the_end(campaign))

    assert [account_lift.account for account_lift in lift.accounts] == [deals_account]
    assert only(lift.totals).orders.actual == 3
    assert only(campaign_lift(campaign=campaign, at=at_the_end(campaign)).totals).orders.actual == 10


def test_lift_costs_two_queries_whatever_the_number_of_sales(main_account, deals_account,
                                                            django_assert_num_queries):
    campaign = one_day_campaign(main_account, days=5)
    campaign.co_accounts.add(deals_account)
    for baseline_day in BASELINE:
        sale(main_account, at=seoul(baseline_day))
        sale(deals_account, at=seoul(baseline_day), currency="JPY", gross="700")
    for offset in range(5):
        sales(main_account, 3, at=seoul(TUESDAY + datetime.timedelta(days=offset)))
    campaign = Campaign.objects.select_related("owner_account").get(pk=campaign.pk)
    with django_assert_num_queries(2):  # the co-running accounts, then the one GROUP BY over sales
        lift = campaign_lift(campaign=campaign, at=at_the_end(campaign))
    assert len(lift.days) == 10 and only(lift.accounts[:1]).currencies[0].orders.actual == 15


# --- credit -------------------------------------------------------------------------------------


def credit(sale_row, campaign, *, model=Model.LAST_TOUCH, net=None, share="1", touch_id=1):
    net = sale_row.gross - sale_row.refunded if net is None else Decimal(net)
    return Credit.objects.create(sale=sale_row, model=model, touch_id=touch_id, touch_at=sale_row.occurred_at,
                                 campaign=campaign, account=campaign.owner_account, touch_kind="link_click",
                                 share=Decimal(share), credited_gross=net, credited_net=net)


def test_credit_is_totalled_per_model_and_currency_last_touch_first(main_account, deals_account,
                                                                   django_assert_num_queries):
    campaign = one_day_campaign(main_account)
    first = sale(main_account, at=seoul(TUESDAY), gross="10000", refunded="2000")
    second = sale(main_account, at=seoul(TUESDAY), gross="5000")
    dollars = sale(main_account, at=seoul(TUESDAY), gross="12.50", currency="USD")
    for row in (first, second, dollars):
        credit(row, campaign)
        credit(row, campaign, model=Model.FIRST_TOUCH)
    credit(first, campaign, model=Model.LINEAR, net="4000", share="0.5", touch_id=1)
    credit(first, campaign, model=Model.LINEAR, net="4000", share="0.5", touch_id=2)
    credit(sale(deals_account, at=seoul(TUESDAY), gross="999"), campaign)  # another team's sale

    with django_assert_num_queries(1):
        totals = campaign_credit(campaign=campaign, account_ids=[main_account.pk])

    assert [(t.model_label, t.currency, t.orders, t.credited_net) for t in totals] == [
        ("Last touch", "KRW", 2, Decimal("13000")), ("Last touch", "USD", 1, Decimal("12.50")),
        ("First touch", "KRW", 2, Decimal("13000")), ("First touch", "USD", 1, Decimal("12.50")),
        ("Linear", "KRW", 1, Decimal("8000"))]
    everything = campaign_credit(campaign=campaign)
    assert (everything[0].orders, everything[0].credited_net) == (3, Decimal("13999"))
