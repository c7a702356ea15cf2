"""Deliveries racing each other (PostgreSQL leg): one inbox row, one sale, every answer 2xx."""


import pytest
from django.test import Client
from django.utils import timezone

from attribution import ingest
from attribution.models import Credit, InboxEvent, Refund, Sale
from tests.attribution.conftest import VISITOR, paid, post_event, refunded, touch
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.postgres


def test_one_event_delivered_by_8_threads_at_once_is_stored_and_applied_once(shop, secret, running):
    touch(running, at=timezone.now() - timezone.timedelta(days=1))
    event = paid(visitor_id=str(VISITOR))

    def deliver_and_apply():
        response = post_event(Client(), event, secrets=[secret])
        ingest.apply_waiting_events(at=timezone.now() + ingest.SWEEP_GRACE)  # workers racing the sweep
        return response.status_code, response.json()["status"]

    results, errors = run_concurrently(deliver_and_apply, threads=8)
    assert errors == []
    assert {status for status, _ in results} == {200}
    assert sorted(word for _, word in results) == ["duplicate"] * 7 + ["stored"]
    assert InboxEvent.objects.count() == 1 and Sale.objects.count() == 1
    assert Credit.objects.filter(model="last_touch").count() == 1
    for _ in range(3):  # and a few more later
        assert post_event(Client(), event, secrets=[secret]).json()["status"] == "duplicate"
    assert InboxEvent.objects.count() == 1


def test_a_sale_and_its_refunds_racing_end_with_every_refund_counted(shop, secret):
    events = [paid(amount="100000"), *(refunded(event_id=f"r{n}", amount="10000") for n in range(6))]
    queue = list(events)

    def deliver_one():
        event = queue.pop()
        post_event(Client(), event, secrets=[secret])
        stored = InboxEvent.objects.get(event_id=event["id"])
        return ingest.apply_event(event_pk=stored.pk, at=timezone.now())

    _results, errors = run_concurrently(deliver_one, threads=len(events))
    assert errors == []
    assert Refund.objects.count() == 6
    assert Sale.objects.get().refunded == 60000
