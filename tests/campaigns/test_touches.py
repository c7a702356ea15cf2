"""`record_touch()`: one INSERT that writes every field, credited only to accounts that run the campaign."""

import re
import uuid

import pytest
from django.db import connection, models
from django.db.models import NOT_PROVIDED
from django.test.utils import CaptureQueriesContext, isolate_apps

from accounts.models import BrandAccount
from campaigns.links import find_clickable_link
from campaigns.models import Touch
from campaigns.touches import TouchFacts, TouchRefused, record_touch
from common.inserts import insert_plan


def touch(campaign, account, **fields):
    record_touch(visitor_id=uuid.uuid4(), campaign=campaign, account=account, kind=Touch.Kind.LINK_CLICK,
                 facts=TouchFacts(), **fields)


def test_it_writes_every_touch_field_the_database_does_not_fill(live_campaign, main_account):
    with CaptureQueriesContext(connection) as queries:
        touch(live_campaign, main_account)
    [insert] = [query["sql"] for query in queries if query["sql"].startswith("INSERT")]
    written = set(re.findall(r'"(\w+)"', insert.split(" VALUES ")[0])) - {Touch._meta.db_table}
    needed = {field.column for field in Touch._meta.concrete_fields
              if not field.primary_key and field.db_default is NOT_PROVIDED and not getattr(field, "generated", False)}
    assert needed - written == set(), (
        "record_touch() leaves these Touch columns out of its INSERT: give the field a db_default, or a "
        "default record_touch() can fill")


@isolate_apps("campaigns")
def test_it_fills_fields_it_does_not_name_with_their_python_side_defaults():
    class Row(models.Model):
        name = models.CharField(max_length=10)
        colour = models.CharField(max_length=10, default="blue")
        size = models.IntegerField(db_default=3)
        made_at = models.DateTimeField(auto_now_add=True)

        class Meta:
            app_label = "campaigns"

        def __str__(self):
            return self.name

    statement, fields, defaulted = insert_plan(Row, "default", ("name",))
    assert [field.name for field in fields] == ["name"]
    assert [field.name for field in defaulted] == ["colour", "made_at"]
    assert '"colour"' in statement and '"made_at"' in statement
    assert '"size"' not in statement and '"id"' not in statement  # the database fills those


def test_the_owner_and_co_running_accounts_are_credited(live_campaign, main_account, deals_account):
    live_campaign.co_accounts.add(deals_account)
    touch(live_campaign, main_account)
    touch(live_campaign.pk, deals_account.pk)
    assert sorted(Touch.objects.values_list("account__slug", flat=True)) == ["alice-air", "bob-deals"]


def test_an_account_that_does_not_run_the_campaign_is_refused(live_campaign, deals_account):
    with pytest.raises(TouchRefused, match=f"Brand account {deals_account.pk} does not run campaign "
                                           f"{live_campaign.pk}.*co-running accounts"):
        touch(live_campaign, deals_account)
    assert not Touch.objects.exists()


def test_an_account_removed_from_the_co_running_accounts_is_refused(live_campaign, deals_account):
    live_campaign.co_accounts.add(deals_account)
    touch(live_campaign.pk, deals_account.pk)
    live_campaign.co_accounts.remove(deals_account)
    with pytest.raises(TouchRefused):
        touch(live_campaign.pk, deals_account.pk)
    assert Touch.objects.count() == 1


def test_the_check_costs_one_query_at_most(live_campaign, main_account, deals_account,
                                           django_assert_num_queries):
    live_campaign.co_accounts.add(deals_account)
    with django_assert_num_queries(1):  # the owner, on a loaded campaign: nothing but the INSERT
        touch(live_campaign, main_account)
    with django_assert_num_queries(2):  # ids only: one query to check
        touch(live_campaign.pk, deals_account.pk)
    with django_assert_num_queries(2):
        touch(live_campaign, deals_account)


def test_a_clicked_link_carries_its_check_so_a_click_costs_only_its_insert(link, django_assert_num_queries):
    clicked = find_clickable_link(link.code)
    with django_assert_num_queries(1):
        touch(clicked.campaign, clicked.account, link=clicked)


def test_a_clicked_links_check_does_not_vouch_for_other_accounts(link, deals_account):
    clicked = find_clickable_link(link.code)
    with pytest.raises(TouchRefused):
        touch(clicked.campaign, deals_account)
    other = BrandAccount.objects.create(name="Carol Care", slug="carol-care")
    with pytest.raises(TouchRefused):
        touch(clicked.campaign, other)


def test_a_link_of_another_campaign_or_account_is_refused(link, live_campaign, main_account, deals_account):
    """Later callers pass links too: a touch may not mix one campaign's link with another's credit."""
    from campaigns.touches import TouchRefused
    from tests.campaigns.conftest import make_campaign

    other = make_campaign(main_account, slug="other-one")
    with pytest.raises(TouchRefused, match="belongs to campaign"):
        record_touch(visitor_id=uuid.uuid4(), campaign=other, account=main_account, link=link,
                     kind=Touch.Kind.LINK_CLICK, facts=TouchFacts())
    live_campaign.co_accounts.add(deals_account)
    with pytest.raises(TouchRefused, match="belongs to campaign"):
        record_touch(visitor_id=uuid.uuid4(), campaign=live_campaign, account=deals_account, link=link,
                     kind=Touch.Kind.LINK_CLICK, facts=TouchFacts())
    assert not Touch.objects.exists()
