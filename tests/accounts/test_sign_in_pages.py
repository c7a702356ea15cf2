"""The sign-in pages tie each error to its fields and announce it, without a browser (tests/browser has one)."""

from html.parser import HTMLParser

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from tests.conftest import make_user


class Page(HTMLParser):
    """Every element's attributes; the ids and text inside role="alert" regions, and the text inside role="status"."""

    VOID = {"input", "br", "hr", "img", "meta", "link", "source"}

    def __init__(self, html):
        super().__init__()
        self.elements, self.announced_ids, self.announced_text, self.status_text, self.open = [], set(), [], [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        in_alert = any(role == "alert" for _, role in self.open) or attrs.get("role") == "alert"
        if in_alert and "id" in attrs:
            self.announced_ids.add(attrs["id"])
        if tag not in self.VOID:
            self.open.append((tag, attrs.get("role")))

    def handle_endtag(self, tag):
        while self.open and self.open.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if any(role == "alert" for _, role in self.open):
            self.announced_text.append(data)
        if any(role == "status" for _, role in self.open):
            self.status_text.append(data)

    def field(self, name):
        return next(attrs for tag, attrs in self.elements if tag == "input" and attrs.get("name") == name)

    def by_id(self, element_id):
        return next(attrs for tag, attrs in self.elements if attrs.get("id") == element_id)


def verified(email="yuna@example.org"):
    user = make_user(email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def wrong_password(client, login="yuna@example.org"):
    response = client.post(reverse("account_login"), {"login": login, "password": "not my password"})
    assert response.status_code == 200
    return Page(response.content.decode())


def test_it_ties_a_wrong_password_to_the_email_and_password_fields(client, db):
    verified()
    page = wrong_password(client)
    for name in ("login", "password"):
        field = page.field(name)
        assert field["aria-invalid"] == "true"
        error_id = field["aria-describedby"].split()[0]
        assert "not correct" in "".join(page.announced_text)
        assert error_id in page.announced_ids  # the error it points at is inside the alert
        assert "errorlist" in page.by_id(error_id)["class"]
    assert "id_password_helptext" in page.field("password")["aria-describedby"].split()  # keeps its help
    assert "aria-invalid" not in page.field("remember")  # "Remember me" was not what went wrong


def test_the_tied_fields_keep_what_django_would_have_written(client, db):
    verified()
    field = wrong_password(client).field("login")
    assert field["type"] == "email"
    assert field["value"] == "yuna@example.org"
    assert field["autocomplete"] == "email"
    assert "required" in field
    assert field["id"] == "id_login"
    assert wrong_password(client).field("password").get("value") is None  # a password is never sent back


def test_it_escapes_what_was_typed_into_a_field_it_writes_out(client, db):
    verified()
    typed = '"\\"><b>bold</b>"@example.org'
    response = client.post(reverse("account_login"), {"login": typed, "password": "not my password"})
    html = response.content.decode()
    assert "<b>bold</b>" not in html
    field = Page(html).field("login")
    assert field["aria-describedby"] == "form_errors"  # a valid address, so the form-wide error: written out here
    assert field["value"] == typed


def test_it_ties_a_fields_own_error_to_it_and_says_so_in_an_alert(client, db):
    response = client.post(reverse("account_signup"), {"email": "not an address", "password1": "x",
                                                       "password2": "x"})
    page = Page(response.content.decode())
    email = page.field("email")
    assert email["aria-invalid"] == "true"
    assert email["aria-describedby"] == "id_email_error"
    assert "Enter a valid email address." in response.content.decode()
    assert "Please correct the fields marked below." in " ".join("".join(page.announced_text).split())


@pytest.mark.parametrize("url_name", ["account_login", "account_signup", "account_request_login_code"])
def test_a_fresh_sign_in_page_marks_nothing_invalid_and_announces_nothing(client, db, url_name):
    html = client.get(reverse(url_name)).content.decode()
    assert 'aria-invalid' not in html
    assert 'role="alert"' not in html
    assert Page(html).elements  # the page parsed


def test_messages_are_a_list_inside_a_status_region(client, db):
    verified()
    response = client.post(reverse("account_request_login_code"), {"email": "yuna@example.org"}, follow=True)
    page = Page(response.content.decode())
    assert "A sign-in code has been sent" in "".join(page.status_text)
    # role="status" on the <ul> itself would take away its list role and orphan its items.
    assert all("role" not in attrs for tag, attrs in page.elements if tag == "ul")
