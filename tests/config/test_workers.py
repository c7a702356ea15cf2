"""The worker and the scheduler wait out a Redis outage: real servers stopped and started, no fakes."""

import logging
import tempfile
import threading
import time
from pathlib import Path

import pytest
import redis
from rq import Queue

from config import embedded_redis
from config.workers import PatientWorker, RedisOutage


@pytest.fixture
def stopped_redis():
    """A real Redis server's folder; the server is started once and stopped, so nothing answers yet."""
    folder = Path(tempfile.mkdtemp(prefix="chorus-outage-", dir="/tmp"))  # short: Unix socket paths are limited
    embedded_redis.ensure_running(folder)
    embedded_redis.stop(folder)
    yield folder
    embedded_redis.stop(folder)


def start_later(folder, seconds):
    thread = threading.Thread(target=lambda: (time.sleep(seconds), embedded_redis.ensure_running(folder)))
    thread.start()
    return thread


def say_hello():
    return "hello"


def test_it_logs_one_line_when_redis_goes_and_one_when_it_is_back(stopped_redis, caplog):
    client = redis.Redis.from_url(embedded_redis.url_for(stopped_redis))
    outage = RedisOutage(logging.getLogger("chorus.test"), "test")
    returning = start_later(stopped_redis, 3.5)  # past the 1 s and 2 s steps: three attempts fail
    with caplog.at_level(logging.INFO, logger="chorus.test"):
        assert outage.until_reachable(client.ping) is True
    returning.join()
    lines = [record.getMessage() for record in caplog.records if record.name == "chorus.test"]
    assert len(lines) == 2, lines
    assert lines[0].startswith("test: redis unreachable (ConnectionError), retrying in 1s")
    assert lines[1].startswith("test: redis back after ")


def test_a_worker_started_while_redis_is_down_waits_for_it_and_then_works(stopped_redis, caplog):
    url = embedded_redis.url_for(stopped_redis)
    returning = start_later(stopped_redis, 1.5)
    connection = redis.Redis.from_url(url)
    queue = Queue("default", connection=connection)
    worker = PatientWorker([queue], connection=connection)

    with caplog.at_level(logging.WARNING):
        returning.join()
        job = queue.enqueue(say_hello)
        embedded_redis.stop(stopped_redis)
        returning = start_later(stopped_redis, 1.5)
        worked = worker.work(burst=True)  # rq's own worker raises ConnectionError at its first call here
    returning.join()

    assert worked
    job.refresh()
    assert job.is_finished and job.return_value() == "hello"
    assert not any(record.exc_info for record in caplog.records)
    assert any("redis back" in record.getMessage() for record in caplog.records)
