"""Reading configuration from the environment.

Every reader raises `EnvError` with one sentence that names the variable and
says what to put in it; `manage.py` and `wsgi.py` print that sentence and stop,
so an operator never has to read a traceback to find a typo.
"""

import os


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
