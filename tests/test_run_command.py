"""The README's run command end to end: web, worker and scheduler start together, survive Redis, stop together.

These start the real `scripts/dev.py run` (gunicorn, worker, scheduler, embedded
Redis) and take from seconds to minutes, so they run on the SQLite leg of the
test command only: the PostgreSQL leg sets DATABASE_URL and skips them.
"""

import contextlib
import datetime
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
import redis
from rq.registry import FinishedJobRegistry

from config import embedded_redis

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")),
                                reason="end-to-end run command: runs on the SQLite leg only")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own loopback server
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class RunCommand:
    """`python3 scripts/dev.py run` in its own process group, as a terminal runs it, with its output collected."""

    def __init__(self, var_dir, **env):
        self.port = free_port()
        self.var_dir = var_dir
        environment = {key: value for key, value in os.environ.items()
                       if key not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "CHORUS_EMBEDDED", "PUBLIC_BASE_URL",
                                      "DJANGO_ALLOW_ASYNC_UNSAFE"}}
        environment.update(PORT=str(self.port), CHORUS_VAR_DIR=str(var_dir), **env)
        self.process = subprocess.Popen([sys.executable, "scripts/dev.py", "run"], cwd=ROOT, env=environment,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        start_new_session=True)
        self.lines = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True)
        self.reader.start()

    @property
    def output(self):
        return "".join(self.lines)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_until_ready(self, seconds=120):
        deadline = time.monotonic() + seconds
        while not any("press Ctrl-C" in line for line in list(self.lines)):
            assert self.process.poll() is None, self.output[-3000:]
            assert time.monotonic() < deadline, self.output[-3000:]
            time.sleep(0.3)
        self.children = psutil.Process(self.process.pid).children(recursive=True)

    def health(self):
        return json.loads(get(self.url("/healthz"))[1])

    def wait_for_health(self, wanted, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            health = self.health()
            if health == wanted:
                return health
            time.sleep(0.5)
        return health

    def stop(self, *signals):
        """Send each signal to the process group, as a terminal's Ctrl-C does; return the seconds until all exit."""
        started = time.monotonic()
        for number in signals:
            with contextlib.suppress(ProcessLookupError):  # already gone after an earlier signal
                os.killpg(self.process.pid, number)
            time.sleep(0.2)
        self.process.wait(timeout=30)
        gone, alive = psutil.wait_procs(self.children, timeout=max(0.1, 10 - (time.monotonic() - started)))
        self.reader.join(timeout=5)
        return time.monotonic() - started, alive


@pytest.fixture(scope="module")
def var_dir():
    # One var folder for the module: the first start migrates and loads the demo, later ones reuse them.
    folder = Path(tempfile.mkdtemp(prefix="chorus-run-", dir="/tmp"))  # short: Unix socket paths are limited
    yield folder
    embedded_redis.stop(folder)
    shutil.rmtree(folder, ignore_errors=True)


def test_run_starts_web_worker_and_scheduler_with_debug_off_and_ctrl_c_stops_them_all(var_dir):
    run = RunCommand(var_dir)
    try:
        run.wait_until_ready()
        # The worker registers itself in Redis a moment after it starts.
        health = run.wait_for_health({"status": "ok", "checks": {"database": "ok", "redis": "ok", "workers": 1}}, 60)
        assert health == {"status": "ok", "checks": {"database": "ok", "redis": "ok", "workers": 1}}
        status, body = get(run.url("/"))
        assert status == 200 and b"Hanbit Air" in body  # the demo data was loaded into the empty database
        status, body = get(run.url("/no-such-page/"))
        assert status == 404 and b"We could not find that page" in body and b"Traceback" not in body  # DEBUG off
        assert get(run.url("/static/favicon.svg"))[0] == 200  # collected, served by whitenoise
        assert len(run.children) >= 3
    finally:
        seconds, alive = run.stop(signal.SIGINT)  # what Ctrl-C in the terminal delivers to the foreground group
    assert run.process.returncode == 0, run.output[-3000:]
    assert alive == [] and seconds < 10
    assert "Demo logins" in run.output and "alice@hanbit-air.example" in run.output
    assert not embedded_redis.is_answering(embedded_redis.socket_path(var_dir))


@pytest.mark.parametrize("signals", [
    (signal.SIGTERM,),  # a supervisor
    (signal.SIGINT, signal.SIGINT),  # an impatient Ctrl-C
    (signal.SIGTERM, signal.SIGTERM, signal.SIGINT, signal.SIGINT),  # both twice
], ids=["sigterm", "sigint-twice", "both-twice"])
def test_every_way_of_stopping_stops_everything_and_the_embedded_redis_within_10_seconds(var_dir, signals):
    run = RunCommand(var_dir)
    try:
        run.wait_until_ready()
    finally:
        seconds, alive = run.stop(*signals)
    assert alive == [], run.output[-3000:]
    assert seconds < 10
    assert not embedded_redis.is_answering(embedded_redis.socket_path(var_dir))


OUTAGE_SECONDS = 90


def test_a_redis_outage_stops_nothing_and_the_sweeps_resume(var_dir):
    """Redis (the production kind, REDIS_URL) stops for 90 s under the run command and starts again.

    Every process stays up, the web keeps serving, /healthz names Redis while it
    is down, and the every-minute sweep is enqueued and run again after it
    returns. About 2.5 minutes.
    """
    redis_dir = Path(tempfile.mkdtemp(prefix="chorus-redis-", dir="/tmp"))
    url = embedded_redis.ensure_running(redis_dir)
    run = RunCommand(var_dir, REDIS_URL=url)
    try:
        run.wait_until_ready()
        run.wait_for_health({"status": "ok", "checks": {"database": "ok", "redis": "ok", "workers": 1}}, 60)

        embedded_redis.stop(redis_dir)
        time.sleep(OUTAGE_SECONDS / 2)
        status, body = get(run.url("/"))
        assert status == 200 and b"Hanbit Air" in body
        health = run.health()
        assert health["status"] == "down" and health["checks"]["redis"].startswith("down: ")
        time.sleep(OUTAGE_SECONDS / 2)
        assert run.process.poll() is None and all(child.is_running() for child in run.children), run.output[-3000:]

        back_at = datetime.datetime.now(datetime.UTC)
        connection = redis.Redis.from_url(embedded_redis.ensure_running(redis_dir))
        health = run.wait_for_health({"status": "ok", "checks": {"database": "ok", "redis": "ok", "workers": 1}}, 60)
        assert health["checks"]["workers"] == 1, run.output[-3000:]
        registry = FinishedJobRegistry("default", connection=connection)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not sweeps_finished_since(registry, back_at):
            time.sleep(1)
        assert sweeps_finished_since(registry, back_at), run.output[-3000:]
        assert run.process.poll() is None and all(child.is_running() for child in run.children)
    finally:
        seconds, alive = run.stop(signal.SIGINT)
        embedded_redis.stop(redis_dir)
        shutil.rmtree(redis_dir, ignore_errors=True)
    assert alive == []
    output = run.output
    assert "Traceback" not in output, output[-3000:]
    assert output.count("scheduler: redis unreachable") == 1 and output.count("scheduler: redis back") == 1
    assert "redis unreachable" in output and "redis back" in output


def sweeps_finished_since(registry, moment):
    """True when the every-minute sweep finished a run after `moment` (rq's finished-job registry)."""
    queue = registry.get_queue()
    jobs = [queue.fetch_job(job_id) for job_id in registry.get_job_ids()]
    return any(job and job.func_name == "campaigns.jobs.advance_campaign_schedules" and job.ended_at
               and job.ended_at.replace(tzinfo=datetime.UTC) >= moment for job in jobs)
