"""The "Sales lift and credit" part of the campaign page: figures, who sees whose, cost, and saving.

The page reads the real clock, so the campaign here is one whole Seoul day a week ago (FIRST, whatever
its weekday) and its baseline the 28 days before it.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import attribution.admin.lift  # noqa: F401 - registers the part on the campaign page (until admin/__init__ does)
from attribution.models import Model
from tests.attribution.test_lift import SEOUL, baseline_before, credit, one_day_campaign, sale, sales, seoul
from tests.campaigns.conftest import campaign_page_post, change_url

FIRST = timezone.now().astimezone(SEOUL).date() - datetime.timedelta(days=7)
BASELINE = baseline_before(FIRST)


@pytest.fixture
def campaign(main_account):
    """alice's one-day campaign on FIRST: 7 orders of 100,000 KRW against an ordinary such weekday's 1."""
    campaign = one_day_campaign(main_account, first=FIRST, slug="jeju-day", name="Jeju Day")
    for baseline_day in BASELINE:
        if baseline_day.weekday() == FIRST.weekday():
            sale(main_account, at=seoul(baseline_day), gross="100000")
    for row in sales(main_account, 7, at=seoul(FIRST, 10), gross="100000"):
        credit(row, campaign)
    return campaign


@pytest.fixture
def co_run(campaign, deals_account):
    """bob's deals account co-runs alice's campaign and sold 3 tickets of 4,444 JPY that day."""
    campaign.co_accounts.add(deals_account)
    for row in sales(deals_account, 3, at=seoul(FIRST, 11), gross="4444", currency="JPY",
                     email="bobs-customer@example.com"):
        credit(row, campaign)
    return campaign


def page_of(client, user, campaign):
    client.force_login(user)
    response = client.get(change_url(campaign))
    assert response.status_code == 200
    return re.sub(r">\s+<", "><", response.content.decode())  # no white space between tags


def test_alice_sees_the_lift_chart_breakdown_and_credit(client, alice, campaign):
    page = page_of(client, alice, campaign)
    assert "Sales lift and credit" in page
    assert '<svg class="entries-chart lift-chart"' in page and 'role="img"' in page
    assert "Net revenue per day in KRW: the campaign against an ordinary day</title>" in page
    assert "7.0× an ordinary day" in page
    assert "<td>700,000 KRW</td><td>100,000 KRW</td><td>+600,000 KRW</td>" in page
    assert '<th scope="row" rowspan="2">Alice Air</th>' in page
    assert "<th scope=\"row\">Last touch</th><td>KRW</td><td>7</td><td>700,000 KRW</td>" in page
    assert f"{BASELINE[0].isoformat()} – {BASELINE[-1].isoformat()}" in page


def test_the_page_shows_aggregates_only(client, alice, campaign):
    page = page_of(client, alice, campaign)
    assert "mina@example.com" not in page
    assert "A-1" not in page and "evt_paid_" not in page


def test_a_co_running_marketer_sees_only_their_own_accounts_figures(client, bob, co_run):
    page = page_of(client, bob, co_run)
    assert "Sales lift and credit" in page
    assert "Figures of Bob Deals only" in page
    assert "13,332 JPY" in page  # bob's three orders
    assert "KRW" not in page.split("Sales lift and credit", 1)[1]  # alice's sales: no figure, no total
    assert "700,000" not in page and "100,000" not in page
    assert '<th scope="row" rowspan="2">Alice Air</th>' not in page


def test_alice_does_not_see_the_co_running_accounts_sales(client, alice, co_run):
    panel = page_of(client, alice, co_run).split("Sales lift and credit", 1)[1]
    assert "700,000 KRW" in panel
    assert "JPY" not in panel and "13,332" not in panel


def test_a_superuser_sees_every_running_account(client, superuser, co_run):
    panel = page_of(client, superuser, co_run).split("Sales lift and credit", 1)[1]
    assert "700,000 KRW" in panel and "13,332 JPY" in panel
    assert "Figures of every account running the campaign." in panel


def test_outsiders_get_no_campaign_page_at_all(client, bob, charlie, campaign):
    for user in (bob, charlie):  # bob's account does not run this campaign; charlie is in no account
        client.force_login(user)
        response = client.get(change_url(campaign))
        assert response.status_code in (302, 403, 404)
        assert b"700,000" not in response.content and b"Sales lift" not in response.content


def test_the_add_page_has_no_lift_part(client, alice):
    client.force_login(alice)
    response = client.get("/admin/campaigns/campaign/add/")
    assert response.status_code == 200
    assert b"Sales lift and credit" not in response.content


def test_the_page_costs_the_same_queries_whatever_the_sales(client, alice, co_run, main_account, deals_account,
                                                          django_assert_max_num_queries):
    client.force_login(alice)
    client.get(change_url(co_run))  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        assert client.get(change_url(co_run)).status_code == 200
    assert not any('"campaigns_touch"' in query["sql"] for query in few.captured_queries)
    for offset in range(40):
        instant = seoul(BASELINE[0]) + datetime.timedelta(days=offset, hours=offset % 5)
        for row in (sale(main_account, at=instant, currency="USD", gross="10.00"),
                    sale(deals_account, at=instant, gross="300", currency="JPY")):
            credit(row, co_run, model=Model.LINEAR, share="0.5")
    with django_assert_max_num_queries(len(few)):
        assert client.get(change_url(co_run)).status_code == 200


def test_saving_the_campaign_form_still_works_with_the_part_on_the_page(client, alice, campaign):
    client.force_login(alice)
    assert b"Sales lift and credit" in client.get(change_url(campaign)).content
    response = client.post(change_url(campaign), campaign_page_post(campaign, headline="Still saves"))
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign.refresh_from_db()
    assert campaign.headline == "Still saves"
    assert campaign.credits.count() == 7  # the part posts nothing and changes nothing


def test_a_campaign_without_dates_says_lift_starts_with_it(client, alice, main_account):
    from tests.campaigns.conftest import make_campaign

    draft = make_campaign(main_account, slug="someday")
    page = page_of(client, alice, draft)
    assert "no start date yet" in page
    assert "No sales have been credited to this campaign yet." in page


def test_the_revenue_figures_match_the_lift_maths(client, alice, campaign):
    from attribution.lift import campaign_lift

    lift = campaign_lift(campaign=campaign, at=campaign.ends_at + datetime.timedelta(days=1))
    assert lift.totals[0].revenue.actual == Decimal("700000")
    assert "+6.0" in page_of(client, alice, campaign)  # orders: 7 against 1.0
