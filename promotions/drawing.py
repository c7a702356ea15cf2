"""Drawing a closed round: freeze who is in it, run the verifiable draw (promotions/draws.py), store it all.

`draw_round()` is the one writer of Draw rows. In one transaction, under a lock on the
round's row, it

1. reads the eligible entrants as per-participant sums (one aggregate query grouped by the
   participant's primary key, streamed: never entry rows in Python), naming each with a
   pseudonym HMAC keyed once for the draw,
2. writes the published entrants file (pseudonym<TAB>weight, sorted) and takes its
   SHA-256 as the digest,
3. draws with the round's seed from the sorted rows the digest already holds
   (`draws.write_entrants_and_draw()`: the same places as `draws.draw()` over the file
   read back, which is how the draw is verified),
4. stores the file, the Draw (seed revealed, commitment, digest, algorithm, result) and
   one Winner row per place with its first WinnerEvent, sets the round's frozen figures
   and moves it CLOSED → DRAWN through `rounds.change_round_status()`;

and only after the commit emails the winners. A worker killed anywhere before the commit
leaves no Draw, no Winner and a closed round, so the next sweep draws it again from the same
rows, with the same seed: the same result. Ten "draw now" clicks or two workers at once wait
on the round's lock; the first stores the draw, the others find it and return it (and the
OneToOne on Draw.round stops a second row whatever happens).

Memory: the digest sorts the entry set (docs/draws.md: ~115 MB traced for a million
entrants), and the draw runs over that same sorted list; everything else keeps only the
picked places. Participant ids
go to a side file next to the entrants file, so finding the winners' rows needs no map of a
million pseudonyms.
"""

import hashlib
import logging
import tempfile

from django.core.exceptions import EmptyResultSet
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connections, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from promotions import draws, identities, rounds, winners
from promotions.models import Draw, Entry, Participant, Round, Winner, WinnerEvent
from promotions.rules import terms_of

log = logging.getLogger(__name__)

# Rows fetched per round trip while streaming the entrants: bounded memory, few round trips.
CHUNK_SIZE = 5_000


class DrawRefused(Exception):
    """The round cannot be drawn now; the message says why and what to do."""


# --- who is in the draw ---


def eligible_entrants(round):
    """(participant id, pseudonym, weight) for everyone in the draw of `round`, streamed from one aggregate query.

    In the draw: counted entries only (held, awaiting review and rejected ones wait or never count), of
    participants who are not blocked, who have a counted entry for every required mission of the giveaway
    in this round, and, when the giveaway excludes past winners, who won no earlier round of it.

    The sums are taken from the participant's side, grouped by its primary key (PostgreSQL then needs no
    hash of every joined row's identity text, which spilled to disk for a million entries), and the
    pseudonyms come from one HMAC keyed once for the whole draw (identities.pseudonym_maker()).
    """
    giveaway = round.giveaway
    terms = terms_of(round)  # required missions and past winners as the rules stood when the round opened
    pseudonym_of = identities.pseudonym_maker(giveaway.pseudonym_salt)
    # A required mission deleted since no longer asks anything of anyone.
    required = list(giveaway.missions.filter(pk__in=terms.required_mission_ids).values_list("pk", flat=True))
    # One filter() call, so the round, the status and the sums below are all on the same join of entries.
    people = Participant.objects.filter(blocked_at__isnull=True, entries__round=round,
                                        entries__status=Entry.Status.COUNTED)
    if terms.exclude_past_winners:
        past_winners = Winner.objects.filter(
            draw__round__giveaway=giveaway, draw__round__number__lt=round.number,
            status__in=[Winner.Status.NOTIFIED, Winner.Status.CLAIMED, Winner.Status.VERIFIED],
        ).values("participant_id")
        people = people.exclude(pk__in=past_winners)
    # order_by() drops any default ordering, which would otherwise join the GROUP BY.
    sums = people.order_by().values_list("pk", "identity").annotate(weight=Sum("entries__weight"))
    if required:
        sums = sums.annotate(
            required_done=Count("entries__mission", distinct=True, filter=Q(entries__mission__in=required)),
        ).filter(required_done=len(required))
    for participant_id, identity, weight, *_required_done in streamed(sums):
        yield participant_id, pseudonym_of(identity), weight


def streamed(queryset):
    """The rows of a values_list() `queryset` as the database returns them, CHUNK_SIZE per round trip.

    What `queryset.iterator(chunk_size=CHUNK_SIZE)` does (a server-side cursor on PostgreSQL), minus the
    ORM's per-row work, which costs a tenth of a second for 200,000 rows: only for columns the database
    already returns as the Python values wanted (ids, text, integer sums).
    """
    connection = connections[queryset.db]
    try:
        sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:
        return
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK_SIZE):
            yield from rows


def eligible_weights(round):
    """(pseudonym, weight) for everyone in the draw of `round`: what the published entrants file lists."""
    for _participant_id, pseudonym, weight in eligible_entrants(round):
        yield pseudonym, weight


def rows_in(entrants_file):
    """(pseudonym, weight) rows of an entrants file, read line by line (draws.draw() checks each row)."""
    entrants_file.seek(0)
    for line in entrants_file:
        pseudonym, _tab, weight = line.rstrip(b"\n").partition(b"\t")
        yield pseudonym.decode(), int(weight)


def participants_of(picked, people_file):
    """{pseudonym: participant id} for the picked pseudonyms, from the side file written with the entrants."""
    wanted, found = set(picked), {}
    people_file.seek(0)
    for line in people_file:
        pseudonym, _tab, participant_id = line.rstrip(b"\n").partition(b"\t")
        pseudonym = pseudonym.decode()
        if pseudonym in wanted:
            found[pseudonym] = int(participant_id)
    return found


def entrants_file_name(round, digest):
    return f"promotions/draws/{round.giveaway.slug}-round-{round.number}-{digest[:16]}.txt"


# --- drawing ---


def draw_round(*, round, by=None, at=None):
    """Draw `round` once and for all; returns its Draw. A round already drawn returns the draw it has.

    Raises DrawRefused for a round still taking entries. Safe to call from many processes at once.
    """
    at = at or timezone.now()
    existing = Draw.objects.filter(round_id=round.pk).first()
    if existing is not None:
        return existing
    saved_files = []  # a file stored by a transaction that then rolls back is deleted: no Draw points at it
    try:
        with transaction.atomic():
            # FOR NO KEY UPDATE: draws of this round queue here, while entries (whose foreign key takes a
            # KEY SHARE lock on the round) are never blocked by a long draw.
            locked = (Round.objects.select_for_update(no_key=True)
                      .select_related("giveaway__campaign__owner_account").get(pk=round.pk))
            existing = Draw.objects.filter(round=locked).first()
            if existing is not None:
                return existing
            if locked.status == Round.Status.OPEN:
                raise DrawRefused(f"{locked} is still taking entries; it can be drawn once it closes.")
            draw = store_draw(round=locked, by=by, at=at, saved_files=saved_files)
    except BaseException:
        for name in saved_files:
            default_storage.delete(name)
        raise
    round.status, round.entrant_count, round.total_weight = locked.status, locked.entrant_count, locked.total_weight
    return draw


def freeze_and_draw(*, round, entrants_file, people_file):
    """What a draw computes before it writes anything: (digest, picked pseudonyms, entrant count, total weight).

    Writes the entrants file (its SHA-256 is the digest) and the side file of participant ids to the two
    binary files given, and draws from the sorted rows the digest already holds in memory, rather than
    reading the file back: the same places either way (draws.write_entrants_and_draw()).
    """
    entrant_count, total_weight = 0, 0
    write_person = people_file.write

    def frozen_rows():
        nonlocal entrant_count, total_weight
        for participant_id, pseudonym, weight in eligible_entrants(round):
            write_person(b"%s\t%d\n" % (pseudonym.encode(), participant_id))
            entrant_count += 1
            total_weight += weight
            yield pseudonym, weight

    terms = terms_of(round)
    digest, picked = draws.write_entrants_and_draw(
        weights=frozen_rows(), file=entrants_file, seed=round.seed, winners=terms.winners,
        alternates=terms.alternates)
    return digest, picked, entrant_count, total_weight


def store_draw(*, round, by, at, saved_files):
    """Everything draw_round() writes, inside its transaction; returns the Draw. Names the stored file in
    `saved_files` as soon as it exists, for draw_round() to delete if the transaction does not commit."""
    terms = terms_of(round)  # the numbers of winners and alternates the rules promised for this round
    with tempfile.TemporaryFile() as entrants, tempfile.TemporaryFile() as people:
        frozen = freeze_and_draw(round=round, entrants_file=entrants, people_file=people)
        digest, picked, entrant_count, total_weight = frozen
        participant_ids = participants_of(picked, people)

        # A file left by a worker killed before its commit has the same name only if it has the same digest,
        # hence the same bytes; it is replaced rather than kept beside a second copy.
        name = entrants_file_name(round, digest)
        if default_storage.exists(name):
            default_storage.delete(name)
        entrants.seek(0)
        saved_name = default_storage.save(name, File(entrants))
        saved_files.append(saved_name)

    draw = Draw.objects.create(
        round=round, algorithm=draws.ALGORITHM, seed=round.seed, commitment=round.commitment, digest=digest,
        winners=terms.winners, alternates=terms.alternates, result=picked,
        entrants_file=saved_name, drawn_at=at, drawn_by=by,
    )
    places = []
    for place, pseudonym in enumerate(picked, start=1):
        is_winner = place <= terms.winners
        fields = winners.notified_fields(round=round, at=at) if is_winner else {}
        places.append(Winner(draw=draw, place=place, participant_id=participant_ids[pseudonym], pseudonym=pseudonym,
                             status=Winner.Status.NOTIFIED if is_winner else Winner.Status.ALTERNATE, **fields))
    Winner.objects.bulk_create(places)
    places = list(draw.places.order_by("place"))  # with their ids, on every database
    WinnerEvent.objects.bulk_create([
        WinnerEvent(winner=winner, occurred_at=at, actor=by, from_status="", to_status=winner.status,
                    reason=(f"Drawn in place {winner.place}; told by email" if winner.status == Winner.Status.NOTIFIED
                            else f"Drawn as alternate {winner.place - terms.winners}"))
        for winner in places
    ])
    Round.objects.filter(pk=round.pk).update(entrant_count=entrant_count, total_weight=total_weight)
    round.entrant_count, round.total_weight = entrant_count, total_weight
    note = (f"Drawn: {entrant_count} entrants, {total_weight} entries" if entrant_count
            else "Drawn with nobody in it: no eligible entries")
    rounds.change_round_status(round=round, to=Round.Status.DRAWN, by=by, at=at, note=note)
    for winner in places:
        if winner.status == Winner.Status.NOTIFIED:
            winners.email_on_commit(winner)
    return draw


def draw_due_rounds(*, at=None):
    """The sweep: draw every closed round of a giveaway that draws automatically. Returns the draws made.

    Rounds of giveaways that wait for "Draw now" are left to the marketer. One round failing (a storage
    error) is logged and retried by the next sweep; the others are still drawn.
    """
    at = at or timezone.now()
    drawn = []
    due = Round.objects.filter(status=Round.Status.CLOSED, giveaway__draws_automatically=True, draw__isnull=True)
    for round_id in list(due.values_list("pk", flat=True)):
        round = Round.objects.select_related("giveaway").get(pk=round_id)
        try:
            drawn.append(draw_round(round=round, at=at))
        except (DrawRefused, OSError) as error:
            log.warning("Round %s was not drawn (%s); the next sweep tries again.", round_id, error)
        except Exception:  # e.g. a ValueError from data no draw can take: this round waits, the others go on
            log.exception("Round %s could not be drawn; the next sweep tries again.", round_id)
    return drawn


# --- verifying what is stored ---


def verify_stored_draw(draw):
    """Re-run `draw` from what is published: the revealed seed, the commitment, the digest, the stored entrants
    file and the stored result. Returns a draws.Verification that names every failing check.

    Streams the file (its SHA-256 and the re-run each read it once), so checking a million-entrant draw holds
    only the picked places, not the entrants. Checking the file's bytes against the digest is the same check
    as digesting its rows: the digest was made from the canonical file, so equal hashes mean equal bytes.
    """
    problems = []
    seed_matches = draws.check_seed(draw.seed, draw.commitment, problems)

    try:
        with draw.entrants_file.open("rb") as file:
            sha = hashlib.sha256()
            for block in iter(lambda: file.read(1 << 20), b""):
                sha.update(block)
            digest_matches = sha.hexdigest() == draw.digest
            if not digest_matches:
                problems.append("The entrants file does not hash to the published digest: it differs from the "
                                "frozen entry set.")
            try:
                rerun = draws.draw(seed=draw.seed, digest=draw.digest, weights=rows_in(file),
                                   winners=draw.winners, alternates=draw.alternates, algorithm=draw.algorithm)
            except (ValueError, UnicodeDecodeError) as error:
                result_matches = False
                problems.append(f"The draw cannot be re-run from the entrants file: {error}")
            else:
                result_matches = rerun == list(draw.result)
                if not result_matches:
                    problems.append("Re-running the draw gives other winners or alternates than the published "
                                    "result.")
    except (OSError, ValueError) as error:
        digest_matches = result_matches = False
        problems.append(f"The entrants file cannot be read: {error}")
    return draws.Verification(seed_matches, digest_matches, result_matches, tuple(problems))
