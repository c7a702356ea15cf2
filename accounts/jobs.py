"""RQ entry points for accounts: small, idempotent, safe to run twice."""

from django.contrib.sessions.backends.db import SessionStore


def clear_expired_sessions():
    """Delete expired sign-in sessions (the sweep that `manage.py clearsessions` would do)."""
    SessionStore.clear_expired()
