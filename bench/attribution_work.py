"""The work bench/attribute.py measures, run inside Django (`manage.py shell`) against the bench's PostgreSQL.

- seed(): `sales` sales of one account and `touches_per_sale` touches of each buyer's visitor over the 30 days
  before the sale (a tenth of them referral clicks, one in twenty a bot), by INSERT … SELECT generate_series;
- ours(): crediting.recredit_sales() over every sale (all five models, or last touch only) from no credit;
- baseline(): one hand-written SQL statement computing last touch for every sale into a table.
"""

import datetime
import time

from django.db import connection
from django.utils import timezone

from accounts.models import BrandAccount
from attribution import crediting, sources
from attribution.models import Credit, Sale
from bench.seed import insert_series
from campaigns.models import Campaign, Touch

BASE = "timestamptz '2026-11-01 00:00:00+00'"


def seed(*, sales, touches_per_sale):
    account = BrandAccount.objects.create(name="Bench Shop", slug="bench-shop", currency="KRW")
    campaign = Campaign.objects.create(owner_account=account, name="Bench", slug="bench", status="live",
                                       starts_at=timezone.now() - datetime.timedelta(days=400),
                                       ends_at=timezone.now() + datetime.timedelta(days=30))
    source = sources.create_source(account=account, name="Shop", key="bench-shop", at=timezone.now())
    touches = sales * touches_per_sale
    insert_series(Touch, start=1, count=touches, expressions={
        "visitor_id": f"md5('v' || (i %% {sales}))::uuid", "campaign_id": str(campaign.pk),
        "account_id": str(account.pk), "kind": "CASE WHEN i %% 10 = 0 THEN 'referral_click' ELSE 'link_click' END",
        "is_bot": "(i %% 20 = 7)",
        "occurred_at": f"{BASE} - ((i * 7919) %% 2592000) * interval '1 second'",
    })
    insert_series(Sale, start=1, count=sales, expressions={
        "source_id": str(source.pk), "account_id": str(account.pk), "order_id": "'B-' || i", "event_id": "'e-' || i",
        "occurred_at": BASE, "currency": "'KRW'", "gross": "129000", "refunded": "0",
        "visitor_id": f"md5('v' || (i %% {sales}))::uuid", "lines": "'[]'::jsonb", "recorded_at": BASE,
    })
    return {"sales": Sale.objects.count(), "touches": Touch.objects.count()}


def ours(*, models):
    Credit.objects.all().delete()
    Sale.objects.update(credited_at=None)
    started = time.perf_counter()
    crediting.recredit_sales(sales=Sale.objects.all(), at=timezone.now(), models=models)
    return {"seconds": time.perf_counter() - started, "rows": Credit.objects.count()}


BASELINE = """
CREATE UNLOGGED TABLE bench_last_touch AS
SELECT DISTINCT ON (s.id) s.id AS sale_id, t.id AS touch_id, t.campaign_id, t.account_id, t.kind, t.reference,
       t.occurred_at AS touch_at, s.gross - s.refunded AS credited_net
FROM attribution_sale s
JOIN campaigns_touch t ON t.visitor_id = s.visitor_id AND NOT t.is_bot AND t.occurred_at <= s.occurred_at
JOIN campaigns_campaign c ON c.id = t.campaign_id
  AND t.occurred_at >= s.occurred_at - c.attribution_lookback_days * interval '1 day'
ORDER BY s.id, t.occurred_at DESC, t.id DESC
"""


def baseline():
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_last_touch")
        started = time.perf_counter()
        cursor.execute(BASELINE)
        seconds = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_last_touch")
        rows = cursor.fetchone()[0]
    return {"seconds": seconds, "rows": rows}
