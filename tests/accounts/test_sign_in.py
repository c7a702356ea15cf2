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
