"""`POST /api/v1/sales/`: the signed sales webhook (contract: docs/sales-api.yaml).

Checks run cheapest first and every refusal is a JSON body {"error": code, "message": words,
"problems": [...]} with its own status. Nothing is written for a refusal except, once the source is
known, a rejected-delivery row its developers can read in the admin (an unknown sender writes nothing,
so a flood of junk costs no rows). A 200 means the event is stored in the inbox; applying it is a job.
"""

import json
import time

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from attribution import events, ingest, signatures, sources
from attribution.models import InboxEvent, RejectedDelivery
from common.recent import RecentCache

MAX_BODY_BYTES = 256 * 1024
REJECTS_LOGGED_PER_MINUTE = 60
recent_rejects = RecentCache(max_entries=1000)


def refusal(status, code, message, problems=()):
    body = {"error": code, "message": message}
    if problems:
        body["problems"] = [{"field": field, "message": text} for field, text in problems]
    return JsonResponse(body, status=status)


def log_rejection(*, source, status, code, message, body, event_id=""):
    """One row a source's developers can read; at most REJECTS_LOGGED_PER_MINUTE per source and web process,
    so someone who knows a key but not its secret cannot fill the table."""
    minute = int(time.time() // 60)
    logged = recent_rejects.get((source.pk, minute)) or 0
    if logged >= REJECTS_LOGGED_PER_MINUTE:
        return
    recent_rejects.put((source.pk, minute), logged + 1, seconds=60)
    RejectedDelivery.objects.create(source=source, received_at=timezone.now(), status_code=status, error=code,
                                    detail=message[:300], event_id=str(event_id)[:128],
                                    body_excerpt=body[:500].decode("utf-8", "replace"))


def read_body(request):
    """The raw body, or None when it is larger than the cap (read at most one byte past it)."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = request.read(MAX_BODY_BYTES + 1)
    return None if len(body) > MAX_BODY_BYTES else body


@csrf_exempt  # signed by the shop's secret instead: a browser can never forge it
@require_POST
def receive_sales_event(request):
    body = read_body(request)
    if body is None:
        return refusal(413, "body_too_large", f"The body is larger than {MAX_BODY_BYTES // 1024} KB; send one "
                                              "event per request and at most 200 lines.")
    if request.content_type != "application/json":
        return refusal(415, "unsupported_media_type", "Send the event as Content-Type: application/json.")
    header = request.headers.get(signatures.HEADER, "")
    try:
        signatures.parse(header)
    except signatures.SignatureProblem as problem:
        return refusal(problem.status, problem.code, problem.message)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        return refusal(400, "malformed_json", f"The body is not valid JSON: {error}")
    key = data.get("source") if isinstance(data, dict) else None
    if not isinstance(key, str) or not key:
        return refusal(400, "missing_source", 'Name the sales source in the body: "source": "<its key>".')
    now = timezone.now()
    source, secrets = sources.source_for_webhook(key[:40], now)
    if source is None or not secrets:
        return refusal(401, "unknown_source", "No sales source has this key (or it has no current secret); "
                                              "check the key on the source's admin page.")
    event_id = data.get("id", "")
    try:
        signatures.verify(value=header, body=body, secrets=secrets, now=time.time())
    except signatures.SignatureProblem as problem:
        log_rejection(source=source, status=problem.status, code=problem.code, message=problem.message,
                      body=body, event_id=event_id)
        return refusal(problem.status, problem.code, problem.message)
    if not source.active or not source.account.active:
        message = "This sales source is switched off in Chorus; switch it on or stop sending to it."
        log_rejection(source=source, status=403, code="source_inactive", message=message, body=body, event_id=event_id)
        return refusal(403, "source_inactive", message)
    try:
        facts = events.read_event(data, now=now)
    except events.EventProblems as problems:
        message = "The event has problems; fix them and send it again."
        log_rejection(source=source, status=400, code="invalid_event", message=str(problems), body=body,
                      event_id=event_id)
        return refusal(400, "invalid_event", message, problems.problems)
    receipt = ingest.receive_event(source=source, facts=facts, via=InboxEvent.Via.WEBHOOK, at=now)
    if receipt.conflict:
        message = (f"Event {facts['id']} was received before with different contents; an event id names one "
                   "event for good. Send a change as a new event with a new id.")
        log_rejection(source=source, status=409, code="event_id_reused", message=message, body=body,
                      event_id=event_id)
        return refusal(409, "event_id_reused", message)
    return JsonResponse({"status": "stored" if receipt.created else "duplicate", "event_id": facts["id"]})
