"""Finance exports: requesting, the job (rows, totals, SHA-256, progress, kills and reruns), CSV and XLSX files.

Sales and credit are made here by a small factory (the shapes crediting writes: shares and money split by
largest remainder), so each test states exactly the figures it checks. Time is passed in, never frozen.
"""

import csv
import datetime
import hashlib
import html
import io
import re
import zipfile
from decimal import Decimal

import django_rq
import pytest
from django.db import connection

from accounts.currencies import minor_units
from attribution import exports, weights
from attribution.exports import columns, files, rows
from attribution.exports.access import ExportRefused
from attribution.models import Credit, FinanceExport, Sale
from campaigns.models import Campaign
from tests.attribution.conftest import DAY, NOW
from tests.campaigns.conftest import make_campaign

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOVEMBER = (datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
IN_NOVEMBER = datetime.datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


# --- a factory for sales and credit (what ingest and crediting write) ---------------------------------


def make_sale(source, order_id, *, at=IN_NOVEMBER, gross="129000", refunded="0", currency="KRW"):
    return Sale.objects.create(source=source, account=source.account, order_id=order_id, event_id=f"evt-{order_id}",
                               occurred_at=at, currency=currency, gross=Decimal(gross), refunded=Decimal(refunded),
                               recorded_at=at, credited_at=at)


def give_credit(sale, touches, *, model="last_touch", raw_weights=None):
    """Credit `sale` under `model` to `touches` [(campaign, touch id, touch time, extra fields)], split like crediting.

    Weights default to equal shares; shares and money are split by largest remainder to the minor unit.
    """
    raw = raw_weights or [1.0] * len(touches)
    places = minor_units(sale.currency)
    shares = weights.allocate(Decimal(1), raw, weights.SHARE_PLACES)
    gross = weights.allocate(sale.gross, raw, places)
    net = weights.allocate(sale.gross - sale.refunded, raw, places)
    made = []
    for (campaign, touch_id, touch_at, extra), share, gross_part, net_part in zip(touches, shares, gross, net,
                                                                                   strict=True):
        made.append(Credit.objects.create(
            sale=sale, model=model, touch_id=touch_id, touch_at=touch_at, campaign=campaign,
            account=extra.get("account", campaign.owner_account), touch_kind=extra.get("kind", "link_click"),
            reference=extra.get("reference", ""), referral_group_id=extra.get("group"),
            generation=extra.get("generation"), share=share, credited_gross=gross_part, credited_net=net_part))
    return made


def touch_at(days_before, sale_at=IN_NOVEMBER):
    return sale_at - days_before * DAY


def make_november(shop, running):
    """Five sales of alice's web shop in November (UTC) and one in December, credited in various ways."""
    other = make_campaign(running.owner_account, slug="autumn-fares", name="Autumn fares",
                          status=Campaign.Status.LIVE, starts_at=NOW - 60 * DAY, ends_at=NOW + DAY)
    one = make_sale(shop, "A-1001", at=IN_NOVEMBER)
    give_credit(one, [(running, 11, touch_at(2), {})])
    give_credit(one, [(other, 10, touch_at(5), {}), (running, 11, touch_at(2), {})], model="linear")
    two = make_sale(shop, "A-1002", at=IN_NOVEMBER + DAY, gross="50001", refunded="20000")
    give_credit(two, [(other, 12, touch_at(3, two.occurred_at), {"reference": "group:7", "group": 7,
                                                                  "generation": 2, "kind": "referral_click"})])
    give_credit(two, [(other, 12, touch_at(3, two.occurred_at), {}), (running, 13, touch_at(1, two.occurred_at), {}),
                      (running, 14, touch_at(0, two.occurred_at), {})], model="linear")
    make_sale(shop, "A-1003", at=IN_NOVEMBER + 2 * DAY, gross="30000")  # no touch: no credit
    dollars = make_sale(shop, "A-1004", at=IN_NOVEMBER + 3 * DAY, gross="12.50", refunded="12.50", currency="USD")
    give_credit(dollars, [(running, 15, touch_at(1, dollars.occurred_at), {})])
    give_credit(dollars, [(running, 15, touch_at(1, dollars.occurred_at), {})], model="linear")
    make_sale(shop, "A-2001", at=datetime.datetime(2026, 12, 1, 0, 30, tzinfo=UTC))  # December in UTC
    return {"running": running, "other": other}


def request(user, account, *, kind="credits", file_format="csv", dates=NOVEMBER, at=NOW, **choices):
    return exports.request_export(by=user, kind=kind, file_format=file_format, accounts=[account], starts_on=dates[0],
                                  ends_on=dates[1], at=at, **choices)


def written(export, at=NOW):
    done = exports.write_export(export_id=export.pk, at=at)
    assert done is not None, FinanceExport.objects.get(pk=export.pk).error
    return done


def path_of(export):
    return files.exports_root() / export.file_name


def read_rows(export):
    data = path_of(export).read_bytes()
    assert data.startswith(files.BOM)
    return list(csv.DictReader(io.StringIO(data[len(files.BOM):].decode(), newline="")))


# --- requesting -------------------------------------------------------------------------------------


def test_it_queues_an_export_with_its_parameters_and_asks_a_worker_after_the_commit(
        alice, main_account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = request(alice, main_account, timezone_name="Asia/Seoul", model="linear", file_format="xlsx")
    assert (export.status, export.kind, export.file_format, export.requested_by) == ("queued", "credits", "xlsx", alice)
    assert list(export.accounts.all()) == [main_account]
    assert export.parameters == {
        "columns_version": 1, "starts_on": "2026-11-01", "ends_on": "2026-11-30", "timezone": "Asia/Seoul",
        "starts_at": "2026-10-31T15:00:00Z", "ends_at": "2026-11-30T15:00:00Z", "accounts": [main_account.pk],
        "campaigns": [], "model": "linear", "closed_period": None}
    queue = django_rq.get_queue("exports")
    assert queue.job_ids == [f"finance-export-{export.pk}"]
    assert queue.fetch_job(queue.job_ids[0]).func_name == "attribution.jobs.write_finance_export"


def test_a_rolled_back_request_asks_no_worker(alice, main_account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request(alice, main_account)
    assert len(callbacks) == 1
    assert django_rq.get_queue("exports").count == 0


def test_only_finance_roles_may_request_and_only_for_their_accounts(alice, mark, fiona, bob, main_account,
                                                                    deals_account):
    for user, account in ((mark, main_account), (bob, deals_account), (fiona, deals_account), (alice, deals_account)):
        with pytest.raises(ExportRefused, match="managers and finance people"):
            request(user, account)
    assert request(fiona, main_account).status == "queued"
    assert FinanceExport.objects.count() == 1


@pytest.mark.parametrize("choices, message", [
    ({"dates": (NOVEMBER[1], NOVEMBER[0])}, "last on or after the first"),
    ({"timezone_name": "Asia/Tokyo"}, "time zone of one of the chosen accounts"),
    ({"model": "most_recent"}, "attribution models"),
])
def test_it_refuses_nonsense_with_what_to_do(alice, main_account, choices, message):
    with pytest.raises(ExportRefused, match=message):
        request(alice, main_account, **choices)


def test_campaigns_must_be_run_by_the_chosen_accounts(alice, main_account, deals_account):
    theirs = make_campaign(deals_account, slug="deals-only")
    with pytest.raises(ExportRefused, match="campaigns that the chosen accounts run"):
        request(alice, main_account, campaigns=[theirs])
    theirs.co_accounts.add(main_account)
    assert request(alice, main_account, campaigns=[theirs]).parameters["campaigns"] == [theirs.pk]


# --- rows ---------------------------------------------------------------------------------------------


def test_it_writes_one_row_per_credit_and_one_for_a_sale_without_credit(alice, main_account, november):
    export = written(request(alice, main_account))
    assert export.status == "done" and export.rows_written == export.rows_expected == 4
    assert export.file_name == f"credits-{export.pk}-2026-11-01-2026-11-30.csv"
    lines = read_rows(export)
    assert list(lines[0]) == columns.header(columns.CREDIT_COLUMNS)
    assert [(line["order_id"], line["campaign"], line["credited_net"], line["status"]) for line in lines] == [
        ("A-1001", "Winter Sale", "129000", "paid"), ("A-1002", "Autumn fares", "30001", "partially_refunded"),
        ("A-1003", "", "0", "paid"), ("A-1004", "Winter Sale", "0.00", "refunded")]
    first, second, uncredited = lines[0], lines[1], lines[2]
    assert first["occurred_at"] == "2026-11-10T12:00:00Z" and first["touch_at"] == "2026-11-08T12:00:00Z"
    assert (first["gross"], first["refunded"], first["net"], first["currency"]) == ("129000", "0", "129000", "KRW")
    assert (first["model"], first["credit_share"], first["touch_id"]) == ("last_touch", "1.00000000", "11")
    assert (second["promotion"], second["referral_group"], second["generation"], second["touch_kind"]) == (
        "group:7", "7", "2", "referral_click")
    assert first["account"] == "Alice Air" and first["source"] == "alice-web-shop"
    assert (uncredited["campaign_id"], uncredited["credit_share"], uncredited["model"]) == ("", "", "last_touch")
    assert (lines[3]["gross"], lines[3]["net"]) == ("12.50", "0.00")


def test_sale_level_columns_repeat_on_each_credit_row_in_a_stable_order(alice, main_account, november):
    lines = read_rows(written(request(alice, main_account, model="linear")))
    assert [(line["order_id"], line["touch_id"], line["credited_net"]) for line in lines] == [
        ("A-1001", "10", "64500"), ("A-1001", "11", "64500"), ("A-1002", "12", "10000"), ("A-1002", "13", "10000"),
        ("A-1002", "14", "10001"), ("A-1003", "", "0"), ("A-1004", "15", "0.00")]
    assert {line["gross"] for line in lines[2:5]} == {"50001"}
    assert {line["credit_share"] for line in lines[:2]} == {"0.50000000"}


def test_a_period_in_an_accounts_time_zone_has_that_zones_midnights(alice, main_account, shop):
    make_sale(shop, "SEOUL-NOV-1", at=datetime.datetime(2026, 10, 31, 16, 0, tzinfo=UTC))  # 1 Nov, 01:00 in Seoul
    in_seoul = read_rows(written(request(alice, main_account, timezone_name="Asia/Seoul")))
    in_utc = read_rows(written(request(alice, main_account)))
    assert [line["order_id"] for line in in_seoul] == ["SEOUL-NOV-1"]
    assert in_utc == []


def test_chosen_campaigns_keep_only_their_credit(alice, main_account, november):
    export = written(request(alice, main_account, model="linear", campaigns=[november["other"]]))
    assert [(line["order_id"], line["touch_id"]) for line in read_rows(export)] == [("A-1001", "10"), ("A-1002", "12")]
    assert export.totals == {"KRW": {"sales": 2, "sales_net": "159001", "attributed_sales": 2,
                                     "attributed_net": "159001", "credited_net": "74500", "rows": 2}}


def test_amounts_have_the_currencys_minor_unit(alice, main_account, shop):
    for order, gross, currency in (("K", "129000", "KRW"), ("U", "12.5", "USD"), ("D", "1.25", "KWD"),
                                   ("J", "900", "JPY")):
        make_sale(shop, order, gross=gross, currency=currency)
    lines = read_rows(written(request(alice, main_account)))
    assert {line["order_id"]: line["gross"] for line in lines} == {"K": "129000", "U": "12.50", "D": "1.250",
                                                                   "J": "900"}


def test_discount_given_and_rebate_owed_come_from_the_orders_referral_membership(alice, main_account, november):
    from promotions.models import GroupMember, Participant, ReferralGroup
    from tests.promotions.conftest import make_offer

    offer = make_offer(november["running"], currency="KRW", base_price="150000")
    founder = Participant.objects.create(identity="mina@example.com", email="mina@example.com", created_at=NOW)
    group = ReferralGroup.objects.create(offer=offer, item=offer.items.get(), founder=founder, created_at=NOW)
    GroupMember.objects.create(
        offer=offer, group=group, participant=founder, generation=0, share_code=group.code + "x",
        source="alice-web-shop", order_reference="A-1001", list_price="150000", paid="129000", rebate_owed="6450",
        currency="KRW", status=GroupMember.Status.CONFIRMED, bought_at=IN_NOVEMBER, hold_until=IN_NOVEMBER)
    lines = read_rows(written(request(alice, main_account, model="linear")))
    assert [(line["discount_given"], line["rebate_owed"]) for line in lines if line["order_id"] == "A-1001"] == [
        ("21000", "6450"), ("21000", "6450")]
    assert {(line["discount_given"], line["rebate_owed"]) for line in lines if line["order_id"] != "A-1001"} == {
        ("", "")}


# --- formula cells ------------------------------------------------------------------------------------

NASTY = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR",
         'comma, "quotes"', "line\nbreak", "plain"]


@pytest.fixture
def nasty(shop, running):
    """Orders and a campaign whose text a spreadsheet would run, quote or split."""
    running.name = "=cmd|' /C calc'!A0"
    running.save(update_fields=["name"])
    for number, order_id in enumerate(NASTY):
        sale = make_sale(shop, order_id, at=IN_NOVEMBER + number * datetime.timedelta(minutes=1))
        give_credit(sale, [(running, 100 + number, touch_at(1, sale.occurred_at), {"reference": order_id})])
    return running


def test_formula_cells_are_neutralised_in_the_csv(alice, main_account, nasty):
    lines = read_rows(written(request(alice, main_account)))
    assert [line["order_id"] for line in lines] == [
        "'=HYPERLINK(\"http://evil.example\",\"x\")", "'+1+1", "'-2+3", "'@SUM(A1)", "'\tTAB", "'\rCR",
        'comma, "quotes"', "line\nbreak", "plain"]
    assert {line["campaign"] for line in lines} == {"'=cmd|' /C calc'!A0"}
    assert [line["promotion"] for line in lines] == [line["order_id"] for line in lines]
    assert {line["credited_net"] for line in lines} == {"129000"}


def test_formula_cells_are_neutralised_in_the_xlsx_and_numbers_are_numbers(alice, main_account, nasty):
    export = written(request(alice, main_account, file_format="xlsx"))
    with zipfile.ZipFile(path_of(export)) as workbook:
        assert workbook.testzip() is None
        names = workbook.namelist()
        sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
    assert "[Content_Types].xml" in names and "xl/workbook.xml" in names
    texts = [html.unescape(text) for text in
             re.findall(r'<c r="C\d+"(?: s="\d+")? t="inlineStr"><is><t[^>]*>([^<]*)</t></is></c>', sheet)]
    assert texts[0] == "order_id"
    assert texts[1] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert texts[2:5] == ["'+1+1", "'-2+3", "'@SUM(A1)"]
    assert "<f>" not in sheet  # no formula anywhere
    # Gross is a number cell (no t="…"), with the currency's format.
    assert re.search(r'<c r="E2" s="\d+"><v>129000</v></c>', sheet)
    assert export.rows_written == len(NASTY)


def test_negative_numbers_are_numbers_not_neutralised_text(alice, main_account, running):
    """A reversal is negative: it stays -1000 in the rebates export (and a number in XLSX)."""
    rebate_fixture(running)
    export = written(request(alice, main_account, kind="rebates"))
    [line] = read_rows(export)
    assert line["reversals_in_period"] == "-1000"
    xlsx = written(request(alice, main_account, kind="rebates", file_format="xlsx"))
    with zipfile.ZipFile(path_of(xlsx)) as workbook:
        sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
    assert re.search(r'<c r="S2" s="\d+"><v>-1000</v></c>', sheet)


# --- same data, same bytes; totals reconcile ------------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_exporting_the_same_parameters_again_gives_identical_bytes(alice, main_account, november, file_format):
    first = written(request(alice, main_account, file_format=file_format, model="linear"))
    second = written(request(alice, main_account, file_format=file_format, model="linear", at=NOW + DAY),
                     at=NOW + DAY)
    assert first.file_name != second.file_name
    assert path_of(first).read_bytes() == path_of(second).read_bytes()
    assert first.sha256 == second.sha256 == hashlib.sha256(path_of(first).read_bytes()).hexdigest()
    assert first.byte_size == second.byte_size == path_of(first).stat().st_size
    assert first.totals == second.totals


def test_credited_net_reconciles_with_the_net_of_attributed_sales(alice, main_account, november):
    for model in ("last_touch", "linear"):
        export = written(request(alice, main_account, model=model))
        lines = read_rows(export)
        credited, attributed_net = {}, {}
        for line in lines:
            credited[line["currency"]] = credited.get(line["currency"], Decimal(0)) + Decimal(line["credited_net"])
        for sale in Sale.objects.filter(occurred_at__month=11, credits__model=model).distinct():
            attributed_net[sale.currency] = attributed_net.get(sale.currency, Decimal(0)) + sale.net
        assert credited == attributed_net == {"KRW": Decimal("159001"), "USD": Decimal("0.00")}
        assert export.totals == {
            "KRW": {"sales": 3, "sales_net": "189001", "attributed_sales": 2, "attributed_net": "159001",
                    "credited_net": "159001", "rows": {"last_touch": 3, "linear": 6}[model]},
            "USD": {"sales": 1, "sales_net": "0.00", "attributed_sales": 1, "attributed_net": "0.00",
                    "credited_net": "0.00", "rows": 1}}
        assert sum(total["rows"] for total in export.totals.values()) == export.rows_written == len(lines)


# --- the job: once, killed, rerun, progress ---------------------------------------------------------------


def test_a_done_export_is_never_written_again(alice, main_account, november, shop):
    export = written(request(alice, main_account))
    before = (path_of(export).read_bytes(), path_of(export).stat().st_mtime_ns)
    make_sale(shop, "LATE-1")
    assert exports.write_export(export_id=export.pk, at=NOW + DAY) is None
    assert (path_of(export).read_bytes(), path_of(export).stat().st_mtime_ns) == before
    export.refresh_from_db()
    assert export.rows_written == 4 and export.status == "done"


def kill_after(monkeypatch, rows_before_death):
    """The worker dies (an exception) once `rows_before_death` rows are written; progress checked every row."""
    monkeypatch.setattr(files, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(files, "PROGRESS_SECONDS", 0)
    original = files.Progress.written

    def written_then_killed(progress, count):
        original(progress, count)
        if count >= rows_before_death:
            raise SystemExit("worker killed")  # like the work-horse's end: not an ordinary Exception

    monkeypatch.setattr(files.Progress, "written", written_then_killed)


@pytest.mark.django_db(transaction=True)  # as in a worker: a killed COPY takes its transaction with it
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_job_killed_midway_leaves_no_file_and_runs_again(alice, main_account, november, monkeypatch, file_format):
    export = request(alice, main_account, file_format=file_format)
    kill_after(monkeypatch, 2)
    with pytest.raises(SystemExit):
        exports.write_export(export_id=export.pk, at=NOW)
    export.refresh_from_db()
    assert export.status == "running" and export.file_name == "" and export.sha256 == ""
    assert list(files.exports_root().iterdir()) == []  # no file, not even the temporary one
    monkeypatch.undo()
    assert exports.write_export(export_id=export.pk, at=NOW + datetime.timedelta(minutes=5)) is None  # its worker may
    # still be alive: a running export is left alone until a job could not possibly still run
    redone = written(export, at=NOW + exports.stale_after() + datetime.timedelta(seconds=1))
    assert redone.status == "done" and redone.rows_written == 4
    assert [path.name for path in files.exports_root().iterdir()] == [redone.file_name]


def test_a_job_that_fails_is_marked_failed_and_a_rerun_completes(alice, main_account, november, monkeypatch):
    export = request(alice, main_account)
    monkeypatch.setattr(rows, "credit_totals", lambda parameters: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        exports.write_export(export_id=export.pk, at=NOW)
    export.refresh_from_db()
    assert export.status == "failed" and export.error == "ZeroDivisionError: division by zero"
    assert list(files.exports_root().iterdir()) == []
    monkeypatch.undo()
    assert written(export, at=NOW + datetime.timedelta(minutes=1)).status == "done"


@pytest.mark.django_db(transaction=True)  # as in a worker: progress goes through a connection of its own
def test_progress_counts_rows_expected_then_rows_written(alice, main_account, november, monkeypatch):
    monkeypatch.setattr(files, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(files, "PROGRESS_SECONDS", 0)
    seen = []
    original = files.Progress.update

    def recorded(progress, **values):
        original(progress, **values)
        assert progress.connection is not connection
        with progress.connection.cursor() as cursor:  # what the progress page reads meanwhile
            cursor.execute("SELECT status, rows_expected, rows_written FROM attribution_financeexport WHERE id = %s",
                           [progress.export_id])
            seen.append(tuple(cursor.fetchone()))

    monkeypatch.setattr(files.Progress, "update", recorded)
    export = written(request(alice, main_account, model="linear"))
    assert seen == [("running", 7, 0), *(("running", 7, count) for count in range(1, 8)), ("running", 7, 7)]
    assert (export.status, export.rows_expected, export.rows_written) == ("done", 7, 7)


def test_the_sweep_writes_exports_whose_job_was_lost(alice, main_account, november):
    export = request(alice, main_account)  # no commit in this test: no job was ever queued
    assert exports.requeue_stale_exports(at=NOW + datetime.timedelta(seconds=30)) == []
    assert exports.requeue_stale_exports(at=NOW + datetime.timedelta(minutes=2)) == [export.pk]
    export.refresh_from_db()
    assert export.status == "done" and path_of(export).exists()
    assert exports.requeue_stale_exports(at=NOW + datetime.timedelta(minutes=3)) == []


def test_the_sweep_removes_temporary_files_of_dead_workers(settings):
    import os
    import time

    root = files.exports_root()
    root.mkdir(parents=True)
    orphan, fresh = root / ".credits-9-x.csv.abc.part", root / ".credits-10-x.csv.def.part"
    orphan.write_bytes(b"half")
    fresh.write_bytes(b"being written")
    old = time.time() - exports.stale_after().total_seconds() - 60
    os.utime(orphan, (old, old))
    exports.requeue_stale_exports(at=NOW)
    assert not orphan.exists() and fresh.exists()


@pytest.mark.django_db(transaction=True)
def test_it_works_outside_a_transaction_as_in_a_worker(main_account, shop, running, monkeypatch):
    """In a worker the reads are one snapshot on PostgreSQL and progress goes through a second connection."""
    from accounts.memberships import add_member
    from accounts.roles import Role
    from tests.conftest import make_user

    monkeypatch.setattr(files, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(files, "PROGRESS_SECONDS", 0)
    finance = make_user("fin@example.org")
    add_member(account=main_account, user=finance, role=Role.FINANCE)
    for number in range(3):
        give_credit(make_sale(shop, f"W-{number}"), [(running, number, touch_at(1), {})])
    export = request(finance, main_account)
    done = written(export)
    assert (done.rows_expected, done.rows_written, done.totals["KRW"]["credited_net"]) == (3, 3, "387000")
    assert connection.in_atomic_block is False


# --- both paths, same bytes (PostgreSQL) -------------------------------------------------------------------


@pytest.mark.postgres
def test_copy_and_python_paths_write_identical_bytes(alice, main_account, nasty, november, shop):
    make_sale(shop, "ünïcödé ✈ 한국어", currency="USD", gross="0.01")
    for model in ("last_touch", "linear"):
        export = written(request(alice, main_account, model=model))
        parameters = exports.Parameters.of(export)
        content = exports.content_of("credits", parameters)
        content.copy_statement = None  # the Python path, as on SQLite
        python = files.write_file(export_id=export.pk, content=content, file_format="csv",
                                  final_name="python.csv", created=parameters.ends_at)
        python.output.move_into_place()
        assert (files.exports_root() / "python.csv").read_bytes() == path_of(export).read_bytes()
        assert python.sha256 == export.sha256 and python.rows == export.rows_written


# --- rebates and prizes -----------------------------------------------------------------------------------


def rebate_fixture(campaign):
    """A KRW offer of `campaign` with one member: 5,000 owed before November, +3,000 and -1,000 in it."""
    from promotions.models import GroupMember, LedgerEntry, Participant, ReferralGroup
    from tests.promotions.conftest import make_offer

    offer = make_offer(campaign, slug="jeju-krw", title="=Jeju together", currency="KRW", base_price="150000")
    founder = Participant.objects.create(identity="mina@example.com", email="mina@example.com", created_at=NOW)
    group = ReferralGroup.objects.create(offer=offer, item=offer.items.get(), founder=founder, created_at=NOW)
    member = GroupMember.objects.create(
        offer=offer, group=group, participant=founder, generation=1, share_code=group.code + "x",
        source="alice-web-shop", order_reference="R-1", list_price="150000", paid="140000", rebate_owed="7000",
        currency="KRW", status=GroupMember.Status.CONFIRMED, bought_at=IN_NOVEMBER - 20 * DAY,
        hold_until=IN_NOVEMBER)
    for kind, amount, at in ((LedgerEntry.Kind.PAYMENT, "140000", IN_NOVEMBER - 20 * DAY),
                             (LedgerEntry.Kind.REBATE, "5000", IN_NOVEMBER - 15 * DAY),
                             (LedgerEntry.Kind.REBATE, "3000", IN_NOVEMBER),
                             (LedgerEntry.Kind.REVERSAL, "-1000", IN_NOVEMBER + DAY),
                             (LedgerEntry.Kind.REBATE, "900", NOW + DAY)):
        LedgerEntry.objects.create(offer=offer, group=group, member=member, kind=kind, amount=amount, currency="KRW",
                                   tier_percent=10, at=at)
    return member


def test_the_rebates_export_lists_what_each_member_is_owed(alice, main_account, running):
    member = rebate_fixture(running)
    export = written(request(alice, main_account, kind="rebates"))
    [line] = read_rows(export)
    assert list(line) == columns.header(columns.REBATE_COLUMNS)
    assert (line["offer"], line["member_id"], line["order_id"], line["discount_given"]) == (
        "'=Jeju together", str(member.pk), "R-1", "10000")
    assert (line["rebate_owed_at_start"], line["rebates_in_period"], line["reversals_in_period"],
            line["rebate_owed_at_end"], line["rebate_owed_now"]) == ("5000", "3000", "-1000", "7000", "7000")
    assert export.totals == {"KRW": {"members": 1, "rebate_owed_at_start": "5000", "rebates_in_period": "3000",
                                     "reversals_in_period": "-1000", "rebate_owed_at_end": "7000"}}
    october = written(request(alice, main_account, kind="rebates",
                              dates=(datetime.date(2026, 9, 1), datetime.date(2026, 9, 30))))
    assert read_rows(october) == [] and october.totals == {}


def test_the_prizes_export_lists_drawn_places_and_what_is_owed(alice, main_account, running):
    from promotions.models import Draw, Participant, Round, RulesVersion, Winner
    from tests.promotions.conftest import make_giveaway

    giveaway = make_giveaway(running, prize_value="1200.00", currency="USD")
    rules = RulesVersion.objects.create(giveaway=giveaway, number=1, text="Rules", created_at=NOW)
    drawn = Round.objects.create(giveaway=giveaway, number=1, opens_at=IN_NOVEMBER - DAY, closes_at=IN_NOVEMBER,
                                 status=Round.Status.DRAWN, seed="a" * 64, commitment="b" * 64, rules_version=rules)
    draw = Draw.objects.create(round=drawn, algorithm="chorus-draw-1", seed="a" * 64, commitment="b" * 64,
                               digest="c" * 64, winners=2, alternates=1, result=[], drawn_at=IN_NOVEMBER)
    for place, status in ((1, Winner.Status.VERIFIED), (2, Winner.Status.FORFEITED), (3, Winner.Status.NOTIFIED)):
        person = Participant.objects.create(identity=f"p{place}@example.com", email=f"p{place}@example.com",
                                            created_at=NOW)
        Winner.objects.create(draw=draw, place=place, participant=person, pseudonym=f"-p{place}", status=status)
    export = written(request(alice, main_account, kind="prizes"))
    lines = read_rows(export)
    assert [(line["place"], line["pseudonym"], line["status"], line["prize_value"], line["liability"])
            for line in lines] == [("1", "'-p1", "verified", "1200.00", "1200.00"),
                                   ("2", "'-p2", "forfeited", "1200.00", "0.00"),
                                   ("3", "'-p3", "notified", "1200.00", "1200.00")]
    assert "p1@example.com" not in path_of(export).read_text()
    assert export.totals == {"USD": {"places": 3, "winners": 2, "liability": "2400.00"}}
