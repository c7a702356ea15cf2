"""A round with 1,000,000 entries: the full recount and the draw, each against one SQL statement.

No HTTP: everything runs in Django processes against a throwaway PostgreSQL 15
(bench_environment). One round is seeded with INSERT … SELECT generate_series:
1,000,000 entries (100,000 with --quick) of 200,000 participants (20,000) over
6 missions, 2 accounts and 7 local days, ~3% held, 0.5% rejected, a fifth of
the proof-link mission awaiting review.

- Recount: `promotions.tallies.recount_round` from an empty EntryTally, and again
  when the rows already agree (it then writes nothing), against a single SQL
  GROUP BY over the same rows with the same grouping (mission, account, local day)
  and figures, fetched. Target ≤ 1.5×.
- Draw of 10 winners + 10 alternates: what `drawing.draw_round` computes minus its
  writes — `drawing.freeze_and_draw`, the very function it calls: streamed
  per-participant sums and pseudonyms into the entrants file (temporary here:
  sorted, digested) and the side file of participant ids, then the pick from the
  sorted rows — against one SQL weighted pick
  (`ORDER BY -ln(random()) / weight LIMIT 20` over the same per-participant sums).
  Target ≤ 2×. Peak memory of our draw, measured in a fresh process as the growth
  of its peak resident set (ru_maxrss) over the draw; the baseline is the same
  measure for a plain fetchall() of the per-participant sums. Target ≤ 200 MB.
- `drawing.draw_round` itself, once, for information (it also writes the
  entrants file, the Draw and the Winner rows).

Ours and the baseline take turns (harness.alternate); each figure is the median
round, each ratio the median of the per-pair ratios.

    .venv/bin/python bench/tally_and_draw.py [--quick]
"""

import json
import time

from harness import bench_environment, django_shell, options_from_arguments, report

SEED = """
import json, time
from bench.seed import seed_round_entries
started = time.monotonic()
seeded = seed_round_entries(entries=%d, participants=%d)
seeded["seconds"] = time.monotonic() - started
print(json.dumps(seeded))
"""

# The same groups and figures as promotions.tallies.figures_from_entries, as one statement.
GROUP_BY = """
SELECT mission_id, account_id, (created_at AT TIME ZONE %s)::date AS day,
       COALESCE(SUM(weight) FILTER (WHERE status = 'counted'), 0),
       COUNT(*) FILTER (WHERE status = 'counted'),
       COUNT(*) FILTER (WHERE status IN ('review', 'held'))
FROM promotions_entry WHERE round_id = %s GROUP BY 1, 2, 3
"""

# Eligible: counted entries of participants who are not blocked, summed per participant.
PER_PARTICIPANT = """
SELECT e.participant_id, SUM(e.weight) AS weight
FROM promotions_entry e JOIN promotions_participant p ON p.id = e.participant_id
WHERE e.round_id = %s AND e.status = 'counted' AND p.blocked_at IS NULL
GROUP BY e.participant_id
"""

# Efraimidis–Spirakis in SQL: the 20 smallest -ln(u)/weight are a weighted pick without replacement.
WEIGHTED_PICK = f"SELECT participant_id FROM ({PER_PARTICIPANT}) AS sums ORDER BY -ln(random()) / weight LIMIT 20"  # noqa: S608

COMMON = """
import json, tempfile, time
from django.db import connection
from bench.harness import alternate
from promotions import drawing
from promotions.models import Round
round = Round.objects.select_related("giveaway__campaign__owner_account").get(pk=%(round)d)
zone = round.giveaway.campaign.owner_account.timezone

def timed(function):
    started = time.perf_counter()
    function()
    return time.perf_counter() - started

def sql(statement, *parameters):
    with connection.cursor() as cursor:
        cursor.execute(statement, parameters)
        return cursor.fetchall()

def computed_draw():
    # What drawing.store_draw computes before it writes rows and stores the file, by the same function:
    # the entrants file (streamed per-participant sums and pseudonyms, sorted) and its digest, the side
    # file of participant ids, and the pick of 10 + 10 (the seeded giveaway's) from the sorted rows.
    assert (round.giveaway.winners_per_round, round.giveaway.alternates_per_round) == (10, 10)
    with tempfile.TemporaryFile() as entrants, tempfile.TemporaryFile() as people:
        _digest, picked, counted, _total = drawing.freeze_and_draw(round=round, entrants_file=entrants,
                                                                   people_file=people)
    return picked, counted
"""

RECOUNT = COMMON + """
from promotions import tallies
from promotions.models import EntryTally

def from_empty():
    EntryTally.objects.filter(round=round).delete()
    return timed(lambda: tallies.recount_round(round))

def agreeing():
    tallies.recount_round(round)  # untimed: make sure the rows agree, whatever ran before
    changes = []
    seconds = timed(lambda: changes.append(tallies.recount_round(round)))
    assert changes == [0], f"a recount of agreeing rows changed {changes[0]} rows"
    return seconds

group_by = lambda: timed(lambda: sql(%(group_by)r, zone, round.pk))
rounds = alternate({"from_empty": from_empty, "agreeing": agreeing, "group_by": group_by}, pairs=%(pairs)d)

# Same figures both ways, or the comparison means nothing.
tallied = {(row.mission_id, row.account_id, row.day): (row.counted_entries, row.completions, row.waiting)
           for row in EntryTally.objects.filter(round=round)}
grouped = {(m, a, d): (e, c, w) for m, a, d, e, c, w in sql(%(group_by)r, zone, round.pk) if e or c or w}
assert tallied == grouped, "the recount and the GROUP BY disagree"
rounds["groups"] = len(grouped)
print(json.dumps(rounds))
"""

DRAW = COMMON + """
def ours():
    picked, rows = computed_draw()
    assert len(picked) == 20 and rows == entrants, (len(picked), rows, entrants)

entrants = len(sql(%(per_participant)r, round.pk))
rounds = alternate({"ours": lambda: timed(ours), "sql": lambda: timed(lambda: sql(%(pick)r, round.pk))},
                   pairs=%(pairs)d)
rounds["entrants"] = entrants
print(json.dumps(rounds))
"""

# Run in a fresh process each: the growth of the peak resident set over the draw alone.
MEMORY = COMMON + """
import resource
sql("SELECT 1")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
if %(ours)r:
    computed_draw()
else:
    rows = sql(%(per_participant)r, round.pk)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"mb": (after - before) / 1024}))
"""

# Where our draw's memory goes, for the notes: Python's own allocations at their peak (tracemalloc).
PYTHON_PEAK = COMMON + """
import tracemalloc
sql("SELECT 1")
tracemalloc.start()
computed_draw()
print(json.dumps({"peak_mb": tracemalloc.get_traced_memory()[1] / 2**20}))
"""

DRAW_ROUND = COMMON + """
from promotions import drawing
from promotions.rounds import change_round_status
change_round_status(round=round, to=Round.Status.CLOSED, note="bench")
round.refresh_from_db()
started = time.perf_counter()
result = drawing.draw_round(round=round)
print(json.dumps({"seconds": time.perf_counter() - started, "places": len(result.result)}))
"""


def last_json(output):
    return json.loads(output.splitlines()[-1])


def main():
    arguments, _, pairs = options_from_arguments(__doc__)
    entries, participants = (100_000, 20_000) if arguments.quick else (1_000_000, 200_000)
    with bench_environment() as env:
        seeded = last_json(django_shell(env, SEED % (entries, participants)))
        print(f"# PostgreSQL, one Django process; {seeded['entries']:,} entries of {participants:,} participants "
              f"in one round, seeded in {seeded['seconds']:.1f} s; {pairs} alternating pairs of single runs; "
              "medians, ratio = median of the per-pair ratios", flush=True)
        values = {"round": seeded["round"], "pairs": pairs, "group_by": GROUP_BY, "per_participant": PER_PARTICIPANT,
                  "pick": WEIGHTED_PICK}

        recount = last_json(django_shell(env, RECOUNT % values))
        print(f"# {recount['groups']} tally rows (mission × account × local day)", flush=True)
        report("recount_from_empty_vs_sql_group_by", seconds_to_ms(recount["from_empty"]),
               seconds_to_ms(recount["group_by"]), "ms", "<=1.5")
        report("recount_agreeing_vs_sql_group_by", seconds_to_ms(recount["agreeing"]),
               seconds_to_ms(recount["group_by"]), "ms", "<=1.5")

        drawn = last_json(django_shell(env, DRAW % values))
        print(f"# {drawn['entrants']:,} eligible entrants", flush=True)
        report("draw_10_plus_10_vs_sql_weighted_pick", seconds_to_ms(drawn["ours"]), seconds_to_ms(drawn["sql"]),
               "ms", "<=2.0")

        ours_mb = last_json(django_shell(env, MEMORY % {**values, "ours": True}))["mb"]
        fetch_mb = last_json(django_shell(env, MEMORY % {**values, "ours": False}))["mb"]
        report("draw_peak_memory_vs_fetchall_of_sums", ours_mb, fetch_mb, "MB", "ours<=200 MB (absolute)")
        python = last_json(django_shell(env, PYTHON_PEAK % values))
        print(f"# Python allocations of our draw at their peak (tracemalloc): {python['peak_mb']:.1f} MB", flush=True)

        started = time.monotonic()
        draw_round = last_json(django_shell(env, DRAW_ROUND % values))
        print(f"# drawing.draw_round (close, weights, digest, entrants file, draw, Draw and Winner rows): "
              f"{draw_round['seconds'] * 1000:.0f} ms inside the process, {draw_round['places']} places "
              f"({time.monotonic() - started:.1f} s with the process start)", flush=True)


def seconds_to_ms(values):
    return [value * 1000 for value in values]


if __name__ == "__main__":
    main()
