"""Seeing is not editing: a marketer of a co-running account may look at the campaign, never attach to it.

bob markets for the deals account, which co-runs alice's campaign. Every way of attaching something to
that campaign — form choices, crafted POSTs to each admin page, status buttons, actions — is tried.
"""

import pytest
from django.contrib import admin
from django.db import models
from django.test import RequestFactory
from django.urls import reverse

from accounts.scoping import AccountScopedAdmin, AccountScopingMixin
from campaigns.models import Campaign, TrackingLink
from tests.campaigns.conftest import DAY, NOW, campaign_page_post, make_campaign

Status = Campaign.Status


@pytest.fixture
def co_run(main_account, deals_account):
    campaign = make_campaign(main_account, slug="co-run", name="Co-run Sale", status=Status.LIVE,
                             starts_at=NOW - DAY, ends_at=NOW + 5 * DAY)
    campaign.co_accounts.add(deals_account)
    return campaign


@pytest.fixture
def bobs_own(deals_account):
    return make_campaign(deals_account, slug="bob-own", name="Bob Own", starts_at=NOW, ends_at=NOW + DAY)


def request_as(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def every_scoped_admin():
    """Every registered scoped admin and each of its inlines: anything that offers choices in a form."""
    for model_admin in admin.site._registry.values():
        if isinstance(model_admin, AccountScopedAdmin):
            yield model_admin
            for inline_class in model_admin.inlines:
                yield inline_class(model_admin.model, admin.site)


def relation_fields(model):
    return [field for field in model._meta.get_fields()
            if isinstance(field, models.ForeignKey | models.ManyToManyField) and field.concrete]


def test_it_offers_a_co_running_marketer_no_campaign_he_may_only_view(bob, co_run, bobs_own):
    """For every form field of every scoped admin pointing at a campaign, and for any such field a later
    app adds: the choices are what bob may edit."""
    request = request_as(bob)
    campaign_field = TrackingLink._meta.get_field("campaign")
    for model_admin in every_scoped_admin():
        assert isinstance(model_admin, AccountScopingMixin)
        choices = model_admin.scope_related_queryset(campaign_field, request, Campaign.objects.all())
        assert co_run not in choices, f"{type(model_admin).__name__} offers a campaign bob may only view"
        assert bobs_own in choices
        for field in relation_fields(model_admin.model):
            if field.related_model is Campaign:
                formfield = (model_admin.formfield_for_foreignkey(field, request)
                             if isinstance(field, models.ForeignKey)
                             else model_admin.formfield_for_manytomany(field, request))
                if formfield is not None:
                    assert co_run not in formfield.queryset


def test_a_crafted_post_cannot_add_a_link_to_a_co_run_campaign(client, bob, co_run, deals_account):
    client.force_login(bob)
    response = client.post(reverse("admin:campaigns_campaign_change", args=[co_run.pk]), campaign_page_post(
        co_run, links=[{"account": deals_account.pk, "platform": "x", "label": "bob"}]))
    assert response.status_code == 403
    assert not co_run.links.exists()


def test_a_crafted_post_cannot_change_the_status_of_a_co_run_campaign(client, bob, co_run):
    client.force_login(bob)
    response = client.post(reverse("admin:campaigns_campaign_status", args=[co_run.pk]), {"to": "paused"})
    assert response.status_code == 403
    co_run.refresh_from_db()
    assert co_run.status == Status.LIVE


def test_an_action_on_a_co_run_campaign_says_bob_may_only_look(client, bob, co_run):
    client.force_login(bob)
    response = client.post(reverse("admin:campaigns_campaign_changelist"),
                           {"action": "pause", "_selected_action": [co_run.pk]}, follow=True)
    html = response.content.decode()
    assert "belong to accounts where you may only look" in html
    assert "already in that state" not in html
    co_run.refresh_from_db()
    assert co_run.status == Status.LIVE


def test_the_co_run_campaign_page_says_who_changes_its_status(client, bob, co_run):
    client.force_login(bob)
    html = client.get(reverse("admin:campaigns_campaign_change", args=[co_run.pk])).content.decode()
    assert "its status is changed by Alice Air" in html
    assert 'name="to"' not in html


def test_the_co_run_team_sees_the_owners_staff_by_name_not_address(client, alice, bob, co_run):
    Campaign.objects.filter(pk=co_run.pk).update(created_by=alice, updated_by=alice)
    client.force_login(bob)
    html = client.get(reverse("admin:campaigns_campaign_change", args=[co_run.pk])).content.decode()
    assert "Alice" in html
    assert "alice@example.org" not in html


def test_a_save_re_checks_the_edit_right_on_the_object(bob, co_run):
    from django.core.exceptions import PermissionDenied

    campaign_admin = admin.site._registry[Campaign]
    with pytest.raises(PermissionDenied):
        campaign_admin.save_model(request_as(bob), co_run, form=None, change=True)


def test_the_history_names_the_owners_staff_without_their_address(client, alice, bob, co_run, deals_account):
    client.force_login(alice)
    client.post(reverse("admin:campaigns_campaign_change", args=[co_run.pk]), campaign_page_post(co_run,
                                                                                                name="Renamed"))
    client.force_login(bob)
    html = client.get(reverse("admin:campaigns_campaign_history", args=[co_run.pk])).content.decode()
    assert "<td>Alice</td>" in html
    assert "alice@example.org" not in html


def test_links_are_made_only_for_accounts_the_user_may_edit(client, bob, deals_account, main_account):
    """Bob may invite the main account to co-run his campaign, but not credit it with links of his."""
    campaign = make_campaign(deals_account, slug="bob-sale", name="Bob Sale", starts_at=NOW, ends_at=NOW + DAY)
    campaign.co_accounts.add(main_account)
    client.force_login(bob)
    html = client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    menu = html.split('name="links-__prefix__-account"')[1].split("</select>")[0]
    assert "Bob Deals" in menu and "Alice Air" not in menu
    response = client.post(reverse("admin:campaigns_campaign_change", args=[campaign.pk]), campaign_page_post(
        campaign, links=[{"account": main_account.pk, "platform": "x"}]))
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not TrackingLink.objects.filter(account=main_account).exists()


def test_a_link_for_a_co_account_removed_in_the_same_save_is_refused(client, superuser, co_run, deals_account):
    client.force_login(superuser)
    response = client.post(reverse("admin:campaigns_campaign_change", args=[co_run.pk]), campaign_page_post(
        co_run, co_accounts=[], links=[{"account": deals_account.pk, "platform": "x"}]))
    assert response.status_code == 200
    assert b"does not run this campaign" in response.content
    assert not co_run.links.exists()


def test_the_owner_sees_a_co_accounts_links_but_cannot_change_them(client, alice, co_run, deals_account):
    link = TrackingLink.objects.create(campaign=co_run, account=deals_account, platform="x", label="deals post")
    client.force_login(alice)
    html = client.get(reverse("admin:campaigns_campaign_change", args=[co_run.pk])).content.decode()
    row = html.split('name="links-0-account"')[1].split("</select>")[0]
    assert f'<option value="{deals_account.pk}" selected>Bob Deals</option>' in row  # shown for what it is
    data = campaign_page_post(co_run, links=[{"id": link.pk, "account": deals_account.pk, "platform": "x",
                                              "label": "deals post"}])
    response = client.post(reverse("admin:campaigns_campaign_change", args=[co_run.pk]), {**data, "name": "Kept"})
    assert response.status_code == 302  # an untouched row of another account does not block her save
    response = client.post(reverse("admin:campaigns_campaign_change", args=[co_run.pk]),
                           {**data, "links-0-active": ""})
    assert "only its own marketers change or delete it" in response.content.decode()
    response = client.post(reverse("admin:campaigns_campaign_change", args=[co_run.pk]),
                           {**data, "links-0-DELETE": "on"})
    assert "only its own marketers change or delete it" in response.content.decode()
    link.refresh_from_db()
    assert link.active


def test_the_owner_cannot_move_a_co_accounts_link_to_her_own_account(client, alice, co_run, deals_account,
                                                                     main_account):
    link = TrackingLink.objects.create(campaign=co_run, account=deals_account, platform="x", label="deals post")
    client.force_login(alice)
    for extra in ({}, {"DELETE": "on"}):
        data = campaign_page_post(co_run, links=[{"id": link.pk, "account": main_account.pk, "platform": "x",
                                                  "label": "deals post", **extra}])
        response = client.post(reverse("admin:campaigns_campaign_change", args=[co_run.pk]), data)
        assert "only its own marketers change or delete it" in response.content.decode()
    link.refresh_from_db()
    assert link.account == deals_account


def test_the_page_stays_savable_after_a_co_account_with_links_stops_running(client, alice, co_run, deals_account):
    link = TrackingLink.objects.create(campaign=co_run, account=deals_account, platform="x", label="deals post")
    co_run.co_accounts.remove(deals_account)
    client.force_login(alice)
    html = client.get(reverse("admin:campaigns_campaign_change", args=[co_run.pk])).content.decode()
    row = html.split('name="links-0-account"')[1].split("</select>")[0]
    assert f'<option value="{deals_account.pk}" selected>Bob Deals</option>' in row
    data = campaign_page_post(co_run, name="Still savable", links=[
        {"id": link.pk, "account": deals_account.pk, "platform": "x", "label": "deals post"}])
    response = client.post(reverse("admin:campaigns_campaign_change", args=[co_run.pk]), data)
    assert response.status_code == 302, response.content.decode()[-3000:]


def test_a_switched_off_co_account_is_not_dropped_by_a_save(client, alice, co_run, deals_account):
    deals_account.active = False
    deals_account.save()
    client.force_login(alice)
    html = client.get(reverse("admin:campaigns_campaign_change", args=[co_run.pk])).content.decode()
    assert f'name="co_accounts" value="{deals_account.pk}"' in html
    response = client.post(reverse("admin:campaigns_campaign_change", args=[co_run.pk]),
                           campaign_page_post(co_run, name="Saved"))
    assert response.status_code == 302
    assert list(co_run.co_accounts.all()) == [deals_account]
