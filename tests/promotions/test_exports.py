"""The CSV of a round's entrants (promotions/exports.py): one row per person, cells that never run as formulas."""

import csv
import io

import pytest

from promotions import rounds
from promotions.exports import entrant_lines, safe_cell
from promotions.models import Entry, Participant
from promotions.reviews import block_participant
from tests.promotions.conftest import NOW, facts, make_mission, make_person


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://evil\")"])
def test_it_neutralises_cells_a_spreadsheet_would_run(cell):
    assert safe_cell(cell) == "'" + cell


def test_it_leaves_other_cells_and_numbers_alone():
    assert (safe_cell("dana@gmail.com"), safe_cell(3), safe_cell(None), safe_cell("")) == ("dana@gmail.com", 3, "", "")


def read(round):
    return list(csv.reader(io.StringIO("".join(entrant_lines(round)))))


def test_it_lists_each_entrant_once_with_entries_by_status(alice, giveaway, code_mission, dana):
    from promotions.giveaways import complete_mission
    from promotions.models import Mission

    proof = make_mission(giveaway, Mission.Kind.PROOF_URL)
    complete_mission(participant=dana, mission=code_mission, facts=facts(), answer="JEJU2026", at=NOW)
    complete_mission(participant=dana, mission=proof, facts=facts(), answer="https://x.com/d/status/1", at=NOW)
    erin = make_person("erin@example.org", country="JP")
    complete_mission(participant=erin, mission=code_mission, facts=facts(ip="192.0.2.5"), answer="jeju 2026", at=NOW)
    block_participant(participant=erin, reason="=cmd|' /C calc'!A0", by=alice, at=NOW)
    Participant.objects.filter(pk=dana.pk).update(email="=HYPERLINK(1)@gmail.com")
    rows = read(rounds.open_round(giveaway=giveaway, at=NOW))
    assert rows[0] == ["email", "country", "counted_entries", "waiting_entries", "rejected_entries", "status",
                       "blocked_reason"]
    assert rows[1:] == [
        ["'=HYPERLINK(1)@gmail.com", "KR", "1", "1", "0", "active", ""],
        ["erin@example.org", "JP", "0", "0", "1", "blocked", "'=cmd|' /C calc'!A0"],
    ]
    assert Entry.objects.count() == 3  # reading changed nothing


def test_it_writes_just_the_header_for_a_round_without_entries(giveaway):
    assert read(rounds.open_round(giveaway=giveaway, at=NOW)) == [
        ["email", "country", "counted_entries", "waiting_entries", "rejected_entries", "status", "blocked_reason"]]
