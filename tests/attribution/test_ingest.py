"""Applying sales events: one sale per order, append-only refunds in any order, promotions told, the sweep."""

import uuid
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attribution import ingest, sources
from attribution.models import Credit, InboxEvent, Refund, Sale
from promotions.models import Entry, GroupMember, Mission
from tests.attribution.conftest import DAY, HOUR, NOW, VISITOR, deliver, paid, refunded, touch
from tests.promotions.conftest import make_giveaway, make_mission, make_offer, make_person

pytestmark = pytest.mark.django_db


def test_a_paid_event_records_one_sale_however_often_it_arrives(shop):
    event = paid(at=NOW - HOUR)
    for _ in range(3):
        deliver(shop, event)
    sale = Sale.objects.get()
    assert (sale.order_id, sale.gross, sale.refunded, sale.status) == ("A-1001", D("129000"), 0, "paid")
    assert InboxEvent.objects.get().applied_at == NOW


def test_a_second_paid_event_for_the_same_order_changes_nothing(shop):
    deliver(shop, paid(at=NOW - HOUR))
    same = deliver(shop, paid(at=NOW - HOUR, event_id="evt_retry"))
    other = deliver(shop, paid(amount="5000", at=NOW - HOUR, event_id="evt_other"))
    assert Sale.objects.get().gross == D("129000")
    assert same.event.__class__.objects.get(pk=same.event.pk).outcome.startswith("Sale already recorded")
    assert InboxEvent.objects.get(pk=other.event.pk).outcome.startswith("Conflict")


def test_partial_refunds_add_up_and_are_capped_at_the_gross(shop):
    deliver(shop, paid(amount="100000", at=NOW - HOUR))
    deliver(shop, refunded(event_id="r1", amount="30000", at=NOW - HOUR / 2))
    assert Sale.objects.get().status == "partially_refunded"
    deliver(shop, refunded(event_id="r1", amount="30000", at=NOW - HOUR / 2))  # the same refund again
    assert Sale.objects.get().refunded == D("30000")
    deliver(shop, refunded(event_id="r2", amount="90000", at=NOW))
    sale = Sale.objects.get()
    assert (sale.refunded, sale.status, sale.net) == (D("100000"), "refunded", 0)
    assert Refund.objects.count() == 2  # both kept as sent: append-only


def test_a_refund_that_arrives_before_its_sale_counts_when_the_sale_does(shop):
    outcome = deliver(shop, refunded(event_id="r1", amount="29000", at=NOW))
    assert "has not arrived yet" in InboxEvent.objects.get(pk=outcome.event.pk).outcome
    deliver(shop, paid(at=NOW - HOUR))
    assert Sale.objects.get().refunded == D("29000")


def test_a_refund_in_another_currency_is_kept_but_not_counted(shop):
    deliver(shop, paid(at=NOW - HOUR))
    outcome = deliver(shop, refunded(event_id="r1", amount="10", currency="USD", at=NOW))
    assert "not counted" in InboxEvent.objects.get(pk=outcome.event.pk).outcome
    assert Sale.objects.get().refunded == 0


def test_refunds_are_append_only(shop):
    deliver(shop, refunded(event_id="r1", amount="10", at=NOW))
    refund = Refund.objects.get()
    with pytest.raises(ValueError, match="append-only"):
        refund.save()
    with pytest.raises(ValueError, match="never deleted"):
        refund.delete()


def test_the_sweep_applies_what_no_job_applied(shop):
    from attribution import events
    facts = events.read_event(paid(at=NOW - HOUR), now=NOW)
    ingest.receive_event(source=shop, facts=facts, via=InboxEvent.Via.WEBHOOK, at=NOW)  # its job never ran
    assert not Sale.objects.exists()
    assert ingest.apply_waiting_events(at=NOW + ingest.SWEEP_GRACE / 2) == 0  # still fresh: its job may come
    assert ingest.apply_waiting_events(at=NOW + ingest.SWEEP_GRACE) == 1
    assert Sale.objects.count() == 1
    assert ingest.apply_waiting_events(at=NOW + DAY) == 0


def test_a_sale_is_credited_and_completes_the_purchase_missions_of_credited_campaigns(shop, running):
    giveaway = make_giveaway(running)
    make_mission(giveaway, Mission.Kind.SECRET_CODE)
    purchase = make_mission(giveaway, Mission.Kind.PURCHASE)
    make_person("mina@example.com")
    touch(running, at=NOW - 2 * DAY)
    deliver(shop, paid(at=NOW - HOUR, visitor_id=str(VISITOR)))
    sale = Sale.objects.get()
    assert Credit.objects.filter(sale=sale, model="last_touch").get().campaign == running
    assert Entry.objects.filter(mission=purchase, participant__identity="mina@example.com").count() == 1
    assert sale.promotions_told_at == NOW


def test_a_sale_through_a_share_code_joins_the_referral_group_and_its_credit_names_the_group(shop, running):
    offer = make_offer(running, currency="KRW", base_price="200000")
    founder = make_person("founder@example.com")
    from promotions import referrals
    group = referrals.start_group(offer=offer, item=offer.items.get(), participant=founder, at=NOW - 12 * HOUR)
    touch(running, at=NOW - 6 * HOUR, kind="referral_click", reference=referrals.touch_reference(group))
    deliver(shop, paid(amount="200000", at=NOW - HOUR, visitor_id=str(VISITOR), referral_code=group.code,
                       lines=[{"sku": "JEJU-RT", "quantity": 1, "amount": "200000"}]))
    member = GroupMember.objects.get(order_reference="A-1001")
    assert (member.source, member.generation) == ("alice-web-shop", 1)
    credit = Credit.objects.get(model="last_touch")
    assert (credit.referral_group_id, credit.generation, credit.touch_kind) == (group.pk, 1, "referral_click")
    deliver(shop, refunded(event_id="r1", amount="200000", at=NOW))
    member.refresh_from_db()
    assert member.refunded == D("200000")


# --- any order, any repeats: the same end state ---

STREAM = [("paid", 1, "100.00"), ("paid", 2, "50.00"), ("refund", 1, "r1", "30.00"), ("refund", 1, "r2", "80.00"),
          ("refund", 2, "r3", "10.00"), ("refund", 3, "r4", "5.00")]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(STREAM), repeats=st.lists(st.sampled_from(STREAM), max_size=4))
def test_events_in_any_order_and_repeated_give_the_same_end_state(main_account, running, order, repeats):
    key = f"shop-{uuid.uuid4().hex[:8]}"
    source = sources.create_source(account=main_account, name=key, key=key, at=NOW)
    touch(running, at=NOW - 3 * DAY, visitor=uuid.uuid5(VISITOR, key))
    touch(running, at=NOW - 2 * DAY, visitor=uuid.uuid5(VISITOR, key))
    for event in [*order, *repeats]:
        if event[0] == "paid":
            deliver(source, paid(f"{key}-{event[1]}", amount=event[2], currency="USD", at=NOW - HOUR, source=key,
                                 visitor_id=str(uuid.uuid5(VISITOR, key))))
        else:
            deliver(source, refunded(f"{key}-{event[1]}", event_id=f"{key}-{event[2]}", amount=event[3],
                                     currency="USD", at=NOW, source=key))
    sales = {sale.order_id: sale for sale in Sale.objects.filter(source=source)}
    assert sorted(sales) == [f"{key}-1", f"{key}-2"]
    assert (sales[f"{key}-1"].refunded, sales[f"{key}-2"].refunded) == (D("100.00"), D("10.00"))
    credits = Credit.objects.filter(sale__source=source)
    for model in ("last_touch", "first_touch", "linear", "position", "time_decay"):
        assert sum(c.credited_net for c in credits if c.model == model) == D("40.00")
    assert Refund.objects.filter(source=source).count() == 4
    assert InboxEvent.objects.filter(source=source, applied_at__isnull=True).count() == 0


@pytest.fixture
def redis_down(monkeypatch):
    """The ingest's queue pointed at a port where nothing listens: a real connection refused."""
    import socket

    import django_rq
    import redis
    from rq import Queue

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = Queue("default", connection=redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.2))
    monkeypatch.setattr(django_rq, "get_queue", lambda *args, **kwargs: dead)
    monkeypatch.setattr(ingest, "enqueue_paused_until", 0.0)
    monkeypatch.setattr(ingest, "apply_requested_at", -ingest.APPLY_REQUEST_SECONDS)
    monkeypatch.setattr(ingest, "APPLY_REQUEST_SECONDS", 0)  # every event tries: only the outage pause holds back
    yield
    ingest.enqueue_paused_until = 0.0


def test_while_redis_is_down_every_event_is_acknowledged_and_the_sweep_applies_them_later(client, shop, secret,
                                                                                          redis_down, caplog,
                                                                                          django_capture_on_commit_callbacks):
    from django.utils import timezone

    from tests.attribution.conftest import post_event

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        answers = [post_event(client, paid(f"B-{n}", amount="1000"), secrets=[secret]).status_code
                   for n in range(200)]
    assert len(callbacks) == 200  # each tried to enqueue its job
    assert answers == [200] * 200
    assert InboxEvent.objects.count() == 200 and not Sale.objects.exists()
    assert caplog.text.count("the every-minute sweep applies them") == 1  # then it leaves Redis alone a while
    assert ingest.apply_waiting_events(at=timezone.now() + ingest.SWEEP_GRACE) == 200  # Redis is back: the sweep
    assert Sale.objects.count() == 200


def test_a_burst_of_events_asks_for_one_job_that_applies_them_all(client, shop, secret, monkeypatch,
                                                                 django_capture_on_commit_callbacks):
    import django_rq

    from attribution import jobs
    from tests.attribution.conftest import post_event

    monkeypatch.setattr(ingest, "apply_requested_at", -ingest.APPLY_REQUEST_SECONDS)
    queue = django_rq.get_queue("default")
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(20):
            post_event(client, paid(f"J-{n}", amount="1000"), secrets=[secret])
    assert [job.func_name for job in queue.get_jobs()] == ["attribution.jobs.apply_new_sales_events"]
    assert jobs.apply_new_sales_events() == 20
    assert Sale.objects.count() == 20
