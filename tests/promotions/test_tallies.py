"""Tallies: recomputed from the entry rows, written only where they differ, whole or not at all."""

import datetime

import pytest

from campaigns.running import add_tracking_link, set_co_accounts
from promotions import tallies
from promotions.giveaways import complete_mission
from promotions.models import Draw, Entry, EntryTally, Mission, Round, RulesVersion
from promotions.rounds import change_round_status, open_round
from tests.concurrency import run_concurrently
from tests.promotions.conftest import DAY, HOUR, NOW, facts, make_mission, make_person

MINUTE = datetime.timedelta(minutes=1)
DEC_1, DEC_2 = datetime.date(2026, 12, 1), datetime.date(2026, 12, 2)


def enter(person, mission, answer="", at=NOW, ip="203.0.113.7"):
    return complete_mission(participant=person, mission=mission, facts=facts(ip), answer=answer, at=at).entry


def stored(round):
    """The round's tally rows as plain values, keyed by (mission, account, day)."""
    return {(row.mission_id, row.account_id, row.day): (row.counted_entries, row.completions, row.waiting)
            for row in EntryTally.objects.filter(round=round)}


@pytest.fixture
def busy_round(giveaway, code_mission, main_account, deals_account):
    """Entries of four people across missions, two accounts and two local days, in every status."""
    set_co_accounts(campaign=giveaway.campaign, accounts=[deals_account])
    link = add_tracking_link(campaign=giveaway.campaign, account=deals_account, label="deals")
    visit = make_mission(giveaway, Mission.Kind.VISIT_LINK, link=link, entries=2)
    proof = make_mission(giveaway, Mission.Kind.PROOF_URL, entries=3)
    dana, erin, fay, gus = (make_person(f"{name}@example.com") for name in ("dana", "erin", "fay", "gus"))
    enter(dana, code_mission, "JEJU 2026")  # 12:00 on 1 December in Seoul
    enter(erin, code_mission, "JEJU 2026", at=NOW + 11 * HOUR + 59 * MINUTE)
    enter(fay, code_mission, "JEJU 2026", at=NOW + 12 * HOUR)  # 00:00 on 2 December in Seoul
    enter(dana, visit, ip="198.51.100.1")
    enter(erin, visit, at=NOW + 13 * HOUR, ip="198.51.100.2")
    enter(dana, proof, "https://x.com/dana/1")  # awaiting review
    enter(erin, proof, "https://x.com/erin/1")
    Entry.objects.filter(participant=erin, mission=proof).update(status=Entry.Status.REJECTED)
    held = enter(make_person("gus@mailinator.com"), visit, ip="192.0.2.1")
    assert held.status == Entry.Status.HELD
    round = open_round(giveaway=giveaway, at=NOW)
    return round, {"code": code_mission.pk, "visit": visit.pk, "proof": proof.pk, "main": main_account.pk,
                       "deals": deals_account.pk}


def test_it_counts_per_mission_account_and_local_day(busy_round):
    round, ids = busy_round
    assert tallies.recount_round(round, at=NOW + DAY) == 5
    assert stored(round) == {
        (ids["code"], ids["main"], DEC_1): (2, 2, 0),  # dana at noon, erin at 23:59 Seoul
        (ids["code"], ids["main"], DEC_2): (1, 1, 0),  # fay at midnight Seoul (15:00 UTC on 1 December)
        (ids["visit"], ids["deals"], DEC_1): (2, 1, 1),  # dana counted, gus held
        (ids["visit"], ids["deals"], DEC_2): (2, 1, 0),
        (ids["proof"], ids["main"], DEC_1): (0, 0, 1),  # dana waits for review; erin's was rejected
    }
    round.refresh_from_db()
    assert round.tallied_at == NOW + DAY


def test_a_recount_that_agrees_changes_no_row(busy_round, django_assert_num_queries):
    round, _ids = busy_round
    tallies.recount_round(round, at=NOW)
    before = {row.pk: (row.counted_entries, row.completions, row.waiting) for row in EntryTally.objects.all()}
    # Lock and load the round, one GROUP BY, read the tallies, stamp tallied_at (plus the savepoint's two).
    with django_assert_num_queries(6):
        assert tallies.recount_round(round, at=NOW + HOUR) == 0
    assert {row.pk: (row.counted_entries, row.completions, row.waiting) for row in EntryTally.objects.all()} == before


def test_it_writes_only_the_differences(busy_round, giveaway):
    round, ids = busy_round
    tallies.recount_round(round, at=NOW)
    untouched = EntryTally.objects.get(round=round, mission_id=ids["code"], day=DEC_2)
    Entry.objects.filter(mission_id=ids["proof"]).update(status=Entry.Status.REJECTED)  # the proof row goes
    Entry.objects.filter(status=Entry.Status.HELD).update(status=Entry.Status.COUNTED)  # a flag cleared
    enter(make_person("hana@example.com"), Mission.objects.get(pk=ids["code"]), "JEJU 2026", at=NOW + 14 * HOUR,
          ip="192.0.2.50")
    assert tallies.recount_round(round, at=NOW + 15 * HOUR) == 3  # one deleted, two changed
    assert stored(round) == {
        (ids["code"], ids["main"], DEC_1): (2, 2, 0),
        (ids["code"], ids["main"], DEC_2): (2, 2, 0),
        (ids["visit"], ids["deals"], DEC_1): (4, 2, 0),
        (ids["visit"], ids["deals"], DEC_2): (2, 1, 0),
    }
    assert EntryTally.objects.get(round=round, mission_id=ids["code"], day=DEC_2).pk == untouched.pk


def test_it_repairs_rows_that_drifted_and_drops_rows_without_entries(busy_round, giveaway):
    round, ids = busy_round
    clean = (tallies.recount_round(round, at=NOW), stored(round))[1]
    EntryTally.objects.filter(round=round, mission_id=ids["code"], day=DEC_1).update(counted_entries=99)
    quiz = make_mission(giveaway, Mission.Kind.QUIZ)
    EntryTally.objects.create(round=round, mission=quiz, account_id=ids["main"], day=DEC_1, counted_entries=4,
                              completions=4)
    assert tallies.recount_round(round, at=NOW + HOUR) == 2
    assert stored(round) == clean


def test_running_twice_gives_the_same_rows_and_changes_nothing_the_second_time(busy_round):
    round, _ids = busy_round
    tallies.recount_round(round, at=NOW)
    once = stored(round)
    assert tallies.recount_round(round, at=NOW) == 0
    assert stored(round) == once


class Interrupted(Exception):
    pass


def test_a_recount_stopped_half_way_leaves_nothing_half_done(busy_round, monkeypatch):
    round, ids = busy_round
    tallies.recount_round(round, at=NOW)
    before = stored(round)
    # Make work of every kind: a row to update, one to delete, one to create.
    Entry.objects.filter(status=Entry.Status.HELD).update(status=Entry.Status.COUNTED)
    Entry.objects.filter(mission_id=ids["proof"]).update(status=Entry.Status.REJECTED)
    enter(make_person("hana@example.com"), Mission.objects.get(pk=ids["code"]), "JEJU 2026", at=NOW + 20 * HOUR,
          ip="192.0.2.50")

    def killed(_ids):  # the worker dies after creating and updating rows, before deleting
        raise Interrupted

    with monkeypatch.context() as patch:
        patch.setattr(tallies, "delete_rows", killed)
        with pytest.raises(Interrupted):
            tallies.recount_round(round, at=NOW + 21 * HOUR)
    assert stored(round) == before
    round.refresh_from_db()
    assert round.tallied_at == NOW
    assert tallies.recount_round(round, at=NOW + 22 * HOUR) == 3
    after_rerun = stored(round)
    EntryTally.objects.all().delete()
    tallies.recount_round(round, at=NOW + 22 * HOUR)
    assert stored(round) == after_rerun  # the same as a clean recount from nothing


def make_round(giveaway, *, number, opens_at, closes_at, status):
    version = RulesVersion.objects.get_or_create(giveaway=giveaway, number=1,
                                                 defaults={"text": "rules", "created_at": opens_at})[0]
    return Round.objects.create(giveaway=giveaway, number=number, opens_at=opens_at, closes_at=closes_at,
                                status=status, seed="0" * 64, commitment="1" * 64, rules_version=version)


def test_the_sweep_recounts_open_rounds_and_those_closed_or_drawn_in_the_last_day(giveaway, code_mission, dana):
    old = make_round(giveaway, number=90, opens_at=NOW - 9 * DAY, closes_at=NOW - 8 * DAY,
                     status=Round.Status.CLOSED)
    yesterday = make_round(giveaway, number=91, opens_at=NOW - 2 * DAY, closes_at=NOW - 20 * HOUR,
                           status=Round.Status.CLOSED)
    drawn_late = make_round(giveaway, number=92, opens_at=NOW - 7 * DAY, closes_at=NOW - 6 * DAY,
                            status=Round.Status.DRAWN)
    Draw.objects.create(round=drawn_late, algorithm="chorus-draw-1", seed="0" * 64, commitment="1" * 64,
                        digest="2" * 64, winners=1, alternates=0, result=[], drawn_at=NOW - HOUR)
    enter(dana, code_mission, "JEJU 2026")
    current = open_round(giveaway=giveaway, at=NOW)
    assert tallies.recount_recent_rounds(at=NOW) == {current.pk: 1, yesterday.pk: 0, drawn_late.pk: 0}
    old.refresh_from_db()
    assert old.tallied_at is None
    assert tallies.recount_recent_rounds(at=NOW + HOUR) == {current.pk: 0, yesterday.pk: 0, drawn_late.pk: 0}


def test_the_sweep_still_counts_a_round_the_campaign_closed_early(giveaway, code_mission, dana):
    enter(dana, code_mission, "JEJU 2026")
    round = open_round(giveaway=giveaway, at=NOW)
    change_round_status(round=round, to=Round.Status.CLOSED, at=NOW + HOUR, note="The campaign ended")
    assert tallies.recount_recent_rounds(at=NOW + 2 * HOUR) == {round.pk: 1}


@pytest.mark.postgres
def test_simultaneous_recounts_of_one_round_agree(giveaway, code_mission):
    for number in range(30):
        enter(make_person(f"p{number}@example.com"), code_mission, "JEJU 2026", at=NOW + number * HOUR / 2,
              ip=f"192.0.2.{number}")
    round = open_round(giveaway=giveaway, at=NOW)

    results, errors = run_concurrently(lambda: tallies.recount_round(Round.objects.get(pk=round.pk), at=NOW + DAY),
                                       threads=4)
    assert errors == []
    assert sorted(results) == [0, 0, 0, 2]  # one recount wrote both days; the others found them agreeing
    assert stored(round) == {(code_mission.pk, round.giveaway.campaign.owner_account_id, DEC_1): (24, 24, 0),
                             (code_mission.pk, round.giveaway.campaign.owner_account_id, DEC_2): (6, 6, 0)}
