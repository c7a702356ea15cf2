"""CSV import of sales: each row becomes the same event the webhook takes, through the same ingest.

Columns (header row required, any order; docs/sales-import.md):

    type, order_id, occurred_at, amount, currency            required
    id, customer_email, visitor_id, referral_code,           optional
    coupon_code, payment_fingerprint, lines

`type` is order.paid or order.refunded. `lines` is "SKU:quantity:amount" items separated by "|".
Without an `id`, a row's event id is derived from its content (type, order, time, amount, currency),
so importing the same file twice stores nothing new. A dry run checks every row and stores nothing.
The file is streamed (never held in memory); progress is reported every PROGRESS_EVERY rows.
"""

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings

from attribution import events, ingest
from attribution.models import InboxEvent, SalesImport

REQUIRED = ("type", "order_id", "occurred_at", "amount", "currency")
OPTIONAL = ("id", "customer_email", "visitor_id", "referral_code", "coupon_code", "payment_fingerprint", "lines")
PROGRESS_EVERY = 500
KEPT_PROBLEMS = 500


@dataclass
class ImportReport:
    rows: int = 0
    stored: int = 0
    duplicates: int = 0
    problem_count: int = 0
    problems: list = field(default_factory=list)  # [line number, field, message], the first KEPT_PROBLEMS

    def add_problem(self, line, name, message):
        self.problem_count += 1
        if len(self.problems) < KEPT_PROBLEMS:
            self.problems.append([line, name, message])

    def summary(self, *, dry_run):
        stored = "would be stored" if dry_run else "stored"
        return (f"{self.rows:,} rows: {self.stored:,} {stored}, {self.duplicates:,} already there, "
                f"{self.problem_count:,} with problems.")


class HeaderProblem(ValueError):
    pass


def check_header(names):
    names = [(name or "").strip() for name in names or []]
    missing = [name for name in REQUIRED if name not in names]
    unknown = [name for name in names if name not in REQUIRED + OPTIONAL]
    if missing or unknown:
        words = []
        if missing:
            words.append(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
        if unknown:
            words.append(f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
        raise HeaderProblem(f"The header row has {' and '.join(words)}. Columns: {', '.join(REQUIRED + OPTIONAL)} "
                            "(the first five are required).")
    return names


def parse_lines(value):
    """"SKU:quantity:amount|…" into the webhook's line objects (left for events.read_event to check)."""
    lines = []
    for item in filter(None, (part.strip() for part in (value or "").split("|"))):
        sku, _, rest = item.partition(":")
        quantity, _, amount = rest.partition(":")
        lines.append({"sku": sku, "quantity": int(quantity) if quantity.strip().isdigit() else quantity,
                      "amount": amount.strip()})
    return lines


def row_event(row):
    """The webhook-shaped event of a CSV row (its id derived from its content when the file has none)."""
    event = {name: (row.get(name) or "").strip() for name in REQUIRED + OPTIONAL if name != "lines"}
    event["lines"] = parse_lines(row.get("lines"))
    if not event["id"]:
        fingerprint = "|".join(event[name] for name in REQUIRED)
        event["id"] = "csv-" + hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
    return event


def count_rows(path):
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)


def import_rows(*, source, handle, dry_run, at, progress=None):
    """Read CSV rows from the text `handle` into `source`'s inbox (applied at once); returns an ImportReport.

    A header problem raises HeaderProblem before any row is read. `progress(rows_done)` is called
    every PROGRESS_EVERY rows.
    """
    reader = csv.DictReader(handle)
    check_header(reader.fieldnames)
    report = ImportReport()
    for row in reader:
        report.rows += 1
        line = reader.line_num
        if None in row:  # more cells than columns
            report.add_problem(line, "row", "has more cells than the header has columns.")
        else:
            try:
                facts = events.read_event(row_event(row), now=at)
            except events.EventProblems as problems:
                for name, message in problems.problems:
                    report.add_problem(line, name, message)
            else:
                record(report, source=source, facts=facts, dry_run=dry_run, at=at, line=line)
        if progress is not None and report.rows % PROGRESS_EVERY == 0:
            progress(report.rows)
    if progress is not None:
        progress(report.rows)
    return report


def record(report, *, source, facts, dry_run, at, line):
    if dry_run:
        stored = InboxEvent.objects.filter(source=source, event_id=facts["id"]).values_list("facts", flat=True).first()
        if stored is None:
            report.stored += 1
        elif stored == facts:
            report.duplicates += 1
        else:
            report.add_problem(line, "id", f"event {facts['id']} was imported before with other contents.")
        return
    receipt = ingest.receive_event(source=source, facts=facts, via=InboxEvent.Via.CSV, at=at, apply_now=True)
    if receipt.conflict:
        report.add_problem(line, "id", f"event {facts['id']} was imported before with other contents; kept as it was.")
    elif receipt.created:
        report.stored += 1
    else:
        report.duplicates += 1


def import_text(*, source, text, dry_run, at):
    """import_rows() over a string (tests, small files)."""
    return import_rows(source=source, handle=io.StringIO(text), dry_run=dry_run, at=at)


def run_import(*, import_id, at):
    """The job behind the admin's upload: read the stored file, keeping progress and the report on the row.

    Runs once per import (queued → running by a conditional UPDATE); a rerun of a half-done import is
    safe, because re-importing rows stores nothing twice.
    """
    claimed = SalesImport.objects.filter(pk=import_id, status=SalesImport.Status.QUEUED).update(
        status=SalesImport.Status.RUNNING)
    if not claimed:
        return None
    job = SalesImport.objects.select_related("source").get(pk=import_id)
    path = settings.IMPORTS_ROOT / job.file_name
    try:
        total = count_rows(path)
        SalesImport.objects.filter(pk=job.pk).update(rows_total=total)
        with open(path, newline="", encoding="utf-8-sig") as handle:
            report = import_rows(source=job.source, handle=handle, dry_run=job.dry_run, at=at,
                                 progress=lambda done: SalesImport.objects.filter(pk=job.pk).update(rows_done=done))
    except (HeaderProblem, UnicodeDecodeError, csv.Error, OSError) as problem:
        message = str(problem) if isinstance(problem, HeaderProblem) else (
            f"The file could not be read as UTF-8 CSV: {problem}")
        SalesImport.objects.filter(pk=job.pk).update(status=SalesImport.Status.FAILED, finished_at=at,
                                                     problems=[[0, "file", message]], problem_count=1)
        return None
    SalesImport.objects.filter(pk=job.pk).update(
        status=SalesImport.Status.DONE, finished_at=at, rows_done=report.rows, stored=report.stored,
        duplicates=report.duplicates, problems=report.problems, problem_count=report.problem_count)
    return report


def run_waiting_imports(*, at):
    """The sweep: run imports still queued a couple of minutes after the upload (their job was lost)."""
    waiting = SalesImport.objects.filter(status=SalesImport.Status.QUEUED, requested_at__lte=at - timedelta(minutes=2))
    return [run_import(import_id=pk, at=at) for pk in waiting.values_list("pk", flat=True)[:5]]
