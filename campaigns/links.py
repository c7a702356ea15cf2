"""Tracking links: short codes, safe destinations, and where a click is sent.

A destination is either a path on this site ("/c/anniversary/") or an http(s)
URL whose host is in LINK_ALLOWED_HOSTS ("shop.example.com", or
".example.com" for the domain and its subdomains). Anything else — other
hosts, scheme-relative "//evil.example", "/\\evil.example", "https:evil.example",
"javascript:", control characters, encoded tricks — is refused when the link
is saved, and checked again at redirect time in case the setting changed.
"""

import secrets
import string
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from common.recent import RecentCache

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


def redirect_url(link, *, extra_parameters):
    """The link's destination with the campaign's UTM values added (existing ones in the URL win)."""
    campaign = link.campaign
    parameters = {
        "utm_source": campaign.utm_source or link.account.slug,
        "utm_medium": campaign.utm_medium or link.channel,
        "utm_campaign": campaign.utm_campaign_value,
        "utm_content": link.label or link.channel,
        **extra_parameters,
    }
    # A blank destination is the campaign's own landing page, resolved now so it follows slug changes.
    destination = link.destination_url or reverse("campaigns:landing", args=[campaign.slug])
    parts = urlsplit(destination)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for name, value in parameters.items():
        if value:
            query.setdefault(name, value)
    return urlunsplit(parts._replace(query=urlencode(query)))


# --- finding the link behind a click --------------------------------------------------------

# Each web process keeps recently clicked links for a few seconds (TRACKING_LINK_CACHE_SECONDS):
# a viral post sends thousands of clicks to one code, and the lookup would otherwise double
# the database work of every click. Switching a link off therefore takes that long to apply.
recent_links = RecentCache()


def find_clickable_link(code):
    """The active, safe link for `code` with its campaign and account loaded, or None.

    One query, or none while this process has the link cached.
    """
    from campaigns.models import Campaign, TrackingLink

    cached = recent_links.get(code)
    if cached is not None:
        return cached
    rows = (TrackingLink.objects.select_related("campaign", "account")
            .only("campaign_id", "account_id", "destination_url", "channel", "label", "active",
                  "campaign__slug", "campaign__status", "campaign__utm_source", "campaign__utm_medium",
                  "campaign__utm_campaign", "account__slug")
            .filter(code=code, active=True).order_by()[:1])
    link = next(iter(rows), None)
    if link is not None and link.campaign.status == Campaign.Status.DRAFT:
        link = None
    # Checked again here, not only when saved, in case LINK_ALLOWED_HOSTS has changed since.
    if link is not None and link.destination_url and destination_problem(link.destination_url):
        link = None
    if link is not None:
        recent_links.put(code, link, seconds=settings.TRACKING_LINK_CACHE_SECONDS)
    return link
