"""The `Chorus-Signature` header of the sales webhook, Stripe's scheme.

    Chorus-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">

A shop signs the raw bytes it sends; several `v1` values may be present while a secret is being
rotated (one per valid secret). We accept the request when any `v1` matches any of the source's
valid secrets, compared in constant time, and the timestamp is within five minutes of our clock
either way (a replay later than that is refused even with a good signature; a replay within it
meets the inbox's unique event id).
"""

import hashlib
import hmac
from dataclasses import dataclass

HEADER = "Chorus-Signature"
TOLERANCE_SECONDS = 300
MAX_SIGNATURES = 8


@dataclass(frozen=True)
class SignatureProblem(Exception):
    status: int
    code: str
    message: str


def compute(secret, timestamp, body):
    """The hex v1 signature of `body` (bytes) sent at `timestamp` (unix seconds)."""
    signed = str(int(timestamp)).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def header_value(secrets, timestamp, body):
    """A complete header value signed with each of `secrets` (what a shop sends; used by tests and the demo)."""
    parts = [f"t={int(timestamp)}", *(f"v1={compute(secret, timestamp, body)}" for secret in secrets)]
    return ",".join(parts)


def parse(value):
    """(timestamp, [v1 hex…]) from a header value, or SignatureProblem saying what is wrong with it."""
    if not value:
        raise SignatureProblem(400, "missing_signature",
                               f"Send the {HEADER} header: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\">.")
    timestamp, signatures = None, []
    for part in value.split(","):
        key, _, item = part.strip().partition("=")
        if key == "t" and item.isdigit() and len(item) <= 12:
            timestamp = int(item)
        elif key == "v1" and len(item) == 64 and all(c in "0123456789abcdef" for c in item.lower()):
            signatures.append(item.lower())
    if timestamp is None or not signatures or len(signatures) > MAX_SIGNATURES:
        raise SignatureProblem(400, "malformed_signature",
                               f"The {HEADER} header must be t=<unix seconds> and one to {MAX_SIGNATURES} "
                               "v1=<64 hex digits>, separated by commas.")
    return timestamp, signatures


def verify(*, value, body, secrets, now):
    """Raise SignatureProblem unless `value` signs `body` with one of `secrets` within the tolerance of `now`.

    `now` is unix seconds. Every secret is compared with every signature (no early exit that would
    tell an attacker which one came close); the comparison itself is constant-time.
    """
    timestamp, signatures = parse(value)
    matched = False
    for secret in secrets:
        expected = compute(secret, timestamp, body)
        for signature in signatures:
            matched |= hmac.compare_digest(expected, signature)
    if not matched:
        raise SignatureProblem(401, "signature_mismatch",
                               "No v1 signature matches a current secret of this source. Sign the raw body "
                               "exactly as sent, with the secret shown on the source's admin page.")
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise SignatureProblem(401, "timestamp_out_of_tolerance",
                               f"The signature's time t={timestamp} is more than {TOLERANCE_SECONDS} seconds from "
                               f"ours ({int(now)}): sign each delivery when you send it, and check the shop's clock.")
