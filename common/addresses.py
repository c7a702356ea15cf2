"""Absolute addresses of this site, for anything a person copies or receives outside it.

Copy-ready tracking links, "view on site" and links in e-mails all start with
`settings.PUBLIC_BASE_URL` (e.g. https://chorus.example.com), never with the
domain of the request that happened to render them or a stale Site row.
"""

from django.conf import settings


def absolute_url(path):
    """`path` ("/l/abc123") on the public site: PUBLIC_BASE_URL + path."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + path
