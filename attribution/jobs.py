"""RQ entry points for attribution: thin, idempotent, safe to run twice; the sweeps find what Redis lost."""

from datetime import timedelta

from django.utils import timezone

from attribution import exports, imports, ingest, thanks


def apply_new_sales_events():
    """Apply the events waiting in the inbox (enqueued on commit by ingest.receive_event, one per burst)."""
    done = 0
    while applied := ingest.apply_waiting_events(at=timezone.now(), grace=timedelta(0)):
        done += applied
    return done


def apply_waiting_sales_events():
    """Every minute, from config/cron.py: apply inbox events no job applied (e.g. while Redis was down)."""
    return ingest.apply_waiting_events(at=timezone.now())


def run_sales_import(import_id):
    """Read an uploaded sales CSV (enqueued on commit by the admin's upload)."""
    return imports.run_import(import_id=import_id, at=timezone.now())


def run_waiting_sales_imports():
    """Every minute, from config/cron.py: start uploads whose job was lost."""
    return imports.run_waiting_imports(at=timezone.now())


def write_finance_export(export_id):
    """Write a requested finance export's file (enqueued on commit by exports.request_export)."""
    written = exports.write_export(export_id=export_id, at=timezone.now())
    return written.pk if written is not None else None


def write_stale_finance_exports():
    """Every minute, from config/cron.py: write exports whose job was lost or whose worker died."""
    return exports.requeue_stale_exports(at=timezone.now())


def send_thank_you_emails():
    """Every minute, from config/cron.py: thank new buyers and retry failed thank-you e-mails."""
    return str(thanks.send_due_thank_yous(at=timezone.now()))
