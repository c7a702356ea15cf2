"""The CSV import: the webhook's ingest, row-level problems, dry runs, idempotent re-imports, the command."""

from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command

from attribution import imports
from attribution.models import InboxEvent, Refund, Sale
from tests.attribution.conftest import NOW

pytestmark = pytest.mark.django_db

GOOD = """type,order_id,occurred_at,amount,currency,customer_email,lines
order.paid,C-1,2026-11-20T10:00:00Z,129000,KRW,mina@example.com,JEJU-RT:1:129000
order.paid,C-2,2026-11-20T11:00:00+09:00,99000,KRW,,
order.refunded,C-1,2026-11-20T12:00:00Z,29000,KRW,,
"""
BAD = """type,order_id,occurred_at,amount,currency
order.paid,D-1,2026-11-20T10:00:00Z,12.5,KRW
order.paid,D-2,tomorrow,1000,KRW
order.paid,D-3,2026-11-20T10:00:00Z,1000,KRW
order.shipped,D-4,2026-11-20T10:00:00Z,1000,EUR
"""


def test_rows_go_through_the_same_ingest_as_the_webhook(shop):
    report = imports.import_text(source=shop, text=GOOD, dry_run=False, at=NOW)
    assert (report.rows, report.stored, report.problem_count) == (3, 3, 0)
    sales = {sale.order_id: sale for sale in Sale.objects.all()}
    assert sales["C-1"].refunded == D("29000") and sales["C-1"].lines == [
        {"sku": "JEJU-RT", "quantity": 1, "amount": "129000"}]
    assert set(InboxEvent.objects.values_list("via", flat=True)) == {"csv"}


def test_importing_the_same_file_again_stores_nothing_new(shop):
    imports.import_text(source=shop, text=GOOD, dry_run=False, at=NOW)
    again = imports.import_text(source=shop, text=GOOD, dry_run=False, at=NOW)
    assert (again.stored, again.duplicates) == (0, 3)
    assert (Sale.objects.count(), Refund.objects.count(), InboxEvent.objects.count()) == (2, 1, 3)


def test_a_dry_run_reports_every_rows_problems_and_stores_nothing(shop):
    report = imports.import_text(source=shop, text=BAD, dry_run=True, at=NOW)
    assert (report.rows, report.stored, report.problem_count) == (4, 1, 3)
    assert [problem[:2] for problem in report.problems] == [[2, "amount"], [3, "occurred_at"], [5, "type"]]
    assert "more decimal places than KRW" in report.problems[0][2]
    assert not InboxEvent.objects.exists() and not Sale.objects.exists()


def test_a_real_run_stores_the_good_rows_and_reports_the_bad_ones(shop):
    report = imports.import_text(source=shop, text=BAD, dry_run=False, at=NOW)
    assert (report.stored, report.problem_count) == (1, 3)
    assert list(Sale.objects.values_list("order_id", flat=True)) == ["D-3"]


def test_a_header_without_the_required_columns_is_refused_before_any_row(shop):
    with pytest.raises(imports.HeaderProblem, match="missing columns amount, currency and unknown column total"):
        imports.import_text(source=shop, text="type,order_id,occurred_at,total\n", dry_run=False, at=NOW)


def test_a_row_with_too_many_cells_is_a_problem(shop):
    report = imports.import_text(source=shop, text=GOOD.splitlines()[0] + "\norder.paid,E-1,x,1,KRW,,,extra\n",
                                 dry_run=True, at=NOW)
    assert report.problems == [[2, "row", "has more cells than the header has columns."]]


def test_the_command_imports_a_file_with_progress_and_a_summary(shop, tmp_path, capsys):
    path = tmp_path / "sales.csv"
    path.write_text(GOOD, encoding="utf-8")
    call_command("import_sales", str(path), "--source", "alice-web-shop", "--dry-run")
    assert not Sale.objects.exists()
    call_command("import_sales", str(path), "--source", "alice-web-shop")
    out, err = capsys.readouterr()
    assert "3 of 3 rows (100%)" in err
    assert "3 rows: 3 stored, 0 already there, 0 with problems." in out
    assert Sale.objects.count() == 2


def test_the_command_exits_non_zero_when_rows_have_problems(shop, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(BAD, encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_sales", str(path), "--source", "alice-web-shop", "--dry-run")
    assert exit_info.value.code == 1
    assert "line 3: occurred_at:" in capsys.readouterr().out


def test_the_command_names_what_is_wrong_with_its_arguments(shop, tmp_path):
    with pytest.raises(CommandError, match="No sales source has the key 'nope'. Keys: alice-web-shop."):
        call_command("import_sales", str(tmp_path / "x.csv"), "--source", "nope")
    with pytest.raises(CommandError, match="Cannot open"):
        call_command("import_sales", str(tmp_path / "missing.csv"), "--source", "alice-web-shop")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("type,order_id,occurred_at,amount,currency\norder.paid,Ü,x,1,KRW\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_sales", str(latin), "--source", "alice-web-shop")
