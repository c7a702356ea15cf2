"""E-mails to referral-group members: their group reached a new tier, or it is settled.

The rules (promotions/referrals.py) only mark what a member is due to hear (`GroupMember.notice_due`:
"tier" or "settled"); this module sends it, at most once per member per group per hour
(THROTTLE). A notice that waits out the hour is sent by the every-minute sweep with the group's
state at that moment, so several tier moves in an hour become one e-mail. Each member is claimed
by a conditional UPDATE before the e-mail goes, so two workers never send the same notice.
"""

import datetime
import logging

from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from common.addresses import absolute_url
from promotions import referrals
from promotions.models import GroupMember

log = logging.getLogger(__name__)

THROTTLE = datetime.timedelta(hours=1)
DUE = (referrals.NOTICE_TIER, referrals.NOTICE_SETTLED)


def send_due_notices(*, group_id=None, at=None):
    """Send every notice that is due and past the throttle (one group's, or all); the number sent."""
    at = at or timezone.now()
    due = (GroupMember.objects.filter(notice_due__in=DUE, status__in=referrals.LIVE)
           .filter(Q(last_emailed_at__isnull=True) | Q(last_emailed_at__lte=at - THROTTLE)))
    if group_id is not None:
        due = due.filter(group_id=group_id)
    sent = 0
    for member_id, kind, last in list(due.values_list("pk", "notice_due", "last_emailed_at")[:1000]):
        # The claim: only the process whose UPDATE changes the row sends.
        claimed = GroupMember.objects.filter(pk=member_id, notice_due=kind, last_emailed_at=last).update(
            notice_due="", last_emailed_at=at)
        if claimed and send_notice(member_id, kind):
            sent += 1
    # Members no longer live (refunded, rejected) are never told; their flag is cleared so the sweep stops looking.
    GroupMember.objects.filter(notice_due__in=DUE).exclude(status__in=referrals.LIVE).update(notice_due="")
    return sent


def send_notice(member_id, kind):
    member = (GroupMember.objects.select_related("participant", "group__item", "group__offer__account")
              .filter(pk=member_id).first())
    if member is None:
        return False
    group = member.group
    offer = group.offer
    group.offer = offer
    standing = referrals.standing(group)
    context = {
        "member": member, "group": group, "offer": offer, "item": group.item, "account": offer.account,
        "standing": standing, "friends": max(standing.confirmed - (1 if member.generation == 0 else 0), 0),
        "group_url": absolute_url(group.get_absolute_url()),
        "share_url": absolute_url(f"/r/{member.share_code}"),
    }
    name = "referral_settled" if kind == referrals.NOTICE_SETTLED else "referral_tier"
    subject = render_to_string(f"promotions/email/{name}_subject.txt", context).strip()
    message = render_to_string(f"promotions/email/{name}.txt", context)
    try:
        send_mail(subject, message, None, [member.participant.email])
    except (OSError, ValueError) as error:  # smtplib's errors are OSErrors; a malformed address a ValueError
        log.warning("The %s e-mail to member %s of referral group %s was not sent (%s).", kind, member.pk,
                    group.pk, error)
        return False
    return True
