"""The opt-out page behind the link in every thank-you e-mail: signed token, confirm first, CSRF, friendly 404."""

import re

import pytest
from django.core import mail, signing
from django.test import Client

from attribution import thanks
from attribution.models import MailOptOut, ThankYouMessage
from tests.attribution.test_thanks import MINUTE, NOW, enable, sell, statuses, sweep

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.attribution.test_thanks")]


@pytest.fixture
def sale(shop, running, main_account):
    enable(main_account)
    sale = sell(shop, running, "A-1", email="Mina.Kim+shop@GoogleMail.com")
    sweep()
    return sale


def page(sale):
    return f"/thanks/opt-out/{thanks.opt_out_token(sale)}/"


def csrf_token(client, url):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(url).content.decode()).group(1)


def test_the_token_round_trips_to_its_sale_and_nothing_else():
    class Stub:
        pk = 41

    token = thanks.opt_out_token(Stub)
    assert signing.Signer(salt=thanks.OPT_OUT_SALT).unsign_object(token) == 41
    assert thanks.opt_out_token(Stub) == token  # stable: the link in an old e-mail keeps working
    assert "@" not in token


def test_the_e_mail_link_opens_a_page_that_asks_and_changes_nothing(client, sale):
    assert page(sale) in mail.outbox[0].body
    response = client.get(page(sale))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Stop thank-you e-mails?" in html and "Alice Air" in html
    assert "M…@GoogleMail.com" in html and "Mina.Kim" not in html  # masked: the link may have been forwarded
    assert "no-store" in response["Cache-Control"]
    assert not MailOptOut.objects.exists()


def test_confirming_keeps_only_the_normalised_address_and_the_time(sale):
    client = Client(enforce_csrf_checks=True)
    url = page(sale)
    response = client.post(url, {"csrfmiddlewaretoken": csrf_token(client, url)})
    assert response.status_code == 302 and response["Location"] == url
    (opt_out,) = MailOptOut.objects.values()
    assert set(opt_out) == {"id", "identity", "at"}
    assert opt_out["identity"] == "minakim@gmail.com"
    assert "You will get no more thank-you e-mails" in client.get(url).content.decode()


def test_confirming_twice_keeps_the_first_time(sale):
    client = Client(enforce_csrf_checks=True)
    url = page(sale)
    token = csrf_token(client, url)
    client.post(url, {"csrfmiddlewaretoken": token})
    first = MailOptOut.objects.get().at
    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 302  # a second tab's confirm
    assert MailOptOut.objects.get().at == first


def test_a_post_without_the_csrf_token_is_refused(sale):
    client = Client(enforce_csrf_checks=True)
    assert client.post(page(sale)).status_code == 403
    assert not MailOptOut.objects.exists()


@pytest.mark.parametrize("tamper", [
    lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # one character of the signature
    lambda token: "Mg" + token[token.index(":"):],  # another sale's id with this one's signature
    lambda token: token.split(":")[0],  # no signature
    lambda token: "nonsense",
    lambda token: signing.Signer(salt="another.salt").sign_object(1),  # signed, but for something else
    lambda token: signing.Signer(salt=thanks.OPT_OUT_SALT).sign_object(10**9),  # a sale that does not exist
    lambda token: signing.Signer(salt=thanks.OPT_OUT_SALT).sign_object("1"),  # not an id
])
def test_a_tampered_or_unknown_token_is_a_friendly_404_and_records_nothing(client, sale, tamper):
    url = f"/thanks/opt-out/{tamper(thanks.opt_out_token(sale))}/"
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()
    assert not MailOptOut.objects.exists()


def test_after_opting_out_no_thank_you_reaches_any_spelling_of_the_address(client, sale, shop, running):
    client.post(page(sale))
    sell(shop, running, "A-2", email="minakim@gmail.com", at=NOW + MINUTE)
    mail.outbox.clear()
    outcome = sweep(at=NOW + 2 * MINUTE)
    assert (outcome.sent, outcome.skipped) == (0, 1)
    assert statuses()["A-2"] == ("skipped", thanks.OPTED_OUT) and mail.outbox == []


def test_the_page_names_the_account_that_sent_the_e_mail(client, sale, deals_account):
    ThankYouMessage.objects.filter(sale=sale).update(account=deals_account)
    assert "Bob Deals" in client.get(page(sale)).content.decode()
