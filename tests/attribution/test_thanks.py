"""Thank-you e-mails: which sales are thanked, what the e-mail says, once per order, retries and skipped reasons.

The other thank-you test modules use this one as their URL configuration (`urlpatterns` below) until
attribution/urls.py routes the opt-out page; with it routed, the extra route is a harmless duplicate.
"""

import datetime
import smtplib
import uuid
from email.utils import parseaddr

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path

import attribution.admin.thanks  # noqa: F401 - registers the admin pages (attribution/admin/__init__.py may not yet)
from accounts.models import User
from attribution import thanks
from attribution import urls as attribution_urls
from attribution.models import Credit, MailOptOut, Sale, ThankYouMessage, ThankYouTemplate
from attribution.views import thanks as thanks_views
from campaigns.models import Campaign
from promotions import referrals
from promotions.models import GroupMember
from tests.attribution.conftest import DAY, HOUR, NOW, deliver, paid, refunded, touch
from tests.campaigns.conftest import make_campaign
from tests.concurrency import run_concurrently
from tests.promotions.conftest import make_offer, make_person

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

# Imported after the admin registration above, so the admin's URLs include the thank-you pages.
from config import urls as site_urls  # noqa: E402

urlpatterns = [
    path("", include(([*attribution_urls.urlpatterns,
                       path("thanks/opt-out/<str:token>/", thanks_views.opt_out, name="thanks-opt-out")],
                      "attribution"))),
    *site_urls.urlpatterns,
]

MINUTE = datetime.timedelta(minutes=1)
SUBJECT = "Thank you from {account}"
BODY = "Order {order} via {campaign}{referrer_clause}. Item: {item}. Referrer: [{referrer}]. {sale.__class__}"


def enable(account, *, since=NOW - DAY, **fields):
    """The account's thank-you e-mail, switched on at `since`."""
    template = ThankYouTemplate.objects.create(account=account, enabled=True, subject=fields.pop("subject", SUBJECT),
                                               body=fields.pop("body", BODY), **fields)
    ThankYouTemplate.objects.filter(pk=template.pk).update(enabled_at=since)
    template.refresh_from_db()
    return template


def sell(source, campaign, order, *, email="mina@example.com", at=NOW, touched=True, **fields):
    """A sale of `order` recorded at `at`, its buyer's visitor touched `campaign` an hour before (last touch)."""
    visitor = uuid.uuid5(uuid.NAMESPACE_URL, order)
    if touched:
        touch(campaign, at=at - HOUR, visitor=visitor)
    deliver(source, paid(order, at=at - MINUTE, visitor_id=str(visitor), customer_email=email, **fields), at=at)
    return Sale.objects.get(order_id=order)


def sweep(at=NOW + MINUTE):
    return thanks.send_due_thank_yous(at=at)


def statuses():
    return {message.sale.order_id: (message.status, message.reason)
            for message in ThankYouMessage.objects.select_related("sale")}


def sent_to():
    return sorted(address for message in mail.outbox for address in message.to)


class DownBackend(BaseEmailBackend):
    """A mail server that does not answer."""

    def open(self):
        raise ConnectionRefusedError("mail server down")

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


class RefusingBackend(BaseEmailBackend):
    """A mail server that answers but refuses every recipient for good (550) or for now (450)."""

    code = 550

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({messages[0].to[0]: (self.code, b"mailbox unavailable")})


class BusyBackend(RefusingBackend):
    code = 450


# --- rendering ---

def test_only_known_placeholders_are_replaced_and_marketer_text_is_never_formatted():
    values = thanks.variables(account="Alice Air", order="A-1", campaign="Winter", item="{x}", referrer="Mina")
    text = "{account} {order} {campaign} {item}{referrer_clause}. {sale.__class__} {unknown} {0} {} {{account}}"
    assert thanks.render(text, values) == (
        "Alice Air A-1 Winter {x} through Mina. {sale.__class__} {unknown} {0} {} {Alice Air}")
    assert thanks.variables(account="A", order="1", campaign="C", item="", referrer="")["referrer_clause"] == ""


def test_placeholder_problems_name_the_unknown_ones():
    assert thanks.placeholder_problems("Hi {account}, {order}{referrer_clause}") == ""
    problem = thanks.placeholder_problems("Hi {name} and {sale.__class__} and {name}")
    assert problem.startswith("Unknown variables {name}, {sale.__class__}.")
    assert "{referrer_clause}" in problem
    assert "single braces" in thanks.placeholder_problems("Hi {{account}}")


def test_the_sender_name_survives_accents_commas_and_newlines(main_account):
    from email.header import decode_header, make_header

    main_account.name = "Café Séoul, Ltd\n"
    message = mail.EmailMessage("s", "b", thanks.sender_for(main_account), ["x@example.com"]).message()
    assert str(make_header(decode_header(message["From"]))) == "Café Séoul, Ltd <chorus@localhost>"


# --- who is thanked, once ---

def test_a_credited_sale_is_thanked_once_in_the_campaign_owners_name(shop, running, main_account):
    enable(main_account)
    sell(shop, running, "A-1")
    outcome = sweep()
    assert (outcome.sent, outcome.skipped, outcome.failed) == (1, 0, 0)
    (message,) = mail.outbox
    assert message.to == ["mina@example.com"]
    assert parseaddr(message.from_email) == ("Alice Air", "chorus@localhost")
    assert message.subject == "Thank you from Alice Air"
    assert message.body.startswith("Order A-1 via Winter Sale. Item: . Referrer: []. {sale.__class__}")
    assert statuses() == {"A-1": ("sent", "")}
    assert ThankYouMessage.objects.get().account == main_account
    assert sweep(at=NOW + 2 * MINUTE) == thanks.Outcome() and len(mail.outbox) == 1  # run again: nothing more


def test_every_e_mail_carries_a_working_opt_out_link(shop, running, main_account, settings):
    settings.PUBLIC_BASE_URL = "https://chorus.example.com"
    enable(main_account)
    sale = sell(shop, running, "A-1")
    sweep()
    (message,) = mail.outbox
    url = f"https://chorus.example.com/thanks/opt-out/{thanks.opt_out_token(sale)}/"
    assert url in message.body
    assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert thanks.sale_for_token(thanks.opt_out_token(sale)) == sale


def test_the_first_lines_sku_is_the_item_of_an_order_in_no_group(shop, running, main_account):
    enable(main_account, body="{item}")
    sell(shop, running, "A-1", amount="200000", lines=[{"sku": "WINE-12", "quantity": 1, "amount": "200000"}])
    sweep()
    assert mail.outbox[0].body.startswith("WINE-12\n")


def test_the_thanking_account_is_the_one_whose_campaign_got_the_last_touch(shop, running, main_account,
                                                                           deals_account):
    """alice's shop sold it, but the last touch was bob's deals campaign: bob's account thanks, in its name."""
    enable(main_account)
    enable(deals_account, subject="From {account}")
    deals = make_campaign(deals_account, slug="flash", status=Campaign.Status.LIVE, starts_at=NOW - 5 * DAY,
                          ends_at=NOW + DAY)
    visitor = uuid.uuid4()
    touch(running, at=NOW - 3 * HOUR, visitor=visitor)
    touch(deals, at=NOW - 2 * HOUR, visitor=visitor)
    deliver(shop, paid("A-1", at=NOW - MINUTE, visitor_id=str(visitor)), at=NOW)
    sweep()
    assert [message.subject for message in mail.outbox] == ["From Bob Deals"]
    assert parseaddr(mail.outbox[0].from_email)[0] == "Bob Deals"
    assert ThankYouMessage.objects.get().account == deals_account


def test_a_sale_without_last_touch_credit_is_not_thanked(shop, running, main_account):
    enable(main_account)
    sell(shop, running, "A-1", touched=False)
    assert not Credit.objects.exists()
    assert sweep() == thanks.Outcome()
    assert not ThankYouMessage.objects.exists() and mail.outbox == []


def test_nothing_is_sent_while_the_e_mail_is_switched_off_or_the_account_is_inactive(shop, running, main_account):
    template = enable(main_account)
    ThankYouTemplate.objects.filter(pk=template.pk).update(enabled=False)
    sell(shop, running, "A-1")
    assert sweep() == thanks.Outcome()
    ThankYouTemplate.objects.filter(pk=template.pk).update(enabled=True)
    type(main_account).objects.filter(pk=main_account.pk).update(active=False)
    assert sweep() == thanks.Outcome()
    assert mail.outbox == [] and not ThankYouMessage.objects.exists()


def test_only_sales_recorded_after_the_e_mail_was_switched_on_are_thanked(shop, running, main_account):
    """Switching it on must not mail earlier buyers, even those of the last few days."""
    sell(shop, running, "BEFORE", email="before@example.com", at=NOW - 2 * HOUR)
    enable(main_account, since=NOW - HOUR)
    sell(shop, running, "AFTER", email="after@example.com", at=NOW)
    sweep()
    assert sent_to() == ["after@example.com"]
    assert set(statuses()) == {"AFTER"}


def test_sales_older_than_seven_days_are_never_thanked(shop, running, main_account):
    enable(main_account, since=NOW - 30 * DAY)
    sell(shop, running, "OLD", email="old@example.com", at=NOW - 8 * DAY)
    sell(shop, running, "NEW", email="new@example.com", at=NOW - 6 * DAY)
    sweep()
    assert sent_to() == ["new@example.com"]


def test_an_old_order_imported_today_is_not_thanked(shop, running, main_account):
    """Recorded now (a CSV import) but ordered last month: not one of this week's buyers."""
    enable(main_account)
    visitor = uuid.uuid4()
    touch(running, at=NOW - 19 * DAY, visitor=visitor)
    deliver(shop, paid("IMPORTED", at=NOW - 18 * DAY, visitor_id=str(visitor)), at=NOW)
    assert Credit.objects.filter(model="last_touch").exists()
    assert sweep() == thanks.Outcome() and mail.outbox == []


# --- skipped, with the reason ---

def test_skipped_sales_are_logged_with_their_reasons(shop, running, main_account):
    enable(main_account)
    MailOptOut.objects.create(identity="optedout@gmail.com", at=NOW - DAY)
    sell(shop, running, "NO-MAIL", email="")
    sell(shop, running, "OPTED-OUT", email="Opted.Out+shop@googlemail.com")  # the same person, spelt otherwise
    sell(shop, running, "FINE", email="fine@example.com")
    outcome = sweep()
    assert (outcome.sent, outcome.skipped) == (1, 2)
    assert sent_to() == ["fine@example.com"]
    assert statuses() == {"NO-MAIL": ("skipped", thanks.NO_EMAIL), "OPTED-OUT": ("skipped", thanks.OPTED_OUT),
                          "FINE": ("sent", "")}
    assert sweep(at=NOW + HOUR) == thanks.Outcome()  # decided once: the skipped are not looked at again


def test_a_fully_refunded_order_is_not_thanked_a_partly_refunded_one_is(shop, running, main_account):
    enable(main_account)
    sell(shop, running, "FULL", email="full@example.com", amount="100.00", currency="USD")
    sell(shop, running, "PART", email="part@example.com", amount="100.00", currency="USD")
    deliver(shop, refunded("FULL", event_id="r1", amount="100.00", currency="USD", at=NOW), at=NOW)
    deliver(shop, refunded("PART", event_id="r2", amount="30.00", currency="USD", at=NOW), at=NOW)
    sweep()
    assert sent_to() == ["part@example.com"]
    assert statuses()["FULL"] == ("skipped", thanks.REFUNDED)


# --- the referral group's item and referrer ---

@pytest.fixture
def group(running):
    offer = make_offer(running, currency="KRW", base_price="200000")
    founder = make_person("founder@example.com")
    User.objects.filter(pk=founder.user_id).update(name="Mina Park")
    return referrals.start_group(offer=offer, item=offer.items.get(), participant=founder, at=NOW - 12 * HOUR)


def buy_through(shop, running, group, code, order, email):
    """A purchase through `code` (the group's or a member's share code) after a click on the group's link."""
    visitor = uuid.uuid5(uuid.NAMESPACE_URL, order)
    touch(running, at=NOW - HOUR, visitor=visitor, kind="referral_click", reference=referrals.touch_reference(group))
    deliver(shop, paid(order, amount="200000", at=NOW - MINUTE, visitor_id=str(visitor), referral_code=code,
                       customer_email=email, lines=[{"sku": "JEJU-RT", "quantity": 1, "amount": "200000"}]), at=NOW)
    return GroupMember.objects.get(order_reference=order)


def test_a_referral_order_names_the_groups_item_and_the_referrers_first_name(shop, running, main_account, group):
    enable(main_account)
    joon = make_person("joon@example.com")
    User.objects.filter(pk=joon.user_id).update(name="Joon Lee")
    first = buy_through(shop, running, group, group.code, "R-1", "joon@example.com")  # the founder's link
    second = buy_through(shop, running, group, first.share_code, "R-2", "ara@example.com")  # joon's link
    third = buy_through(shop, running, group, second.share_code, "R-3", "bo@example.com")  # ara's link
    assert (first.generation, second.referred_by, third.referred_by) == (1, first, second)
    sweep()
    bodies = {message.to[0]: message.body for message in mail.outbox}
    assert bodies["joon@example.com"].startswith(
        "Order R-1 via Winter Sale through Mina. Item: Seoul → Jeju. Referrer: [Mina].")
    assert bodies["ara@example.com"].startswith(
        "Order R-2 via Winter Sale through Joon. Item: Seoul → Jeju. Referrer: [Joon].")
    # ara has no name on file (never her address): no referrer, and the clause goes with it
    assert bodies["bo@example.com"].startswith("Order R-3 via Winter Sale. Item: Seoul → Jeju. Referrer: [].")


def test_the_founders_own_order_names_no_referrer(shop, running, main_account, group):
    enable(main_account)
    assert buy_through(shop, running, group, group.code, "R-0", "founder@example.com").generation == 0
    sweep()
    assert mail.outbox[0].body.startswith("Order R-0 via Winter Sale. Item: Seoul → Jeju. Referrer: [].")


# --- failures and retries ---

def test_a_failed_send_is_retried_by_the_next_sweep_and_sent_once(shop, running, main_account, settings):
    enable(main_account)
    sell(shop, running, "A-1", email="a@example.com")
    sell(shop, running, "A-2", email="b@example.com")
    settings.EMAIL_BACKEND = f"{__name__}.DownBackend"
    outcome = sweep()
    assert (outcome.sent, outcome.failed) == (0, 2)
    assert {status for status, _ in statuses().values()} == {"failed"}
    assert "ConnectionRefusedError" in statuses()["A-1"][1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    outcome = sweep(at=NOW + 2 * MINUTE)
    assert (outcome.sent, outcome.failed) == (2, 0)
    assert sent_to() == ["a@example.com", "b@example.com"]
    assert statuses() == {"A-1": ("sent", ""), "A-2": ("sent", "")}
    assert ThankYouMessage.objects.get(sale__order_id="A-1").at == NOW + 2 * MINUTE
    assert sweep(at=NOW + 3 * MINUTE) == thanks.Outcome() and len(mail.outbox) == 2


def test_a_retry_rechecks_opt_outs_refunds_and_the_switch(shop, running, main_account, settings):
    template = enable(main_account)
    sell(shop, running, "OPT", email="opt@example.com", amount="100.00", currency="USD")
    sell(shop, running, "REF", email="ref@example.com", amount="100.00", currency="USD")
    settings.EMAIL_BACKEND = f"{__name__}.DownBackend"
    sweep()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    thanks.record_opt_out(email="OPT@example.com", at=NOW + MINUTE)
    deliver(shop, refunded("REF", event_id="r1", amount="100.00", currency="USD", at=NOW), at=NOW + MINUTE)
    outcome = sweep(at=NOW + 2 * MINUTE)
    assert (outcome.sent, outcome.skipped) == (0, 2)
    assert statuses() == {"OPT": ("skipped", thanks.OPTED_OUT), "REF": ("skipped", thanks.REFUNDED)}
    sell(shop, running, "OFF", email="off@example.com", at=NOW + 3 * MINUTE)
    settings.EMAIL_BACKEND = f"{__name__}.DownBackend"
    sweep(at=NOW + 4 * MINUTE)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ThankYouTemplate.objects.filter(pk=template.pk).update(enabled=False)
    sweep(at=NOW + 5 * MINUTE)
    assert statuses()["OFF"] == ("skipped", thanks.SWITCHED_OFF)
    assert mail.outbox == []


def test_failures_are_given_up_once_the_order_is_a_week_old(shop, running, main_account, settings):
    enable(main_account)
    sell(shop, running, "A-1")
    settings.EMAIL_BACKEND = f"{__name__}.DownBackend"
    sweep()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sweep(at=NOW + 8 * DAY)
    assert statuses() == {"A-1": ("skipped", thanks.GAVE_UP)} and mail.outbox == []


def test_a_permanently_refused_address_is_skipped_a_busy_server_is_retried(shop, running, main_account, settings):
    enable(main_account)
    sell(shop, running, "A-1", email="gone@example.com")
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    assert sweep().skipped == 1
    assert statuses()["A-1"][0] == "skipped" and "refused" in statuses()["A-1"][1]
    sell(shop, running, "A-2", email="busy@example.com", at=NOW + MINUTE)
    settings.EMAIL_BACKEND = f"{__name__}.BusyBackend"
    assert sweep(at=NOW + 2 * MINUTE).failed == 1
    assert statuses()["A-2"][0] == "failed"


def test_a_sweep_costs_the_same_queries_for_one_sale_or_many(shop, running, main_account, deals_account, group):
    enable(main_account)
    sell(shop, running, "ONE", email="one@example.com")
    with CaptureQueriesContext(connection) as one:
        assert sweep().sent == 1
    for number in range(4):
        sell(shop, running, f"MANY-{number}", email=f"many{number}@example.com", at=NOW + MINUTE)
    buy_through(shop, running, group, group.code, "MANY-R", "joon@example.com")
    with CaptureQueriesContext(connection) as many:
        assert sweep(at=NOW + 2 * MINUTE).sent == 5
    assert len(many) == len(one), [query["sql"] for query in many]


def test_two_sweeps_that_read_the_same_due_sale_send_it_once(shop, running, main_account):
    """The INSERT is the claim: a sweep whose row another sweep wrote first sends nothing."""
    enable(main_account)
    sale = sell(shop, running, "A-1")
    ThankYouMessage.objects.create(sale=sale, account=main_account, status="sent", at=NOW)  # the other sweep's
    assert thanks.insert_messages([(sale.pk, main_account.pk, "sent", "")], at=NOW + MINUTE) == set()
    assert thanks.claim_messages([sale.pk], at=NOW + MINUTE) == []  # not failed: nothing to claim back
    assert ThankYouMessage.objects.get().at == NOW


@pytest.mark.postgres
def test_eight_sweeps_at_once_send_each_thank_you_once(shop, running, main_account):
    enable(main_account)
    for number in range(6):
        sell(shop, running, f"C-{number}", email=f"c{number}@example.com")
    results, errors = run_concurrently(lambda: sweep(), threads=8)
    assert errors == []
    assert sum(outcome.sent for outcome in results) == 6
    assert sent_to() == [f"c{number}@example.com" for number in range(6)]
    assert ThankYouMessage.objects.filter(status="sent").count() == 6


@pytest.mark.postgres
def test_eight_sweeps_retrying_at_once_send_each_failed_e_mail_once(shop, running, main_account, settings):
    enable(main_account)
    for number in range(6):
        sell(shop, running, f"F-{number}", email=f"f{number}@example.com")
    settings.EMAIL_BACKEND = f"{__name__}.DownBackend"
    sweep()
    assert ThankYouMessage.objects.filter(status="failed").count() == 6
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    results, errors = run_concurrently(lambda: sweep(at=NOW + 2 * MINUTE), threads=8)
    assert errors == []
    assert sum(outcome.sent for outcome in results) == 6
    assert sent_to() == [f"f{number}@example.com" for number in range(6)]
