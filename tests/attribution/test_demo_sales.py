"""The demo's sales: a baseline and the campaign window, so lift and an export mean something out of the box."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from attribution.demo import CAMPAIGN_SLUG, load_sales_demo
from attribution.lift import campaign_lift
from attribution.models import Credit, InboxEvent, Sale
from campaigns.models import Campaign


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_demo_sales_show_lift_reconcile_and_load_once(db):
    call_command("demo", stdout=io.StringIO())
    campaign = Campaign.objects.get(slug=CAMPAIGN_SLUG)
    assert Sale.objects.filter(occurred_at__lt=campaign.starts_at).count() > 50  # a baseline
    assert Sale.objects.filter(occurred_at__gte=campaign.starts_at).count() > 200  # the window
    assert not InboxEvent.objects.filter(applied_at__isnull=True).exists()
    lift = campaign_lift(campaign=campaign, at=timezone.now())
    krw = next(total for total in lift.totals if total.currency == "KRW")
    assert krw.orders.ratio > 1 and krw.revenue.difference > 0
    assert {total.currency for total in lift.totals} == {"KRW", "USD"}
    giveaway_days = [day for day in lift.days if day.date.day == 10 and day.currency == "KRW"]
    assert giveaway_days and all(day.orders >= 4 * day.expected_orders for day in giveaway_days)
    for model in ("last_touch", "first_touch", "linear", "position", "time_decay"):
        credited = Credit.objects.filter(model=model)
        for currency in ("KRW", "USD"):
            sales = Sale.objects.filter(currency=currency, credits__model=model).distinct()
            net = sum((sale.gross - sale.refunded for sale in sales), Decimal(0))
            total = credited.filter(sale__currency=currency).aggregate(total=Sum("credited_net"))["total"]
            assert (total or 0) == net and net > 0
    before = Sale.objects.count()
    assert load_sales_demo() == {"created": False}
    assert Sale.objects.count() == before
