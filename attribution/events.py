"""Reading a sales event (from the webhook's JSON or a CSV row) into checked facts, or saying what to fix.

The contract is in docs/sales-api.yaml. An event is flat:

    {"id": "evt_1", "type": "order.paid", "source": "hanbit-web-shop",
     "occurred_at": "2026-12-10T01:00:00Z", "order_id": "A-1001",
     "amount": "129000", "currency": "KRW", "customer_email": "mina@example.com",
     "visitor_id": "…uuid…", "referral_code": "K3J9…", "coupon_code": "", "payment_fingerprint": "…",
     "lines": [{"sku": "ICN-CJU", "quantity": 1, "amount": "129000"}]}

For `order.refunded`, `amount` is that refund's amount (a partial refund is a smaller amount; each
refund is its own event). Money is a decimal string, never a JSON number: floats lose cents.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.currencies import ISO_4217_CODES, minor_units

KINDS = ("order.paid", "order.refunded")
# Above this an amount is a typo or an attack, not a sale (a billion in any currency's major unit… times 100).
LARGEST_AMOUNT = Decimal("100000000000")
MAX_LINES = 200
EARLIEST = datetime.fromisoformat("2000-01-01T00:00:00+00:00")
# A shop's clock may run a little fast; an event from further in the future is a mistake.
FUTURE_SLACK = timedelta(minutes=10)


@dataclass
class EventProblems(Exception):
    """Every problem found in one event, as (field, message) pairs, so one reply says all there is to fix."""

    problems: list

    def __str__(self):
        return "; ".join(f"{field}: {message}" for field, message in self.problems)


def text(data, name, problems, *, required=False, max_length=128):
    value = data.get(name)
    if value is None or value == "":
        if required:
            problems.append((name, "is required."))
        return ""
    if not isinstance(value, str):
        problems.append((name, "must be a string."))
        return ""
    value = value.strip()
    if len(value) > max_length:
        problems.append((name, f"is longer than {max_length} characters."))
        return ""
    if any(ord(character) < 32 for character in value):
        problems.append((name, "contains control characters."))
        return ""
    return value


def amount_of(value, name, currency, problems, *, allow_zero=False):
    """A Decimal from a decimal string, checked against the currency's minor unit, or None (problem added)."""
    if isinstance(value, (bool, int, float)):
        problems.append((name, 'must be a decimal string such as "129000" or "12.50", not a number '
                               "(JSON numbers lose cents)."))
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append((name, 'is required, as a decimal string such as "12.50".'))
        return None
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        problems.append((name, f'"{value[:40]}" is not a decimal number; write it like "12.50".'))
        return None
    if not amount.is_finite():
        problems.append((name, "must be a finite number."))
        return None
    if amount < 0 or (amount == 0 and not allow_zero):
        problems.append((name, "must be more than zero (refunds are their own order.refunded events)."))
        return None
    if amount > LARGEST_AMOUNT:
        problems.append((name, f"is larger than {LARGEST_AMOUNT:,}; check the amount and its currency."))
        return None
    if currency and -amount.as_tuple().exponent > minor_units(currency):
        problems.append((name, f"has more decimal places than {currency} uses ({minor_units(currency)})."))
        return None
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency))) if currency else amount


def moment(value, problems, now):
    if not isinstance(value, str) or not value.strip():
        problems.append(("occurred_at", 'is required, as ISO 8601 with a time zone, e.g. "2026-12-10T01:00:00Z".'))
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        problems.append(("occurred_at", f'"{value[:40]}" is not an ISO 8601 time such as "2026-12-10T01:00:00Z".'))
        return None
    if parsed.tzinfo is None:
        problems.append(("occurred_at", "has no time zone: end it with Z (UTC) or an offset such as +09:00."))
        return None
    if parsed < EARLIEST or parsed > now + FUTURE_SLACK:
        problems.append(("occurred_at", "is before 2000 or in the future; check the shop's clock and the field."))
        return None
    return parsed


def read_lines(value, currency, problems):
    if value in (None, ""):
        return []
    if not isinstance(value, list) or len(value) > MAX_LINES:
        problems.append(("lines", f"must be a list of at most {MAX_LINES} lines."))
        return []
    lines = []
    for index, line in enumerate(value):
        where = f"lines[{index}]"
        if not isinstance(line, dict):
            problems.append((where, 'must be an object: {"sku": …, "quantity": …, "amount": "…"}.'))
            continue
        sku = text(line, "sku", problems, required=True, max_length=64)
        quantity = line.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 100000:
            problems.append((f"{where}.quantity", "must be a whole number from 1 to 100,000."))
            continue
        amount = amount_of(line.get("amount"), f"{where}.amount", currency, problems, allow_zero=True)
        if sku and amount is not None:
            lines.append({"sku": sku, "quantity": quantity, "amount": str(amount)})
    return lines


def read_event(data, *, now):
    """The checked facts of one event as a JSON-ready dict (decimal strings, ISO times), or EventProblems."""
    if not isinstance(data, dict):
        raise EventProblems([("body", "must be a JSON object.")])
    problems = []
    event_id = text(data, "id", problems, required=True)
    kind = data.get("type")
    if kind not in KINDS:
        problems.append(("type", f"must be one of {', '.join(KINDS)}."))
    order_id = text(data, "order_id", problems, required=True)
    currency = data.get("currency")
    if not isinstance(currency, str) or currency.strip().upper() not in ISO_4217_CODES:
        problems.append(("currency", "must be an ISO 4217 code such as KRW, JPY or EUR."))
        currency = ""
    else:
        currency = currency.strip().upper()
    amount = amount_of(data.get("amount"), "amount", currency, problems)
    occurred_at = moment(data.get("occurred_at"), problems, now)
    facts = {"id": event_id, "type": kind, "order_id": order_id, "currency": currency,
             "amount": str(amount) if amount is not None else "",
             "occurred_at": occurred_at.isoformat() if occurred_at else ""}
    if kind == "order.paid":
        email = text(data, "customer_email", problems, max_length=254)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                problems.append(("customer_email", f'"{email[:60]}" is not an e-mail address.'))
        visitor = text(data, "visitor_id", problems, max_length=36)
        if visitor:
            try:
                visitor = str(uuid.UUID(visitor))
            except ValueError:
                problems.append(("visitor_id", "must be the Chorus visitor cookie's value (a UUID) or empty."))
        facts.update(
            customer_email=email, visitor_id=visitor,
            referral_code=text(data, "referral_code", problems, max_length=32),
            coupon_code=text(data, "coupon_code", problems, max_length=64),
            payment_fingerprint=text(data, "payment_fingerprint", problems, max_length=128),
            lines=read_lines(data.get("lines"), currency, problems),
        )
    if problems:
        raise EventProblems(problems)
    return facts
