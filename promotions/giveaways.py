"""Taking part in a giveaway: one participant per person, eligibility, and completing missions.

`complete_mission()` is the only writer of Entry rows. It checks, in this order, what a
person can act on (the round, eligibility, the mission's own check, unlocking, the
entry limit), then writes one Entry in one short transaction with a touch, and enqueues
the round's tally on commit. Fraud rules (promotions/fraud.py) never refuse: they hold
the entry with a reason for a marketer to review, so the person sees their entry and
nobody learns which rule they tripped.

A double submit is a no-op: the unique (round, mission, participant, occurrence)
constraint keeps one row, and the second call reports "already done".
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Membership
from campaigns.models import Campaign, Touch
from campaigns.schedules import to_local
from campaigns.touches import (
    TouchFacts,
    account_runs_campaign,
    record_touch,
    touch_facts_from_request,
)
from campaigns.visitors import client_ip, visitor_id_from
from common.inserts import insert_row
from promotions import fraud, identities, rounds
from promotions.models import Entry, Flag, Mission, NewsletterConsent, Participant, Referral, Round
from promotions.rules import country_list, terms_of

# Completions a person makes on the page; referrals and purchases arrive from elsewhere.
COMPLETED_ON_THE_PAGE = {
    Mission.Kind.VISIT_LINK, Mission.Kind.SECRET_CODE, Mission.Kind.QUIZ, Mission.Kind.PROOF_URL,
    Mission.Kind.DAILY_VISIT, Mission.Kind.NEWSLETTER,
}
PENDING = [Entry.Status.AWAITING_REVIEW, Entry.Status.HELD]
MAX_PROOF_URL = 500


class MissionRefused(Exception):
    """The completion cannot be accepted; the message tells the person what to do."""


@dataclass(frozen=True)
class Completion:
    entry: Entry | None  # None when the completion had been recorded before (created is False)
    created: bool
    round_total: int
    message: str


@dataclass
class EntryFacts:
    """What the request tells about the person entering, kept only as keyed hashes."""

    visitor_id: object = None
    touch: TouchFacts = field(default_factory=TouchFacts)
    network_hash: str = ""
    agent_hash: str = ""


def entry_facts_from_request(request):
    touch = touch_facts_from_request(request, client_ip=client_ip(request))
    return EntryFacts(visitor_id=visitor_id_from(request), touch=touch, network_hash=touch.network_hash,
                      agent_hash=touch.agent_hash)


# --- participants ---


# Participant.objects.filter(identity=…).first(), plus what the staff rule of eligibility_problem() would
# look up, written out: it runs on every page view and completion, and Django took longer to build it
# than the database to answer.
PARTICIPANT_SQL = """
    SELECT p.*, u.is_staff AS login_is_staff,
           EXISTS (SELECT 1 FROM accounts_membership m WHERE m.user_id = p.user_id OR m.user_id = %s) AS member
    FROM promotions_participant p LEFT JOIN accounts_user u ON u.id = p.user_id
    WHERE p.identity = %s"""


def participant_for(*, user, at=None):
    """The participant for a signed-in user, created on first use; every spelling of an address is one person.

    One query for someone who has taken part before; it also reads `staff_or_member` (whether the
    participant's own login or `user`, another spelling of the address, is staff or a member of a brand
    account) for eligibility_problem(), and sets `participant.user` to `user` when it is that login.
    Raises MissionRefused when the account's address cannot identify a person (see identities.py).
    """
    at = at or timezone.now()
    try:
        identity = identities.normalise_email(user.email)
    except ValueError as error:
        raise MissionRefused(f"Your account's email address cannot be used to enter: {error}") from None
    found = next(iter(Participant.objects.raw(PARTICIPANT_SQL, [user.pk, identity])), None)
    if found is not None:
        found.staff_or_member = bool(user.is_staff or found.login_is_staff or found.member)
        if found.user_id == user.pk:
            found.user = user  # no second query for the same row
        return found
    try:
        with transaction.atomic():
            return Participant.objects.create(identity=identity, user=user, email=user.email, created_at=at)
    except IntegrityError:
        # Someone with the same identity (another tab, another spelling) was created at the same moment.
        return Participant.objects.get(identity=identity)


def save_details(*, participant, country, birth_date):
    """Record the country and date of birth that eligibility is judged by — once.

    Giving the same details again changes nothing; different ones are refused (MissionRefused), so a
    person told they are too young cannot simply declare another birthday. Corrections go through the
    organiser.
    """
    country = country.strip().upper()
    if isinstance(birth_date, str):
        birth_date = datetime.date.fromisoformat(birth_date)
    if participant.country and participant.birth_date is not None:
        if (participant.country, participant.birth_date) == (country, birth_date):
            return
        raise MissionRefused("Your country and date of birth are already recorded and cannot be changed here. "
                             "If they are wrong, contact the organiser (see the official rules).")
    participant.country = country
    participant.birth_date = birth_date
    participant.save(update_fields=["country", "birth_date"])


def age_on(birth_date, day):
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def eligibility_problem(*, participant, giveaway, at, user=None, staff_or_member=None, terms=None):
    """Why this person cannot enter this giveaway, in words for them, or None.

    `user` is who is signed in: another spelling of the participant's address may belong to a staff
    login that is not `participant.user` (the first login of that person), and staff never enter.
    `staff_or_member` is whether one of those logins is staff or a member of a brand account, when the
    caller has read it already (the giveaway page reads it with the participant); None looks it up.
    `terms` are the round's frozen terms (rules.terms_of); without them, the giveaway's fields as they are now.
    """
    if participant.blocked_at is not None:
        return "Your participation is on hold. Contact the organiser if you think this is a mistake."
    owner = giveaway.campaign.owner_account
    if staff_or_member is None:
        users = {candidate for candidate in (participant.user, user) if candidate is not None}
        staff_or_member = bool(users) and (any(candidate.is_staff for candidate in users)
                                           or Membership.objects.filter(user__in=users).exists())
    if staff_or_member:
        return f"Staff of {owner.name} and its partner accounts cannot enter its giveaways."
    if not participant.country or participant.birth_date is None:
        return "Tell us your country and date of birth first: the rules depend on them."
    if terms is not None:
        allowed, denied, minimum_age = terms.allowed_countries, terms.denied_countries, terms.minimum_age
    else:
        allowed, denied = country_list(giveaway.allowed_countries), country_list(giveaway.denied_countries)
        minimum_age = giveaway.minimum_age
    if (allowed and participant.country not in allowed) or participant.country in denied:
        return "This giveaway is not open to residents of your country (see the official rules)."
    local_today = to_local(at, owner.timezone).date()
    if age_on(participant.birth_date, local_today) < minimum_age:
        return f"You must be {minimum_age} or older to enter."
    return None


def has_won_before(*, participant, giveaway, before_round):
    from promotions.models import Winner

    return Winner.objects.filter(
        participant=participant, draw__round__giveaway=giveaway, draw__round__number__lt=before_round.number,
        status__in=[Winner.Status.NOTIFIED, Winner.Status.CLAIMED, Winner.Status.VERIFIED],
    ).exists()


# --- the missions' own checks ---


def normalised_code(text):
    """Case- and space-insensitive: “ jeju 2026 ” and “JEJU2026” are one code; full-width letters count too."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).casefold()


def checked_answer(mission, answer):
    """The answer to store for `mission`, or MissionRefused saying what is wrong with it."""
    answer = (answer or "").strip()
    kind = mission.kind
    if kind == Mission.Kind.SECRET_CODE:
        if not answer:
            raise MissionRefused("Enter the code from the post.")
        if normalised_code(answer) != normalised_code(mission.secret_code):
            where = f" on {mission.account.name}" if mission.account_id else ""
            raise MissionRefused(f"That is not the code. Check the post{where} and try again.")
        return answer[:100]
    if kind == Mission.Kind.QUIZ:
        if not answer:
            raise MissionRefused("Pick an answer.")
        if answer not in mission.choice_list():
            raise MissionRefused("Pick one of the listed answers.")
        if normalised_code(answer) != normalised_code(mission.correct_choice):
            raise MissionRefused("That is not the right answer. Have another look and try again.")
        return answer
    if kind == Mission.Kind.PROOF_URL:
        if not answer:
            raise MissionRefused("Paste the link to your post or profile.")
        if len(answer) > MAX_PROOF_URL:
            raise MissionRefused(f"That link is longer than {MAX_PROOF_URL} characters; copy the post's own link.")
        try:
            URLValidator(schemes=["http", "https"])(answer)
        except ValidationError:
            raise MissionRefused("That is not a web link. Paste a link starting with https://.") from None
        return answer
    return ""


def occurrence_for(mission, *, owner_timezone, at, occurrence):
    if mission.kind == Mission.Kind.DAILY_VISIT:
        return to_local(at, owner_timezone).date().isoformat()
    return occurrence or ""


def credited_account_id(mission, campaign):
    """The account that announced the mission if it still runs the campaign, else the owner."""
    if mission.kind == Mission.Kind.VISIT_LINK and mission.link_id:
        candidate = mission.link.account_id
    else:
        candidate = mission.account_id
    if candidate and candidate != campaign.owner_account_id and account_runs_campaign(account_id=candidate,
                                                                                       campaign=campaign):
        return candidate
    return campaign.owner_account_id


# --- totals a person sees ---


def participant_round_total(participant, round):
    """Entries the person has in the round, counted or waiting for review (what the page shows)."""
    return RoundProgress.of(participant, round).total


def completed_missions(participant, round):
    """{mission id: completions} for the person in the round (rejected ones do not count)."""
    return RoundProgress.of(participant, round).completions()


@dataclass(frozen=True)
class RoundProgress:
    """The person's completions in one round, read in one query: what complete_mission() decides by and
    the giveaway page shows."""

    rows: tuple  # (mission id, occurrence, status, weight) of every entry, rejected ones included

    # Entry.objects.filter(participant=…, round=…).values_list("mission_id", "occurrence", "status", "weight"),
    # written out: it runs on every completion, and Django took longer to build it than the database to answer.
    SQL = ("SELECT mission_id, occurrence, status, weight FROM promotions_entry "
           "WHERE participant_id = %s AND round_id = %s")

    @classmethod
    def of(cls, participant, round):
        with connection.cursor() as cursor:
            cursor.execute(cls.SQL, [participant.pk, round.pk])
            return cls(tuple(cursor.fetchall()))

    def has(self, mission, occurrence):
        return any(row[0] == mission.pk and row[1] == occurrence for row in self.rows)

    @property
    def total(self):
        """Entries counted or waiting for review (what the page shows and the limit counts)."""
        return sum(weight for _, _, status, weight in self.rows if status != Entry.Status.REJECTED)

    @property
    def has_counted(self):
        return any(status == Entry.Status.COUNTED for _, _, status, _ in self.rows)

    def completions(self):
        """{mission id: completions}, rejected ones left out."""
        counts = {}
        for mission_id, _, status, _ in self.rows:
            if status != Entry.Status.REJECTED:
                counts[mission_id] = counts.get(mission_id, 0) + 1
        return counts

    def missions_done_besides(self, mission):
        return len({row[0] for row in self.rows if row[2] != Entry.Status.REJECTED and row[0] != mission.pk})


# --- completing a mission ---


def complete_mission(*, participant, mission, facts, answer="", occurrence="", at=None, user=None,
                     staff_or_member=None):
    """Record that `participant` completed `mission` now: one Entry, one touch, the tally enqueued on commit.

    Returns a Completion; a repeat of a completion already recorded returns created=False and writes
    nothing. Raises MissionRefused, writing nothing, when the completion cannot be accepted.
    """
    at = at or timezone.now()
    giveaway = mission.giveaway
    campaign = giveaway.campaign
    if campaign.status != Campaign.Status.LIVE:
        raise MissionRefused("This giveaway is not taking entries right now.")
    round = rounds.open_round(giveaway=giveaway, at=at)
    if round is None or not round.is_open(at):
        upcoming = rounds.next_window(giveaway, at)
        when = (f" The next round opens {to_local(upcoming.opens_at, campaign.owner_account.timezone):%Y-%m-%d %H:%M}."
                if upcoming else "")
        raise MissionRefused("Entries are closed between rounds." + when)
    terms = terms_of(round)  # what the rules promised when this round opened, whatever was edited since
    problem = eligibility_problem(participant=participant, giveaway=giveaway, at=at, terms=terms,
                                  user=user if getattr(user, "pk", None) else None, staff_or_member=staff_or_member)
    if problem:
        raise MissionRefused(problem)
    if terms.exclude_past_winners and has_won_before(participant=participant, giveaway=giveaway,
                                                       before_round=round):
        raise MissionRefused("You won an earlier round; past winners cannot win this giveaway again.")
    stored_answer = checked_answer(mission, answer)
    occurrence = occurrence_for(mission, owner_timezone=campaign.owner_account.timezone, at=at,
                                occurrence=occurrence)
    limit = terms.entry_limit_per_person
    locks_the_person = bool(mission.unlock_after or limit)
    progress = None if locks_the_person else RoundProgress.of(participant, round)
    if progress is not None and progress.has(mission, occurrence):
        return already_done(mission=mission, participant=participant, round=round, total=progress.total)
    # The unique key settles a double submit racing this one: the INSERT fails, the whole block rolls
    # back (no savepoint around the INSERT: two statements less on every entry), and if the other
    # submit's row is there, the answer is "already done". Nothing is retried inside the transaction.
    try:
        with transaction.atomic():
            if locks_the_person:
                # One person's completions take turns, so the entry limit and unlocking are judged on settled
                # rows. Only then: the lock costs a query on every completion.
                Participant.objects.select_for_update().filter(pk=participant.pk).first()
                progress = RoundProgress.of(participant, round)
                if progress.has(mission, occurrence):
                    return already_done(mission=mission, participant=participant, round=round, total=progress.total)
            if mission.unlock_after and progress.missions_done_besides(mission) < mission.unlock_after:
                raise MissionRefused(f"This mission unlocks after you complete {mission.unlock_after} other "
                                     f"mission{'s' if mission.unlock_after != 1 else ''}.")
            weight = mission.entries
            if limit:
                remaining = limit - progress.total
                if remaining <= 0:
                    raise MissionRefused(f"You have the most entries one person can earn in this round ({limit}).")
                weight = min(weight, remaining)
            status = Entry.Status.AWAITING_REVIEW if mission.kind == Mission.Kind.PROOF_URL else Entry.Status.COUNTED
            reasons = fraud.reasons_to_hold(participant=participant, round=round, mission=mission, facts=facts,
                                            occurrence=occurrence, at=at)
            if reasons:
                status = Entry.Status.HELD
            values = {
                "round_id": round.pk, "mission_id": mission.pk, "participant_id": participant.pk,
                "occurrence": occurrence, "weight": weight, "account_id": credited_account_id(mission, campaign),
                "answer": stored_answer, "status": status, "ip_hash": facts.touch.ip_hash,
                "network_hash": facts.network_hash, "agent_hash": facts.agent_hash, "created_at": at,
            }
            # The hot path's INSERT without the ORM's compiler (common/inserts.py): same columns, same values.
            entry = Entry(pk=insert_row(Entry, values, returning_pk=True), **values)
            for rule, reason in reasons:
                Flag.objects.create(entry=entry, rule=rule, reason=reason[:300], created_at=at)
            if mission.kind == Mission.Kind.NEWSLETTER:
                NewsletterConsent.objects.create(participant=participant, account_id=entry.account_id,
                                                 text=consent_text(mission), given_at=at)
            if facts.visitor_id is not None:
                record_touch(visitor_id=facts.visitor_id, campaign=campaign, account=entry.account_id,
                             kind=Touch.Kind.ENTRY, facts=facts.touch, user=user or participant.user_id,
                             reference=f"giveaway:{giveaway.pk}", at=at)
            first_counted = entry.status == Entry.Status.COUNTED and not progress.has_counted
            if first_counted and mission.kind != Mission.Kind.REFER_FRIEND:
                # A friend's first counted completion in the round credits their referrer (once per giveaway: later
                # rounds find the credit given); a referral reward never credits anyone's.
                credit_referrer(friend=participant, round=round, at=at)
            enqueue_tally(round)
    except IntegrityError:
        if not Entry.objects.filter(round=round, mission=mission, participant=participant,
                                    occurrence=occurrence).exists():
            raise
        return already_done(mission=mission, participant=participant, round=round)
    total = progress.total + weight
    return Completion(entry, True, total, completion_message(entry, total))


def already_done(*, mission, participant, round, total=None):
    """The answer to a completion recorded before: nothing written, the person's total as it stands."""
    total = participant_round_total(participant, round) if total is None else total
    if mission.kind == Mission.Kind.DAILY_VISIT:
        return Completion(None, False, total, "You have already checked in today. Come back tomorrow for "
                                              "another entry.")
    return Completion(None, False, total, "You have already completed this mission in this round.")


def completion_message(entry, total):
    noun = "entry" if entry.weight == 1 else "entries"
    if entry.status == Entry.Status.AWAITING_REVIEW:
        return f"Thanks! Your link will be checked; {entry.weight} {noun} count once it is approved."
    return f"Done: +{entry.weight} {noun}. You have {total} in this round."


def consent_text(mission):
    return (mission.instructions.strip() or f"Send me the newsletter of {mission.account or 'the organiser'}.")[:300]


def enqueue_tally(round):
    """On commit, ask a tally worker to recount the round; the every-minute sweep covers a lost job."""
    from promotions import jobs

    transaction.on_commit(lambda: jobs.enqueue_round_tally(round.pk))


# --- referrals ---


def record_referral(*, giveaway, friend, code, at=None):
    """Remember that `friend` came through the referral link with `code`; the first referrer wins.

    Returns the Referral, or None for an unknown code, one's own code, or a friend already referred.
    """
    at = at or timezone.now()
    referrer = Participant.objects.filter(referral_code=code).first()
    if referrer is None or referrer.pk == friend.pk:
        return None
    if Entry.objects.filter(participant=friend, round__giveaway=giveaway).exists():
        return None  # already taking part: a link opened later is not what brought them
    try:
        with transaction.atomic():
            return Referral.objects.create(giveaway=giveaway, referrer=referrer, friend=friend, created_at=at)
    except IntegrityError:
        return None


def credit_referrer(*, friend, round, at):
    """Give the referrer of `friend` their refer-a-friend entries once the friend has a counted entry.

    Once per friend per giveaway, in the round where the friend's first counted entry lands. Runs inside
    complete_mission's transaction (and when a reviewer approves the friend's first entry).
    """
    referral = Referral.objects.filter(giveaway_id=round.giveaway_id, friend=friend).select_related("referrer").first()
    if referral is None:
        return []
    occurrence = f"friend:{friend.pk}"
    missions = Mission.objects.filter(giveaway_id=round.giveaway_id, kind=Mission.Kind.REFER_FRIEND)
    credited = []
    for mission in missions:
        if Entry.objects.filter(round__giveaway_id=round.giveaway_id, mission=mission, occurrence=occurrence).exists():
            continue
        try:
            completion = complete_mission(participant=referral.referrer, mission=mission, facts=EntryFacts(),
                                          occurrence=occurrence, at=at)
        except MissionRefused:
            continue  # the referrer cannot enter (staff, limit reached, blocked): the friend's entry stands
        if completion.created:
            credited.append(completion.entry)
    return credited


# --- purchases (called by attribution, which hands over plain facts) ---


def record_purchase(*, email, campaign_id, amount, currency, at=None):
    """Complete the purchase missions of `campaign_id`'s giveaways for the buyer with `email`.

    `attribution` calls this when a sale it credits to the campaign arrives; it passes plain values, so
    promotions never imports attribution. A sale below a mission's minimum (or in another currency than
    the giveaway's) completes nothing. Returns the entries written (empty when there is nothing to do,
    including for a second order in the same round). Never raises for a refusal: a sale is not an entry form.
    """
    at = at or timezone.now()
    try:
        identity = identities.normalise_email(email)
        amount = Decimal(str(amount))
    except (ValueError, InvalidOperation):
        return []
    currency = (currency or "").strip().upper()  # ISO 4217 codes are upper case; shops do not always send them so
    participant = Participant.objects.filter(identity=identity).first()
    if participant is None:
        return []  # nobody with that address takes part: the sale counts for attribution only
    written = []
    missions = Mission.objects.filter(kind=Mission.Kind.PURCHASE, giveaway__campaign_id=campaign_id).select_related(
        "giveaway__campaign__owner_account")
    for mission in missions:
        if mission.minimum_purchase is not None and (currency != mission.giveaway.currency
                                                     or amount < mission.minimum_purchase):
            continue
        try:
            # Once per round, like the other missions: a second order in the round is "already done".
            completion = complete_mission(participant=participant, mission=mission, facts=EntryFacts(), at=at)
        except MissionRefused:
            continue
        if completion.created:
            written.append(completion.entry)
    return written


def current_rounds_for(giveaway_ids, at):
    """{giveaway id: open Round} for the landing page, one query."""
    return {round.giveaway_id: round for round in Round.objects.filter(
        giveaway_id__in=giveaway_ids, status=Round.Status.OPEN, opens_at__lte=at, closes_at__gt=at)}

