"""Chorus settings: one module, configured from the environment.

Three ways to run, one code path:

- development (`make dev`, pytest, nothing set): DEBUG on, SQLite and an
  embedded Redis server under var/, sign-in codes on the console;
- the embedded single-machine mode (`make run` sets CHORUS_EMBEDDED=1): DEBUG
  off, but SQLite, the embedded Redis, a secret key generated into var/, the
  console for sign-in codes and plain http on 127.0.0.1 remain allowed;
- production (DEBUG=0): every variable marked required in docs/operations.md
  must be set; a missing or malformed one stops start-up with a sentence naming
  it (see config/env.py), never a silent development default.

Importing this module starts nothing: the embedded Redis is started by the
processes that use it (see config/embedded_redis.py).
"""

import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import PermissionDenied

from config import embedded_redis
from config.env import (
    EnvError,
    check_base_url,
    env_base_url,
    env_bool,
    env_choice,
    env_host_list,
    env_int,
    env_list,
    env_str,
    env_url_list,
    env_writable_dir,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = env_writable_dir("CHORUS_VAR_DIR", BASE_DIR / "var")

# The embedded mode is the small brand's own server: `make run` sets it.
EMBEDDED = env_bool("CHORUS_EMBEDDED", False)
DEBUG = env_bool("DEBUG", not EMBEDDED)
# Production proper: DEBUG off and not the embedded mode. Nothing falls back silently here.
PRODUCTION = not DEBUG and not EMBEDDED


def _secret_key():
    key = env_str("SECRET_KEY")
    if key:
        if not DEBUG and (len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-")):
            raise EnvError(
                "SECRET_KEY is too weak for production: use 50 or more random characters, "
                'e.g. python -c "import secrets; print(secrets.token_urlsafe(64))"'
            )
        return key
    if PRODUCTION:
        raise EnvError("SECRET_KEY is not set: production (DEBUG=0) needs a long random secret key")
    # Development and the embedded mode: one random key per var folder, generated once,
    # so sessions survive restarts.
    key_file = VAR_DIR / "secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
if DEBUG:
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [*LOOPBACK_HOSTS, "testserver"])
elif EMBEDDED:
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", LOOPBACK_HOSTS)
else:
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise EnvError(
            "ALLOWED_HOSTS is not set: production (DEBUG=0) needs the host names Chorus answers to, "
            "comma-separated, e.g. chorus.example.com"
        )
CSRF_TRUSTED_ORIGINS = env_url_list("CSRF_TRUSTED_ORIGINS")


def _public_base_url():
    """Where people reach this site: copy-ready links, "view on site" and e-mail links start with it."""
    url = env_base_url("PUBLIC_BASE_URL")
    if url:
        return url
    if not PRODUCTION:
        # `make run` and `make dev` set it to the address they serve; this is runserver's default.
        return "http://localhost:8000"
    # Production: the first named host, over https, when it is a plain name (not ".example.com" or "*").
    host = ALLOWED_HOSTS[0]
    if host.startswith((".", "*")):
        raise EnvError(
            "PUBLIC_BASE_URL is not set and the first ALLOWED_HOSTS entry is a pattern: "
            "set it to the address people use, e.g. https://chorus.example.com"
        )
    return check_base_url("PUBLIC_BASE_URL (from ALLOWED_HOSTS)", f"https://{host}")


PUBLIC_BASE_URL = _public_base_url()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.twitter_oauth2",
    "allauth.socialaccount.providers.facebook",
    "django_rq",
    "csp",
    "accounts",
    "campaigns",
    "promotions",
    "attribution",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

if not DEBUG:
    # Production serves collected static files itself; development lets runserver do it.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------

SQLITE_PATH = VAR_DIR / "chorus.sqlite3"
SQLITE_OPTIONS = {
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue on
    # the busy timeout instead of failing with "database is locked".
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
SUPPORTED_DATABASE_SCHEMES = {"postgres", "postgresql", "pgsql", "postgis", "sqlite"}


def _database():
    url = env_str("DATABASE_URL")
    if not url:
        if PRODUCTION:
            raise EnvError(
                "DATABASE_URL is not set: production (DEBUG=0) needs its database, "
                "e.g. postgres://chorus:password@db.internal:5432/chorus "
                "(or run the embedded single-machine mode with make run)"
            )
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": SQLITE_OPTIONS,
            # Tests use a file too (not Django's in-memory default), so concurrency tests
            # exercise the same locking as production SQLite.
            "TEST": {"NAME": str(VAR_DIR / "test-chorus.sqlite3")},
        }
    # Read before the URL is parsed, so a bad CONN_MAX_AGE is never reported as a bad DATABASE_URL.
    conn_max_age = env_int("CONN_MAX_AGE", 600, minimum=0)
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in SUPPORTED_DATABASE_SCHEMES:
        raise EnvError(
            f"DATABASE_URL has the unsupported scheme {scheme or '(none)'!r}: "
            "use postgres://user:password@host:5432/chorus or sqlite:////absolute/path.sqlite3"
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
    except Exception as error:  # dj-database-url raises several kinds for a bad URL
        raise EnvError(
            f"DATABASE_URL is malformed ({error}): use e.g. postgres://user:password@host:5432/chorus"
        ) from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
    elif not config.get("NAME"):
        raise EnvError("DATABASE_URL names no database: add it after the host, e.g. postgres://…@host:5432/chorus")
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared by every process (login rate limits must hold across N web workers) and
# independent of Redis, so sign-in keeps working while Redis is down.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "chorus_cache",
    }
}

# --- Redis and jobs -------------------------------------------------------

def _redis_url():
    url = env_str("REDIS_URL")
    if not url:
        if PRODUCTION:
            raise EnvError(
                "REDIS_URL is not set: production (DEBUG=0) needs its Redis server, "
                "e.g. redis://redis.internal:6379/0 (or run the embedded single-machine mode with make run)"
            )
        # Only the address: the processes that use it start the server (config/embedded_redis.py).
        return embedded_redis.url_for(VAR_DIR)
    example = "use redis://host:6379/0, rediss://… or unix:///path/redis.sock"
    try:
        parts = urlsplit(url)
        port = parts.port  # a port that is not a number raises ValueError
    except ValueError:
        raise EnvError(f"REDIS_URL={url!r} is malformed: {example}") from None
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise EnvError(f"REDIS_URL is malformed: {example}")
    if parts.scheme == "unix" and not parts.path:
        raise EnvError(f"REDIS_URL={url!r} names no socket: {example}")
    if parts.scheme != "unix" and (not parts.hostname or port == 0):
        raise EnvError(f"REDIS_URL={url!r} names no host: {example}")
    return url


EMBEDDED_REDIS = not env_str("REDIS_URL")
REDIS_URL = _redis_url()

# A Redis that does not answer must fail a request in seconds, not hang it.
_REDIS_CONNECTION_URL = REDIS_URL + ("&" if "?" in REDIS_URL else "?") + "socket_connect_timeout=2"


def _queue(timeout):
    return {"URL": _REDIS_CONNECTION_URL, "DEFAULT_TIMEOUT": timeout}


RQ_QUEUES = {
    "default": _queue(300),
    "tallies": _queue(300),
    "exports": _queue(1800),
}
# The patient worker waits out Redis outages and heartbeats often enough for /healthz (config/workers.py).
RQ = {"COMMIT_MODE": "on_db_commit", "WORKER_CLASS": "config.workers.PatientWorker"}
RQ_SHOW_ADMIN_LINK = True

# --- Campaigns ------------------------------------------------------------

# Hosts tracking links may send visitors to, besides paths on this site:
# "shop.example.com", or ".example.com" for the domain and its subdomains.
LINK_ALLOWED_HOSTS = env_host_list("LINK_ALLOWED_HOSTS")
# Seconds a web process may reuse a clicked link's lookup (see campaigns/links.py).
TRACKING_LINK_CACHE_SECONDS = env_int("TRACKING_LINK_CACHE_SECONDS", 5, minimum=0)
# Seconds a web process may reuse an anonymous landing page it rendered (see campaigns/views/landing.py).
LANDING_CACHE_SECONDS = env_int("LANDING_CACHE_SECONDS", 5, minimum=0)
# Visitors are told apart by a first-party cookie set at the redirect (400 days: browsers' cap).
VISITOR_COOKIE_NAME = "chorus_visitor"
VISITOR_COOKIE_MAX_AGE = 400 * 24 * 3600
# Behind N reverse proxies, the client is the Nth address from the right of X-Forwarded-For.
# 0 (the default) trusts only REMOTE_ADDR, so a forged header changes nothing.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
# allauth's per-IP limits (failed logins, sign-ups) must see the same client as campaigns.visitors.client_ip(),
# or every visitor behind the proxy shares one limit. allauth picks the same Nth address from the right.
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# --- Identities -----------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
SITE_ID = 1
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    # Per address and per IP; failed logins lock an address out for five minutes.
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Chorus] "
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Email ----------------------------------------------------------------

DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Chorus <chorus@localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = 10
elif not PRODUCTION:
    # Development and the embedded mode: sign-in codes are printed in the terminal running Chorus.
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    raise EnvError("EMAIL_HOST is not set: production (DEBUG=0) must send sign-in codes by SMTP")

# --- Time, language, files ------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
# Finance exports and uploaded sales CSVs: never served as files, only through views that check roles.
# Web and workers must share this folder (one machine, or a shared volume).
PRIVATE_FILES_ROOT = Path(env_str("PRIVATE_FILES_ROOT") or VAR_DIR / "private")
EXPORTS_ROOT = PRIVATE_FILES_ROOT / "exports"
IMPORTS_ROOT = PRIVATE_FILES_ROOT / "imports"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Security -------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env_bool("BEHIND_HTTPS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
elif EMBEDDED and PUBLIC_BASE_URL.startswith("https://"):
    # `make run` published through an HTTPS reverse proxy (docs/operations.md, "Small installs"): trust the
    # proxy's word that the visitor came over HTTPS (else every sign-in POST fails Django's origin check)
    # and keep the session and CSRF cookies off plain http.
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env_bool("BEHIND_HTTPS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Social sign-in posts to our own URL, which redirects to the provider;
# browsers check form-action on that redirect too.
SOCIAL_LOGIN_ORIGINS = ("https://twitter.com", "https://x.com", "https://www.facebook.com")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # A page's own <style> (a landing page's brand colour) is allowed by its sha256, per response:
        # see campaigns/views/landing.py. No nonces, so cached pages stay byte-stable.
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", *SOCIAL_LOGIN_ORIGINS],
    },
}

def _forbidden_in_one_line(record):
    """A refused request (403) is logged as one line with its reason, not a traceback.

    Django logs PermissionDenied on django.request with the exception attached;
    a refusal is an expected answer, and a traceback per refusal buries real errors.
    """
    error = record.exc_info[1] if record.exc_info else None
    if isinstance(error, PermissionDenied):
        record.msg = f"{record.msg} ({error or 'no reason given'})"
        record.exc_info = None
        record.exc_text = None
    return True


LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"forbidden_in_one_line": {"()": lambda: _forbidden_in_one_line}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["forbidden_in_one_line"]},
    },
}
