"""Start-up configuration: production passes `check --deploy`; a bad variable stops with one clear line."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import embedded_redis

ROOT = Path(__file__).resolve().parents[2]
DROPPED = {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "EMAIL_HOST",
           "CONN_MAX_AGE", "CHORUS_VAR_DIR", "DJANGO_SETTINGS_MODULE"}


def manage(tmp_path, *args, **env):
    environment = {key: value for key, value in os.environ.items() if key not in DROPPED}
    environment.update(CHORUS_VAR_DIR=str(tmp_path / "var"), **env)
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
])
def test_a_bad_variable_stops_start_up_with_one_line_naming_it(tmp_path, overrides, names):
    result = manage(tmp_path, "check", **production(tmp_path, **overrides))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("chorus: configuration error: ")
    assert names in lines[0]
    assert "Traceback" not in result.stderr


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
