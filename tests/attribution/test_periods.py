"""Closed periods: closing from a finished export, refusing overlaps, and restatements that never change a close."""

import datetime
from decimal import Decimal

import pytest

from attribution import exports
from attribution.exports import periods
from attribution.exports.access import ExportRefused
from attribution.models import ClosedFigure, ClosedPeriod, Credit, FinanceExport, Sale
from tests.attribution.conftest import DAY, NOW
from tests.attribution.test_exports import (
    IN_NOVEMBER,
    NOVEMBER,
    give_credit,
    make_sale,
    read_rows,
    request,
    touch_at,
    written,
)

pytestmark = pytest.mark.django_db


def closed_november(user, account, at=NOW):
    export = written(request(user, account, at=at), at=at)
    return periods.close_period(export=export, by=user, at=at), export


def frozen(period):
    return sorted(ClosedFigure.objects.filter(period=period).values_list(
        "sale_id", "model", "touch_id", "campaign_id", "account_id", "currency", "gross", "refunded", "credited_net"),
        key=lambda row: (row[0], row[1], row[2] or 0))


def test_closing_freezes_every_row_under_every_model(alice, main_account, november):
    period, export = closed_november(alice, main_account)
    assert (period.account, period.export, period.closed_by, period.closed_at, period.timezone) == (
        main_account, export, alice, NOW, "UTC")
    assert (period.starts_at, period.ends_at) == (datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
                                                  datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC))
    credits = Credit.objects.filter(sale__occurred_at__month=11).count()
    assert ClosedFigure.objects.filter(period=period).count() == credits + 1  # + A-1003, which has no credit
    uncredited = Sale.objects.get(order_id="A-1003")
    assert ClosedFigure.objects.get(period=period, sale_id=uncredited.pk).model == ""
    assert {model for _sale, model, *_ in frozen(period)} == {"", "last_touch", "linear"}
    assert Decimal(sum(row[8] for row in frozen(period) if row[1] == "last_touch")) == Decimal("159001")


@pytest.mark.parametrize("choice, message", [
    ({"kind": "rebates"}, "sales-and-credit export"),
    ({"campaigns": "running"}, "one account and all its campaigns"),
])
def test_only_a_finished_credits_export_of_one_account_and_all_campaigns_closes(alice, main_account, november,
                                                                                choice, message):
    if "campaigns" in choice:
        choice = {"campaigns": [november["running"]]}
    export = written(request(alice, main_account, **choice))
    with pytest.raises(ExportRefused, match=message):
        periods.close_period(export=export, by=alice, at=NOW)
    assert not ClosedPeriod.objects.exists()


def test_an_export_still_being_written_or_of_two_accounts_closes_nothing(alice, main_account, deals_account, november):
    from accounts.memberships import add_member
    from accounts.roles import Role

    queued = request(alice, main_account)
    with pytest.raises(ExportRefused, match="wait until it is ready"):
        periods.close_period(export=queued, by=alice, at=NOW)
    add_member(account=deals_account, user=alice, role=Role.FINANCE)
    both = written(exports.request_export(by=alice, kind="credits", file_format="csv",
                                          accounts=[main_account, deals_account], starts_on=NOVEMBER[0],
                                          ends_on=NOVEMBER[1], at=NOW))
    with pytest.raises(ExportRefused, match="one account"):
        periods.close_period(export=both, by=alice, at=NOW)


def test_only_finance_roles_close(alice, mark, main_account, november):
    export = written(request(alice, main_account))
    with pytest.raises(ExportRefused, match="managers and finance people"):
        periods.close_period(export=export, by=mark, at=NOW)


def test_a_period_whose_figures_moved_since_the_export_is_not_closed_from_it(alice, main_account, november, shop):
    export = written(request(alice, main_account))
    make_sale(shop, "LATE-1", at=IN_NOVEMBER + 5 * DAY)
    with pytest.raises(ExportRefused, match=f"changed since export #{export.pk} was written"):
        periods.close_period(export=export, by=alice, at=NOW)
    assert not ClosedPeriod.objects.exists()


def test_an_export_overlapping_a_closed_period_is_refused_naming_it(alice, main_account, november):
    period, export = closed_november(alice, main_account)
    with pytest.raises(ExportRefused) as refusal:
        request(alice, main_account, dates=(datetime.date(2026, 11, 30), datetime.date(2026, 12, 5)))
    message = str(refusal.value)
    assert "Alice Air, 2026-11-01 to 2026-11-30 (UTC) is closed" in message
    assert f"export #{export.pk}" in message and "restatement" in message
    assert refusal.value.closed_period == period
    # Right after it, and other kinds of export, are fine.
    assert request(alice, main_account, dates=(datetime.date(2026, 12, 1), datetime.date(2026, 12, 5)))
    assert request(alice, main_account, kind="rebates")
    assert request(alice, main_account, kind="prizes")


def test_an_export_requested_before_the_close_is_refused_when_its_job_runs(alice, main_account, november):
    waiting = request(alice, main_account)
    closed_november(alice, main_account)
    assert exports.write_export(export_id=waiting.pk, at=NOW) is None
    waiting.refresh_from_db()
    assert waiting.status == "failed" and "is closed" in waiting.error and waiting.file_name == ""


def test_closing_overlapping_periods_of_one_account_is_refused(alice, main_account, november):
    second = written(request(alice, main_account, dates=(datetime.date(2026, 11, 15), datetime.date(2026, 12, 10))))
    period, _export = closed_november(alice, main_account)
    with pytest.raises(ExportRefused, match="is closed already") as refusal:
        periods.close_period(export=second, by=alice, at=NOW)
    assert refusal.value.closed_period == period
    assert ClosedPeriod.objects.count() == 1


@pytest.mark.postgres
def test_two_people_closing_overlapping_periods_at_once_close_one(alice, fiona, main_account, november):
    from tests.concurrency import run_concurrently

    first = written(request(alice, main_account))
    second = written(request(fiona, main_account, dates=(datetime.date(2026, 11, 15), datetime.date(2026, 12, 10))))
    turns = iter([(first, alice), (second, fiona)])

    def close():
        export, user = next(turns)
        return periods.close_period(export=export, by=user, at=NOW)

    closed, errors = run_concurrently(close, threads=2)
    assert len(closed) == 1 and len(errors) == 1 and isinstance(errors[0], ExportRefused)
    assert ClosedPeriod.objects.count() == 1


# --- restatements -------------------------------------------------------------------------------------------


@pytest.fixture
def closed_then_changed(alice, main_account, november, shop):
    """November closed, then: a refund of A-1001, A-1002's credit moved to another touch, A-1003 credited at last
    (a touch recorded late), and a sale recorded late with a time in November."""
    running = november["running"]
    period, export = closed_november(alice, main_account)
    before = frozen(period)
    one = Sale.objects.get(order_id="A-1001")
    Sale.objects.filter(pk=one.pk).update(refunded=Decimal("29000"))
    Credit.objects.filter(sale=one, model="last_touch").update(credited_net=Decimal("100000"))
    two = Sale.objects.get(order_id="A-1002")
    Credit.objects.filter(sale=two, model="last_touch").delete()
    give_credit(Sale.objects.get(pk=two.pk), [(running, 16, touch_at(0, two.occurred_at), {})])
    give_credit(Sale.objects.get(order_id="A-1003"), [(running, 17, touch_at(1), {})])
    late = make_sale(shop, "A-1005", at=IN_NOVEMBER + 10 * DAY, gross="10000")
    give_credit(late, [(running, 18, touch_at(1, late.occurred_at), {})])
    return {"period": period, "export": export, "frozen": before}


def test_a_restatement_lists_what_changed_since_the_close(alice, main_account, closed_then_changed):
    period = closed_then_changed["period"]
    export = written(exports.request_export(by=alice, kind="restatement", file_format="csv", closed_period=period,
                                            at=NOW + DAY), at=NOW + DAY)
    assert export.parameters["closed_period"] == period.pk and list(export.accounts.all()) == [main_account]
    lines = read_rows(export)
    assert [(line["order_id"], line["touch_id"], line["change"], line["campaign"], line["credited_net_before"],
             line["credited_net_after"], line["credited_net_difference"], line["refunded_before"],
             line["refunded_after"], line["refunded_difference"]) for line in lines] == [
        ("A-1001", "11", "changed", "Winter Sale", "129000", "100000", "-29000", "0", "29000", "29000"),
        ("A-1002", "12", "removed", "Autumn fares", "30001", "0", "-30001", "20000", "20000", "0"),
        ("A-1002", "16", "added", "Winter Sale", "0", "30001", "30001", "20000", "20000", "0"),
        ("A-1003", "17", "added", "Winter Sale", "0", "30000", "30000", "0", "0", "0"),
        ("A-1005", "18", "added", "Winter Sale", "0", "10000", "10000", "0", "0", "0"),
    ]
    assert lines[0]["credited_net"] == "100000" and lines[0]["status"] == "partially_refunded"
    assert lines[1]["touch_kind"] == "" and lines[1]["gross"] == "50001"
    assert export.totals == {"KRW": {"rows": 5, "credited_net_before": "159001", "credited_net_after": "170001",
                                     "credited_net_difference": "11000"}}


def test_a_restatement_never_changes_the_closed_period(alice, main_account, closed_then_changed):
    period = closed_then_changed["period"]
    written(exports.request_export(by=alice, kind="restatement", file_format="xlsx", closed_period=period,
                                   model="linear", at=NOW + DAY), at=NOW + DAY)
    assert frozen(period) == closed_then_changed["frozen"]
    assert ClosedPeriod.objects.get() == period
    assert FinanceExport.objects.get(pk=closed_then_changed["export"].pk).sha256 == closed_then_changed["export"].sha256
    with pytest.raises(ExportRefused, match="is closed"):
        request(alice, main_account)


def test_a_restatement_of_an_unchanged_period_is_empty(alice, main_account, november):
    period, _export = closed_november(alice, main_account)
    for model in ("last_touch", "linear", "time_decay"):
        export = written(exports.request_export(by=alice, kind="restatement", file_format="csv", closed_period=period,
                                                model=model, at=NOW))
        assert read_rows(export) == [] and export.totals == {} and export.rows_written == 0


def test_a_restatement_is_for_the_periods_finance_people_only(alice, mark, bob, main_account, november):
    period, _export = closed_november(alice, main_account)
    for user in (mark, bob):
        with pytest.raises(ExportRefused, match="managers and finance people"):
            exports.request_export(by=user, kind="restatement", file_format="csv", closed_period=period, at=NOW)
    with pytest.raises(ExportRefused, match="choose the period"):
        exports.request_export(by=alice, kind="restatement", file_format="csv", at=NOW)
