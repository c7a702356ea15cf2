"""Customers and staff sign in with allauth: email login, code verification, lockout."""

import re

from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD, make_user


def emailed_code():
    body = mail.outbox[-1].body
    match = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", body, re.MULTILINE)
    assert match, body
    return match.group(1)


def test_it_signs_up_with_an_email_and_waits_for_the_emailed_code(client, db):
    response = client.post(reverse("account_signup"), {
        "email": "Yuna@Example.org", "password1": PASSWORD, "password2": PASSWORD,
    })
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email__iexact="yuna@example.org")
    assert not EmailAddress.objects.get(user=user).verified
    assert "_auth_user_id" not in client.session  # mandatory verification: not signed in yet

    response = client.post(reverse("account_email_verification_sent"), {"code": "WRONG1"})
    assert response.status_code == 200
    assert not EmailAddress.objects.get(user=user).verified

    response = client.post(reverse("account_email_verification_sent"), {"code": emailed_code()})
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert client.session["_auth_user_id"] == str(user.pk)


def test_it_refuses_a_second_account_for_the_same_email_in_another_case(client, db):
    make_user("yuna@example.org")
    client.post(reverse("account_signup"), {"email": "YUNA@example.org", "password1": PASSWORD, "password2": PASSWORD})
    assert User.objects.filter(email__iexact="yuna@example.org").count() == 1


def verified(email):
    user = make_user(email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def test_it_signs_in_with_email_and_password(client, db):
    user = verified("haruto@example.org")
    response = client.post(reverse("account_login"), {"login": "HARUTO@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_it_locks_an_address_out_after_five_bad_passwords(client, db):
    verified("haruto@example.org")
    for _ in range(5):
        response = client.post(reverse("account_login"), {"login": "haruto@example.org", "password": "wrong"})
        assert response.status_code == 200
    response = client.post(reverse("account_login"), {"login": "haruto@example.org", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert b"Too many failed login attempts" in response.content


def test_the_admin_login_is_the_site_login_with_the_same_lockout(client, db):
    staff = verified("staff@example.org")
    staff.is_staff = True
    staff.save()
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    # The admin's own form never checks a password: posting to it only redirects.
    response = client.post("/admin/login/", {"username": "staff@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "staff@example.org", "password": "wrong"})
    client.post(reverse("account_login"), {"login": "staff@example.org", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_the_sign_in_pages_use_the_site_layout_with_labelled_fields(client, db):
    for name in ("account_login", "account_signup"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        html = response.content.decode()
        assert '<main id="main">' in html
        assert '<label for="id_email"' in html or '<label for="id_login"' in html


# --- Behind a reverse proxy: one client-IP rule for tracking and sign-in ----------------------------------------

PROXY = "10.0.0.1"  # every request reaches Chorus from the proxy's address


def through_proxy(client, path, data, *, client_ip, claimed=None):
    """POST as the proxy forwards it: it appends the visitor's address to whatever the visitor claimed."""
    forwarded = f"{claimed}, {client_ip}" if claimed else client_ip
    return client.post(path, data, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def test_allauth_and_the_tracking_links_pick_the_same_client_address(rf, settings):
    from allauth.account.adapter import get_adapter

    from campaigns.visitors import client_ip

    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == settings.TRUSTED_PROXY_COUNT
    shapes = [None, "198.51.100.7", "203.0.113.9, 198.51.100.7", "203.0.113.9,198.51.100.7",
              "1.1.1.1, 203.0.113.9, 198.51.100.7", "2001:db8::1, 2001:db8::7"]
    for proxies in (0, 1, 2):
        settings.TRUSTED_PROXY_COUNT = settings.ALLAUTH_TRUSTED_PROXY_COUNT = proxies
        for forwarded in shapes:
            headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
            request = rf.get("/", REMOTE_ADDR=PROXY, **headers)
            assert get_adapter(request).get_client_ip(request) == client_ip(request), (proxies, forwarded)


def test_behind_a_proxy_one_attackers_bad_logins_do_not_lock_out_everyone(client, db, settings):
    settings.TRUSTED_PROXY_COUNT = settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1  # as TRUSTED_PROXY_COUNT=1 sets both
    haruto = verified("haruto@example.org")
    attacker = "203.0.113.66"
    for number in range(11):  # over the per-IP limit of 10 a minute, each against another address
        through_proxy(client, reverse("account_login"), {"login": f"victim{number}@example.org", "password": "x"},
                      client_ip=attacker)
    verified("mallory@example.org")
    response = through_proxy(client, reverse("account_login"), {"login": "mallory@example.org", "password": PASSWORD},
                             client_ip=attacker, claimed="198.51.100.200")  # a forged header resets nothing
    assert "_auth_user_id" not in client.session
    assert b"Too many failed login attempts" in response.content

    response = through_proxy(client, reverse("account_login"), {"login": "haruto@example.org", "password": PASSWORD},
                             client_ip="198.51.100.7")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(haruto.pk)


# --- Links in e-mails ---------------------------------------------------------------------------------------------

def test_links_in_emails_start_with_the_public_address_whatever_the_request_host(client, db, settings):
    from django.contrib.sites.models import Site

    settings.PUBLIC_BASE_URL = "https://chorus.example.com"
    settings.ALLOWED_HOSTS = ["internal-web-3", "testserver"]
    Site.objects.filter(pk=1).update(domain="localhost:8000")  # stale, as old installs have it
    verified("haruto@example.org")
    client.post(reverse("account_reset_password"), {"email": "haruto@example.org"}, HTTP_HOST="internal-web-3")
    body = mail.outbox[-1].body
    assert "https://chorus.example.com/accounts/password/reset/key/" in body
    assert "internal-web-3" not in body
    assert "localhost:8000" not in body
