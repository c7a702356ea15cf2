"""Drawing a closed round from the database: who is in it, what is stored, one draw whatever happens."""

import hashlib

import pytest
from django.core import mail
from django.core.files.storage import default_storage

from promotions import drawing, draws, rounds
from promotions.drawing import DrawRefused, draw_due_rounds, draw_round, eligible_weights, verify_stored_draw
from promotions.giveaways import complete_mission
from promotions.identities import pseudonym
from promotions.models import Draw, Entry, Mission, Round, RoundEvent, Winner, WinnerEvent
from tests.concurrency import run_concurrently
from tests.promotions.conftest import DAY, HOUR, NOW, facts, make_mission, make_person

CLOSES = NOW + 22 * HOUR  # the fixture giveaway's round open at NOW closes then
AFTER = CLOSES + HOUR


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def visit_mission(giveaway, *, entries=1, **fields):
    """A mission anyone can complete with no answer: entries come from `entries`."""
    return make_mission(giveaway, Mission.Kind.VISIT_LINK, title=f"Visit {entries}", entries=entries, **fields)


def enter(person, mission, *, at=NOW, number=0):
    """`person` completes `mission` from their own network, so no fraud rule groups the test's people."""
    return complete_mission(participant=person, mission=mission, facts=facts(ip=f"198.51.{number % 250}.7"), at=at)


def people(count, *, prefix="person"):
    return [make_person(f"{prefix}{number}@example.com") for number in range(count)]


def closed_round(giveaway, *, at=CLOSES):
    round = rounds.open_round(giveaway=giveaway, at=NOW)
    rounds.change_round_status(round=round, to=Round.Status.CLOSED, at=at, note="Entry window over")
    return round


def round_with_entries(giveaway, weights):
    """A closed round where person i has one counted entry worth weights[i]; returns (round, people)."""
    persons = people(len(weights))
    for number, (person, weight) in enumerate(zip(persons, weights, strict=True)):
        enter(person, visit_mission(giveaway, entries=weight), number=number)
    return closed_round(giveaway), persons


def name_of(person, giveaway):
    return pseudonym(identity=person.identity, salt=giveaway.pseudonym_salt)


def test_it_sums_each_persons_counted_entries_into_one_weight(giveaway):
    first, second = visit_mission(giveaway, entries=2), visit_mission(giveaway, entries=5)
    dana, erin = people(2)
    enter(dana, first, number=1)
    enter(dana, second, number=1)
    enter(erin, first, number=2)
    round = closed_round(giveaway)
    assert dict(eligible_weights(round)) == {name_of(dana, giveaway): 7, name_of(erin, giveaway): 2}


def test_it_leaves_out_held_rejected_and_waiting_entries_and_blocked_people(giveaway):
    mission = visit_mission(giveaway, entries=3)
    counted, held, blocked = people(3)
    for number, person in enumerate((counted, held, blocked)):
        enter(person, mission, number=number)
    Entry.objects.filter(participant=held).update(status=Entry.Status.HELD)
    blocked.blocked_at = NOW
    blocked.save()
    round = closed_round(giveaway)
    assert dict(eligible_weights(round)) == {name_of(counted, giveaway): 3}


def test_it_counts_only_people_who_completed_every_required_mission(giveaway):
    required_one = visit_mission(giveaway, entries=1, required=True)
    required_two = visit_mission(giveaway, entries=1, required=True)
    optional = visit_mission(giveaway, entries=10)
    complete, partial, optional_only = people(3)
    for mission in (required_one, required_two, optional):
        enter(complete, mission, number=1)
    enter(partial, required_one, number=2)
    enter(partial, optional, number=2)
    enter(optional_only, optional, number=3)
    round = closed_round(giveaway)
    assert dict(eligible_weights(round)) == {name_of(complete, giveaway): 12}


def test_it_leaves_out_past_winners_when_the_giveaway_says_so(giveaway):
    giveaway.exclude_past_winners = True
    giveaway.alternates_per_round = 0
    giveaway.save()
    mission = visit_mission(giveaway)
    first_round, (winner,) = round_with_entries(giveaway, [1])
    draw_round(round=first_round, at=AFTER)
    other = make_person("other@example.com")
    later = NOW + DAY
    second_round = rounds.open_round(giveaway=giveaway, at=later)
    # Written directly: complete_mission() refuses past winners, but one may have entered before the earlier draw.
    Entry.objects.create(round=second_round, mission=mission, participant=winner,
                         account=giveaway.campaign.owner_account, weight=1, created_at=later)
    enter(other, mission, at=later, number=9)
    assert dict(eligible_weights(second_round)) == {name_of(other, giveaway): 1}


def test_required_missions_past_winners_and_blocked_people_apply_together_and_weights_are_not_multiplied(giveaway):
    giveaway.exclude_past_winners = True
    giveaway.alternates_per_round = 0
    giveaway.save()
    first_round, (past_winner,) = round_with_entries(giveaway, [1])
    draw_round(round=first_round, at=AFTER)
    required = visit_mission(giveaway, entries=2, required=True)
    extra, more = visit_mission(giveaway, entries=3), visit_mission(giveaway, entries=4)
    later = NOW + DAY
    second_round = rounds.open_round(giveaway=giveaway, at=later)
    done, held_required, blocked = people(3, prefix="second")
    for person in (done, held_required, blocked, past_winner):
        for mission in (required, extra, more):
            # Written directly, as complete_mission() would refuse the past winner.
            Entry.objects.create(round=second_round, mission=mission, participant=person, weight=mission.entries,
                                 account=giveaway.campaign.owner_account, created_at=later)
    Entry.objects.filter(participant=held_required, mission=required).update(status=Entry.Status.HELD)
    blocked.blocked_at = NOW
    blocked.save()
    assert list(drawing.eligible_entrants(second_round)) == [(done.pk, name_of(done, giveaway), 2 + 3 + 4)]


def test_the_draw_from_memory_equals_the_draw_read_back_from_the_file(giveaway, tmp_path):
    giveaway.winners_per_round, giveaway.alternates_per_round = 3, 4
    giveaway.save()
    round, persons = round_with_entries(giveaway, [1, 5, 2, 2, 9, 1, 3, 7, 1, 4, 6, 2])
    with open(tmp_path / "entrants", "w+b") as entrants, open(tmp_path / "people", "w+b") as people_file:
        digest, picked, count, total = drawing.freeze_and_draw(round=round, entrants_file=entrants,
                                                               people_file=people_file)
        assert drawing.participants_of(picked, people_file) == {
            name_of(person, giveaway): person.pk for person in persons if name_of(person, giveaway) in picked}
        entrants.seek(0)
        assert hashlib.sha256(entrants.read()).hexdigest() == digest == draws.entry_set_digest(eligible_weights(round))
        assert picked == draws.draw(seed=round.seed, digest=digest, weights=drawing.rows_in(entrants),
                                    winners=3, alternates=4)
    assert (len(picked), count, total) == (7, 12, 43)


def test_it_refuses_to_draw_a_round_still_taking_entries(giveaway):
    round = rounds.open_round(giveaway=giveaway, at=NOW)
    with pytest.raises(DrawRefused, match="still taking entries; it can be drawn once it closes"):
        draw_round(round=round, at=NOW)
    assert not Draw.objects.exists()


def test_it_stores_a_draw_that_reruns_from_its_published_data(giveaway, django_capture_on_commit_callbacks):
    giveaway.winners_per_round, giveaway.alternates_per_round = 2, 2
    giveaway.save()
    round, persons = round_with_entries(giveaway, [1, 2, 3, 4, 5, 6])
    with django_capture_on_commit_callbacks(execute=True):
        draw = draw_round(round=round, at=AFTER)

    round.refresh_from_db()
    file_bytes = draw.entrants_file.open("rb").read()
    assert hashlib.sha256(file_bytes).hexdigest() == draw.digest == Draw.objects.get(round=round).digest
    assert draws.read_entrants(draw.entrants_file.open("rb")) == sorted(eligible_weights(round))
    assert (round.status, round.entrant_count, round.total_weight) == (Round.Status.DRAWN, 6, 21)
    assert draw.seed == round.seed and draw.commitment == draws.commitment(draw.seed)
    assert draw.algorithm == draws.ALGORITHM and (draw.winners, draw.alternates) == (2, 2)
    assert draw.result == draws.draw(seed=round.seed, digest=draw.digest, weights=eligible_weights(round),
                                     winners=2, alternates=2)
    assert verify_stored_draw(draw).ok
    places = list(draw.places.order_by("place"))
    assert [place.pseudonym for place in places] == draw.result
    assert [place.status for place in places] == ["notified", "notified", "alternate", "alternate"]
    assert all(place.claim_token and place.claim_deadline == AFTER + 14 * DAY for place in places[:2])
    assert all(place.claim_token is None for place in places[2:])
    by_name = {name_of(person, giveaway): person.pk for person in persons}
    assert [place.participant_id for place in places] == [by_name[name] for name in draw.result]
    assert WinnerEvent.objects.filter(winner__draw=draw).count() == 4
    assert RoundEvent.objects.filter(round=round, to_status=Round.Status.DRAWN).count() == 1
    assert sorted(message.to[0] for message in mail.outbox) == sorted(place.participant.email for place in places[:2])
    assert all(place.claim_token in message.body for place, message in zip(
        sorted(places[:2], key=lambda place: place.participant.email),
        sorted(mail.outbox, key=lambda message: message.to[0]), strict=True))


def test_it_gives_the_same_winners_for_the_same_data(giveaway):
    round, _persons = round_with_entries(giveaway, [5, 1, 1, 2, 8, 3, 1])
    expected = draws.draw(seed=round.seed, digest=draws.entry_set_digest(eligible_weights(round)),
                          weights=eligible_weights(round), winners=1, alternates=2)
    assert draw_round(round=round, at=AFTER).result == expected


def test_it_returns_the_existing_draw_when_asked_again(giveaway):
    round, _persons = round_with_entries(giveaway, [1, 2])
    first = draw_round(round=round, at=AFTER)
    assert draw_round(round=round, at=AFTER + DAY) == first
    assert Draw.objects.count() == 1 and Winner.objects.count() == 2


def test_it_never_draws_a_held_entry(giveaway):
    giveaway.winners_per_round, giveaway.alternates_per_round = 3, 3
    giveaway.save()
    round, persons = round_with_entries(giveaway, [50, 50, 50, 1])
    Entry.objects.filter(participant__in=persons[:3]).update(status=Entry.Status.HELD)
    draw = draw_round(round=round, at=AFTER)
    assert draw.result == [name_of(persons[3], giveaway)]


def test_it_draws_a_round_nobody_entered_with_an_empty_result(giveaway):
    round = closed_round(giveaway)
    draw = draw_round(round=round, at=AFTER)
    round.refresh_from_db()
    assert draw.result == [] and round.status == Round.Status.DRAWN and round.entrant_count == 0
    assert draw.entrants_file.open("rb").read() == b""
    assert verify_stored_draw(draw).ok


def test_it_leaves_nothing_half_done_when_the_worker_dies_mid_draw(giveaway, monkeypatch):
    round, _persons = round_with_entries(giveaway, [1, 2, 3, 4])
    picks = []
    real_draw, real_change = draws.write_entrants_and_draw, rounds.change_round_status

    def remembering_draw(**arguments):
        digest, picked = real_draw(**arguments)
        picks.append(picked)
        return digest, picked

    def dying_change(**arguments):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(drawing.draws, "write_entrants_and_draw", remembering_draw)
    monkeypatch.setattr(drawing.rounds, "change_round_status", dying_change)
    with pytest.raises(RuntimeError):
        draw_round(round=round, at=AFTER)
    round.refresh_from_db()
    assert round.status == Round.Status.CLOSED and round.entrant_count is None
    assert not Draw.objects.exists() and not Winner.objects.exists() and not WinnerEvent.objects.exists()
    assert default_storage.listdir("promotions/draws")[1] == []

    monkeypatch.setattr(drawing.rounds, "change_round_status", real_change)
    draw = draw_round(round=round, at=AFTER)
    assert draw.result == picks[0] == picks[1]
    assert verify_stored_draw(draw).ok


def test_the_sweep_draws_closed_rounds_of_giveaways_that_draw_automatically(giveaway, live_giveaway_campaign):
    from tests.promotions.conftest import make_giveaway

    manual = make_giveaway(live_giveaway_campaign, slug="manual", draws_automatically=False)
    automatic_round, _persons = round_with_entries(giveaway, [1])
    manual_round = closed_round(manual)
    drawn = draw_due_rounds(at=AFTER)
    assert [draw.round_id for draw in drawn] == [automatic_round.pk]
    manual_round.refresh_from_db()
    assert manual_round.status == Round.Status.CLOSED
    assert draw_due_rounds(at=AFTER) == []


@pytest.mark.postgres
def test_it_makes_one_draw_from_ten_draws_at_once(giveaway):
    round, _persons = round_with_entries(giveaway, [1, 2, 3, 4, 5])

    def draw_now():
        return draw_round(round=Round.objects.get(pk=round.pk), at=AFTER).pk

    results, errors = run_concurrently(draw_now, threads=10)
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 10
    assert Draw.objects.count() == 1 and Winner.objects.count() == 3
    assert RoundEvent.objects.filter(round=round, to_status=Round.Status.DRAWN).count() == 1
    assert len(default_storage.listdir("promotions/draws")[1]) == 1
