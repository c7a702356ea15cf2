"""Reading configuration from the environment.

Every reader raises `EnvError` with one sentence that names the variable and
says what to put in it; `manage.py` and `wsgi.py` print that sentence and stop,
so an operator never has to read a traceback to find a typo.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit


class EnvError(Exception):
    """A configuration variable is missing or malformed."""


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name, default=None):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip()


def env_required(name, why):
    value = env_str(name)
    if not value:
        raise EnvError(f"{name} is not set: {why}")
    return value


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise EnvError(f"{name}={value!r} is not a yes/no value: use 1 or 0 (true/false also work)")


def env_int(name, default, *, minimum=None):
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise EnvError(f"{name}={value!r} is not a whole number") from None
    if minimum is not None and number < minimum:
        raise EnvError(f"{name}={number} is too small: use {minimum} or more")
    return number


def env_list(name, default=()):
    """A comma-separated list; blanks are dropped."""
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url_list(name, default=()):
    """A comma-separated list of origins such as https://chorus.example.com."""
    origins = env_list(name, default)
    for origin in origins:
        if not origin.startswith(("http://", "https://")) or origin.count("/") > 2:
            raise EnvError(
                f"{name} has {origin!r}: each entry must be an origin like "
                "https://chorus.example.com (scheme and host, no path)"
            )
    return origins


def env_choice(name, default, choices):
    """One of `choices`, compared case-insensitively; returns it as written in `choices`."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    for choice in choices:
        if value.strip().lower() == choice.lower():
            return choice
    raise EnvError(f"{name}={value!r} is not one of {', '.join(choices)}")


def env_base_url(name, default=None):
    """An absolute base URL: scheme and host, optionally a port, and nothing else.

    Returned without a trailing slash, so `base + "/l/abc"` is always one slash.
    """
    value = env_str(name)
    if not value:
        return default
    return check_base_url(name, value)


def check_base_url(name, value):
    example = "e.g. https://chorus.example.com or http://127.0.0.1:8000"
    try:
        parts = urlsplit(value)
        port = parts.port  # a port that is not a number raises ValueError
    except ValueError:
        raise EnvError(f"{name}={value!r} is not a URL: use scheme and host, {example}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
        raise EnvError(f"{name}={value!r} needs http:// or https:// and a host name: {example}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise EnvError(f"{name}={value!r} must be scheme, host and optional port only (no path, query or login): "
                       f"{example}")
    return f"{parts.scheme}://{parts.netloc}"


def env_host_list(name, default=()):
    """A comma-separated list of bare host names, such as shop.example.com or .example.com."""
    hosts = env_list(name, default)
    for host in hosts:
        if "/" in host or ":" in host or " " in host or "@" in host:
            raise EnvError(
                f"{name} has {host!r}: each entry must be a bare host name like shop.example.com or "
                ".example.com (no scheme, port or path)"
            )
    return [host.lower() for host in hosts]


def env_writable_dir(name, default):
    """A folder Chorus can create and write to; returns it as an absolute Path."""
    folder = Path(env_str(name) or default).resolve()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".chorus-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise EnvError(f"{name}={str(folder)!r} is not a writable folder ({error.strerror}): "
                       "point it at a folder the Chorus user may write to") from None
    return folder


def database_unreachable():
    """The sentence for a database that cannot be reached, or None when it answers (the error was another).

    An OperationalError may also mean a missing table or a lock; only when a fresh
    connection fails too is it the address (DATABASE_URL) that needs fixing.
    """
    from django.db import connection

    try:
        connection.close()
        connection.ensure_connection()
    except Exception as failure:  # psycopg and sqlite3 raise their own kinds
        reason = str(failure).strip().splitlines()[0] if str(failure).strip() else type(failure).__name__
        settings = connection.settings_dict
        where = f"{settings.get('HOST') or 'localhost'}:{settings.get('PORT') or 'default port'}"
        if connection.vendor == "sqlite":
            where = str(settings.get("NAME"))
        return (f"DATABASE_URL: the database at {where} cannot be reached ({reason}); "
                "check that the server is running and that the URL's host, port, name and password are right")
    return None
