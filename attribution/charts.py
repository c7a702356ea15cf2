"""The lift chart on the campaign page: net revenue per window day against an ordinary day, as SVG.

Drawn on the server from a `lift.CampaignLift` (no queries here), in promotions/charts.py's manner:
plain SVG without scripts or inline styles (the admin's Content-Security-Policy allows neither), a
<title> and <desc> for screen readers, text labels and a legend; the page puts the same figures beside
it as text and tables. One chart per currency: amounts are never added across currencies.
"""

from django.utils.html import format_html, format_html_join

from attribution.lift import format_money
from promotions.charts import MAX_DAYS, PALETTE

HEIGHT, TOP, BOTTOM, STEP, BAR = 180, 12, 36, 18, 12
ACTUAL, PARTIAL, ORDINARY = PALETTE[0], PALETTE[4], PALETTE[5]  # blue, sky blue, vermilion (Okabe–Ito)
TEXT = 'font-size="10" fill="#333"'  # presentation attributes, not a style attribute: the CSP allows them


def lift_chart(*, lift, currency, chart_id):
    """The chart for one currency of `lift` (the newest MAX_DAYS window days), with its legend."""
    days = lift.days_in(currency)[-MAX_DAYS:]
    if not days:
        return format_html('<p class="help">{}</p>', "No sales in this currency in the window yet.")
    highest = max(max(day.revenue, day.expected_revenue or 0) for day in days)
    top_label = format_money(highest, currency)
    left = max(48, 6 * len(top_label) + 8)  # room for the axis's longest label at 10 px
    # Pixel geometry only: float is fine here, the money itself stays Decimal.
    scale = (HEIGHT - TOP - BOTTOM) / float(highest or 1)
    width = left + STEP * len(days) + 32  # room for the last date label
    baseline = HEIGHT - BOTTOM
    marks = []
    for index, day in enumerate(days):
        x = left + STEP * index + (STEP - BAR) // 2
        height = float(day.revenue) * scale
        kind = "partial day" if day.partial else "day"
        marks.append(format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{} ({}, {}): {} net from {} {}</title>'
            "</rect>", x, f"{baseline - height:.1f}", BAR, f"{height:.1f}", PARTIAL if day.partial else ACTUAL,
            day.date.isoformat(), day.weekday, kind, format_money(day.revenue, currency), day.orders,
            "order" if day.orders == 1 else "orders"))
        if day.expected_revenue is not None:
            y = baseline - float(day.expected_revenue) * scale
            marks.append(format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="3"><title>{}: an ordinary {} '
                "brings {}</title></line>", x - 2, f"{y:.1f}", x + BAR + 2, f"{y:.1f}", ORDINARY,
                day.date.isoformat(), day.weekday, format_money(day.expected_revenue, currency)))
    last = len(days) - 1
    labelled = {index for index in range(0, len(days), 7) if index == 0 or last - index >= 4} | {last}
    labels = format_html_join("", '<text x="{}" y="{}" ' + TEXT + ">{}</text>", (
        (left + STEP * index, baseline + 14, f"{days[index].date:%m-%d}") for index in sorted(labelled)))
    total = next(total for total in lift.totals if total.currency == currency)
    shown = "" if len(days) == len(lift.window_days) else f" (the newest {len(days)} of {len(lift.window_days)})"
    svg = format_html(
        '<svg class="entries-chart lift-chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">Net revenue per day in {currency}: the campaign against an ordinary day</title>'
        '<desc id="{id}-desc">{count}{shown} from {first} to {last_day} ({zone}). Bars are the net '
        "revenue of each day; marks are an ordinary day of the same weekday, from the baseline's weekday "
        "averages. In all, {actual} against {expected} expected: {ratio}. The tables beside list every "
        "figure.</desc>"
        '<line x1="{left}" y1="{baseline}" x2="{width}" y2="{baseline}" stroke="#666"></line>'
        '<line x1="{left}" y1="{top}" x2="{left}" y2="{baseline}" stroke="#666"></line>'
        '<text x="{axis}" y="{top_text}" text-anchor="end" ' + TEXT + ">{top_label}</text>"
        '<text x="{axis}" y="{baseline}" text-anchor="end" ' + TEXT + ">0</text>"
        "{marks}{labels}</svg>",
        width=width, height=HEIGHT, id=chart_id, currency=currency,
        count=f"{len(days)} local day{'' if len(days) == 1 else 's'}", shown=shown,
        first=days[0].date.isoformat(), last_day=days[-1].date.isoformat(), zone=lift.timezone,
        actual=format_money(total.revenue.actual, currency),
        expected="—" if total.revenue.expected is None else format_money(total.revenue.expected, currency),
        ratio=total.revenue.ratio_text, left=left, baseline=baseline, top=TOP, axis=left - 4, top_text=TOP + 4,
        top_label=top_label, marks=format_html_join("", "{}", ((mark,) for mark in marks)), labels=labels)
    legend = format_html(
        '<ul class="chart-legend">'
        '<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="{}"></rect></svg> '
        "Net revenue of the day</li>"
        '<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="{}"></rect></svg> '
        "Partial day (the campaign started or ended during it, or it is today)</li>"
        '<li><svg width="14" height="12" aria-hidden="true"><line x1="0" y1="6" x2="14" y2="6" stroke="{}" '
        'stroke-width="3"></line></svg> An ordinary day of that weekday</li></ul>', ACTUAL, PARTIAL, ORDINARY)
    return format_html('<figure class="entries-figure lift-figure">{}<figcaption>{}</figcaption></figure>',
                       svg, legend)
