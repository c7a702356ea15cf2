"""Finance exports on PostgreSQL: our export job against COPY and against django-import-export.

- export_rows_vs_copy: rows per second of `attribution.exports.write_export()` for a credits export of
  1,000,000 rows (`--quick`: 20,000) — claim, count, COPY through psycopg with formula cells neutralised
  and amounts formatted in SQL, SHA-256 of the bytes, a temporary file moved into place, progress
  updates, totals by aggregates — against a bare `COPY (<the same query, raw columns>) TO STDOUT WITH
  CSV` written to a file. Target ≥ 0.5× the rate.
- export_peak_memory_vs_copy: the peak resident set (ru_maxrss) of the fresh process that ran the
  export, Django included; the baseline is the same for the bare COPY. Target ≤ 150 MB (absolute).
- export_vs_django_import_export: our rate against django-import-export 4.4.3 (bench/requirements.txt)
  exporting the same rows (a Resource over the same annotated queryset, chunked iterator, to CSV).
  Target: faster (> 1×).

Also printed, for information: the Python CSV path (what SQLite installs use) and XLSX (XlsxWriter in
constant_memory mode), with their peak memory.

Each measurement runs in a fresh `manage.py shell` process; ours and COPY alternate (median of the
per-pair ratios). The data (sales, credit under two models, referral-group members) is seeded with
INSERT … SELECT over generate_series.

    .venv/bin/python bench/export.py [--quick]
"""

import datetime
import json
import resource
import time

BASE = "timestamptz '2026-11-01 00:00:00+00'"
NOVEMBER = (datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
BENCH_USER = "bench-finance@example.org"
SECONDS_IN_NOVEMBER = 29 * 24 * 3600


# --- the work, run inside Django (`from bench import export as w`) ----------------------------------------


def insert_select(model, expressions, count, where=""):
    """INSERT … SELECT over generate_series(1, count) AS i [WHERE …]; other columns get their field's default."""
    from django.db import connection

    columns, values, parameters = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in expressions:
            values.append(expressions[field.attname])
        elif field.null and not field.has_default():
            values.append("NULL")
        else:
            values.append("%s")
            parameters.append(field.get_db_prep_save(field.get_default(), connection))
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} "  # noqa: S608
                       f"FROM generate_series(1, {count}) AS i {f'WHERE {where}' if where else ''}", parameters)


def seed(*, rows):
    """`rows` sales of one account in November (a tenth in USD, a seventh partly refunded), each credited under
    last touch except every 50th; every other sale also under linear (two touches); every 20th order in a
    referral group. The export of last touch then has exactly `rows` rows."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import BrandAccount, User
    from attribution import sources
    from attribution.models import Credit, Sale
    from campaigns.models import Campaign
    from promotions.models import GroupMember, Participant, ReferralGroup, ReferralItem, ReferralOffer

    started = time.perf_counter()
    now = timezone.now()
    account = BrandAccount.objects.create(name="Bench Shop", slug="bench-shop", currency="KRW", timezone="UTC")
    campaign = Campaign.objects.create(owner_account=account, name="Bench = sale, \"quoted\"", slug="bench",
                                       status="live", starts_at=now - datetime.timedelta(days=400),
                                       ends_at=now + datetime.timedelta(days=30))
    source = sources.create_source(account=account, name="Shop", key="bench-shop", at=now)
    User.objects.create_superuser(email=BENCH_USER, password="bench-" + "x" * 20)
    currency = "CASE WHEN i %% 10 = 0 THEN 'USD' ELSE 'KRW' END"
    gross = "CASE WHEN i %% 10 = 0 THEN 12.50 ELSE 129000 + (i %% 1000) END"
    refunded = "CASE WHEN i %% 7 <> 0 THEN 0 WHEN i %% 10 = 0 THEN 6.25 ELSE 1000 END"
    occurred = f"{BASE} + ((i::bigint * 7919) %% {SECONDS_IN_NOVEMBER}) * interval '1 second'"
    insert_select(Sale, {
        "source_id": str(source.pk), "account_id": str(account.pk), "order_id": "'B-' || i", "event_id": "'e-' || i",
        "occurred_at": occurred, "currency": currency, "gross": gross, "refunded": refunded,
        "lines": "'[]'::jsonb", "recorded_at": occurred, "credited_at": occurred,
    }, rows)
    first = Sale.objects.order_by("pk").values_list("pk", flat=True).first()
    credit = {"sale_id": f"{first - 1} + i", "touch_at": f"{occurred} - interval '1 day'",
              "campaign_id": str(campaign.pk), "account_id": str(account.pk), "touch_kind": "'link_click'",
              "reference": "CASE WHEN i %% 13 = 0 THEN '=group:' || i ELSE '' END"}
    insert_select(Credit, {**credit, "model": "'last_touch'", "touch_id": "i", "share": "1",
                           "credited_gross": gross, "credited_net": f"({gross}) - ({refunded})"}, rows,
                  where="i %% 50 <> 0")
    # Linear: two touches of half the net each (the bench does not need the exact largest-remainder split).
    for touch in (0, 1):
        insert_select(Credit, {**credit, "model": "'linear'", "touch_id": f"i + {touch * rows}", "share": "0.5",
                               "credited_gross": f"({gross}) / 2", "credited_net": f"(({gross}) - ({refunded})) / 2"},
                      rows, where="i %% 2 = 0")
    offer = ReferralOffer.objects.create(campaign=campaign, account=account, title="Bench offer",
                                         slug="bench-offer", currency="KRW", budget="100000000",
                                         starts_at=now - datetime.timedelta(days=60),
                                         ends_at=now + datetime.timedelta(days=30))
    item = ReferralItem.objects.create(offer=offer, name="Item", sku="BENCH", base_price="150000")
    founder = Participant.objects.create(identity="founder@example.org", email="founder@example.org", created_at=now)
    group = ReferralGroup.objects.create(offer=offer, item=item, founder=founder, created_at=now)
    insert_select(GroupMember, {
        "offer_id": str(offer.pk), "group_id": str(group.pk), "participant_id": str(founder.pk), "generation": "1",
        "share_code": "'bench' || i", "source": "'bench-shop'", "order_reference": "'B-' || i", "quantity": "1",
        "list_price": "150000", "paid": gross, "refunded": "0", "rebate_owed": "1500", "currency": "'KRW'",
        "status": "'confirmed'", "counts_toward_tier": "true", "bought_at": occurred, "hold_until": occurred,
    }, rows, where="i %% 20 = 3")
    with connection.cursor() as cursor:
        for model in (Sale, Credit, GroupMember):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return {"sales": Sale.objects.count(), "credits": Credit.objects.count(),
            "members": GroupMember.objects.count(), "seconds": time.perf_counter() - started}


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def parameters():
    from accounts.models import BrandAccount
    from attribution.exports.parameters import Parameters, period_bounds

    starts_at, ends_at = period_bounds(*NOVEMBER, "UTC")
    return Parameters(starts_on=NOVEMBER[0], ends_on=NOVEMBER[1], timezone="UTC", starts_at=starts_at,
                      ends_at=ends_at, accounts=(BrandAccount.objects.get(slug="bench-shop").pk,), campaigns=(),
                      model="last_touch")


def ours(*, file_format="csv", python_path=False):
    """One export through the real job: request_export() then write_export(); the file is deleted afterwards."""
    from django.utils import timezone

    from accounts.models import BrandAccount, User
    from attribution import exports
    from attribution.exports import files

    if python_path:
        content_of = exports.content_of

        def python_only(kind, chosen):
            content = content_of(kind, chosen)
            content.copy_statement = None
            return content

        exports.content_of = python_only
    export = exports.request_export(by=User.objects.get(email=BENCH_USER), kind="credits", file_format=file_format,
                                    accounts=[BrandAccount.objects.get(slug="bench-shop")], starts_on=NOVEMBER[0],
                                    ends_on=NOVEMBER[1], at=timezone.now())
    started = time.perf_counter()
    done = exports.write_export(export_id=export.pk, at=timezone.now())
    seconds = time.perf_counter() - started
    (files.exports_root() / done.file_name).unlink()
    return {"seconds": seconds, "rows": done.rows_written, "rate": done.rows_written / seconds, "mb": peak_mb(),
            "bytes": done.byte_size}


def copy_baseline():
    """COPY of the same query's raw columns (no formatting, no neutralising, no hash), written to a file."""
    import tempfile

    from django.db import connection

    from attribution.exports import rows

    sql, params = rows.credit_queryset(parameters()).query.get_compiler(connection=connection).as_sql()
    count, pending = 0, bytearray()
    with tempfile.TemporaryFile() as handle:
        started = time.perf_counter()
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)",
                                                               params) as copy:
            for block in copy:
                pending += block
                count += 1
                if len(pending) >= 1 << 20:
                    handle.write(pending)
                    pending = bytearray()
        handle.write(pending)
        handle.flush()
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": count, "rate": count / seconds, "mb": peak_mb()}


def django_import_export():
    """django-import-export exporting the same rows: a Resource over the same annotated queryset, to CSV."""
    import tempfile

    from import_export import fields, resources

    from attribution.exports import rows

    names = list(rows.Record._fields)

    class Rows(resources.Resource):
        net = fields.Field(column_name="net")
        status = fields.Field(column_name="status")

        class Meta:
            chunk_size = 2000

        def dehydrate_net(self, row):
            return row.x_gross - row.x_refunded

        def dehydrate_status(self, row):
            return rows.status_of(row.x_gross, row.x_refunded)

    for name in names:
        Rows.fields[name] = fields.Field(attribute=rows.ALIAS + name, column_name=name)
    queryset = rows.annotated_rows(parameters()).order_by(*(rows.ALIAS + name for name in rows.STABLE_ORDER))
    started = time.perf_counter()
    dataset = Rows().export(queryset=queryset)
    with tempfile.TemporaryFile() as handle:
        handle.write(dataset.csv.encode())
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": len(dataset), "rate": len(dataset) / seconds, "mb": peak_mb()}


# --- the driver -------------------------------------------------------------------------------------------


def main():
    from harness import alternate, bench_environment, django_shell, options_from_arguments, report

    def shell(env, code):
        return json.loads(django_shell(env, "import json\nfrom bench import export as w\n" + code).splitlines()[-1])

    arguments, _seconds, _pairs = options_from_arguments(__doc__)
    quick = arguments.quick
    rows = 20_000 if quick else 1_000_000
    pairs = 3
    with bench_environment() as env:
        seeded = shell(env, f"print(json.dumps(w.seed(rows={rows})))")
        print(f"# PostgreSQL; {seeded['sales']:,} sales, {seeded['credits']:,} credit rows, {seeded['members']:,} "
              f"referral members, seeded in {seeded['seconds']:.1f} s; a last-touch CSV export of {rows:,} rows; "
              f"{pairs} alternating pairs, each run a fresh process; medians, ratio = median of per-pair ratios",
              flush=True)
        runs = {"ours": [], "copy": [], "warm": []}

        def measure(name, code):
            def run():
                result = shell(env, f"print(json.dumps({code}))")
                assert result["rows"] == rows, result
                runs[name].append(result)
                return result["rate"]
            return run

        rates = alternate({"ours": measure("ours", "w.ours()"), "copy": measure("copy", "w.copy_baseline()")},
                          pairs=pairs, warm_up={"copy": measure("warm", "w.copy_baseline()")})
        report("export_rows_vs_copy", rates["ours"], rates["copy"], "rows/s", ">=0.5")
        ours_mb = [run["mb"] for run in runs["ours"]]
        copy_mb = [run["mb"] for run in runs["copy"]]
        report("export_peak_memory_vs_copy", ours_mb, copy_mb, "MB", "ours<=150 MB (absolute)")
        print(f"# our file: {runs['ours'][-1]['bytes']:,} bytes", flush=True)

        other = shell(env, "print(json.dumps(w.django_import_export()))")
        assert other["rows"] == rows, other
        median_ours = sorted(rates["ours"])[len(rates["ours"]) // 2]
        report("export_vs_django_import_export", median_ours, other["rate"], "rows/s", ">1.0")
        print(f"# django-import-export peak memory: {other['mb']:.0f} MB", flush=True)

        python = shell(env, "print(json.dumps(w.ours(python_path=True)))")
        print(f"# Python CSV path (SQLite's): {python['rate']:,.0f} rows/s, peak {python['mb']:.0f} MB", flush=True)
        xlsx = shell(env, "print(json.dumps(w.ours(file_format='xlsx')))")
        print(f"# XLSX (constant_memory): {xlsx['rate']:,.0f} rows/s, peak {xlsx['mb']:.0f} MB, "
              f"{xlsx['bytes']:,} bytes", flush=True)


if __name__ == "__main__":
    main()
