"""Entries per day by mission as server-rendered, accessible SVG with a table (promotions/charts.py)."""

import datetime

from promotions import rounds
from promotions.charts import MAX_DAYS, entries_chart, mission_totals, tally_rows
from promotions.models import EntryTally, Mission
from tests.promotions.conftest import NOW, make_mission


def tally(round, mission, day, entries, *, completions=None, waiting=0):
    return EntryTally.objects.create(round=round, mission=mission, account=round.giveaway.campaign.owner_account,
                                     day=day, counted_entries=entries, completions=completions or entries,
                                     waiting=waiting)


def test_it_says_when_nothing_is_tallied_yet(giveaway):
    assert "No entries tallied yet" in entries_chart(rows=tally_rows(giveaway), missions=[])


def test_it_draws_a_titled_chart_with_labels_and_a_table(giveaway, code_mission):
    quiz = make_mission(giveaway, Mission.Kind.QUIZ, title="<script>alert(1)</script> quiz")
    round = rounds.open_round(giveaway=giveaway, at=NOW)
    day = datetime.date(2026, 12, 1)
    tally(round, code_mission, day, 7)
    tally(round, quiz, day, 2, waiting=1)
    tally(round, code_mission, day + datetime.timedelta(days=1), 4)
    rows = tally_rows(giveaway)
    html = str(entries_chart(rows=rows, missions=[(code_mission.pk, code_mission.title), (quiz.pk, quiz.title)]))
    assert 'role="img"' in html and "<title" in html and "<desc" in html
    assert "2 days from 2026-12-01 to 2026-12-02, 13 counted entries, at most 9 on one day" in html
    assert "<text" in html and ">12-01</text>" in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; quiz" in html
    assert "<table>" in html and '<th scope="row">2026-12-01</th><td>7</td><td>2</td><td>9</td>' in html
    assert "style=" not in html  # the admin's CSP allows no inline styles
    assert mission_totals(rows)[code_mission.pk] == {"entries": 11, "completions": 11, "waiting": 0}
    assert mission_totals(rows)[quiz.pk]["waiting"] == 1


def test_it_shows_only_the_newest_days(giveaway, code_mission):
    round = rounds.open_round(giveaway=giveaway, at=NOW)
    first = datetime.date(2026, 9, 1)
    for offset in range(MAX_DAYS + 5):
        tally(round, code_mission, first + datetime.timedelta(days=offset), 1)
    html = str(entries_chart(rows=tally_rows(giveaway), missions=[(code_mission.pk, code_mission.title)]))
    assert f"{MAX_DAYS} days from" in html
    assert "2026-09-01" not in html
