"""The embedded Redis: a real server, started once however many processes ask, and persistent."""

import tempfile
from pathlib import Path

import pytest
import redis

from config import embedded_redis
from tests.concurrency import run_concurrently


@pytest.fixture
def folder():
    path = Path(tempfile.mkdtemp(prefix="chorus-redis-", dir="/tmp"))  # short: Unix socket paths are limited
    yield path
    embedded_redis.stop(path)


def pid_of(folder):
    return (folder / "redis.pid").read_text().strip()


def test_it_starts_a_real_server_that_answers(folder):
    url = embedded_redis.ensure_running(folder)
    assert redis.Redis.from_url(url).ping()


def test_a_second_call_reuses_the_running_server(folder):
    first = embedded_redis.ensure_running(folder)
    pid = pid_of(folder)
    assert embedded_redis.ensure_running(folder) == first
    assert pid_of(folder) == pid


def test_simultaneous_first_starts_end_with_one_server(folder):
    urls, errors = run_concurrently(lambda: embedded_redis.ensure_running(folder), threads=4)
    assert errors == []
    assert len(set(urls)) == 1
    assert redis.Redis.from_url(urls[0]).info("server")["process_id"] == int(pid_of(folder))


def test_data_survives_a_restart(folder):
    client = redis.Redis.from_url(embedded_redis.ensure_running(folder))
    client.set("chorus:test", "kept")
    assert embedded_redis.stop(folder) is True
    client = redis.Redis.from_url(embedded_redis.ensure_running(folder))
    assert client.get("chorus:test") == b"kept"


def test_stopping_a_server_that_is_not_running_is_harmless(folder):
    assert embedded_redis.stop(folder) is False
