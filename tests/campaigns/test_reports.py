"""Figures for the admin: the same words in every report, read from the rollups and never from the touches."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Campaign, Touch, TrackingLink
from campaigns.reports import tallied_until, touch_totals, touches_by_link
from campaigns.rollups import tally_new_touches
from campaigns.touches import TouchFacts, record_touch
from tests.campaigns.conftest import DAY, NOW, make_campaign


def touch(campaign, *, who, link=None, bot=False):
    record_touch(visitor_id=uuid.UUID(int=who), campaign=campaign, account=campaign.owner_account, link=link,
                 kind=Touch.Kind.LINK_CLICK, facts=TouchFacts(is_bot=bot), at=NOW)


def tally():
    tally_new_touches(at=NOW + DAY, safety_lag=datetime.timedelta(0))


@pytest.fixture
def sale(main_account):
    return make_campaign(main_account, slug="sale", status=Campaign.Status.LIVE, starts_at=NOW - DAY,
                         ends_at=NOW + DAY)


@pytest.fixture
def post(sale, main_account):
    return TrackingLink.objects.create(campaign=sale, account=main_account, platform="instagram", channel="post",
                                       label="launch")


def test_it_calls_distinct_visitors_people_and_rows_clicks(sale, post):
    for who, bot in ((1, False), (1, False), (1, False), (2, False), (7, True)):
        touch(sale, who=who, link=post, bot=bot)
    tally()
    assert touches_by_link(sale) == [{
        "account_id": sale.owner_account_id, "account__name": "Alice Air", "link_id": post.pk,
        "link__platform": "instagram", "link__channel": "post", "link__label": "launch", "link__code": post.code,
        "clicks": 4, "people": 2, "bots": 1,
    }]


def test_it_lists_the_busiest_link_first_and_touches_without_a_link_apart(sale, post, main_account):
    quiet = TrackingLink.objects.create(campaign=sale, account=main_account, channel="story", label="quiet")
    touch(sale, who=1, link=quiet)
    for who in (1, 2, 3):
        touch(sale, who=who, link=post)
    touch(sale, who=4)
    tally()
    assert [(row["link__label"], row["people"]) for row in touches_by_link(sale)] == [
        ("launch", 3), ("quiet", 1), (None, 1)]


def test_it_totals_the_campaigns_asked_for_in_one_query(sale, post, main_account):
    other = make_campaign(main_account, slug="other", status=Campaign.Status.LIVE, starts_at=NOW - DAY,
                          ends_at=NOW + DAY)
    quiet = make_campaign(main_account, slug="quiet")
    touch(sale, who=1, link=post)
    touch(sale, who=1)
    touch(other, who=1, bot=True)
    tally()
    with CaptureQueriesContext(connection) as queries:
        totals = touch_totals([sale.pk, quiet.pk])
    assert len(queries) == 1
    assert totals == {sale.pk: {"clicks": 2, "people": 1, "bots": 0}, quiet.pk: {"clicks": 0, "people": 0, "bots": 0}}


def test_it_says_up_to_when_the_figures_are_complete(sale, post):
    assert tallied_until() is None
    touch(sale, who=1, link=post)
    tally()
    assert tallied_until() == NOW + DAY


def test_it_never_reads_the_touch_table(sale, post):
    touch(sale, who=1, link=post)
    tally()
    with CaptureQueriesContext(connection) as queries:
        touches_by_link(sale)
        touch_totals([sale.pk])
        tallied_until()
    touch_table = connection.ops.quote_name(Touch._meta.db_table)
    assert not [query["sql"] for query in queries if touch_table in query["sql"]]


def test_figures_wait_for_the_tally(sale, post):
    touch(sale, who=1, link=post)
    assert touches_by_link(sale) == []
    assert touch_totals([sale.pk])[sale.pk]["clicks"] == 0
