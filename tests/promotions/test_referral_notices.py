"""Members hear when their group reaches a tier and when it is settled: one e-mail per member, group and hour."""

import datetime

import pytest
from django.core import mail

from promotions import referral_notices, referrals
from promotions.models import GroupMember
from tests.promotions.conftest import NOW, buy

pytestmark = pytest.mark.django_db
MINUTE = datetime.timedelta(minutes=1)


def members(group):
    return list(GroupMember.objects.filter(group=group).order_by("pk"))


def test_a_new_tier_tells_every_member_their_price_and_rebate(group):
    buy(group.code, "mina@example.com", "A-1")
    buy(group.code, "joon@example.com", "A-2", "180.00")
    assert referral_notices.send_due_notices(at=NOW) == 2
    by_address = {message.to[0]: message for message in mail.outbox}
    mina = by_address["mina@example.com"]
    assert mina.subject == "Seoul → Jeju: your group price dropped to 180.00 USD"
    assert "2 bookings confirmed in your Seoul → Jeju group — your price dropped to 180.00 USD" in mina.body
    assert "Your rebate of 20.00 USD is on its way after settlement" in mina.body
    assert "2 more bookings and it drops to 160.00 USD" in mina.body
    assert "rebate" not in by_address["joon@example.com"].body.split("\n\n")[2]  # paid the group price: owed 0
    assert referral_notices.send_due_notices(at=NOW) == 0


def test_a_second_tier_within_the_hour_waits_then_goes_once_with_the_latest_state(group):
    buy(group.code, "a@example.com", "B-1")
    buy(group.code, "b@example.com", "B-2")
    referral_notices.send_due_notices(at=NOW)
    mail.outbox.clear()
    buy(group.code, "c@example.com", "B-3", at=NOW + MINUTE)
    buy(group.code, "d@example.com", "B-4", at=NOW + MINUTE)  # 20 %
    assert referral_notices.send_due_notices(at=NOW + 30 * MINUTE) == 2  # only c and d, never told before
    assert sorted(message.to[0] for message in mail.outbox) == ["c@example.com", "d@example.com"]
    mail.outbox.clear()
    buy(group.code, "e@example.com", "B-5", at=NOW + 31 * MINUTE)
    buy(group.code, "f@example.com", "B-6", at=NOW + 31 * MINUTE)  # 30 %
    assert referral_notices.send_due_notices(at=NOW + 59 * MINUTE) == 2  # e and f; a–d wait for their hour
    mail.outbox.clear()
    assert referral_notices.send_due_notices(at=NOW + 61 * MINUTE) == 2  # a and b: one e-mail, the latest price
    assert all("dropped to 140.00 USD" in message.body for message in mail.outbox)
    assert referral_notices.send_due_notices(at=NOW + 120 * MINUTE) == 2  # c and d, an hour after theirs
    assert referral_notices.send_due_notices(at=NOW + 200 * MINUTE) == 0


def test_settlement_tells_members_the_final_figures(group, offer):
    buy(group.code, "a@example.com", "C-1")
    buy(group.code, "b@example.com", "C-2")
    referral_notices.send_due_notices(at=NOW)
    mail.outbox.clear()
    referrals.settle_offer(offer=offer, at=offer.settles_at)
    assert referral_notices.send_due_notices(at=offer.settles_at) == 2
    message = mail.outbox[0]
    assert message.subject == "Seoul → Jeju: your group is settled — final price 180.00 USD"
    assert "Your final rebate: 20.00 USD" in message.body and "These figures are final." in message.body


def test_refunded_and_rejected_members_hear_nothing(group):
    buy(group.code, "a@example.com", "D-1")
    buy(group.code, "b@example.com", "D-2")
    referrals.record_refund(order_reference="D-1", refunded_total="200.00", at=NOW)
    referral_notices.send_due_notices(at=NOW)
    assert [message.to[0] for message in mail.outbox] == ["b@example.com"]
    assert not GroupMember.objects.exclude(notice_due="").exists()


def test_two_senders_at_once_send_one_e_mail(group, monkeypatch):
    buy(group.code, "a@example.com", "E-1")
    buy(group.code, "b@example.com", "E-2")
    first_member = members(group)[0]
    real = referral_notices.send_notice

    def another_worker_claims_first(member_id, kind):
        # The other worker's sweep runs while this one is between its read and its claims.
        if member_id == first_member.pk:
            referral_notices.send_due_notices(at=NOW)
        return real(member_id, kind)

    monkeypatch.setattr(referral_notices, "send_notice", another_worker_claims_first)
    referral_notices.send_due_notices(at=NOW)
    assert sorted(message.to[0] for message in mail.outbox) == ["a@example.com", "b@example.com"]


def test_a_mail_server_failure_is_logged_not_raised(group, monkeypatch, caplog):
    buy(group.code, "a@example.com", "F-1")
    buy(group.code, "b@example.com", "F-2")

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(referral_notices, "send_mail", refuse)
    assert referral_notices.send_due_notices(at=NOW) == 0
    assert "was not sent" in caplog.text
