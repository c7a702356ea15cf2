"""Members hear when their group reaches a tier and when it is settled: one e-mail per person, group and hour."""

import datetime

import pytest
from django.core import mail

from promotions import referral_notices, referrals
from promotions.models import GroupMember, Participant
from tests.concurrency import run_concurrently
from tests.promotions.conftest import NOW, buy, make_person

pytestmark = pytest.mark.django_db
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """send_due_notices() as a job runs it: the e-mails go when the claims commit."""
    def run(**arguments):
        with django_capture_on_commit_callbacks(execute=True):
            return referral_notices.send_due_notices(**arguments)
    return run


def sent_to():
    return sorted(message.to[0] for message in mail.outbox)


def by_address():
    return {message.to[0]: message for message in mail.outbox}


def test_a_new_tier_tells_every_live_member_their_price_and_rebate(group, sweep):
    buy(group.code, "mina@example.com", "A-1")
    buy(group.code, "joon@example.com", "A-2", "180.00")  # the second booking: 10 %, 180.00
    assert sweep(at=NOW) == 2
    mina, joon = by_address()["mina@example.com"], by_address()["joon@example.com"]
    assert mina.subject == "Seoul → Jeju: your group price dropped to 180.00 USD"
    assert "2 bookings confirmed in your Seoul → Jeju group — your price dropped to 180.00 USD" in mina.body
    assert "Your rebate of 20.00 USD is on its way after settlement" in mina.body
    assert "2 more bookings and it drops to 160.00 USD for everyone" in mina.body
    assert "rebate" not in joon.body  # joon paid the group price: owed nothing, told nothing about it
    assert sweep(at=NOW) == 0 and len(mail.outbox) == 2


def test_the_e_mail_links_to_the_group_page_and_the_members_own_share_link(group, sweep, settings):
    settings.PUBLIC_BASE_URL = "https://chorus.example.com"
    buy(group.code, "mina@example.com", "L-1")
    buy(group.code, "joon@example.com", "L-2")
    sweep(at=NOW)
    mina = GroupMember.objects.get(participant__email="mina@example.com")
    body = by_address()["mina@example.com"].body
    assert f"See your group: https://chorus.example.com/o/{group.offer.slug}/g/{group.code}/" in body
    assert f"Share your link: https://chorus.example.com/r/{mina.share_code}" in body


def test_a_second_tier_within_the_hour_waits_then_goes_once_with_the_latest_state(group, sweep):
    buy(group.code, "a@example.com", "B-1")
    buy(group.code, "b@example.com", "B-2")  # 10 %
    sweep(at=NOW)
    mail.outbox.clear()
    buy(group.code, "c@example.com", "B-3", at=NOW + MINUTE)
    buy(group.code, "d@example.com", "B-4", at=NOW + MINUTE)  # 20 %
    assert sweep(at=NOW + 30 * MINUTE) == 2  # c and d, never told before; a and b wait for their hour
    assert sent_to() == ["c@example.com", "d@example.com"]
    mail.outbox.clear()
    buy(group.code, "e@example.com", "B-5", at=NOW + 31 * MINUTE)
    buy(group.code, "f@example.com", "B-6", at=NOW + 31 * MINUTE)  # 30 %
    assert sweep(at=NOW + 59 * MINUTE) == 2  # e and f; a to d still wait
    mail.outbox.clear()
    assert sweep(at=NOW + 60 * MINUTE) == 2  # a and b: two tier moves, one e-mail, the latest price
    assert sent_to() == ["a@example.com", "b@example.com"]
    assert all("dropped to 140.00 USD" in message.body and "rebate of 60.00 USD" in message.body
               for message in mail.outbox)
    mail.outbox.clear()
    assert sweep(at=NOW + 89 * MINUTE) == 0  # c and d heard at NOW + 30 min
    assert sweep(at=NOW + 90 * MINUTE) == 2 and sent_to() == ["c@example.com", "d@example.com"]
    assert sweep(at=NOW + 200 * MINUTE) == 0


def test_a_group_job_sends_only_its_own_groups_notices(group, offer, sweep):
    other = referrals.start_group(offer=offer, item=offer.items.get(), participant=make_person("erin@example.com"),
                                  at=NOW)
    for code, prefix in ((group.code, "g"), (other.code, "o")):
        buy(code, f"{prefix}1@example.com", f"{prefix}-1")
        buy(code, f"{prefix}2@example.com", f"{prefix}-2")
    assert sweep(group_id=other.pk, at=NOW) == 2
    assert sent_to() == ["o1@example.com", "o2@example.com"]


def test_settlement_tells_members_the_final_figures(group, offer, sweep):
    buy(group.code, "a@example.com", "C-1")
    buy(group.code, "b@example.com", "C-2", "180.00")
    sweep(at=NOW)
    mail.outbox.clear()
    referrals.settle_offer(offer=offer, at=offer.settles_at)
    assert sweep(at=offer.settles_at) == 2
    a, b = by_address()["a@example.com"], by_address()["b@example.com"]
    assert a.subject == "Seoul → Jeju: your group is settled — final price 180.00 USD"
    assert "Final group price: 180.00 USD (list price 200.00 USD, 2 bookings confirmed)." in a.body
    assert "Your final rebate: 20.00 USD." in a.body and "These figures are final." in a.body
    assert "No rebate is due on your booking." in b.body
    assert "Share your link" not in a.body  # a settled group takes no more bookings


def test_a_tier_notice_still_waiting_at_settlement_becomes_the_settlement_e_mail(group, offer, sweep):
    buy(group.code, "a@example.com", "S-1")
    buy(group.code, "b@example.com", "S-2")
    sweep(at=NOW)
    buy(group.code, "c@example.com", "S-3", at=NOW + MINUTE)
    buy(group.code, "d@example.com", "S-4", at=NOW + MINUTE)  # a and b are due a tier notice, throttled
    referrals.settle_offer(offer=offer, at=offer.settles_at)
    mail.outbox.clear()
    sweep(at=offer.settles_at)
    assert sent_to() == ["a@example.com", "b@example.com", "c@example.com", "d@example.com"]
    assert all("settled" in message.subject and "160.00 USD" in message.subject for message in mail.outbox)


def test_refunded_and_rejected_members_hear_nothing(group, sweep):
    buy(group.code, "a@example.com", "D-1")
    buy(group.code, "b@example.com", "D-2")
    buy(group.code, "c@example.com", "D-3")
    referrals.record_refund(order_reference="D-1", refunded_total="200.00", at=NOW)
    rejected = GroupMember.objects.get(order_reference="D-3")
    GroupMember.objects.filter(pk=rejected.pk).update(status=GroupMember.Status.REJECTED)
    sweep(at=NOW)
    assert sent_to() == ["b@example.com"]


def test_a_refund_that_takes_the_group_down_a_tier_says_the_price_rose(group, sweep):
    for number in range(4):
        buy(group.code, f"p{number}@example.com", f"R-{number}")  # 20 %: 160.00
    sweep(at=NOW)
    mail.outbox.clear()
    referrals.record_refund(order_reference="R-3", refunded_total="200.00", at=NOW + 2 * 60 * MINUTE)
    assert sweep(at=NOW + 2 * 60 * MINUTE) == 3
    message = by_address()["p0@example.com"]
    assert message.subject == "Seoul → Jeju: your group price is now 180.00 USD"
    assert "was refunded, so 3 bookings count now and the group price is 180.00 USD" in message.body
    assert "Your rebate of 20.00 USD" in message.body and "dropped" not in message.body


def test_one_person_with_two_bookings_in_a_group_gets_one_e_mail_with_both_rebates(group, sweep):
    buy(group.code, "a@example.com", "P-1")
    buy(group.code, "a@example.com", "P-2")  # a second booking: it does not count toward the tier
    buy(group.code, "b@example.com", "P-3")  # 10 %
    assert sweep(at=NOW) == 2
    assert sent_to() == ["a@example.com", "b@example.com"]
    assert "Your rebate of 40.00 USD" in by_address()["a@example.com"].body


def test_two_senders_at_once_send_one_e_mail_each(group, sweep):
    buy(group.code, "a@example.com", "E-1")
    buy(group.code, "b@example.com", "E-2")
    assert referral_notices.claim(group_id=group.pk, participant_id=Participant.objects.get(
        email="a@example.com").pk, at=NOW)  # another worker claimed a between this one's read and its claim
    assert sweep(at=NOW) == 1
    assert sweep(at=NOW) == 0
    assert sent_to() == ["b@example.com"]


def test_an_unusable_address_is_skipped_with_a_log_line(group, sweep, caplog):
    buy(group.code, "a@example.com", "U-1")
    buy(group.code, "b@example.com", "U-2")
    Participant.objects.filter(email="a@example.com").update(email="not an address")
    sweep(at=NOW)
    assert sent_to() == ["b@example.com"]
    assert "unusable" in caplog.text


def test_a_mail_server_failure_is_logged_and_the_notice_tried_again_after_the_hour(group, sweep, monkeypatch,
                                                                                    caplog):
    buy(group.code, "a@example.com", "F-1")
    buy(group.code, "b@example.com", "F-2")

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    with monkeypatch.context() as patched:
        patched.setattr(referral_notices, "send_mail", refuse)
        sweep(at=NOW)
    assert mail.outbox == [] and "was not sent" in caplog.text
    assert sweep(at=NOW + 30 * MINUTE) == 0
    assert sweep(at=NOW + 60 * MINUTE) == 2 and sent_to() == ["a@example.com", "b@example.com"]


@pytest.mark.postgres
def test_eight_workers_sweeping_at_once_send_each_e_mail_once(group):
    for number in range(6):
        buy(group.code, f"p{number}@example.com", f"W-{number}")
    results, errors = run_concurrently(lambda: referral_notices.send_due_notices(at=NOW), threads=8)
    assert errors == []
    assert sum(results) == 6
    assert sent_to() == [f"p{number}@example.com" for number in range(6)]
