"""Finance exports: requesting one, the job that writes its file once, and the sweep that finds lost jobs.

- `request_export(...)`: a finance person's choice → a queued `FinanceExport` (parameters, accounts, who,
  when) and, after the commit, a job on the "exports" queue.
- `write_export(*, export_id, at)`: the job. Claims the export by a conditional UPDATE (queued or failed,
  or running for longer than a job may run), counts the rows, streams them into a temporary file while
  hashing it, computes the totals, and only then moves the file into place and marks the export done —
  under the export's row lock, so a job that lost its claim never replaces a finished file. A done export
  is never written again; a killed job leaves no file under the export's name and simply runs again.
- `requeue_stale_exports(*, at)`: the every-minute sweep; runs exports whose job Redis lost.

Columns and their versions: docs/exports.md. Periods and restatements: periods.py.
"""

import functools
import logging
import time
from datetime import timedelta

import django_rq
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from redis.exceptions import RedisError

from attribution.exports import columns, files, liabilities, periods, rows
from attribution.exports.access import ExportRefused, check_finance_role
from attribution.exports.parameters import Parameters, period_bounds
from attribution.models import FinanceExport, Model
from campaigns.models import Campaign

__all__ = ["ExportRefused", "request_export", "requeue_stale_exports", "write_export"]

log = logging.getLogger(__name__)

JOB = "attribution.jobs.write_finance_export"
QUEUE = "exports"
QUEUED_GRACE = timedelta(minutes=1)
# One export per sweep, so the sweep fits the exports queue's job timeout like any export job.
SWEEP_LIMIT = 1
EXTENSIONS = {FinanceExport.Format.CSV: "csv", FinanceExport.Format.XLSX: "xlsx"}


def job_timeout():
    return timedelta(seconds=settings.RQ_QUEUES.get(QUEUE, {}).get("DEFAULT_TIMEOUT", 1800))


def stale_after():
    """A running export older than this lost its worker: rq stops a job at its timeout."""
    return job_timeout() + timedelta(minutes=1)


# --- requesting ---------------------------------------------------------------------------------------


def request_export(*, by, kind, file_format, accounts=(), starts_on=None, ends_on=None, timezone_name="UTC",
                   model=Model.LAST_TOUCH, campaigns=(), closed_period=None, at):
    """Queue an export and ask a worker for it after the commit; raises ExportRefused with the reason.

    `accounts` and `campaigns` are ids or objects. A restatement takes `closed_period` (its account, dates
    and zone are the period's); every other kind takes accounts and dates (both included) in UTC or the
    time zone of one of the accounts. A credits export may not overlap a closed period of its accounts.
    """
    kind, file_format = FinanceExport.Kind(kind), FinanceExport.Format(file_format)
    if model not in Model.values:
        raise ExportRefused(f"Choose one of the attribution models: {', '.join(Model.labels)}.")
    if kind == FinanceExport.Kind.RESTATEMENT:
        if closed_period is None:
            raise ExportRefused("A restatement is of a closed period: choose the period.")
        check_finance_role(by, [closed_period.account_id])
        parameters = periods.restatement_parameters(closed_period=closed_period, model=model)
    else:
        parameters = chosen_parameters(accounts=accounts, starts_on=starts_on, ends_on=ends_on,
                                       timezone_name=timezone_name, model=model, campaigns=campaigns)
        check_finance_role(by, parameters.accounts)
        if kind == FinanceExport.Kind.CREDITS:
            periods.refuse_if_closed(parameters)
    with transaction.atomic():
        export = FinanceExport.objects.create(kind=kind, file_format=file_format, parameters=parameters.as_json(),
                                              requested_by=by, requested_at=at)
        export.accounts.set(parameters.accounts)
        transaction.on_commit(lambda: enqueue_export(export.pk))
    return export


def chosen_parameters(*, accounts, starts_on, ends_on, timezone_name, model, campaigns):
    from accounts.models import BrandAccount

    account_ids = sorted({getattr(account, "pk", account) for account in accounts})
    if not account_ids:
        raise ExportRefused("Choose at least one account.")
    found = dict(BrandAccount.objects.filter(pk__in=account_ids).values_list("pk", "timezone"))
    if len(found) != len(account_ids):
        raise ExportRefused("One of the chosen accounts does not exist.")
    if starts_on is None or ends_on is None or ends_on < starts_on:
        raise ExportRefused("Choose the period's first and last dates, the last on or after the first.")
    if timezone_name != "UTC" and timezone_name not in found.values():
        raise ExportRefused("The period is in UTC or in the time zone of one of the chosen accounts.")
    campaign_ids = sorted({getattr(campaign, "pk", campaign) for campaign in campaigns})
    if campaign_ids:
        of_accounts = Campaign.objects.filter(Q(owner_account_id__in=account_ids) | Q(co_accounts__in=account_ids),
                                              pk__in=campaign_ids).values_list("pk", flat=True).distinct()
        if set(of_accounts) != set(campaign_ids):
            raise ExportRefused("Choose only campaigns that the chosen accounts run.")
    starts_at, ends_at = period_bounds(starts_on, ends_on, timezone_name)
    return Parameters(starts_on=starts_on, ends_on=ends_on, timezone=timezone_name, starts_at=starts_at,
                      ends_at=ends_at, accounts=tuple(account_ids), campaigns=tuple(campaign_ids), model=model)


def job_id(export_id):
    return f"finance-export-{export_id}"


def enqueue_export(export_id):
    """Ask a worker for the export; with Redis down the sweep runs it within a couple of minutes."""
    try:
        django_rq.get_queue(QUEUE, commit_mode="auto").enqueue(JOB, export_id, job_id=job_id(export_id))
    except RedisError as error:
        log.warning("Could not queue finance export %s (%s); the every-minute sweep will write it.", export_id, error)


# --- the job ------------------------------------------------------------------------------------------


def write_export(*, export_id, at):
    """Write the export's file once; returns the export when this call finished it, else None.

    Safe to run any number of times, concurrently too: a done export is left alone, a running one is
    left to its worker unless that worker is long gone.
    """
    claimed = (FinanceExport.objects.filter(pk=export_id)
               .filter(Q(status__in=[FinanceExport.Status.QUEUED, FinanceExport.Status.FAILED])
                       | Q(status=FinanceExport.Status.RUNNING, started_at__lt=at - stale_after()))
               .update(status=FinanceExport.Status.RUNNING, started_at=at, rows_written=0, rows_expected=None,
                       error=""))
    if not claimed:
        return None
    export = FinanceExport.objects.get(pk=export_id)
    started = time.monotonic()
    try:
        parameters = Parameters.of(export)
        if export.kind == FinanceExport.Kind.CREDITS:
            periods.refuse_if_closed(parameters)
        written = files.write_file(export_id=export.pk, content=content_of(export.kind, parameters),
                                   file_format=export.file_format, final_name=file_name(export, parameters),
                                   created=parameters.ends_at)
    except ExportRefused as refusal:
        fail(export_id, at=at, error=str(refusal))
        return None
    except Exception as error:
        fail(export_id, at=at, error=f"{type(error).__name__}: {error}")
        raise
    finished_at = at + timedelta(seconds=time.monotonic() - started)
    with transaction.atomic():
        mine = (FinanceExport.objects.select_for_update()
                .filter(pk=export_id, status=FinanceExport.Status.RUNNING, started_at=at).exists())
        if not mine:  # another worker took it over after this one looked dead: its file stands
            written.output.discard()
            return None
        written.output.move_into_place()
        FinanceExport.objects.filter(pk=export_id).update(
            status=FinanceExport.Status.DONE, finished_at=finished_at, rows_expected=written.expected,
            rows_written=written.rows,
            file_name=written.output.final_path.name, byte_size=written.output.size, sha256=written.sha256,
            totals=written.totals)
    export.refresh_from_db()
    return export


def fail(export_id, *, at, error):
    try:
        FinanceExport.objects.filter(pk=export_id, status=FinanceExport.Status.RUNNING, started_at=at).update(
            status=FinanceExport.Status.FAILED, error=error[:300])
    except Exception:  # the database may be what failed; the sweep finds the running export later
        log.exception("Could not mark finance export %s as failed", export_id)


def content_of(kind, parameters):
    if kind == FinanceExport.Kind.CREDITS:
        # The totals count the rows too: computed once, first, they are the expected row count.
        totals = functools.cache(lambda: rows.credit_totals(parameters))
        return files.Content(
            column_spec=columns.CREDIT_COLUMNS, lines=lambda: rows.credit_lines(parameters),
            count=lambda: sum(figures["rows"] for figures in totals().values()), totals=totals,
            copy_statement=lambda connection: rows.copy_sql(parameters, connection))
    if kind == FinanceExport.Kind.RESTATEMENT:
        restatement = periods.Restatement(parameters)
        return files.Content(column_spec=columns.RESTATEMENT_COLUMNS, lines=restatement.lines,
                             count=restatement.count, totals=restatement.totals)
    if kind == FinanceExport.Kind.REBATES:
        return files.Content(column_spec=columns.REBATE_COLUMNS, lines=lambda: liabilities.rebate_lines(parameters),
                             count=lambda: liabilities.rebate_count(parameters),
                             totals=lambda: liabilities.rebate_totals(parameters))
    return files.Content(column_spec=columns.PRIZE_COLUMNS, lines=lambda: liabilities.prize_lines(parameters),
                         count=lambda: liabilities.prize_count(parameters),
                         totals=lambda: liabilities.prize_totals(parameters))


def file_name(export, parameters):
    """e.g. credits-12-2026-11-01-2026-11-30.csv: the kind, the export's number and the period's dates."""
    return (f"{export.kind}-{export.pk}-{parameters.starts_on:%Y-%m-%d}-{parameters.ends_on:%Y-%m-%d}"
            f".{EXTENSIONS[export.file_format]}")


# --- the sweep ----------------------------------------------------------------------------------------


def requeue_stale_exports(*, at):
    """Every minute: write exports queued for over a minute (their job was lost, e.g. Redis was down) or
    running for longer than a job may run (the worker died), one per run; remove orphaned temporary files.

    Returns the ids of the exports this run finished.
    """
    stale = (FinanceExport.objects
             .filter(Q(status=FinanceExport.Status.QUEUED, requested_at__lte=at - QUEUED_GRACE)
                     | Q(status=FinanceExport.Status.RUNNING, started_at__lt=at - stale_after()))
             .order_by("requested_at").values_list("pk", flat=True)[:SWEEP_LIMIT])
    started, finished = time.monotonic(), []
    for export_id in list(stale):
        if write_export(export_id=export_id, at=at + timedelta(seconds=time.monotonic() - started)) is not None:
            finished.append(export_id)
    files.remove_orphans(older_than_seconds=stale_after().total_seconds())
    return finished
