"""The signed sales webhook: the signature vectors, bad input (each its own 4xx, nothing written), repeats."""

import json
import time

import pytest
from django.utils import timezone

from attribution import signatures, sources
from attribution.models import InboxEvent, RejectedDelivery, Sale
from tests.attribution.conftest import paid, post_event, refunded

pytestmark = pytest.mark.django_db


def nothing_stored():
    return not InboxEvent.objects.exists() and not Sale.objects.exists()


def test_a_valid_signature_stores_the_event_and_a_worker_applies_it(client, shop, secret):
    response = post_event(client, paid(), secrets=[secret])
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "stored", "event_id": "evt_paid_A-1001"}
    event = InboxEvent.objects.get()
    assert (event.kind, event.order_id, event.via) == ("order.paid", "A-1001", "webhook")
    from attribution import ingest
    ingest.apply_event(event_pk=event.pk, at=timezone.now())
    sale = Sale.objects.get()
    assert (sale.gross, sale.currency, sale.email, sale.account_id) == (129000, "KRW", "mina@example.com",
                                                                        shop.account_id)


def test_during_a_rotation_old_and_new_secrets_both_work(client, shop, secret):
    new = sources.rotate_secret(source=shop, at=timezone.now()).secret
    assert post_event(client, paid("A-1"), secrets=[secret]).status_code == 200  # the shop has not switched yet
    assert post_event(client, paid("A-2"), secrets=[new]).status_code == 200  # it has
    assert post_event(client, paid("A-3"), secrets=[secret, new]).status_code == 200  # it signs with both
    assert InboxEvent.objects.count() == 3


def test_after_the_overlap_the_old_secret_is_refused(client, shop, secret):
    new = sources.rotate_secret(source=shop, overlap=timezone.timedelta(0), at=timezone.now()).secret
    sources.recent_sources.clear()
    response = post_event(client, paid(), secrets=[secret])
    assert response.status_code == 401 and response.json()["error"] == "signature_mismatch"
    assert post_event(client, paid(), secrets=[new]).status_code == 200


def test_rotating_twice_during_an_overlap_leaves_two_valid_secrets(shop, secret):
    now = timezone.now()
    sources.rotate_secret(source=shop, at=now)
    sources.rotate_secret(source=shop, at=now)
    assert len(sources.valid_secrets(shop, now + timezone.timedelta(seconds=1))) == 2
    assert secret not in sources.valid_secrets(shop, now + timezone.timedelta(seconds=1))


def test_one_flipped_byte_is_refused_and_logged_without_a_sale(client, shop, secret):
    body = json.dumps(paid()).encode()
    header = signatures.header_value([secret], time.time(), body)
    flipped = body.replace(b"129000", b"129001")
    response = post_event(client, None, secrets=[secret], body=flipped, header=header)
    assert response.status_code == 401 and response.json()["error"] == "signature_mismatch"
    assert nothing_stored()
    rejected = RejectedDelivery.objects.get()
    assert (rejected.source, rejected.status_code, rejected.event_id) == (shop, 401, "evt_paid_A-1001")


def test_re_serialised_json_is_refused(client, shop, secret):
    event = paid()
    signed = json.dumps(event).encode()
    header = signatures.header_value([secret], time.time(), signed)
    pretty = json.dumps(event, indent=2).encode()  # the same data, other bytes
    assert post_event(client, None, secrets=[secret], body=pretty, header=header).status_code == 401
    assert nothing_stored()


def test_a_wrong_secret_is_refused(client, shop):
    assert post_event(client, paid(), secrets=["whsec_not-the-one"]).status_code == 401
    assert nothing_stored()


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_stale_or_future_timestamp_is_refused(client, shop, secret, offset):
    response = post_event(client, paid(), secrets=[secret], timestamp=time.time() + offset)
    assert response.status_code == 401 and response.json()["error"] == "timestamp_out_of_tolerance"
    assert nothing_stored()


@pytest.mark.parametrize("offset", [-290, 290])
def test_a_timestamp_within_five_minutes_is_accepted(client, shop, secret, offset):
    assert post_event(client, paid(), secrets=[secret], timestamp=time.time() + offset).status_code == 200


@pytest.mark.parametrize("header, code", [
    ("", "missing_signature"),
    ("v1=abc", "malformed_signature"),
    ("t=12345", "malformed_signature"),
    ("t=now,v1=" + "0" * 64, "malformed_signature"),
])
def test_a_missing_or_garbled_header_is_a_400(client, shop, secret, header, code):
    response = post_event(client, paid(), secrets=[secret], header=header)
    assert response.status_code == 400 and response.json()["error"] == code
    assert nothing_stored()


def test_a_3_mb_body_is_refused_before_it_is_read(client, shop, secret):
    body = json.dumps({**paid(), "padding": "x" * 3_000_000}).encode()
    response = post_event(client, None, secrets=[secret], body=body)
    assert response.status_code == 413 and response.json()["error"] == "body_too_large"
    assert nothing_stored() and not RejectedDelivery.objects.exists()


def test_a_replayed_event_is_acknowledged_once_stored(client, shop, secret):
    event = paid()
    first = post_event(client, event, secrets=[secret])
    again = post_event(client, event, secrets=[secret])
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["status"] == "duplicate"
    assert InboxEvent.objects.count() == 1


def test_an_event_id_reused_for_other_contents_is_a_409(client, shop, secret):
    event = paid(amount="1000")
    post_event(client, event, secrets=[secret])
    response = post_event(client, {**event, "amount": "2000"}, secrets=[secret])
    assert response.status_code == 409 and response.json()["error"] == "event_id_reused"
    assert InboxEvent.objects.get().facts["amount"] == "1000"


def test_malformed_json_is_a_400(client, shop, secret):
    response = post_event(client, None, secrets=[secret], body=b'{"id": "evt_1", ')
    assert response.status_code == 400 and response.json()["error"] == "malformed_json"


def test_an_unknown_source_is_a_401_that_writes_nothing(client, shop, secret):
    response = post_event(client, paid(source="someone-else"), secrets=[secret])
    assert response.status_code == 401 and response.json()["error"] == "unknown_source"
    assert nothing_stored() and not RejectedDelivery.objects.exists()


def test_a_switched_off_source_is_a_403(client, shop, secret):
    shop.active = False
    shop.save()
    sources.recent_sources.clear()
    response = post_event(client, paid(), secrets=[secret])
    assert response.status_code == 403 and response.json()["error"] == "source_inactive"
    assert nothing_stored()


def test_other_content_types_are_a_415(client, shop, secret):
    response = client.post("/api/v1/sales/", paid(), headers={"Chorus-Signature": "t=1,v1=" + "0" * 64})
    assert response.status_code == 415


def test_get_is_not_allowed(client):
    assert client.get("/api/v1/sales/").status_code == 405


@pytest.mark.parametrize("change, field, words", [
    ({"amount": 129000.5}, "amount", "not a number"),
    ({"amount": 129000}, "amount", "not a number"),
    ({"amount": "-5"}, "amount", "more than zero"),
    ({"amount": "0"}, "amount", "more than zero"),
    ({"amount": "1e40"}, "amount", "larger than"),
    ({"amount": "12.5"}, "amount", "more decimal places than KRW"),
    ({"amount": "lots"}, "amount", "not a decimal number"),
    ({"currency": "XYZ"}, "currency", "ISO 4217"),
    ({"currency": None}, "currency", "ISO 4217"),
    ({"id": ""}, "id", "required"),
    ({"order_id": None}, "order_id", "required"),
    ({"type": "order.created"}, "type", "order.paid"),
    ({"occurred_at": "2026-12-01T10:00:00"}, "occurred_at", "no time zone"),
    ({"occurred_at": "yesterday"}, "occurred_at", "ISO 8601"),
    ({"occurred_at": "2099-01-01T00:00:00Z"}, "occurred_at", "future"),
    ({"customer_email": "not-an-address"}, "customer_email", "not an e-mail"),
    ({"visitor_id": "abc"}, "visitor_id", "UUID"),
    ({"lines": [{"sku": "X", "quantity": 0, "amount": "1"}]}, "lines[0].quantity", "whole number"),
    ({"lines": "X"}, "lines", "list"),
])
def test_each_bad_field_gets_a_400_that_names_it_and_writes_no_sale(client, shop, secret, change, field, words):
    response = post_event(client, {**paid(), **change}, secrets=[secret])
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "invalid_event"
    assert any(problem["field"] == field and words in problem["message"] for problem in body["problems"]), body
    assert nothing_stored()
    assert RejectedDelivery.objects.get().error == "invalid_event"


def test_amounts_keep_the_currencys_minor_unit(client, shop, secret):
    assert post_event(client, paid(amount="12.5", currency="USD"), secrets=[secret]).status_code == 200
    assert InboxEvent.objects.get().facts["amount"] == "12.50"


def test_a_refund_event_needs_only_its_amount_and_order(client, shop, secret):
    response = post_event(client, refunded(event_id="evt_r1", amount="1000"), secrets=[secret])
    assert response.status_code == 200
    assert InboxEvent.objects.get().kind == "order.refunded"


def test_a_flood_of_bad_signatures_logs_a_bounded_number_of_rows(client, shop, monkeypatch):
    from attribution.views import webhook

    webhook.recent_rejects.clear()
    monkeypatch.setattr(webhook, "REJECTS_LOGGED_PER_MINUTE", 5)
    answers = {post_event(client, paid(), secrets=["whsec_wrong"]).status_code for _ in range(12)}
    assert answers == {401}
    assert RejectedDelivery.objects.count() <= 10  # 5 per minute: a minute may turn during the loop
    webhook.recent_rejects.clear()
