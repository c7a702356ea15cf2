"""The CSV of a round's entrants for the marketers who run it: one row per person, streamed.

Unlike the published entrants file of a draw (pseudonyms and weights, for anyone to
re-run the draw), this is for the organiser: email address, country, entries by status
and whether the person is blocked. It is read as one aggregate over the round's entries
(GROUP BY participant), streamed in chunks, never built in memory.

Cells a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage
return) are prefixed with an apostrophe (OWASP's advice), so an address like
"=HYPERLINK(…)@example.com" shows as text.
"""

import csv

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from promotions.models import Entry

HEADER = ["email", "country", "counted_entries", "waiting_entries", "rejected_entries", "status", "blocked_reason"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_ROWS = 2000


def safe_cell(value):
    """`value` as a CSV cell a spreadsheet shows as text, never runs."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class Echo:
    """A file-like object whose write() returns the line, for csv.writer feeding a streaming response."""

    def write(self, value):
        return value


def entrant_rows(round):
    """One dict per person with entries in `round`: email, country, entries by status, blocked; one query."""
    def weight(*statuses):
        return Coalesce(Sum("weight", filter=Q(status__in=statuses)), 0)

    return (Entry.objects.filter(round=round)
            .values("participant_id", "participant__email", "participant__country", "participant__blocked_at",
                    "participant__blocked_reason")
            .annotate(counted=weight(Entry.Status.COUNTED),
                      waiting=weight(Entry.Status.AWAITING_REVIEW, Entry.Status.HELD),
                      rejected=weight(Entry.Status.REJECTED))
            .order_by("participant_id"))


def entrant_lines(round):
    """The CSV, line by line: the header, then one line per entrant."""
    writer = csv.writer(Echo())
    yield writer.writerow(HEADER)
    for row in entrant_rows(round).iterator(chunk_size=CHUNK_ROWS):
        status = "blocked" if row["participant__blocked_at"] else "active"
        yield writer.writerow([safe_cell(cell) for cell in (
            row["participant__email"], row["participant__country"], row["counted"], row["waiting"],
            row["rejected"], status, row["participant__blocked_reason"])])


def entrants_filename(round):
    return f"{round.giveaway.slug}-round-{round.number}-entrants.csv"
