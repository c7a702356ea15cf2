"""The campaign page as a marketer, an analyst and a co-running team use it: status buttons, local times,
read-only views that show real values, the links table with its copy button and QR codes."""

import pytest
from django.urls import reverse

from accounts.memberships import add_member
from accounts.roles import Role
from campaigns.models import Campaign, CampaignEvent, TrackingLink
from campaigns.status import StatusChangeRefused, change_status
from tests.campaigns.conftest import DAY, NOW, campaign_page_post, change_url, make_campaign
from tests.conftest import make_user

Status = Campaign.Status


@pytest.fixture
def live(main_account):
    return make_campaign(main_account, slug="live-sale", name="Live Sale", status=Status.LIVE,
                         starts_at=NOW - DAY, ends_at=NOW + 10 * DAY)


@pytest.fixture
def analyst(main_account):
    user = make_user("jun@example.org", name="Jun")
    add_member(account=main_account, user=user, role=Role.ANALYST)
    return user


# --- status ---------------------------------------------------------------------------------------


def test_the_page_offers_the_next_steps_of_the_status_machine(client, alice, live):
    client.force_login(alice)
    html = client.get(change_url(live)).content.decode()
    assert 'class="status-badge status-live">Live<' in html
    assert ">Pause</button>" in html and ">End now</button>" in html
    assert ">Archive</button>" not in html  # not allowed from live


def test_a_status_button_changes_the_status_through_the_machine(client, alice, live):
    client.force_login(alice)
    response = client.post(reverse("admin:campaigns_campaign_status", args=[live.pk]), {"to": "paused"},
                           follow=True)
    assert "“Live Sale” is now paused." in response.content.decode()
    live.refresh_from_db()
    assert live.status == Status.PAUSED
    assert CampaignEvent.objects.get().actor == alice
    html = client.get(change_url(live)).content.decode()
    assert ">Resume</button>" in html


def test_a_refused_step_says_why(client, alice, main_account):
    undated = make_campaign(main_account, slug="undated", name="Undated")
    client.force_login(alice)
    response = client.post(reverse("admin:campaigns_campaign_status", args=[undated.pk]), {"to": "scheduled"},
                           follow=True)
    assert "needs a start and an end" in response.content.decode()


def test_an_analyst_sees_the_status_but_no_buttons_and_is_told_why(client, analyst, live):
    client.force_login(analyst)
    html = client.get(change_url(live)).content.decode()
    assert "status-badge status-live" in html
    assert ">Pause</button>" not in html
    assert "its status is changed by Alice Air" in html
    response = client.post(reverse("admin:campaigns_campaign_status", args=[live.pk]), {"to": "paused"})
    assert response.status_code == 403


def test_nothing_to_change_is_said_only_when_it_is_true(client, alice, live):
    client.force_login(alice)
    response = client.post(reverse("admin:campaigns_campaign_changelist"),
                           {"action": "resume", "_selected_action": [live.pk]}, follow=True)
    assert "already in that state" in response.content.decode()


def test_refusals_name_times_in_the_owners_zone(main_account):
    campaign = make_campaign(main_account, slug="later", status=Status.SCHEDULED, starts_at=NOW + DAY,
                             ends_at=NOW + 5 * DAY)
    with pytest.raises(StatusChangeRefused, match=r"2026-12-02 12:00 Asia/Seoul time"):
        change_status(campaign=campaign, to=Status.LIVE, at=NOW)


# --- read-only viewers ---------------------------------------------------------------------------


def test_an_analyst_sees_the_schedule_in_local_time_not_empty_form_fields(client, analyst, live):
    client.force_login(analyst)
    html = client.get(change_url(live)).content.decode()
    assert "2026-11-30 12:00 Asia/Seoul" in html  # NOW - 1 day, 03:00 UTC = 12:00 in Seoul
    assert "None" not in html.split('id="content-main"')[1].split("</fieldset>")[1]
    assert "Starts local" not in html and "hero_upload" not in html


def test_the_status_log_shows_local_times_and_names(client, alice, main_account):
    campaign = make_campaign(main_account, slug="logged", name="Logged", starts_at=NOW + DAY, ends_at=NOW + 5 * DAY)
    change_status(campaign=campaign, to=Status.SCHEDULED, by=alice, at=NOW)
    client.force_login(alice)
    html = client.get(change_url(campaign)).content.decode()
    assert "2026-12-01 12:00 Asia/Seoul" in html  # 03:00 UTC
    log = html.split('class="status-log"')[1].split("</table>")[0]
    assert "<td>Draft</td><td>Scheduled</td><td>Alice</td>" in log


def test_the_history_page_says_its_time_zone(client, alice, live):
    client.force_login(alice)
    html = client.get(reverse("admin:campaigns_campaign_history", args=[live.pk])).content.decode()
    assert "Times in Asia/Seoul" in html


# --- adding ---------------------------------------------------------------------------------------


def test_the_owner_is_preselected_for_a_marketer_of_one_account(client, alice, main_account):
    client.force_login(alice)
    html = client.get(reverse("admin:campaigns_campaign_add")).content.decode()
    assert f'<option value="{main_account.pk}" selected>' in html


def test_the_slug_help_text_shows_its_example_address(client, alice):
    client.force_login(alice)
    html = client.get(reverse("admin:campaigns_campaign_add")).content.decode()
    assert "/c/ followed by this slug, e.g. /c/winter-sale/" in html


# --- links --------------------------------------------------------------------------------------------


def test_the_link_account_menu_offers_only_active_accounts_running_the_campaign(client, alice, live, deals_account):
    """…and only those the user may edit: a link credits its account with what it brings."""
    from accounts.models import BrandAccount

    live.co_accounts.add(deals_account)
    add_member(account=deals_account, user=alice, role=Role.MARKETER)
    BrandAccount.objects.create(name="Stranger Shop", slug="stranger")
    BrandAccount.objects.create(name="Old Persona", slug="old-persona", active=False)
    client.force_login(alice)
    html = client.get(change_url(live)).content.decode()
    menu = html.split('name="links-__prefix__-account"')[1].split("</select>")[0]
    assert "Alice Air" in menu and "Bob Deals" in menu
    assert "Stranger Shop" not in menu and "Old Persona" not in menu


def test_each_link_has_a_copy_ready_address_a_copy_button_and_qr_codes(client, alice, live, settings):
    settings.PUBLIC_BASE_URL = "https://chorus.example.com"
    link = TrackingLink.objects.create(campaign=live, account=live.owner_account, platform="instagram", label="bio")
    client.force_login(alice)
    html = client.get(change_url(live)).content.decode()
    assert f'value="https://chorus.example.com/l/{link.code}"' in html
    assert 'class="button copy-link"' in html and "js/copy-link.js" in html
    svg = client.get(reverse("admin:campaigns_campaign_link_qr", args=[live.pk, link.pk, "svg"]))
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert svg.content.lstrip().startswith(b"<svg")
    png = client.get(reverse("admin:campaigns_campaign_link_qr", args=[live.pk, link.pk, "png"]))
    assert png.content.startswith(b"\x89PNG")


def test_qr_codes_are_a_404_for_other_teams(client, bob, live):
    link = TrackingLink.objects.create(campaign=live, account=live.owner_account)
    client.force_login(bob)
    response = client.get(reverse("admin:campaigns_campaign_link_qr", args=[live.pk, link.pk, "svg"]))
    assert response.status_code == 404
    assert link.code.encode() not in response.content


def test_the_qr_code_reads_back_as_the_link(alice, live, settings):
    settings.PUBLIC_BASE_URL = "https://chorus.example.com"
    from campaigns.admin.links import qr_code

    svg = qr_code(url="https://chorus.example.com/l/abc12345", kind="svg").decode()
    assert "<title>https://chorus.example.com/l/abc12345</title>" in svg


def test_a_later_app_can_add_its_part_to_the_campaign_page(client, alice, live):
    """The seam promotions will use: an inline contributed from outside campaigns shows on the page."""
    from django.contrib import admin as django_admin

    from accounts.scoping import AccountScopedInline
    from campaigns.admin.campaigns import CampaignAdmin, add_to_campaign_page
    from campaigns.models import RetiredSlug

    class OldAddressesInline(AccountScopedInline, django_admin.TabularInline):
        model = RetiredSlug
        account_path = "owner_account"
        verbose_name_plural = "contributed old addresses"

    before = list(CampaignAdmin.inlines)
    try:
        add_to_campaign_page(OldAddressesInline)
        add_to_campaign_page(OldAddressesInline)
        assert CampaignAdmin.inlines.count(OldAddressesInline) == 1
        assert CampaignAdmin.inlines[:len(before)] == before  # after the campaign's own links
        client.force_login(alice)
        assert "Contributed old addresses" in client.get(change_url(live)).content.decode()
    finally:
        CampaignAdmin.inlines = before


def test_a_link_with_touches_cannot_be_deleted_only_switched_off(client, alice, live):
    import uuid

    from campaigns.models import Touch
    from campaigns.touches import TouchFacts, record_touch

    link = TrackingLink.objects.create(campaign=live, account=live.owner_account, label="bio")
    record_touch(visitor_id=uuid.uuid4(), campaign=live, account=live.owner_account, link=link,
                 kind=Touch.Kind.LINK_CLICK, facts=TouchFacts())
    client.force_login(alice)
    response = client.post(change_url(live), campaign_page_post(live, links=[
        {"id": link.pk, "account": live.owner_account_id, "label": "bio", "DELETE": "on"}]))
    assert response.status_code == 200
    assert "untick Active to switch it off instead" in response.content.decode()
    assert TrackingLink.objects.filter(pk=link.pk).exists()


def test_the_owner_is_not_offered_as_its_own_co_running_account(client, alice, live, deals_account):
    client.force_login(alice)
    html = client.get(change_url(live)).content.decode()
    assert 'name="co_accounts"' in html
    assert f'name="co_accounts" value="{live.owner_account_id}"' not in html


def test_the_delete_action_refuses_a_selection_with_a_campaign_that_has_run(client, alice, live, main_account):
    """Django's delete action refuses the whole selection when one object may not be deleted."""
    idea = make_campaign(main_account, slug="idea", name="Idea")
    client.force_login(alice)
    response = client.post(reverse("admin:campaigns_campaign_changelist"), {
        "action": "delete_selected", "_selected_action": [live.pk, idea.pk], "post": "yes"})
    assert response.status_code == 403
    assert Campaign.objects.filter(pk__in=[live.pk, idea.pk]).count() == 2
    client.post(reverse("admin:campaigns_campaign_changelist"), {
        "action": "delete_selected", "_selected_action": [idea.pk], "post": "yes"})
    assert not Campaign.objects.filter(pk=idea.pk).exists()
