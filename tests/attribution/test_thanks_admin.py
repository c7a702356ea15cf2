"""The thank-you e-mail's admin: editing with checked variables, the preview, the send log, who sees what."""

import re
import uuid

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from attribution.models import ThankYouMessage, ThankYouTemplate
from tests.accounts.test_admin_every_url import named_patterns
from tests.attribution.conftest import deliver, member, paid, touch
from tests.attribution.test_thanks import HOUR, MINUTE, enable, sell, sweep

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.attribution.test_thanks")]

TEMPLATES = "/admin/attribution/thankyoutemplate/"
LOG = "/admin/attribution/thankyoumessage/"
SECRET_SUBJECT = "Alice secret subject"
SECRET_ORDER = "SECRET-ORDER-77"


def form(account=None, **fields):
    data = {"enabled": "on", "subject": "Thanks from {account}", "body": "Hello! Order {order} via {campaign}.",
            "_save": "Save", **fields}
    if account is not None:
        data["account"] = account.pk
    return {name: value for name, value in data.items() if value is not None}


@pytest.fixture
def template(main_account):
    return enable(main_account, subject=SECRET_SUBJECT, body="Order {order} via {campaign}{referrer_clause}.")


@pytest.fixture
def thanked(template, shop, running):
    """One sale of alice's account, thanked: the log has a row, its buyer a real address."""
    sale = sell(shop, running, SECRET_ORDER, email="mina.secret@example.com")
    sweep()
    return sale


@pytest.fixture
def anna(main_account):
    """An analyst of the main account."""
    return member(main_account, "anna@example.org", Role.ANALYST)


def change(template):
    return f"{TEMPLATES}{template.pk}/change/"


# --- editing ---

def test_a_marketer_sets_up_the_accounts_e_mail(client, mark, main_account):
    client.force_login(mark)
    response = client.post(f"{TEMPLATES}add/", form(main_account))
    assert response.status_code == 302, response.content.decode()[:3000]
    template = ThankYouTemplate.objects.get()
    assert (template.account, template.enabled, template.subject, template.updated_by) == (
        main_account, True, "Thanks from {account}", mark)


def test_unknown_placeholders_are_a_form_error_naming_them(client, mark, main_account):
    client.force_login(mark)
    response = client.post(f"{TEMPLATES}add/", form(main_account, subject="Hi {first_name}",
                                                     body="{sale.__class__} and {order}"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Unknown variable {first_name}." in html and "Unknown variable {sale.__class__}." in html
    assert "{referrer_clause}" in html  # says what may be used
    assert not ThankYouTemplate.objects.exists()


def test_editing_the_text_does_not_move_the_switched_on_time(client, mark, template):
    client.force_login(mark)
    assert client.post(change(template), form(subject=template.subject, body=template.body)).status_code == 302
    assert client.post(change(template), form(subject="Thanks from {account}", body=template.body)).status_code == 302
    assert ThankYouTemplate.objects.get().enabled_at == template.enabled_at


def test_switching_on_in_the_admin_thanks_only_later_buyers(client, mark, main_account, shop, running):
    now = timezone.now()
    sell(shop, running, "EARLIER", email="earlier@example.com", at=now - HOUR)
    client.force_login(mark)
    client.post(f"{TEMPLATES}add/", form(main_account))
    visitor = uuid.uuid4()
    later = timezone.now() + MINUTE
    touch(running, at=later - HOUR, visitor=visitor)
    deliver(shop, paid("LATER", at=later, visitor_id=str(visitor), customer_email="later@example.com"), at=later)
    sweep(at=later + MINUTE)
    assert list(ThankYouMessage.objects.values_list("sale__order_id", "status")) == [("LATER", "sent")]


# --- the preview ---

def test_the_page_previews_the_e_mail_for_the_latest_credited_sale(client, mark, thanked):
    client.force_login(mark)
    html = client.get(change(ThankYouTemplate.objects.get())).content.decode()
    assert f"As order {SECRET_ORDER} would get it" in html
    assert f"Order {SECRET_ORDER} via Winter Sale." in html
    assert "Alice Air &lt;chorus@localhost&gt;" in html
    assert "m…@example.com" in html and "mina.secret@example.com" not in html


def test_without_a_credited_sale_the_preview_shows_sample_values(client, mark, template):
    client.force_login(mark)
    html = client.get(change(template)).content.decode()
    assert "sample values" in html and "Order 1001 via Spring sale through Mina." in html


def test_preview_shows_the_text_as_typed_and_saves_nothing(client, mark, template, thanked):
    client.force_login(mark)
    response = client.post(change(template), form(subject="New {order}", body="Typed: {item}/{campaign}",
                                                  _save=None, _preview="Preview"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"New {SECRET_ORDER}" in html and "Typed: /Winter Sale" in html
    assert "Please correct" not in html and "Preview only" not in html
    assert ThankYouTemplate.objects.get().subject == SECRET_SUBJECT


def test_preview_of_unknown_placeholders_names_them_and_shows_no_stale_text(client, mark, template):
    client.force_login(mark)
    html = client.post(change(template), form(body="Hi {nickname}", _save=None, _preview="Preview")).content.decode()
    assert "Unknown variable {nickname}." in html
    assert "Fix what is marked above" in html


def test_preview_on_the_add_page(client, mark, main_account):
    client.force_login(mark)
    html = client.post(f"{TEMPLATES}add/", form(main_account, _save=None, _preview="Preview")).content.decode()
    assert "Thanks from Alice Air" in html
    assert not ThankYouTemplate.objects.exists()


# --- the send log ---

def test_the_send_log_shows_masked_addresses_only(client, mark, thanked):
    client.force_login(mark)
    for url in (LOG, f"{LOG}{ThankYouMessage.objects.get().pk}/change/", change(ThankYouTemplate.objects.get())):
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert SECRET_ORDER in html and "m…@example.com" in html, url
        assert "mina.secret" not in html, url


def test_the_send_log_is_read_only(client, mark, thanked):
    client.force_login(mark)
    message = ThankYouMessage.objects.get()
    assert client.get(f"{LOG}add/").status_code == 403
    assert client.post(f"{LOG}{message.pk}/change/", {"status": "failed"}).status_code == 403
    assert client.post(f"{LOG}{message.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ThankYouMessage.objects.get().status == "sent"


def test_finance_may_look_but_not_edit(client, fiona, thanked):
    client.force_login(fiona)
    template = ThankYouTemplate.objects.get()
    html = client.get(change(template)).content.decode()
    assert SECRET_ORDER in html and 'name="_save"' not in html and 'name="_preview"' not in html
    assert client.post(change(template), form(subject="Finance was here")).status_code == 403
    assert client.get(LOG).status_code == 200


def test_analysts_see_neither_page(client, anna, thanked):
    client.force_login(anna)
    assert client.get(TEMPLATES).status_code == 403
    assert client.get(LOG).status_code == 403
    assert client.get(change(ThankYouTemplate.objects.get())).status_code in (403, 404)


# --- other accounts ---

def test_bob_cannot_see_or_edit_alices_e_mail(client, bob, thanked, main_account):
    template = ThankYouTemplate.objects.get()
    client.force_login(bob)
    assert SECRET_SUBJECT not in client.get(TEMPLATES).content.decode()
    assert SECRET_ORDER not in client.get(LOG).content.decode()
    assert client.get(change(template)).status_code == 404
    assert client.post(change(template), form(subject="Bob was here")).status_code in (403, 404)
    assert client.post(change(template), form(_save=None, _preview="Preview")).status_code in (403, 404)
    assert client.get(f"{LOG}{ThankYouMessage.objects.get().pk}/change/").status_code == 404
    response = client.post(f"{TEMPLATES}add/", form(main_account, subject="Bob was here"))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert ThankYouTemplate.objects.get().subject == SECRET_SUBJECT


def test_bob_edits_his_own_accounts_e_mail(client, bob, deals_account):
    client.force_login(bob)
    assert client.post(f"{TEMPLATES}add/", form(deals_account)).status_code == 302
    assert ThankYouTemplate.objects.get().account == deals_account


def test_charlie_sees_nothing(client, charlie, thanked):
    client.force_login(charlie)
    assert client.get(TEMPLATES).status_code == 403
    assert client.get(LOG).status_code == 403


@pytest.mark.parametrize("who", ["bob", "charlie"])
def test_no_thank_you_admin_url_shows_alices_e_mail_to_others(client, thanked, who, request):
    """Every URL of the two admins (their own views, history, delete, autocomplete) with alice's ids."""
    client.force_login(request.getfixturevalue(who))
    things = {ThankYouTemplate: ThankYouTemplate.objects.get(), ThankYouMessage: ThankYouMessage.objects.get()}
    checked = 0
    for model, obj in things.items():
        for name, route in named_patterns(admin.site._registry[model].get_urls()):
            kwargs = dict.fromkeys(re.findall(r"<(?:\w+:)?(\w+)>", route), obj.pk)
            url = reverse(f"admin:{name}", kwargs=kwargs)
            for response in (client.get(url), client.post(url, form(_preview="Preview"))):
                assert response.status_code in (200, 302, 403, 404, 405), f"{name} {url}: {response.status_code}"
                if "<path:object_id>" in route:  # alice's own object: never shown, never a redirect
                    assert response.status_code in (403, 404, 405), f"{name} {url}: {response.status_code}"
                for secret in (SECRET_SUBJECT, SECRET_ORDER, "mina.secret", "m…@example.com"):
                    assert secret not in response.content.decode(), f"{name} {url} shows {secret!r} to {who}"
            checked += 1
    assert checked >= 10
    assert ThankYouTemplate.objects.get().subject == SECRET_SUBJECT and ThankYouTemplate.objects.count() == 1
