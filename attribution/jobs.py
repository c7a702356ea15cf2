"""RQ entry points for attribution: thin, idempotent, safe to run twice; the sweeps find what Redis lost."""

from django.utils import timezone

from attribution import ingest


def apply_sales_event(event_pk):
    """Apply one stored sales event (enqueued on commit by ingest.receive_event)."""
    return ingest.apply_event(event_pk=event_pk, at=timezone.now())


def apply_waiting_sales_events():
    """Every minute, from config/cron.py: apply inbox events no job applied (e.g. while Redis was down)."""
    return ingest.apply_waiting_events(at=timezone.now())
