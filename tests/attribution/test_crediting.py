"""Which touches a sale is credited to, what each model gives them, refunds reversing credit, recomputes."""

import uuid
from decimal import Decimal as D

import pytest

from attribution import crediting
from attribution.models import Credit, Sale
from campaigns.models import Campaign
from tests.attribution.conftest import DAY, HOUR, NOW, VISITOR, deliver, paid, refunded, touch
from tests.campaigns.conftest import make_campaign
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def credits(model):
    return [(credit.touch_id, credit.credited_net) for credit in Credit.objects.filter(model=model)
            .order_by("touch_at", "touch_id")]


@pytest.fixture
def journey(shop, running, main_account):
    """Three touches of one visitor — 10 days, 3 days and 1 hour before a USD 100.00 sale — on two campaigns."""
    other = make_campaign(main_account, slug="spring", status=Campaign.Status.LIVE, starts_at=NOW - 30 * DAY,
                          ends_at=NOW + DAY)
    touches = [touch(running, at=NOW - 10 * DAY), touch(other, at=NOW - 3 * DAY), touch(running, at=NOW - HOUR)]
    deliver(shop, paid(amount="100.00", currency="USD", at=NOW, visitor_id=str(VISITOR)))
    return touches


def test_every_model_is_stored_with_hand_checked_figures(journey):
    first, middle, last = (t.pk for t in journey)
    assert credits("last_touch") == [(last, D("100.00"))]
    assert credits("first_touch") == [(first, D("100.00"))]
    assert credits("linear") == [(first, D("33.33")), (middle, D("33.33")), (last, D("33.34"))]
    assert credits("position") == [(first, D("40.00")), (middle, D("20.00")), (last, D("40.00"))]
    assert credits("time_decay") == [(first, D("17.60")), (middle, D("35.21")), (last, D("47.19"))]
    credit = Credit.objects.get(model="first_touch")
    assert (credit.campaign.slug, credit.account.slug, credit.touch_kind, credit.share) == (
        "winter-sale", "alice-air", "link_click", D("1"))


def test_a_refund_reverses_every_models_credit_in_proportion(journey, shop):
    deliver(shop, refunded(event_id="r1", amount="25.00", currency="USD", at=NOW + HOUR), at=NOW + HOUR)
    assert [net for _, net in credits("position")] == [D("30.00"), D("15.00"), D("30.00")]
    assert sum(net for _, net in credits("time_decay")) == D("75.00")
    assert Credit.objects.get(model="last_touch").credited_gross == D("100.00")


def test_a_recompute_that_agrees_writes_nothing(journey, django_assert_max_num_queries):
    sale = Sale.objects.get()
    before = list(Credit.objects.order_by("pk").values())
    with django_assert_max_num_queries(8):  # lock, touches, groups, credits read: no write
        outcome = crediting.credit_sale(sale_id=sale.pk, at=NOW + DAY)
    assert not outcome.changed
    assert list(Credit.objects.order_by("pk").values()) == before


def test_a_recompute_repairs_a_credit_someone_changed(journey):
    sale = Sale.objects.get()
    Credit.objects.filter(model="linear").update(credited_net=D("1.00"))
    Credit.objects.filter(model="last_touch").delete()
    outcome = crediting.credit_sale(sale_id=sale.pk, at=NOW + DAY)
    assert (outcome.created, outcome.updated, outcome.deleted) == (1, 3, 0)
    assert sum(net for _, net in credits("linear")) == D("100.00")


def test_touches_outside_the_lookback_after_the_sale_of_bots_or_of_others_earn_nothing(shop, running):
    touch(running, at=NOW - 31 * DAY)  # older than the campaign's 30 days
    touch(running, at=NOW - DAY, is_bot=True)
    touch(running, at=NOW - DAY, visitor=uuid.uuid4())  # someone else
    touch(running, at=NOW + HOUR)  # after the sale
    kept = touch(running, at=NOW - 29 * DAY)
    deliver(shop, paid(amount="100.00", currency="USD", at=NOW, visitor_id=str(VISITOR)))
    assert credits("linear") == [(kept.pk, D("100.00"))]


def test_a_campaign_may_look_back_further(shop, running):
    running.attribution_lookback_days = 45
    running.save()
    old = touch(running, at=NOW - 40 * DAY)
    deliver(shop, paid(amount="100.00", currency="USD", at=NOW, visitor_id=str(VISITOR)))
    assert credits("first_touch") == [(old.pk, D("100.00"))]


def test_the_buyers_signed_in_touches_count_without_the_visitor_cookie(shop, running):
    mina = make_user("Mina@Example.com")
    on_phone = touch(running, at=NOW - DAY, visitor=uuid.uuid4(), user=mina)
    deliver(shop, paid(amount="100.00", currency="USD", at=NOW, customer_email="mina@example.com"))
    assert credits("last_touch") == [(on_phone.pk, D("100.00"))]


def test_a_sale_with_no_touches_has_no_credit_but_is_marked_credited(shop):
    deliver(shop, paid(amount="100.00", currency="USD", at=NOW))
    assert not Credit.objects.exists()
    assert Sale.objects.get().credited_at == NOW


def test_the_recredit_command_changes_only_what_differs(journey, running):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("recredit_sales", stdout=out)
    assert "1 sales checked; 0 credit rows added, changed or removed." in out.getvalue()
    running.attribution_lookback_days = 5  # the 10-day-old touch no longer counts
    running.save()
    call_command("recredit_sales", "--since", "2026-11-01", stdout=out)
    assert "1 sales checked; 11 credit rows added, changed or removed." in out.getvalue()
    assert Credit.objects.filter(model="first_touch").get().touch_at == NOW - 3 * DAY


def test_a_batch_costs_the_same_queries_for_one_sale_or_fifty(shop, running, django_assert_max_num_queries):
    for number in range(50):
        visitor = uuid.uuid5(VISITOR, str(number))
        touch(running, at=NOW - DAY, visitor=visitor)
        touch(running, at=NOW - HOUR, visitor=visitor)
        deliver(shop, paid(f"Q-{number}", amount="100.00", currency="USD", at=NOW, visitor_id=str(visitor)))
    Credit.objects.all().delete()
    with django_assert_max_num_queries(16):  # not one per sale: 50 sales, 400 rows
        outcome = crediting.credit_sales(sale_ids=Sale.objects.values_list("pk", flat=True), at=NOW)
    assert outcome.created == 50 * (1 + 1 + 2 + 2 + 2)
    assert sum(c.credited_net for c in Credit.objects.filter(model="time_decay")) == D("5000.00")
