"""What marketers decide about entries: the moderation queue, the fraud review queue, and blocking people.

Each function is one transaction of conditional UPDATEs (`… WHERE status = <the state it
expects>`), so two reviewers pressing at once, or a draw landing in between, change each
row once: the second finds nothing in the expected state and reports it. Nothing here
deletes a row. Entries of a round that has been drawn are final (the draw read them) and
are left as they are. The round's tally is enqueued on commit, as after an entry.

    entry:  review ──approve──▶ counted          held ──last open flag cleared──▶ counted
            review ──reject───▶ rejected         held ──a flag upheld──────────▶ rejected
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from promotions import giveaways
from promotions.models import Entry, Flag, Mission, Participant, Round

Status = Entry.Status


class ReviewRefused(Exception):
    """The decision cannot be made as asked; the message says what to do."""


@dataclass(frozen=True)
class Outcome:
    """How many of the rows asked about this call changed; the others were not in the expected state."""

    changed: int
    asked: int

    @property
    def unchanged(self):
        return self.asked - self.changed


def ids_of(rows):
    return [row if isinstance(row, int) else row.pk for row in rows]


def not_drawn():
    return ~Exists(Round.objects.filter(pk=OuterRef("round_id"), status=Round.Status.DRAWN))


def enqueue_tallies(round_ids):
    for round_id in set(round_ids):
        giveaways.enqueue_tally(Round(pk=round_id))


def credit_referrers(entry_ids, *, at):
    """For each person whose first counted entry of a giveaway is among `entry_ids`, credit their referrer."""
    rows = (Entry.objects.filter(pk__in=entry_ids, status=Status.COUNTED)
            .select_related("round", "participant").order_by("pk"))
    seen = set()
    for entry in rows:
        key = (entry.participant_id, entry.round.giveaway_id)
        if key in seen:
            continue
        seen.add(key)
        counted_before = (Entry.objects.filter(participant_id=entry.participant_id,
                                               round__giveaway_id=entry.round.giveaway_id, status=Status.COUNTED)
                          .exclude(pk__in=entry_ids).exists())
        if not counted_before:
            giveaways.credit_referrer(friend=entry.participant, round=entry.round, at=at)


def review_entries(*, entries, approve, note="", by=None, at=None):
    """Approve (count) or reject entries awaiting review, e.g. proof links of a follow or share.

    A rejection needs a reason (`note`): the person may ask why. Approving a person's first
    counted entry of a giveaway credits whoever referred them. Returns an Outcome.
    """
    at = at or timezone.now()
    note = (note or "").strip()
    if not approve and not note:
        raise ReviewRefused("Give a reason for rejecting: it is kept with the entries and the person may ask why.")
    ids = ids_of(entries)
    with transaction.atomic():
        waiting = Entry.objects.filter(not_drawn(), pk__in=ids, status=Status.AWAITING_REVIEW)
        changed_ids = list(waiting.values_list("pk", flat=True))
        round_ids = list(waiting.values_list("round_id", flat=True))
        changed = Entry.objects.filter(pk__in=changed_ids, status=Status.AWAITING_REVIEW).update(
            status=Status.COUNTED if approve else Status.REJECTED, review_note=note[:300], reviewed_by=by,
            reviewed_at=at)
        if approve:
            credit_referrers(changed_ids, at=at)
        enqueue_tallies(round_ids)
    return Outcome(changed=changed, asked=len(ids))


def decide_flags(*, flags, clear, note="", by=None, at=None):
    """Clear or uphold open fraud flags.

    Clearing the last open flag of a held entry counts it — or, for a proof link nobody has
    approved yet, sends it to the moderation queue. Upholding a flag rejects its entry (the
    note, or the flag's own reason, is kept as the entry's review note). Returns an Outcome
    counting flags.
    """
    at = at or timezone.now()
    note = (note or "").strip()[:300]
    ids = ids_of(flags)
    with transaction.atomic():
        open_flags = Flag.objects.filter(pk__in=ids, decision=Flag.Decision.OPEN).exclude(
            entry__round__status=Round.Status.DRAWN)
        decided = list(open_flags.values_list("pk", "entry_id", "entry__round_id", "reason"))
        changed = Flag.objects.filter(pk__in=[pk for pk, *_ in decided], decision=Flag.Decision.OPEN).update(
            decision=Flag.Decision.CLEARED if clear else Flag.Decision.UPHELD, decided_by=by, decided_at=at,
            decision_note=note)
        entry_ids = {entry_id for _, entry_id, _, _ in decided}
        if clear:
            release_held_entries(entry_ids, note=note, by=by, at=at)
        else:
            reasons = {entry_id: reason for _, entry_id, _, reason in decided}
            for entry_id, reason in reasons.items():
                Entry.objects.filter(pk=entry_id, status=Status.HELD).update(
                    status=Status.REJECTED, review_note=(note or f"Fraud flag upheld: {reason}")[:300],
                    reviewed_by=by, reviewed_at=at)
        enqueue_tallies(round_id for _, _, round_id, _ in decided)
    return Outcome(changed=changed, asked=len(ids))


def release_held_entries(entry_ids, *, note, by, at):
    """Held entries among `entry_ids` with no open flag left: counted, or awaiting review for an unapproved proof."""
    still_flagged = Exists(Flag.objects.filter(entry=OuterRef("pk"), decision=Flag.Decision.OPEN))
    releasable = Entry.objects.filter(pk__in=entry_ids, status=Status.HELD).exclude(still_flagged)
    proofs = releasable.filter(mission__kind=Mission.Kind.PROOF_URL, reviewed_at__isnull=True)
    proofs.update(status=Status.AWAITING_REVIEW)
    counted_ids = list(releasable.values_list("pk", flat=True))
    Entry.objects.filter(pk__in=counted_ids, status=Status.HELD).update(
        status=Status.COUNTED, review_note=note, reviewed_by=by, reviewed_at=at)
    credit_referrers(counted_ids, at=at)


def block_participant(*, participant, reason, by=None, at=None, campaign_ids=None):
    """Block a person from every giveaway of the brand: never a deletion.

    The block itself is brand-wide, whoever sets it: a person is one Participant across all the
    brand's accounts, and once blocked they can enter no giveaway of any account any more
    (complete_mission refuses blocked people) nor be drawn. What was already entered is decided
    only where the blocker decides: their entries in rounds not yet drawn, and the open flags on
    those entries, are rejected with the reason in the giveaways of `campaign_ids` (the campaigns
    the blocker may edit; None, for a superuser, means every campaign). Entries and flags in other
    accounts' giveaways are left to those accounts' marketers. Entries of drawn rounds stay as
    they were: a drawn winner is forfeited on the winners' page. Returns False when the person
    was blocked already.
    """
    at = at or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ReviewRefused("Give a reason for blocking: it is kept with the person and shown to your colleagues.")
    with transaction.atomic():
        blocked = Participant.objects.filter(pk=participant.pk, blocked_at__isnull=True).update(
            blocked_at=at, blocked_reason=reason[:300], blocked_by=by)
        if not blocked:
            return False
        pending = Entry.objects.filter(not_drawn(), participant_id=participant.pk).exclude(status=Status.REJECTED)
        open_flags = Flag.objects.filter(entry__participant_id=participant.pk, decision=Flag.Decision.OPEN).exclude(
            entry__round__status=Round.Status.DRAWN)
        if campaign_ids is not None:
            campaign_ids = list(campaign_ids)
            pending = pending.filter(round__giveaway__campaign__in=campaign_ids)
            open_flags = open_flags.filter(entry__round__giveaway__campaign__in=campaign_ids)
        round_ids = list(pending.values_list("round_id", flat=True).distinct())
        pending.update(status=Status.REJECTED, review_note=f"Participant blocked: {reason}"[:300], reviewed_by=by,
                       reviewed_at=at)
        open_flags.update(decision=Flag.Decision.UPHELD, decided_by=by, decided_at=at,
                          decision_note=f"Blocked: {reason}"[:300])
        enqueue_tallies(round_ids)
    participant.blocked_at, participant.blocked_reason = at, reason[:300]
    return True
