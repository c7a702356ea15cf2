"""Entries per day by mission, for the giveaway's admin page: read from the tallies, drawn as SVG on the server.

Figures come from `EntryTally` rows (per round, mission, account and local day), which
the tally workers keep up to date: one GROUP BY over a giveaway's tally rows (days ×
missions × accounts, a few thousand at most), never a scan of its entries. The chart is
plain SVG without scripts or inline styles (the admin's Content-Security-Policy allows
neither): a stacked bar per day, a <title> and <desc> for screen readers, text labels
and a legend, and the same numbers as a table underneath for anyone who cannot see it.
"""

from django.db.models import Sum
from django.utils.html import format_html, format_html_join

from promotions.models import EntryTally

MAX_DAYS = 62  # the newest days shown; older ones are in the table's totals
# Okabe–Ito: told apart by people with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
HEIGHT, TOP, BOTTOM, LEFT, STEP, BAR = 160, 12, 36, 48, 14, 10


def tally_rows(giveaway):
    """[{day, mission_id, entries, completions, waiting}] over all rounds and accounts, oldest day first."""
    return list(EntryTally.objects.filter(round__giveaway=giveaway).values("day", "mission_id")
                .annotate(entries=Sum("counted_entries"), completions=Sum("completions"), waiting=Sum("waiting"))
                .order_by("day", "mission_id"))


def mission_totals(rows):
    """{mission id: {"entries", "completions", "waiting"}} from tally_rows()."""
    totals = {}
    for row in rows:
        total = totals.setdefault(row["mission_id"], {"entries": 0, "completions": 0, "waiting": 0})
        for name in total:
            total[name] += row[name]
    return totals


def entries_chart(*, rows, missions, chart_id="entries-chart"):
    """The SVG chart and its table for tally_rows(); `missions` are (id, title) pairs in their order."""
    if not rows:
        return format_html('<p class="help">{}</p>', "No entries tallied yet. Figures appear a minute or so after "
                           "the first entries.")
    colours = {mission_id: PALETTE[index % len(PALETTE)] for index, (mission_id, _) in enumerate(missions)}
    titles = dict(missions)
    by_day = {}
    for row in rows:
        by_day.setdefault(row["day"], {})[row["mission_id"]] = row["entries"]
    days = sorted(by_day)[-MAX_DAYS:]
    highest = max(sum(by_day[day].values()) for day in days) or 1
    scale = (HEIGHT - TOP - BOTTOM) / highest
    width = LEFT + STEP * len(days) + 8
    baseline = HEIGHT - BOTTOM
    bars = []
    for index, day in enumerate(days):
        x = LEFT + STEP * index + (STEP - BAR) // 2
        y = baseline
        for mission_id, _ in missions:
            entries = by_day[day].get(mission_id, 0)
            if not entries:
                continue
            height = entries * scale
            y -= height
            bars.append(format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {} — {} {}</title></rect>',
                x, f"{y:.1f}", BAR, f"{height:.1f}", colours[mission_id], day.isoformat(), titles.get(mission_id, "?"),
                entries, "entry" if entries == 1 else "entries"))
    # A date every week and the last one; a weekly label too close to the last would overlap it.
    last = len(days) - 1
    labelled = {index for index in range(0, len(days), 7) if index == 0 or last - index >= 4} | {last}
    labels = [format_html('<text x="{}" y="{}" class="chart-day">{}</text>', LEFT + STEP * index,
                          baseline + 14, f"{days[index]:%m-%d}") for index in sorted(labelled)]
    total = sum(sum(by_day[day].values()) for day in days)
    svg = format_html(
        '<svg class="entries-chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        'aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">Counted entries per day by mission</title>'
        '<desc id="{id}-desc">{days} days from {first} to {last}, {total} counted entries, at most {highest} on one '
        "day. The table below lists every figure.</desc>"
        '<line x1="{left}" y1="{baseline}" x2="{width}" y2="{baseline}" stroke="#666"></line>'
        '<line x1="{left}" y1="{top}" x2="{left}" y2="{baseline}" stroke="#666"></line>'
        '<text x="{axis}" y="{top_text}" class="chart-axis" text-anchor="end">{highest}</text>'
        '<text x="{axis}" y="{baseline}" class="chart-axis" text-anchor="end">0</text>'
        "{bars}{labels}</svg>",
        width=width, height=HEIGHT, id=chart_id, days=len(days), first=days[0].isoformat(),
        last=days[-1].isoformat(), total=total, highest=highest, left=LEFT, baseline=baseline, top=TOP,
        axis=LEFT - 4, top_text=TOP + 4, bars=format_html_join("", "{}", ((bar,) for bar in bars)),
        labels=format_html_join("", "{}", ((label,) for label in labels)))
    legend = format_html_join("", '<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" '
                                  'fill="{}"></rect></svg> {}</li>',
                              ((colours[mission_id], title) for mission_id, title in missions))
    return format_html('<figure class="entries-figure">{}<figcaption><ul class="chart-legend">{}</ul>'
                       "</figcaption></figure>{}", svg, legend, entries_table(by_day, days, missions))


def entries_table(by_day, days, missions):
    head = format_html_join("", '<th scope="col">{}</th>', ((title,) for _, title in missions))
    body = format_html_join("", "<tr>{}</tr>", (
        (format_html('<th scope="row">{}</th>{}<td>{}</td>', day.isoformat(),
                     format_html_join("", "<td>{}</td>", ((by_day[day].get(mission_id, 0),)
                                                           for mission_id, _ in missions)),
                     sum(by_day[day].values())),)
        for day in days))
    return format_html('<details class="chart-table"><summary>Entries per day as a table</summary>'
                       '<table><caption>Counted entries per day (local days of the owner account)</caption>'
                       '<thead><tr><th scope="col">Day</th>{}<th scope="col">Total</th></tr></thead>'
                       "<tbody>{}</tbody></table></details>", head, body)
