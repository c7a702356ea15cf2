"""The README's run command end to end: web, worker and scheduler start together and stop together."""

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
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own loopback server
        return response.status, response.read()


def test_run_starts_web_worker_and_scheduler_and_ctrl_c_stops_them_all():
    port = free_port()
    var_dir = tempfile.mkdtemp(prefix="chorus-run-", dir="/tmp")
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    env.update(PORT=str(port), CHORUS_VAR_DIR=var_dir)
    process = subprocess.Popen([sys.executable, "scripts/dev.py", "run"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not any("press Ctrl-C" in line for line in list(lines)):
            assert process.poll() is None, "".join(lines)[-2000:]
            time.sleep(0.3)
        # The worker registers itself in Redis a moment after it starts.
        while time.monotonic() < deadline:
            health = json.loads(get(f"http://127.0.0.1:{port}/healthz")[1])
            if health["checks"].get("workers"):
                break
            time.sleep(0.3)
        assert health == {"status": "ok", "checks": {"database": "ok", "redis": "ok", "workers": 1}}
        status, body = get(f"http://127.0.0.1:{port}/")
        assert status == 200 and b"Hanbit Air" in body  # the demo data was loaded into the empty database
        children = psutil.Process(process.pid).children(recursive=True)
        assert len(children) >= 3
    finally:
        process.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal delivers
        process.wait(timeout=30)
        reader.join(timeout=5)
    output = "".join(lines)
    assert process.returncode == 0, output[-2000:]
    assert "Demo logins" in output and "alice@hanbit-air.example" in output
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
    shutil.rmtree(var_dir, ignore_errors=True)
