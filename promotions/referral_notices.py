"""E-mails to referral-group members: their group's price moved to a new tier, or the group is settled.

The rules (promotions/referrals.py) only mark what a member is due to hear (`GroupMember.notice_due`: "tier"
or "settled"); this module sends it. A person hears about a group at most once per THROTTLE, however many of
their purchases are in it (each is a member row) and however often its tier moves: a notice that waits out the
hour is sent by the every-minute sweep (promotions/jobs.py: send_referral_notices) with the group's state at
sending time, so several moves in an hour become one e-mail, and a group settled meanwhile sends the settlement
e-mail instead.

One conditional UPDATE claims a person's due rows in a group (clears `notice_due`, sets `last_emailed_at`), so
of two workers only one sends; the e-mail goes after the claim commits (claim, send, next person: a worker
killed in between loses at most that one e-mail, and never sends one twice). Members no longer live (refunded,
rejected, held for review) are never told. A person whose address cannot be used, or whose group went away,
is skipped with a log line; a mail server that fails leaves the notice due for the next hour.
"""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from common.addresses import absolute_url
from promotions import referrals
from promotions.models import GroupMember, Participant, ReferralGroup, TierChange
from promotions.tiers import ZERO

log = logging.getLogger(__name__)

THROTTLE = datetime.timedelta(hours=1)
DUE = (referrals.NOTICE_TIER, referrals.NOTICE_SETTLED)
# People per call. Each e-mail waits on the mail server (0.1–0.5 s), so a call stays well inside the job
# timeout; the next minute's sweep takes the rest.
BATCH = 200


def emailed_recently(rows, at):
    """Rows (one person's in one group, or correlated with OuterRef) e-mailed within THROTTLE before `at`."""
    return rows.filter(last_emailed_at__gt=at - THROTTLE)


def send_due_notices(*, group_id=None, at=None):
    """Claim every notice that is due and past the throttle (one group's, or all) and send each after the claim
    commits; the number of people claimed."""
    at = at or timezone.now()
    same_person = GroupMember.objects.filter(group_id=OuterRef("group_id"), participant_id=OuterRef("participant_id"))
    due = (GroupMember.objects.filter(notice_due__in=DUE, status__in=referrals.LIVE)
           .exclude(Exists(emailed_recently(same_person, at))))
    if group_id is not None:
        due = due.filter(group_id=group_id)
    people = list(due.order_by("group_id", "participant_id").values_list("group_id", "participant_id")
                  .distinct()[:BATCH])
    claimed = 0
    for due_group_id, participant_id in people:
        if claim(group_id=due_group_id, participant_id=participant_id, at=at):
            claimed += 1
            transaction.on_commit(
                lambda g=due_group_id, p=participant_id: send_notice(group_id=g, participant_id=p, at=at), robust=True)
    return claimed


def claim(*, group_id, participant_id, at):
    """Take the person's due notice about the group for this sender; whether it did.

    Only the first of several workers changes the rows: the others find `notice_due` cleared (PostgreSQL
    re-reads a row a concurrent UPDATE changed before applying its own).
    """
    mine = GroupMember.objects.filter(group_id=group_id, participant_id=participant_id)
    return bool(mine.filter(notice_due__in=DUE, status__in=referrals.LIVE)
                .exclude(Exists(emailed_recently(mine, at)))
                .update(notice_due="", last_emailed_at=at))


def send_notice(*, group_id, participant_id, at):
    """E-mail the person where their group stands now; whether the e-mail went. Runs after the claim commits."""
    group = ReferralGroup.objects.select_related("item", "offer__account").filter(pk=group_id).first()
    participant = Participant.objects.filter(pk=participant_id).first()
    if group is None or participant is None:
        log.warning("No notice for participant %s about referral group %s: one of them is gone.", participant_id,
                    group_id)
        return False
    try:
        validate_email(participant.email)
    except ValidationError:
        log.warning("No notice for participant %s about referral group %s: their e-mail address is unusable.",
                    participant_id, group_id)
        return False
    rows = list(GroupMember.objects.filter(group=group, participant=participant, status__in=referrals.LIVE)
                .order_by("bought_at", "pk"))
    if not rows:
        log.info("No notice for participant %s about referral group %s: no purchase of theirs is live any more.",
                 participant_id, group_id)
        return False
    name = "referral_settled" if group.settled_at is not None else "referral_tier"
    context = notice_context(group=group, rows=rows, at=at)
    subject = " ".join(render_to_string(f"promotions/email/{name}_subject.txt", context).split())
    message = render_to_string(f"promotions/email/{name}.txt", context)
    try:
        send_mail(subject, message, None, [participant.email])
    except (OSError, ValueError) as error:  # smtplib's errors are OSErrors; a header it refuses, a ValueError
        log.warning("The %s e-mail to participant %s about referral group %s was not sent (%s); it is tried again "
                    "in an hour.", name, participant_id, group_id, error)
        # Due again, unless something newer is due or another worker claimed it since.
        GroupMember.objects.filter(group=group, participant=participant, status__in=referrals.LIVE, notice_due="",
                                   last_emailed_at=at).update(
            notice_due=referrals.NOTICE_SETTLED if group.settled_at is not None else referrals.NOTICE_TIER)
        return False
    return True


def notice_context(*, group, rows, at):
    """What the e-mails say: the group's standing now, the person's rebate over all their purchases in it."""
    offer = group.offer
    latest = TierChange.objects.filter(group=group).order_by("-pk").first()
    shareable = group.disabled_at is None and group.settled_at is None and referrals.is_open(offer, at)
    return {
        "group": group, "offer": offer, "item": group.item, "account": offer.account,
        "standing": referrals.standing(group),
        "rebate": sum((row.rebate_owed for row in rows), ZERO),
        # The last move was back up in price (a refund took the group down a tier): say so, not "dropped".
        "price_rose": latest is not None and latest.to_percent < latest.from_percent,
        "group_url": absolute_url(reverse("promotions:group-detail", args=[offer.slug, group.code])),
        "share_url": absolute_url(reverse("promotions:share-link", args=[rows[0].share_code])) if shareable else "",
    }
