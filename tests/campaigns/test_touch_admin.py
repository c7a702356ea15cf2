"""The touch list at scale: visibility by campaign ids, filters from campaigns and accounts, a default
period, a capped count, and a default order an index serves. Charlie sees nothing; Bob sees what his
account co-runs and nothing else of Alice's."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.admin import touches as touch_admin
from campaigns.models import Campaign, Touch
from campaigns.touches import TouchFacts, record_touch
from tests.campaigns.conftest import DAY, NOW, make_campaign

CHANGELIST = reverse("admin:campaigns_touch_changelist")
PLURAL = Touch._meta.verbose_name_plural


def touch(campaign, source, *, account=None, ago=datetime.timedelta(hours=1), bot=False):
    record_touch(visitor_id=uuid.uuid4(), campaign=campaign, account=account or campaign.owner_account,
                 kind=Touch.Kind.LINK_CLICK, facts=TouchFacts(utm={"utm_source": source}, is_bot=bot),
                 at=timezone.now() - ago)


@pytest.fixture
def co_run(main_account, deals_account):
    """Alice's campaign that Bob's deals account co-runs."""
    campaign = make_campaign(main_account, slug="co-run", name="Co-run Fares", status=Campaign.Status.LIVE,
                             starts_at=NOW - DAY, ends_at=NOW + DAY)
    campaign.co_accounts.add(deals_account)
    return campaign


@pytest.fixture
def alice_only(main_account):
    return make_campaign(main_account, slug="alice-only", name="Alice Secret Sale")


@pytest.fixture
def bob_only(deals_account):
    return make_campaign(deals_account, slug="bob-only", name="Bob Flash Fares")


@pytest.fixture
def touches(co_run, alice_only, bob_only, deals_account):
    touch(co_run, "co-run-by-alice")
    touch(co_run, "co-run-by-bob", account=deals_account)
    touch(alice_only, "alice-secret")
    touch(bob_only, "bob-flash")


def listed(client, **params):
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_a_co_running_marketer_that_campaigns_touches_and_nothing_else(client, bob, alice_only, touches):
    client.force_login(bob)
    html = listed(client)
    assert "co-run-by-alice" in html and "co-run-by-bob" in html and "bob-flash" in html
    assert "alice-secret" not in html
    assert "Alice Secret Sale" not in html  # not even as a filter choice
    assert "alice-secret" not in listed(client, campaign=alice_only.pk)  # nor by naming its id
    secret = Touch.objects.get(utm_source="alice-secret")
    response = client.get(reverse("admin:campaigns_touch_change", args=[secret.pk]))
    assert response.status_code in (302, 403, 404) and b"alice-secret" not in response.content


def test_it_shows_alice_her_campaigns_touches_but_not_bobs_own(client, alice, touches):
    client.force_login(alice)
    html = listed(client)
    assert "co-run-by-alice" in html and "co-run-by-bob" in html and "alice-secret" in html
    assert "bob-flash" not in html and "Bob Flash Fares" not in html


def test_it_refuses_a_staff_member_of_nothing(client, charlie, touches):
    client.force_login(charlie)
    assert client.get(CHANGELIST).status_code == 403


def test_it_filters_by_campaign_and_account_from_their_own_tables(client, bob, co_run, deals_account, touches):
    client.force_login(bob)
    html = listed(client, campaign=co_run.pk, account=deals_account.pk)
    assert "co-run-by-bob" in html
    assert "co-run-by-alice" not in html and "bob-flash" not in html


def test_it_shows_the_last_seven_days_unless_asked_and_says_so(client, superuser, co_run):
    touch(co_run, "yesterday", ago=DAY)
    touch(co_run, "last-month", ago=20 * DAY)
    client.force_login(superuser)
    html = listed(client)
    assert "yesterday" in html and "last-month" not in html
    assert "Touches of the last 7 days" in html
    html = listed(client, when="30d")
    assert "yesterday" in html and "last-month" in html
    assert "Touches of the last 7 days" not in html
    assert "last-month" in listed(client, when="all")


def test_it_says_more_than_the_cap_instead_of_counting_everything(client, superuser, co_run, monkeypatch):
    monkeypatch.setattr(touch_admin, "COUNT_CAP", 3)
    monkeypatch.setattr(touch_admin.TouchAdmin, "list_per_page", 2)
    for number in range(5):
        touch(co_run, f"click-{number}")
    client.force_login(superuser)
    html = listed(client)
    assert f"more than 3 {PLURAL}" in html
    assert html.count("click-") == 2
    assert "?p=2" in html and "?p=3" not in html  # pages stop at the cap; narrower filters show the rest


def test_it_counts_exactly_below_the_cap(client, superuser, co_run):
    for number in range(2):
        touch(co_run, f"click-{number}")
    client.force_login(superuser)
    assert f"2 {PLURAL}" in listed(client)


def test_no_query_of_the_page_counts_or_deduplicates_all_touches(client, bob, touches):
    client.force_login(bob)
    with CaptureQueriesContext(connection) as queries:
        html = listed(client, _facets="True")
    touch_table = connection.ops.quote_name(Touch._meta.db_table)
    on_touches = [query["sql"] for query in queries if f"FROM {touch_table}" in query["sql"]]
    assert on_touches, "the page should list touches"
    counts = [sql for sql in on_touches if "COUNT(" in sql]
    assert counts and all("LIMIT" in sql for sql in counts), counts  # facet counts stay off too
    assert not [sql for sql in on_touches if "DISTINCT" in sql]
    assert "co-run-by-bob" in html


def test_the_default_order_is_read_from_an_index(superuser, rf, touches):
    """EXPLAIN of the page's query: the newest-first index, no sort of the matching touches."""
    from django.contrib import admin

    request = rf.get(CHANGELIST)
    request.user = superuser
    model_admin = admin.site._registry[Touch]
    page = model_admin.get_queryset(request).filter(occurred_at__gte=timezone.now() - 7 * DAY)[:100]
    sql, params = page.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # With a few rows any plan is cheap: rule out the full reads so the planner shows its index choice.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "campaigns_touch_newest" in plan and "Sort" not in plan, plan
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            assert "campaigns_touch_newest" in plan and "TEMP B-TREE" not in plan, plan
