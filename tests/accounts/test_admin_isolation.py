"""Charlie should have no access to Alice's stuff; neither should Bob.

alice manages the main account, bob markets for the deals account, charlie is
staff of nothing. Every admin page and every way of naming an object (URL,
filter, autocomplete, action, crafted POST) is tried from the wrong side.
"""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.memberships import add_member
from accounts.models import BrandAccount, Membership
from accounts.roles import Role
from tests.conftest import make_user


def admin_url(name, *args):
    return reverse(f"admin:{name}", args=args)


def change_url(account):
    return admin_url("accounts_brandaccount_change", account.pk)


def assert_hidden(response, text):
    """The page refuses (403/404) or sends the user away (302), and never shows `text`."""
    assert response.status_code in (302, 403, 404)
    assert text.encode() not in response.content


# --- changelists ---------------------------------------------------------------


def test_it_lists_only_the_users_own_accounts(client, alice, deals_account):
    client.force_login(alice)
    response = client.get(admin_url("accounts_brandaccount_changelist"))
    assert response.status_code == 200
    assert b"Alice Air" in response.content
    assert b"Bob Deals" not in response.content


def test_it_hides_other_accounts_from_search_and_filters(client, bob, main_account, deals_account):
    deals_account.parent = BrandAccount.objects.create(name="Bob Parent", slug="bob-parent")
    deals_account.save()
    add_member(account=deals_account.parent, user=bob, role=Role.ANALYST)
    client.force_login(bob)
    response = client.get(admin_url("accounts_brandaccount_changelist"), {"q": "Alice"})
    assert response.status_code == 200
    assert b"Alice Air" not in response.content
    response = client.get(admin_url("accounts_brandaccount_changelist"))
    assert b"Bob Parent" in response.content  # his own parent account is offered as a filter
    assert b"Alice Air" not in response.content
    response = client.get(admin_url("accounts_brandaccount_changelist"), {"parent__id__exact": main_account.pk})
    assert b"Alice Air" not in response.content


@pytest.mark.parametrize("page", ["change", "delete", "history"])
def test_it_refuses_another_accounts_pages(client, bob, main_account, page):
    client.force_login(bob)
    response = client.get(admin_url(f"accounts_brandaccount_{page}", main_account.pk))
    assert_hidden(response, "Alice Air")


@pytest.mark.parametrize("page", ["change", "delete", "history"])
def test_it_shows_the_users_own_account_pages(client, alice, main_account, page):
    client.force_login(alice)
    response = client.get(admin_url(f"accounts_brandaccount_{page}", main_account.pk))
    assert response.status_code == 200
    assert b"Alice Air" in response.content


def test_every_registered_admin_page_refuses_a_staff_member_of_nothing(client, charlie, main_account):
    client.force_login(charlie)
    response = client.get(admin_url("index"))
    assert response.status_code == 200
    assert b"Brand accounts" not in response.content
    for model in admin.site._registry:
        opts = model._meta
        if not opts.managed:
            continue
        response = client.get(admin_url(f"{opts.app_label}_{opts.model_name}_changelist"))
        assert response.status_code == 403, f"{opts.label} changelist is open to charlie"
    assert_hidden(client.get(change_url(main_account)), "Alice Air")


def test_only_superusers_reach_people_sign_in_settings_and_the_job_dashboard(client, alice, superuser):
    superuser_only = [
        "accounts_user_changelist",
        "account_emailaddress_changelist",
        "socialaccount_socialapp_changelist",
        "socialaccount_socialaccount_changelist",
        "sites_site_changelist",
        "auth_group_changelist",
        "django_rq_dashboard_changelist",
    ]
    client.force_login(alice)
    for name in superuser_only:
        assert client.get(admin_url(name)).status_code == 403, name
    for page in (reverse("admin:django_rq_jobs", args=[0]), reverse("admin:django_rq_home_json")):
        assert client.get(page).status_code == 403, page
    client.force_login(superuser)
    for name in superuser_only:
        assert client.get(admin_url(name)).status_code == 200, name


def test_a_superuser_sees_every_account(client, superuser, main_account, deals_account):
    client.force_login(superuser)
    response = client.get(admin_url("accounts_brandaccount_changelist"))
    assert b"Alice Air" in response.content
    assert b"Bob Deals" in response.content


# --- autocomplete, choices, crafted POSTs, actions -------------------------------------


def test_autocomplete_offers_only_the_users_accounts(client, bob, main_account, deals_account):
    client.force_login(bob)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "accounts", "model_name": "brandaccount", "field_name": "parent", "term": ""},
    )
    assert response.status_code == 200
    names = [result["text"] for result in response.json()["results"]]
    assert names == ["Bob Deals"]


def test_a_crafted_post_cannot_attach_an_account_to_another_teams_account(client, alice, main_account, deals_account):
    client.force_login(alice)
    response = client.post(change_url(main_account), {
        "name": "Alice Air", "slug": "alice-air", "kind": "main", "parent": deals_account.pk, "active": "on",
        "description": "", "brand_colour": "#1F4E8C", "timezone": "Asia/Seoul", "currency": "KRW",
        "handles-TOTAL_FORMS": "0", "handles-INITIAL_FORMS": "0",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200  # the form again, with an error
    assert b"Select a valid choice" in response.content
    main_account.refresh_from_db()
    assert main_account.parent is None


def test_a_crafted_post_cannot_change_another_accounts_object(client, bob, main_account):
    client.force_login(bob)
    response = client.post(change_url(main_account), {"name": "Hacked", "slug": "alice-air"})
    assert response.status_code in (302, 403, 404)
    main_account.refresh_from_db()
    assert main_account.name == "Alice Air"


def test_actions_ignore_posted_ids_of_other_accounts(client, alice, main_account, deals_account):
    client.force_login(alice)
    response = client.post(admin_url("accounts_brandaccount_changelist"), {
        "action": "delete_selected", "_selected_action": [deals_account.pk], "post": "yes",
    })
    assert response.status_code in (200, 302)
    assert BrandAccount.objects.filter(pk=deals_account.pk).exists()


def test_actions_ignore_accounts_where_the_user_may_only_look(client, alice, deals_account):
    add_member(account=deals_account, user=alice, role=Role.ANALYST)
    client.force_login(alice)
    client.post(admin_url("accounts_brandaccount_changelist"), {
        "action": "delete_selected", "_selected_action": [deals_account.pk], "post": "yes",
    })
    assert BrandAccount.objects.filter(pk=deals_account.pk).exists()


# --- roles ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ANALYST, Role.FINANCE, Role.MARKETER])
def test_non_managers_see_the_account_read_only(client, main_account, role):
    user = make_user(f"{role}@example.org")
    add_member(account=main_account, user=user, role=role)
    client.force_login(user)
    response = client.get(change_url(main_account))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    response = client.post(change_url(main_account), {"name": "Changed", "slug": "alice-air"})
    assert response.status_code == 403
    main_account.refresh_from_db()
    assert main_account.name == "Alice Air"


def test_only_superusers_create_brand_accounts(client, alice, superuser):
    client.force_login(alice)
    assert client.get(admin_url("accounts_brandaccount_add")).status_code == 403
    client.force_login(superuser)
    assert client.get(admin_url("accounts_brandaccount_add")).status_code == 200


# --- memberships ------------------------------------------------------------------


def membership_post(account, rows):
    data = {
        "name": account.name, "slug": account.slug, "kind": account.kind, "active": "on", "description": "",
        "brand_colour": account.brand_colour, "timezone": account.timezone, "currency": account.currency,
        "handles-TOTAL_FORMS": "0", "handles-INITIAL_FORMS": "0",
    }
    existing = list(account.memberships.order_by("pk"))
    data["memberships-INITIAL_FORMS"] = str(len(existing))
    data["memberships-TOTAL_FORMS"] = str(len(existing) + len(rows))
    for index, membership in enumerate(existing):
        data[f"memberships-{index}-id"] = membership.pk
        data[f"memberships-{index}-account"] = account.pk
        data[f"memberships-{index}-role"] = membership.role
    for offset, (email, role) in enumerate(rows):
        index = len(existing) + offset
        data[f"memberships-{index}-email"] = email
        data[f"memberships-{index}-role"] = role
        data[f"memberships-{index}-account"] = account.pk
    return data


def test_a_manager_adds_a_teammate_by_email_and_they_become_staff(client, alice, main_account):
    dana = make_user("Dana@Example.org")
    client.force_login(alice)
    response = client.post(change_url(main_account), membership_post(main_account, [("dana@example.org", "analyst")]))
    assert response.status_code == 302, response.content.decode()[:2000]
    membership = Membership.objects.get(user=dana, account=main_account)
    assert membership.role == Role.ANALYST
    dana.refresh_from_db()
    assert dana.is_staff


def test_adding_an_unknown_email_says_to_sign_up_first(client, alice, main_account):
    client.force_login(alice)
    response = client.post(change_url(main_account), membership_post(main_account, [("nobody@example.org", "analyst")]))
    assert response.status_code == 200
    assert b"Ask them to sign up first" in response.content
    assert not Membership.objects.filter(account=main_account, role=Role.ANALYST).exists()


def test_a_duplicate_handle_is_refused_by_the_form_not_the_database(client, alice, main_account, deals_account):
    client.force_login(alice)
    data = membership_post(main_account, [])
    data.update({"handles-TOTAL_FORMS": "1", "handles-INITIAL_FORMS": "0", "handles-0-platform": "x",
                 "handles-0-handle": "BOB_DEALS", "handles-0-profile_url": "", "handles-0-account": main_account.pk})
    response = client.post(change_url(main_account), data)
    assert response.status_code == 200
    assert b"each handle belongs to one brand account" in response.content


def test_the_parent_menu_offers_only_accounts_the_user_manages(client, alice, main_account, deals_account):
    """Looking at an account (as its analyst) is no right to place one's own account under it."""
    add_member(account=deals_account, user=alice, role=Role.ANALYST)
    client.force_login(alice)
    data = membership_post(main_account, [])
    data["parent"] = deals_account.pk
    response = client.post(change_url(main_account), data)
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    main_account.refresh_from_db()
    assert main_account.parent is None
