"""Winners after the draw: telling them, their claims, verification, and alternates stepping up.

Every status change of a drawn place is a conditional UPDATE on the status it had
(`UPDATE … WHERE status = <old>`, checking the row count) plus exactly one WinnerEvent with
its reason; history is never overwritten. Changes within one draw take turns on the draw's
row, so two admins forfeiting the same winner, or two different winners at once, promote
one alternate each, lowest place first.

    alternate → notified → claimed → verified
                   ↘          ↘
                    forfeited   forfeited     (the next alternate is then notified)

Emails go after the commit, never inside the transaction: a slow mail server never holds a
lock, and a rolled-back change sends nothing.
"""

import datetime
import logging
import secrets

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from campaigns.schedules import to_local
from common.addresses import absolute_url
from promotions.models import Draw, Winner, WinnerEvent
from promotions.rules import terms_of

log = logging.getLogger(__name__)

Status = Winner.Status
MISSED_THE_WINDOW = "missed the claim window"


class WinnerRefused(Exception):
    """The change cannot be made; the message says why and what to do instead."""


def notified_fields(*, round, at):
    """What a place gets when its person is told they won: a claim link and the deadline to use it.

    The claim window is the one the round's rules promised (rules.terms_of), whatever was edited since.
    """
    return {
        "claim_token": secrets.token_urlsafe(32),  # 43 characters, unguessable: the link is the invitation
        "notified_at": at,
        "claim_deadline": at + datetime.timedelta(days=terms_of(round).claim_days),
    }


def claim_url(winner):
    return absolute_url(reverse("promotions:claim", args=[winner.claim_token]))


def local_deadline(winner):
    owner = winner.draw.round.giveaway.campaign.owner_account
    return to_local(winner.claim_deadline, owner.timezone)


def send_notification(winner_id):
    """Email the person at `winner_id` their claim link. Runs after the commit; a mail failure is logged, and the
    claim link stays valid (an admin can send it again with notify())."""
    winner = (Winner.objects.select_related("participant", "draw__round__giveaway__campaign__owner_account")
              .filter(pk=winner_id, status=Status.NOTIFIED).first())
    if winner is None:
        return False
    giveaway = winner.draw.round.giveaway
    owner = giveaway.campaign.owner_account
    context = {"winner": winner, "giveaway": giveaway, "owner": owner, "claim_url": claim_url(winner),
               "deadline": local_deadline(winner), "timezone": owner.timezone}
    subject = render_to_string("promotions/email/winner_subject.txt", context).strip()
    message = render_to_string("promotions/email/winner_message.txt", context)
    try:
        send_mail(subject, message, None, [winner.participant.email])
    except OSError as error:  # smtplib's errors are OSErrors
        log.warning("The winner email for place %s of draw %s was not sent (%s); send it again from the admin.",
                    winner.place, winner.draw_id, error)
        return False
    return True


def email_on_commit(winner):
    transaction.on_commit(lambda: send_notification(winner.pk))


def change(*, winner, to, by, at, reason, **fields):
    """The conditional UPDATE and its event, inside the caller's transaction; False if the status moved meanwhile."""
    changed = Winner.objects.filter(pk=winner.pk, status=winner.status).update(status=to, **fields)
    if not changed:
        return False
    WinnerEvent.objects.create(winner=winner, occurred_at=at, actor=by, from_status=winner.status, to_status=to,
                               reason=reason[:300])
    winner.status = to
    for name, value in fields.items():
        setattr(winner, name, value)
    return True


def lock_draw(winner):
    """Changes within one draw take turns: the draw's row is the lock (FOR NO KEY UPDATE, held to the commit)."""
    Draw.objects.select_for_update(no_key=True).filter(pk=winner.draw_id).first()
    winner.refresh_from_db()


def notify(*, winner, at=None, by=None, reason=""):
    """Tell `winner` they won: an alternate becomes notified with a claim link and `claim_days` to use it.

    A place already notified gets its email again, with the same link and the same deadline (sending it
    again never extends the window). Returns True if the status changed. The email goes after the commit.
    """
    at = at or timezone.now()
    with transaction.atomic():
        lock_draw(winner)
        if winner.status == Status.NOTIFIED:
            email_on_commit(winner)
            return False
        if winner.status != Status.ALTERNATE:
            raise WinnerRefused(f"Place {winner.place} is {winner.get_status_display().lower()}: only an alternate "
                                "waiting can be told they won.")
        change(winner=winner, to=Status.NOTIFIED, by=by, at=at, reason=reason or "Told by email",
               **notified_fields(round=winner.draw.round, at=at))
        email_on_commit(winner)
    return True


def claim_prize(*, winner, full_name, shipping_address, phone, confirms_eligibility, at=None):
    """Record the winner's claim: where to send the prize and their confirmation that they are eligible.

    Refuses, with a sentence for the winner, a claim after the deadline, a second claim, a forfeited prize,
    missing details and an unticked confirmation.
    """
    at = at or timezone.now()
    full_name, shipping_address, phone = full_name.strip(), shipping_address.strip(), phone.strip()
    if not (full_name and shipping_address and phone):
        raise WinnerRefused("Give your full name, the address to send the prize to and a phone number.")
    if not confirms_eligibility:
        raise WinnerRefused("Tick the box to confirm that you meet the eligibility rules; we cannot send the prize "
                            "without it.")
    with transaction.atomic():
        lock_draw(winner)
        if winner.status in (Status.CLAIMED, Status.VERIFIED):
            raise WinnerRefused("You have already claimed this prize; there is nothing more to do.")
        if winner.status != Status.NOTIFIED:
            raise WinnerRefused("This prize can no longer be claimed: it was forfeited.")
        if at >= winner.claim_deadline:
            deadline, zone = local_deadline(winner), winner.draw.round.giveaway.campaign.owner_account.timezone
            raise WinnerRefused(f"The time to claim this prize ended on {deadline:%d %B %Y at %H:%M} "
                                f"({zone} time), so it goes to the next person drawn.")
        change(winner=winner, to=Status.CLAIMED, by=winner.participant.user, at=at, reason="Claimed by the winner",
               full_name=full_name[:200], shipping_address=shipping_address, phone=phone[:40], claimed_at=at)
    return winner


def verify_winner(*, winner, by, at=None, reason=""):
    """A marketer has checked the claim (identity, eligibility): the prize can be sent."""
    at = at or timezone.now()
    with transaction.atomic():
        lock_draw(winner)
        if winner.status != Status.CLAIMED:
            raise WinnerRefused(f"Place {winner.place} is {winner.get_status_display().lower()}: only a claimed prize "
                                "can be verified.")
        change(winner=winner, to=Status.VERIFIED, by=by, at=at, reason=reason or "Claim checked")
    return winner


def forfeit(*, winner, reason, by=None, at=None):
    """`winner` loses the prize (failed verification, missed the window…); the next alternate is told they won.

    Returns the alternate who replaces them, or None when no alternate is left. Refuses a place that is not a
    winner (an alternate waiting, a verified winner) or was forfeited already, e.g. by someone else a moment ago.
    """
    at = at or timezone.now()
    if not reason.strip():
        raise WinnerRefused("Give the reason the winner forfeits; it is kept in the place's history.")
    with transaction.atomic():
        lock_draw(winner)
        if winner.status == Status.FORFEITED:
            raise WinnerRefused(f"Place {winner.place} has already forfeited; its replacement, if any, was told.")
        if winner.status not in (Status.NOTIFIED, Status.CLAIMED):
            raise WinnerRefused(f"Place {winner.place} is {winner.get_status_display().lower()}: only a notified or "
                                "claimed winner can forfeit.")
        if not change(winner=winner, to=Status.FORFEITED, by=by, at=at, reason=f"Forfeited: {reason}"):
            raise WinnerRefused(f"Place {winner.place} was just changed by someone else; reload and try again.")
        replacement = (Winner.objects.filter(draw_id=winner.draw_id, status=Status.ALTERNATE)
                       .select_related("draw__round__giveaway").order_by("place").first())
        if replacement is None:
            return None
        change(winner=replacement, to=Status.NOTIFIED, by=by, at=at,
               reason=f"Replaces place {winner.place} ({winner.pseudonym}), who forfeited: {reason}",
               **notified_fields(round=replacement.draw.round, at=at))
        # `replaces` is a link, not a status: set once, when the alternate steps up.
        Winner.objects.filter(pk=replacement.pk, replaces__isnull=True).update(replaces=winner)
        replacement.replaces = winner
        email_on_commit(replacement)
    return replacement


def forfeit_overdue(*, at=None):
    """The sweep: every notified winner past their claim deadline forfeits; the next alternate steps up.

    Idempotent: a second run finds nothing. Returns the ids of the places that forfeited.
    """
    at = at or timezone.now()
    forfeited = []
    overdue = Winner.objects.filter(status=Status.NOTIFIED, claim_deadline__lte=at).order_by("draw_id", "place")
    for winner in list(overdue):
        with transaction.atomic():
            lock_draw(winner)
            # Judged again under the lock: a claim that landed since the query keeps the prize.
            if winner.status != Status.NOTIFIED or winner.claim_deadline > at:
                continue
            forfeit(winner=winner, reason=MISSED_THE_WINDOW, at=at)
        forfeited.append(winner.pk)
    return forfeited
