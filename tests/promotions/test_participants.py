"""Participants: one per person whatever the spelling of their address, their details, and the totals they see."""

import datetime

import pytest

from accounts.models import User
from promotions.giveaways import (
    MissionRefused,
    complete_mission,
    completed_missions,
    current_rounds_for,
    participant_for,
    participant_round_total,
    save_details,
)
from promotions.models import Entry, Mission, Participant
from promotions.rounds import open_round
from tests.concurrency import run_concurrently
from tests.promotions.conftest import DAY, HOUR, NOW, facts, make_giveaway, make_mission, make_person

PASSWORD = "correct horse battery staple"


def test_it_makes_one_participant_for_every_spelling_of_an_address(db):
    users = [User.objects.create_user(email=email, password=PASSWORD)
             for email in ("alice@gmail.com", "A.Lice+x@googlemail.com", "ALICE+giveaway@Gmail.com.")]
    participants = {participant_for(user=user, at=NOW) for user in users}
    assert len(participants) == 1
    [participant] = participants
    assert (participant.identity, participant.email, participant.user) == ("alice@gmail.com", "alice@gmail.com",
                                                                           users[0])


def test_it_keeps_dots_apart_outside_gmail(db):
    first = participant_for(user=User.objects.create_user(email="j.smith@example.com", password=PASSWORD), at=NOW)
    second = participant_for(user=User.objects.create_user(email="js.mith@example.com", password=PASSWORD), at=NOW)
    assert first != second


def test_it_refuses_an_address_that_cannot_identify_a_person(db):
    user = User.objects.create_user(email="someone@localhost", password=PASSWORD)
    with pytest.raises(MissionRefused, match="Your account's email address cannot be used to enter"):
        participant_for(user=user, at=NOW)
    assert Participant.objects.count() == 0


def test_it_stores_the_country_in_capitals(db):
    person = participant_for(user=User.objects.create_user(email="mina@example.com", password=PASSWORD), at=NOW)
    save_details(participant=person, country=" kr ", birth_date=datetime.date(1990, 1, 2))
    person.refresh_from_db()
    assert (person.country, person.birth_date) == ("KR", datetime.date(1990, 1, 2))


def test_details_are_given_once(dana):
    save_details(participant=dana, country="KR", birth_date=datetime.date(1990, 5, 17))  # the same: fine
    with pytest.raises(MissionRefused, match="already recorded and cannot be changed here"):
        save_details(participant=dana, country="KR", birth_date=datetime.date(1980, 1, 1))
    dana.refresh_from_db()
    assert dana.birth_date == datetime.date(1990, 5, 17)


def test_it_gives_each_participant_their_own_referral_code(db):
    codes = {make_person(f"person{number}@example.com").referral_code for number in range(20)}
    assert len(codes) == 20


def test_the_total_shows_counted_and_waiting_entries_but_not_rejected_ones(giveaway, code_mission, dana):
    proof = make_mission(giveaway, Mission.Kind.PROOF_URL, entries=2)
    quiz = make_mission(giveaway, Mission.Kind.QUIZ, entries=4)
    for mission, answer in ((code_mission, "JEJU 2026"), (proof, "https://x.com/dana/1"), (quiz, "Jeju")):
        complete_mission(participant=dana, mission=mission, facts=facts(), answer=answer, at=NOW)
    round = open_round(giveaway=giveaway, at=NOW)
    assert participant_round_total(dana, round) == 7
    Entry.objects.filter(mission=quiz).update(status=Entry.Status.REJECTED)
    assert participant_round_total(dana, round) == 3
    assert completed_missions(dana, round) == {code_mission.pk: 1, proof.pk: 1}


def test_the_landing_page_finds_open_rounds_of_many_giveaways_in_one_query(live_giveaway_campaign,
                                                                         django_assert_num_queries):
    giveaways = [make_giveaway(live_giveaway_campaign, slug=f"g{number}") for number in range(3)]
    short = make_giveaway(live_giveaway_campaign, slug="short", window_hours=1)
    for giveaway in giveaways:
        open_round(giveaway=giveaway, at=NOW)
    assert open_round(giveaway=short, at=NOW) is None  # 10:00–11:00 in Seoul; it is noon
    with django_assert_num_queries(1):
        found = current_rounds_for([giveaway.pk for giveaway in [*giveaways, short]], NOW)
    assert set(found) == {giveaway.pk for giveaway in giveaways}
    assert current_rounds_for([giveaways[0].pk], NOW + DAY + HOUR) == {}  # the next round is not opened yet


@pytest.mark.django_db(transaction=True)
def test_simultaneous_first_visits_of_one_person_make_one_participant():
    """Two tabs, two spellings: on PostgreSQL and on the SQLite file alike, one row and no error."""
    users = [User.objects.create_user(email=email, password=PASSWORD)
             for email in ("erin@gmail.com", "E.rin+tab@googlemail.com")]
    calls = iter(users * 4)

    def visit():
        return participant_for(user=next(calls), at=NOW).pk

    results, errors = run_concurrently(visit, threads=8)
    assert errors == []
    assert len(set(results)) == 1
    assert Participant.objects.count() == 1
