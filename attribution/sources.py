"""Sales sources and their signing secrets: creating, rotating with an overlap, and the valid ones now.

Rotation (Stripe's "roll secret"): a new secret is made and the current one keeps working until the
overlap ends, so the shop can switch without dropping events. At most two are valid at once: rotating
again during an overlap ends the older one at once.
"""

import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import Q

from attribution.models import SalesSource, SourceSecret
from common.recent import RecentCache

DEFAULT_OVERLAP = timedelta(hours=24)
LONGEST_OVERLAP = timedelta(days=7)
# The webhook reads a source and its secrets once per this many seconds per process: a rotation or a
# switch-off applies within it.
SOURCE_CACHE_SECONDS = 5
recent_sources = RecentCache(max_entries=1000)


def new_secret():
    return "whsec_" + secrets.token_hex(24)


def valid_secrets(source, at):
    return list(source.secrets.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at))
                .order_by("-created_at").values_list("secret", flat=True))


def create_source(*, account, name, key, by=None, at):
    """A new source with its first secret."""
    with transaction.atomic():
        source = SalesSource.objects.create(account=account, name=name, key=key)
        issue_first_secret(source=source, by=by, at=at)
    return source


def issue_first_secret(*, source, by=None, at):
    """The secret of a source that has none yet (a source saved in the admin)."""
    if not source.secrets.exists():
        SourceSecret.objects.create(source=source, secret=new_secret(), created_at=at, created_by=by)


def rotate_secret(*, source, overlap=DEFAULT_OVERLAP, by=None, at):
    """Add a new secret; the current one stays valid for `overlap`, older ones end now. Returns the new one."""
    if overlap < timedelta(0) or overlap > LONGEST_OVERLAP:
        raise ValueError(f"The overlap must be between 0 and {LONGEST_OVERLAP.days} days.")
    with transaction.atomic():
        SalesSource.objects.select_for_update().filter(pk=source.pk).first()  # one rotation at a time
        current = list(source.secrets.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at)).order_by("-created_at"))
        for index, secret in enumerate(current):
            ends = at + overlap if index == 0 else at
            if secret.expires_at is None or secret.expires_at > ends:
                SourceSecret.objects.filter(pk=secret.pk).update(expires_at=ends)
        created = SourceSecret.objects.create(source=source, secret=new_secret(), created_at=at, created_by=by)
    recent_sources.clear()
    return created


def source_for_webhook(key, at):
    """(source, [valid secrets]) for a key, from the per-process cache; (None, []) for an unknown key."""
    cached = recent_sources.get(key)
    if cached is not None:
        return cached
    source = SalesSource.objects.select_related("account").filter(key=key).first()
    found = (source, valid_secrets(source, at) if source else [])
    recent_sources.put(key, found, seconds=SOURCE_CACHE_SECONDS)
    return found
