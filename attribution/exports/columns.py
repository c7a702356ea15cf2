"""The columns of finance exports, version 1 (docs/exports.md), and how each kind of cell is written.

A cell is written the same way by every path: Python's for SQLite and XLSX, PostgreSQL's COPY for CSV.
Text that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage return)
gets an apostrophe in front (`promotions.exports.safe_cell`); numbers are numbers, so a negative
difference stays -12.50. Amounts have exactly the currency's minor unit (0 for KRW, 2 for USD, 3 for
KWD); times are UTC, ISO 8601, to the second, with a Z; empty means "none".
"""

from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal

from accounts.currencies import ISO_4217_CODES, minor_units
from promotions.exports import FORMULA_STARTS, safe_cell

COLUMNS_VERSION = 1

# Kinds of cell.
TEXT, INTEGER, AMOUNT, SHARE, TIME = "text", "integer", "amount", "share", "time"

CREDIT_COLUMNS = (
    ("sale_id", INTEGER), ("source", TEXT), ("order_id", TEXT), ("occurred_at", TIME), ("gross", AMOUNT),
    ("refunded", AMOUNT), ("net", AMOUNT), ("currency", TEXT), ("status", TEXT), ("campaign_id", INTEGER),
    ("campaign", TEXT), ("account_id", INTEGER), ("account", TEXT), ("touch_kind", TEXT), ("touch_id", INTEGER),
    ("touch_at", TIME), ("promotion", TEXT), ("referral_group", INTEGER), ("generation", INTEGER),
    ("model", TEXT), ("credit_share", SHARE), ("credited_net", AMOUNT), ("discount_given", AMOUNT),
    ("rebate_owed", AMOUNT),
)

RESTATEMENT_COLUMNS = CREDIT_COLUMNS + (
    ("change", TEXT), ("credited_net_before", AMOUNT), ("credited_net_after", AMOUNT),
    ("credited_net_difference", AMOUNT), ("refunded_before", AMOUNT), ("refunded_after", AMOUNT),
    ("refunded_difference", AMOUNT),
)

REBATE_COLUMNS = (
    ("offer_id", INTEGER), ("offer", TEXT), ("account_id", INTEGER), ("account", TEXT), ("currency", TEXT),
    ("group_id", INTEGER), ("member_id", INTEGER), ("generation", INTEGER), ("source", TEXT), ("order_id", TEXT),
    ("status", TEXT), ("bought_at", TIME), ("list_price", AMOUNT), ("paid", AMOUNT), ("refunded", AMOUNT),
    ("discount_given", AMOUNT), ("rebate_owed_at_start", AMOUNT), ("rebates_in_period", AMOUNT),
    ("reversals_in_period", AMOUNT), ("rebate_owed_at_end", AMOUNT), ("rebate_owed_now", AMOUNT),
)

PRIZE_COLUMNS = (
    ("giveaway_id", INTEGER), ("giveaway", TEXT), ("campaign_id", INTEGER), ("campaign", TEXT),
    ("account_id", INTEGER), ("account", TEXT), ("round", INTEGER), ("round_closed_at", TIME), ("drawn_at", TIME),
    ("place", INTEGER), ("pseudonym", TEXT), ("status", TEXT), ("currency", TEXT), ("prize_value", AMOUNT),
    ("liability", AMOUNT),
)


def header(columns):
    return [name for name, _kind in columns]


# --- cells, in Python ---------------------------------------------------------------------------


def text(value):
    """A text cell: empty for None or "", neutralised when a spreadsheet would run it."""
    if value is None or value == "":
        return None
    return safe_cell(str(value))


def integer(value):
    return None if value is None else str(int(value))


def amount(value, currency):
    """`value` with exactly the currency's minor unit, as PostgreSQL's round(value, places) writes it."""
    if value is None:
        return None
    places = minor_units(currency)
    return format(Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP), "f")


def share(value):
    """A credit share as stored: 8 decimal places, never in exponent form."""
    return None if value is None else format(value, "f")


def utc(value):
    """An aware datetime as UTC ISO 8601 to the second: 2026-11-30T15:00:00Z."""
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the same cells, in PostgreSQL (for COPY … TO STDOUT WITH CSV) ------------------------------------


def sql_text(expression):
    """NULL for empty text (COPY would write "" for it; Python writes nothing), else neutralised like safe_cell."""
    starts = ", ".join(f"chr({ord(character)})" for character in FORMULA_STARTS)
    return (f"CASE WHEN {expression} = '' THEN NULL WHEN left({expression}, 1) IN ({starts}) "
            f"THEN '''' || {expression} ELSE {expression} END")


def sql_places(currency_expression):
    """The minor unit of the currency in `currency_expression` (every code that is not 2, spelled out)."""
    cases = " ".join(f"WHEN '{code}' THEN {minor_units(code)}" for code in sorted(ISO_4217_CODES)
                     if minor_units(code) != 2)
    return f"(CASE {currency_expression} {cases} ELSE 2 END)"


def sql_amount(expression, places_expression):
    """`expression` rounded to `places_expression` decimals (the row's sql_places), as text: 129000, 12.50."""
    return f"round({expression}, {places_expression})::text"


def sql_utc(expression):
    return f"""to_char({expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
