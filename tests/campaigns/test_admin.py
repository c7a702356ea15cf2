"""The campaign admin: isolation of every page, the schedule form, actions and the calendar."""

import datetime

import pytest
from django.urls import reverse

from accounts.memberships import add_member
from accounts.roles import Role
from campaigns.models import Campaign, CampaignEvent, Touch, TrackingLink
from campaigns.rollups import tally_new_touches
from campaigns.status import change_status
from campaigns.touches import TouchFacts, record_touch
from tests.campaigns.conftest import DAY, NOW, make_campaign
from tests.conftest import make_user

Status = Campaign.Status


def url(name, *args):
    return reverse(f"admin:campaigns_campaign_{name}", args=args)


@pytest.fixture
def alices_campaign(main_account):
    campaign = make_campaign(main_account, slug="alice-sale", name="Alice Secret Sale",
                             starts_at=NOW + DAY, ends_at=NOW + 5 * DAY)
    TrackingLink.objects.create(campaign=campaign, account=main_account, destination_url="/c/alice-sale/")
    return campaign


@pytest.fixture
def bobs_campaign(deals_account):
    return make_campaign(deals_account, slug="bob-flash", name="Bob Flash Fares", starts_at=NOW, ends_at=NOW + DAY)


def form_data(account, **overrides):
    data = {
        "owner_account": account.pk, "name": "Winter fares", "slug": "winter-fares",
        "starts_local": "2026-12-10 10:00", "ends_local": "2026-12-20 23:59",
        "headline": "Winter fares", "body": "", "hero_alt": "", "utm_source": "", "utm_medium": "social",
        "utm_campaign": "", "baseline_days": "28", "attribution_lookback_days": "30",
        "links-TOTAL_FORMS": "0", "links-INITIAL_FORMS": "0",
        "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


# --- isolation -------------------------------------------------------------------------------


def test_the_changelist_shows_only_campaigns_of_the_users_accounts(client, alice, alices_campaign, bobs_campaign):
    client.force_login(alice)
    html = client.get(url("changelist")).content.decode()
    assert "Alice Secret Sale" in html
    assert "Bob Flash Fares" not in html
    assert "Bob Deals" not in html  # not even as a filter choice


@pytest.mark.parametrize("page", ["change", "delete", "history"])
def test_bob_cannot_open_alices_campaign_pages(client, bob, alices_campaign, page):
    client.force_login(bob)
    response = client.get(url(page, alices_campaign.pk))
    assert response.status_code in (302, 403, 404)
    assert b"Alice Secret Sale" not in response.content


def test_charlie_sees_no_campaigns_and_no_calendar(client, charlie, alices_campaign):
    client.force_login(charlie)
    assert client.get(url("changelist")).status_code == 403
    assert client.get(url("calendar")).status_code == 403


def test_a_co_running_accounts_staff_may_look_but_not_edit(client, bob, alices_campaign, deals_account):
    alices_campaign.co_accounts.add(deals_account)
    client.force_login(bob)
    response = client.get(url("change", alices_campaign.pk))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    response = client.post(url("change", alices_campaign.pk), form_data(alices_campaign.owner_account,
                                                                         name="Bob was here"))
    assert response.status_code == 403
    alices_campaign.refresh_from_db()
    assert alices_campaign.name == "Alice Secret Sale"


def test_bob_cannot_create_a_campaign_for_alices_account(client, bob, main_account):
    client.force_login(bob)
    response = client.post(url("add"), form_data(main_account))
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not Campaign.objects.exists()


def test_actions_do_not_touch_other_accounts_campaigns(client, alice, bobs_campaign):
    client.force_login(alice)
    client.post(url("changelist"), {"action": "schedule", "_selected_action": [bobs_campaign.pk]})
    client.post(url("changelist"), {"action": "duplicate", "_selected_action": [bobs_campaign.pk]})
    bobs_campaign.refresh_from_db()
    assert bobs_campaign.status == Status.DRAFT
    assert Campaign.objects.count() == 1


def test_analysts_cannot_run_actions(client, main_account, alices_campaign):
    jun = make_user("jun@example.org")
    add_member(account=main_account, user=jun, role=Role.ANALYST)
    client.force_login(jun)
    client.post(url("changelist"), {"action": "schedule", "_selected_action": [alices_campaign.pk]})
    alices_campaign.refresh_from_db()
    assert alices_campaign.status == Status.DRAFT


def test_the_calendar_lists_only_the_users_campaigns(client, alice, alices_campaign, bobs_campaign):
    client.force_login(alice)
    response = client.get(url("calendar"), {"month": "2026-12"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Alice Secret Sale" in html
    assert "Bob Flash Fares" not in html


# --- the form ---------------------------------------------------------------------------------


def test_a_marketer_creates_a_campaign_in_local_time(client, alice, main_account):
    client.force_login(alice)
    response = client.post(url("add"), form_data(main_account))
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign = Campaign.objects.get()
    # Seoul is UTC+9 all year.
    assert campaign.starts_at == datetime.datetime(2026, 12, 10, 1, 0, tzinfo=datetime.UTC)
    assert campaign.ends_at == datetime.datetime(2026, 12, 20, 14, 59, tzinfo=datetime.UTC)
    assert campaign.created_by == alice and campaign.status == Status.DRAFT


def test_the_form_refuses_a_local_time_skipped_by_daylight_saving(client, alice, main_account):
    main_account.timezone = "America/New_York"
    main_account.save()
    client.force_login(alice)
    response = client.post(url("add"), form_data(main_account, starts_local="2026-03-08 02:30",
                                                  ends_local="2026-03-20 10:00"))
    assert response.status_code == 200
    assert b"does not exist in America/New_York" in response.content
    assert not Campaign.objects.exists()


def test_the_form_refuses_an_end_before_the_start(client, alice, main_account):
    client.force_login(alice)
    response = client.post(url("add"), form_data(main_account, ends_local="2026-12-01 10:00"))
    assert b"The end must come after the start" in response.content
    assert not Campaign.objects.exists()


def test_links_can_only_be_made_for_accounts_running_the_campaign(client, alice, alices_campaign, deals_account):
    client.force_login(alice)
    data = form_data(alices_campaign.owner_account, slug="alice-sale", name="Alice Secret Sale",
                     **{"links-TOTAL_FORMS": "1", "links-0-account": deals_account.pk, "links-0-platform": "other",
                        "links-0-channel": "post",
                        "links-0-label": "x", "links-0-destination_url": "/c/alice-sale/", "links-0-active": "on"})
    response = client.post(url("change", alices_campaign.pk), data)
    assert b"Select a valid choice" in response.content  # only running accounts are offered
    assert alices_campaign.links.count() == 1


def test_an_unsafe_destination_is_refused_with_a_reason(client, alice, alices_campaign, main_account):
    client.force_login(alice)
    data = form_data(main_account, slug="alice-sale", name="Alice Secret Sale",
                     **{"links-TOTAL_FORMS": "1", "links-0-account": main_account.pk, "links-0-platform": "other",
                        "links-0-channel": "post",
                        "links-0-label": "evil", "links-0-destination_url": "//evil.example/",
                        "links-0-active": "on"})
    response = client.post(url("change", alices_campaign.pk), data)
    assert b"must start with a single /" in response.content
    assert not alices_campaign.links.filter(label="evil").exists()


# --- actions and columns -----------------------------------------------------------------------


def test_actions_go_through_the_status_machine_and_report(client, alice, alices_campaign, main_account):
    undated = make_campaign(main_account, slug="undated", name="Undated")
    client.force_login(alice)
    response = client.post(url("changelist"), {"action": "schedule",
                                               "_selected_action": [alices_campaign.pk, undated.pk]}, follow=True)
    html = response.content.decode()
    assert "Scheduled 1 campaign." in html
    assert "needs a start and an end" in html
    assert CampaignEvent.objects.get().actor == alice


def test_duplicate_makes_a_draft_with_new_link_codes(client, alice, alices_campaign):
    client.force_login(alice)
    client.post(url("changelist"), {"action": "duplicate", "_selected_action": [alices_campaign.pk]})
    copy = Campaign.objects.get(slug="alice-sale-copy")
    assert copy.status == Status.DRAFT and copy.name == "Copy of Alice Secret Sale"
    assert copy.links.count() == 1
    assert copy.links.get().code != alices_campaign.links.get().code


def test_the_changelist_counts_with_a_fixed_number_of_queries(client, alice, main_account,
                                                             django_assert_max_num_queries):
    for number in range(15):
        campaign = make_campaign(main_account, slug=f"c{number}", starts_at=NOW, ends_at=NOW + DAY)
        link = TrackingLink.objects.create(campaign=campaign, account=main_account, destination_url="/")
        record_touch(visitor_id="00000000-0000-0000-0000-000000000001", campaign=campaign, account=main_account,
                     link=link, kind=Touch.Kind.LINK_CLICK, facts=TouchFacts())
    client.force_login(alice)
    with django_assert_max_num_queries(12):
        response = client.get(url("changelist"))
    assert response.status_code == 200


def test_live_campaigns_cannot_be_deleted(client, alice, main_account):
    campaign = make_campaign(main_account, slug="running", status=Status.LIVE, starts_at=NOW, ends_at=NOW + DAY)
    client.force_login(alice)
    response = client.get(url("delete", campaign.pk), follow=True)
    assert "is live: campaigns that have run are kept for attribution" in response.content.decode()
    assert "Archive it instead" in response.content.decode()
    client.post(url("delete", campaign.pk), {"post": "yes"})
    assert Campaign.objects.filter(pk=campaign.pk).exists()


def test_the_change_page_breaks_touches_down_by_link_with_bots_apart(client, alice, alices_campaign, main_account):
    link = alices_campaign.links.get()
    for is_bot in (False, False, True):
        record_touch(visitor_id="00000000-0000-0000-0000-000000000002", campaign=alices_campaign,
                     account=main_account, link=link, kind=Touch.Kind.LINK_CLICK, facts=TouchFacts(is_bot=is_bot))
    tally_new_touches(safety_lag=datetime.timedelta(0))
    client.force_login(alice)
    html = client.get(url("change", alices_campaign.pk)).content.decode()
    # One visitor (people), two visits (clicks), one bot apart.
    assert "<td>Alice Air</td><td>other</td><td>post</td><td>—</td><td>1</td><td>2</td><td>1</td>" in html


def test_a_scheduled_campaign_with_touches_cannot_be_deleted(client, alice, alices_campaign, main_account):
    change_status(campaign=alices_campaign, to=Status.SCHEDULED, at=NOW)
    record_touch(visitor_id="00000000-0000-0000-0000-000000000003", campaign=alices_campaign, account=main_account,
                 kind=Touch.Kind.LINK_CLICK, facts=TouchFacts())
    client.force_login(alice)
    response = client.post(url("delete", alices_campaign.pk), {"post": "yes"}, follow=True)
    assert "has recorded touches that sales may be credited to" in response.content.decode()
    assert Campaign.objects.filter(pk=alices_campaign.pk).exists()


@pytest.mark.parametrize("month", ["0001-01", "abc", "2026-13", "2026", "99999-01", "2026-01-01"])
def test_a_bad_calendar_month_explains_the_format(client, alice, month):
    client.force_login(alice)
    response = client.get(url("calendar"), {"month": month}, follow=True)
    assert response.status_code == 200
    assert b"Pick the month as YYYY-MM" in response.content


@pytest.mark.parametrize("starts", ["0001-01-01 00:00", "9999-12-31 23:59"])
def test_dates_far_outside_any_campaign_are_refused_clearly(client, alice, main_account, starts):
    client.force_login(alice)
    response = client.post(url("add"), form_data(main_account, starts_local=starts))
    assert response.status_code == 200
    assert b"between the years 2000 and 2100" in response.content
    assert not Campaign.objects.exists()


def test_a_duplicate_link_is_refused_by_the_form_not_the_database(client, alice, alices_campaign, main_account):
    client.force_login(alice)
    existing = alices_campaign.links.get()
    data = form_data(main_account, slug="alice-sale", name="Alice Secret Sale", **{
        "links-TOTAL_FORMS": "2", "links-INITIAL_FORMS": "1",
        "links-0-id": existing.pk, "links-0-campaign": alices_campaign.pk, "links-0-account": main_account.pk,
        "links-0-platform": "other",
                        "links-0-channel": "post", "links-0-label": "", "links-0-destination_url": "/c/alice-sale/",
        "links-0-active": "on",
        "links-1-campaign": alices_campaign.pk, "links-1-account": main_account.pk,
        "links-1-platform": "other", "links-1-channel": "post",
        "links-1-label": "", "links-1-destination_url": "/c/other/", "links-1-active": "on",
    })
    response = client.post(url("change", alices_campaign.pk), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please correct the duplicate data" in html or "give the new one another label" in html
    assert alices_campaign.links.count() == 1


def touch_on(campaign, account, **facts):
    record_touch(visitor_id="00000000-0000-0000-0000-000000000004", campaign=campaign, account=account,
                 kind=Touch.Kind.LINK_CLICK, facts=TouchFacts(**facts))


def test_touches_are_listed_only_for_the_users_campaigns_and_never_editable(
        client, alice, bob, alices_campaign, bobs_campaign, main_account, deals_account):
    touch_on(alices_campaign, main_account, utm={"utm_source": "alice-post"})
    touch_on(bobs_campaign, deals_account, utm={"utm_source": "bob-post"})
    changelist = reverse("admin:campaigns_touch_changelist")
    client.force_login(alice)
    html = client.get(changelist).content.decode()
    assert "alice-post" in html and "bob-post" not in html
    assert "Bob Flash Fares" not in html  # not even in the campaign filter
    bobs_touch = Touch.objects.get(utm_source="bob-post")
    response = client.get(reverse("admin:campaigns_touch_change", args=[bobs_touch.pk]))
    assert response.status_code in (302, 403, 404) and b"bob-post" not in response.content
    alices_touch = Touch.objects.get(utm_source="alice-post")
    response = client.post(reverse("admin:campaigns_touch_change", args=[alices_touch.pk]), {"utm_source": "x"})
    assert response.status_code == 403
    assert client.get(reverse("admin:campaigns_touch_add")).status_code == 403
    client.force_login(bob)
    html = client.get(changelist).content.decode()
    assert "bob-post" in html and "alice-post" not in html


def test_co_running_accounts_see_the_campaigns_touches(client, bob, alices_campaign, main_account, deals_account):
    alices_campaign.co_accounts.add(deals_account)
    touch_on(alices_campaign, main_account, utm={"utm_source": "alice-post"})
    client.force_login(bob)
    assert "alice-post" in client.get(reverse("admin:campaigns_touch_changelist")).content.decode()
    touch = Touch.objects.get()
    assert client.get(reverse("admin:campaigns_touch_change", args=[touch.pk])).status_code == 200
