"""Start-up configuration: production passes `check --deploy`; a bad variable stops with one clear line.

These run `manage.py` in a subprocess with their own environment and never touch
the test database, so they run on the SQLite leg only (the PostgreSQL leg sets
DATABASE_URL): the same checks twice would only cost time.
"""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from config import embedded_redis

ROOT = Path(__file__).resolve().parents[2]
DROPPED = {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "EMAIL_HOST",
           "CONN_MAX_AGE", "CHORUS_VAR_DIR", "DJANGO_SETTINGS_MODULE", "CHORUS_EMBEDDED", "PUBLIC_BASE_URL",
           "LOG_LEVEL", "LINK_ALLOWED_HOSTS", "TRUSTED_PROXY_COUNT",
           "DJANGO_ALLOW_ASYNC_UNSAFE"}  # set by the browser tests' conftest; check --deploy refuses it

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")),
                                reason="subprocess checks of start-up; they run on the SQLite leg only")


def environment_for(tmp_path):
    environment = {key: value for key, value in os.environ.items() if key not in DROPPED}
    environment.update(CHORUS_VAR_DIR=str(tmp_path / "var"))
    return environment


def manage(tmp_path, *args, **env):
    environment = {**environment_for(tmp_path), **env}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=120)


def production(tmp_path, **overrides):
    env = {
        "DEBUG": "0",
        "SECRET_KEY": "k7Vq2Lz9Xw4Rt8Yp3Nm6Bc1Df5Gh0Js2Kl7Qw9Er4Ty8Ui3Op6As1Zx5Cv0Bn",
        "ALLOWED_HOSTS": "chorus.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://chorus.example.com",
        "EMAIL_HOST": "smtp.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def test_the_production_profile_passes_check_deploy_with_no_warnings(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **production(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("overrides, names", [
    ({"SECRET_KEY": None}, "SECRET_KEY"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY"),
    ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
    ({"EMAIL_HOST": None}, "EMAIL_HOST"),
    ({"DEBUG": "maybe"}, "DEBUG"),
    ({"DATABASE_URL": "nonsense://x"}, "DATABASE_URL"),
    ({"REDIS_URL": "http://x"}, "REDIS_URL"),
    ({"CONN_MAX_AGE": "abc"}, "CONN_MAX_AGE"),
    ({"CSRF_TRUSTED_ORIGINS": "chorus.example.com"}, "CSRF_TRUSTED_ORIGINS"),
    # Production never falls back to SQLite or the embedded Redis.
    ({"DATABASE_URL": None}, "DATABASE_URL"),
    ({"REDIS_URL": None}, "REDIS_URL"),
    ({"DATABASE_URL": "mysql://chorus@db/chorus"}, "DATABASE_URL"),
    ({"DATABASE_URL": "postgres://chorus@db.internal:5432"}, "DATABASE_URL"),
    ({"CHORUS_VAR_DIR": "/proc/chorus-cannot-be-here"}, "CHORUS_VAR_DIR"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ({"REDIS_URL": "redis://"}, "REDIS_URL"),
    ({"REDIS_URL": "redis://redis.internal:port/0"}, "REDIS_URL"),
    ({"REDIS_URL": "unix://"}, "REDIS_URL"),
    ({"LINK_ALLOWED_HOSTS": "https://shop.example.com"}, "LINK_ALLOWED_HOSTS"),
    ({"LINK_ALLOWED_HOSTS": "shop.example.com/sale"}, "LINK_ALLOWED_HOSTS"),
    ({"CONN_MAX_AGE": "x", "DATABASE_URL": "postgres://chorus@db.internal:5432/chorus"}, "CONN_MAX_AGE"),
    ({"PUBLIC_BASE_URL": "https://chorus.example.com/app"}, "PUBLIC_BASE_URL"),
    ({"PUBLIC_BASE_URL": "chorus.example.com"}, "PUBLIC_BASE_URL"),
    ({"ALLOWED_HOSTS": ".example.com"}, "PUBLIC_BASE_URL"),
    ({"TRUSTED_PROXY_COUNT": "-1"}, "TRUSTED_PROXY_COUNT"),
])
def test_a_bad_variable_stops_start_up_with_one_line_naming_it(tmp_path, overrides, names):
    result = manage(tmp_path, "check", **production(tmp_path, **overrides))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("chorus: configuration error: ")
    assert names in lines[0]
    if names != "DATABASE_URL":
        assert "DATABASE_URL" not in lines[0]  # e.g. a bad CONN_MAX_AGE is not blamed on the URL
    assert "Traceback" not in result.stderr


def test_migrate_against_an_unreachable_database_says_so_in_one_line(tmp_path):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgres://chorus:secret@127.0.0.1:{port}/chorus"
    result = manage(tmp_path, "migrate", "--no-input", **production(tmp_path, DATABASE_URL=url))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("chorus: configuration error: DATABASE_URL: the database at 127.0.0.1:")
    assert "secret" not in lines[0]


def test_commands_that_need_no_redis_start_none(tmp_path):
    result = manage(tmp_path, "check")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "var" / "redis.sock").exists()
    assert not embedded_redis.is_answering(tmp_path / "var" / "redis.sock")


def test_the_embedded_mode_runs_with_debug_off_on_sqlite_and_the_embedded_redis(tmp_path):
    code = ("from django.conf import settings as s; "
            "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.EMBEDDED_REDIS, s.EMAIL_BACKEND, "
            "getattr(s, 'SECURE_SSL_REDIRECT', False), s.SESSION_COOKIE_SECURE, s.PUBLIC_BASE_URL, s.ALLOWED_HOSTS)")
    result = manage(tmp_path, "check", CHORUS_EMBEDDED="1")
    assert result.returncode == 0, result.stderr
    printed = subprocess.run([sys.executable, "-c", "import django; django.setup(); " + code], cwd=ROOT,
                             env={**environment_for(tmp_path), "CHORUS_EMBEDDED": "1",
                                  "DJANGO_SETTINGS_MODULE": "config.settings"},
                             capture_output=True, text=True, timeout=60)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.split(" ", 6) == [
        "False", "django.db.backends.sqlite3", "True", "django.core.mail.backends.console.EmailBackend", "False",
        "False", "http://localhost:8000 ['localhost', '127.0.0.1', '[::1]']\n",
    ]
    assert (tmp_path / "var" / "secret-key").exists()  # generated once into the var folder


def test_production_derives_the_public_address_from_the_first_allowed_host(tmp_path):
    env = {**environment_for(tmp_path), **production(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    code = "from django.conf import settings; print(settings.PUBLIC_BASE_URL)"
    printed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=60)
    assert printed.stdout.strip() == "https://chorus.example.com", printed.stderr
    printed = subprocess.run([sys.executable, "-c", code], cwd=ROOT,
                             env={**env, "PUBLIC_BASE_URL": "https://go.example.com:8443/"},
                             capture_output=True, text=True, timeout=60)
    assert printed.stdout.strip() == "https://go.example.com:8443", printed.stderr


def test_with_nothing_set_it_runs_on_sqlite_in_wal_mode_and_an_embedded_redis(tmp_path):
    var_dir = tmp_path / "var"
    try:
        result = manage(tmp_path, "shell", "-c", "from django.db import connection; c = connection.cursor(); "
                        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])")
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == "wal"
        assert (var_dir / "chorus.sqlite3").exists()
        assert embedded_redis.is_answering(var_dir / "redis.sock")
    finally:
        embedded_redis.stop(var_dir)


def test_allauth_gets_the_same_trusted_proxy_count(tmp_path):
    env = {**environment_for(tmp_path), "TRUSTED_PROXY_COUNT": "2", "DJANGO_SETTINGS_MODULE": "config.settings"}
    code = "from django.conf import settings as s; print(s.TRUSTED_PROXY_COUNT, s.ALLAUTH_TRUSTED_PROXY_COUNT)"
    printed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=60)
    assert printed.stdout.split() == ["2", "2"], printed.stderr


def test_the_embedded_mode_behind_an_https_proxy_trusts_it_and_keeps_cookies_secure(tmp_path):
    """`make run` published through an HTTPS proxy: without the proxy header every sign-in POST would fail
    Django's origin check, and cookies would travel on plain http."""
    code = ("from django.conf import settings as s; "
            "print(getattr(s, 'SECURE_PROXY_SSL_HEADER', None), s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)")
    env = {**environment_for(tmp_path), "CHORUS_EMBEDDED": "1", "DJANGO_SETTINGS_MODULE": "config.settings"}
    published = subprocess.run([sys.executable, "-c", "import django; django.setup(); " + code], cwd=ROOT,
                               env={**env, "PUBLIC_BASE_URL": "https://chorus.example.com",
                                    "ALLOWED_HOSTS": "chorus.example.com"},
                               capture_output=True, text=True, timeout=60)
    assert published.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https') True True", published.stderr
    local = subprocess.run([sys.executable, "-c", "import django; django.setup(); " + code], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
    assert local.stdout.strip() == "None False False", local.stderr
