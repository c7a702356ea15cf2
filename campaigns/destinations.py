"""Where a tracking link may send people, and link codes: plain rules with no models, so models.py can use them.

A destination is either a path on this site ("/c/anniversary/") or an http(s)
URL whose host is in LINK_ALLOWED_HOSTS ("shop.example.com", or
".example.com" for the domain and its subdomains). Anything else — other
hosts, scheme-relative "//evil.example", "/\\evil.example", "https:evil.example",
"javascript:", control characters, encoded tricks — is refused when the link
is saved, and checked again at redirect time in case the setting changed.
"""

import secrets
import string
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.http import url_has_allowed_host_and_scheme

CODE_ALPHABET = string.ascii_lowercase + string.digits
CODE_LENGTH = 8  # 36^8 ≈ 2.8e12 codes; the unique constraint catches the rare collision


def new_code():
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def host_is_allowed(host, allowed_hosts):
    host = host.lower().rstrip(".")
    for pattern in allowed_hosts:
        pattern = pattern.lower()
        if pattern.startswith(".") and (host == pattern[1:] or host.endswith(pattern)):
            return True
        if host == pattern:
            return True
    return False


def destination_problem(url, allowed_hosts=None):
    """None when `url` is a safe destination, else a sentence saying what to fix."""
    allowed_hosts = settings.LINK_ALLOWED_HOSTS if allowed_hosts is None else allowed_hosts
    if not url or any(ord(character) < 33 or character in "\\\x7f" for character in url):
        return "Enter a destination without spaces, backslashes or control characters."
    if url.startswith("/"):
        if url.startswith("//"):  # scheme-relative: a browser reads the next part as a host
            return "A path on this site must start with a single /, e.g. /c/anniversary/."
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        return "Use an https:// (or http://) address or a path on this site; other schemes are not allowed."
    host = parts.hostname or ""
    if not parts.netloc or not host_is_allowed(host, allowed_hosts):
        hosts = ", ".join(allowed_hosts) or "none yet"
        return (f"{host or url} is not an allowed destination host (allowed: {hosts}). "
                "Ask an operator to add it to LINK_ALLOWED_HOSTS.")
    # Django's own check as a second opinion on what a browser would do with the URL.
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={host}, require_https=False):
        return "This destination is not a plain web address; check it for typos."
    return None


def validate_destination(url):
    problem = destination_problem(url)
    if problem:
        raise ValidationError(problem)
