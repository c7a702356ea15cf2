"""The admin's campaign calendar: status in words, the account filter, and isolation (without a browser)."""

import pytest
from django.urls import reverse

from accounts.memberships import add_member
from accounts.models import BrandAccount
from accounts.roles import Role
from campaigns.calendar import month_weeks, run_by
from campaigns.models import Campaign
from tests.campaigns.conftest import DAY, HOUR, NOW, make_campaign

Status = Campaign.Status
CALENDAR = reverse("admin:campaigns_campaign_calendar")
DECEMBER = {"month": "2026-12"}


@pytest.fixture
def outlet_account(alice):
    """A second account of alice's, so there is something for her filter to leave out."""
    account = BrandAccount.objects.create(name="Alice Outlet", slug="alice-outlet", timezone="Asia/Seoul",
                                          currency="KRW")
    add_member(account=account, user=alice, role=Role.MARKETER)
    return account


@pytest.fixture
def alices_sale(main_account):
    return make_campaign(main_account, slug="alice-sale", name="Alice Secret Sale", status=Status.LIVE,
                         starts_at=NOW - DAY, ends_at=NOW + 5 * DAY)


@pytest.fixture
def outlet_clearance(outlet_account):
    return make_campaign(outlet_account, slug="outlet-clearance", name="Outlet Clearance",
                         status=Status.SCHEDULED, starts_at=NOW + 2 * DAY, ends_at=NOW + 4 * DAY)


@pytest.fixture
def joint_fares(deals_account, main_account):
    """Owned by bob's account, co-run by alice's."""
    campaign = make_campaign(deals_account, slug="joint-fares", name="Joint Fares", status=Status.LIVE,
                             starts_at=NOW, ends_at=NOW + 3 * DAY)
    campaign.co_accounts.add(main_account)
    return campaign


def calendar(client, **params):
    response = client.get(CALENDAR, {**DECEMBER, **params})
    assert response.status_code == 200
    return response.content.decode()


def test_it_writes_each_campaigns_status_in_words(client, alice, alices_sale, outlet_clearance):
    client.force_login(alice)
    html = calendar(client)
    assert '<span class="status">Live</span>' in html
    assert '<span class="status">Scheduled</span>' in html


def test_it_narrows_to_the_campaigns_an_account_owns_or_co_runs(client, alice, main_account, alices_sale,
                                                                 outlet_clearance, joint_fares):
    client.force_login(alice)
    html = calendar(client, account=main_account.pk)
    assert "Alice Secret Sale" in html
    assert "Joint Fares" in html  # co-run by her main account
    assert "Outlet Clearance" not in html
    assert f'<option value="{main_account.pk}" selected>' in html


def test_it_lists_only_the_users_own_accounts_in_the_filter(client, alice, main_account, outlet_account,
                                                             deals_account, joint_fares):
    client.force_login(alice)
    html = calendar(client)
    assert f'<option value="{main_account.pk}">Alice Air</option>' in html
    assert f'<option value="{outlet_account.pk}">Alice Outlet</option>' in html
    assert f'value="{deals_account.pk}"' not in html  # a partner's account is not hers to filter by


def test_it_keeps_the_chosen_account_from_month_to_month(client, alice, main_account):
    client.force_login(alice)
    html = calendar(client, account=main_account.pk)
    assert f'href="?month=2026-11&amp;account={main_account.pk}"' in html
    assert f'href="?month=2027-01&amp;account={main_account.pk}"' in html
    assert 'href="?month=2027-01"' in calendar(client)  # nothing chosen, nothing carried


def test_bob_naming_alices_account_sees_nothing_of_hers(client, bob, main_account, alices_sale, deals_account):
    make_campaign(deals_account, slug="bob-flash", name="Bob Flash Fares", status=Status.LIVE,
                  starts_at=NOW, ends_at=NOW + DAY)
    client.force_login(bob)
    html = calendar(client, account=main_account.pk)
    assert "Alice Secret Sale" not in html
    assert "Alice Air" not in html
    assert "That account is not one of yours" in html
    assert "Bob Flash Fares" in html  # ignored: the calendar shows bob's own accounts


def test_bob_sees_a_campaign_he_co_runs_when_naming_his_own_account(client, bob, deals_account, alices_sale):
    alices_sale.co_accounts.add(deals_account)
    client.force_login(bob)
    assert "Alice Secret Sale" in calendar(client, account=deals_account.pk)


@pytest.mark.parametrize("account", ["999999", "abc", "-1", "1.5", " "])
def test_it_ignores_an_unknown_account_with_a_message(client, alice, alices_sale, account):
    client.force_login(alice)
    html = calendar(client, account=account)
    assert "That account is not one of yours" in html
    assert "Alice Secret Sale" in html


def test_charlie_gets_no_calendar_whatever_account_he_names(client, charlie, main_account, alices_sale):
    client.force_login(charlie)
    response = client.get(CALENDAR, {**DECEMBER, "account": main_account.pk})
    assert response.status_code == 403
    assert b"Alice Secret Sale" not in response.content


def test_a_superuser_may_filter_by_any_account(client, superuser, deals_account, alices_sale, joint_fares):
    client.force_login(superuser)
    html = calendar(client, account=deals_account.pk)
    assert "Joint Fares" in html
    assert "Alice Secret Sale" not in html
    assert "not one of yours" not in html


def test_it_says_when_the_chosen_account_runs_nothing_this_month(client, alice, outlet_account, alices_sale):
    client.force_login(alice)
    assert "No campaigns of Alice Outlet run this month." in calendar(client, account=outlet_account.pk)


def test_run_by_lists_a_campaign_co_run_by_several_accounts_once(main_account, outlet_account, deals_account):
    campaign = make_campaign(deals_account, slug="shared", starts_at=NOW, ends_at=NOW + DAY)
    campaign.co_accounts.add(main_account, outlet_account)
    make_campaign(deals_account, slug="not-shared", starts_at=NOW, ends_at=NOW + DAY)
    assert list(run_by(Campaign.objects.all(), account=main_account)) == [campaign]
    assert run_by(Campaign.objects.all(), account=deals_account).count() == 2


def test_month_weeks_places_a_campaign_on_its_local_days(main_account):
    # 2026-12-01 03:00 UTC is noon in Seoul; ending at local midnight means it ran through the 2nd.
    campaign = make_campaign(main_account, slug="two-days", starts_at=NOW, ends_at=NOW + DAY + 12 * HOUR)
    days = {day.date.day: day.campaigns for week in month_weeks(campaigns=[campaign], year=2026, month=12)
            for day in week if day.in_month}
    assert days[1] == [campaign] and days[2] == [campaign]
    assert days[3] == []


def test_the_admin_home_links_the_calendar(client, alice):
    client.force_login(alice)
    assert f'href="{CALENDAR}"' in client.get(reverse("admin:index")).content.decode()


def test_the_admin_home_has_no_calendar_link_for_charlie(client, charlie):
    client.force_login(charlie)
    assert CALENDAR not in client.get(reverse("admin:index")).content.decode()
