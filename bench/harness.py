"""Shared machinery for the HTTP benchmarks: a throwaway PostgreSQL, gunicorn, a load generator, and
alternating rounds (ours, baseline, ours, baseline…) reported as the median of the per-pair ratios.

Every comparison runs against ONE gunicorn server with ONE settings module
(production profile, persistent connections), so ours and the baseline differ
only in the view. Load comes from `wrk` when installed (Debian package wrk),
else from a small threaded Python client; the figures say which.
"""

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
sys.path.insert(0, str(ROOT))

from scripts.throwaway_postgres import find_bin_dir, throwaway_postgres  # noqa: E402

WORKERS = 2  # one per core


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_bench_packages():
    try:
        import pinax.referrals  # noqa: F401
    except ImportError:
        sys.exit("bench: the comparison packages are missing; run: .venv/bin/pip install -r bench/requirements.txt")


@contextlib.contextmanager
def bench_environment():
    """Yield an environment dict for a production-profile Chorus on a throwaway PostgreSQL."""
    if find_bin_dir() is None:
        sys.exit("bench: PostgreSQL server binaries not found (install postgresql)")
    var_dir = Path(tempfile.mkdtemp(prefix="chorus-bench-", dir="/tmp"))
    # The production profile wants its own Redis: the embedded server, started here in the bench's folder.
    start_redis = "import sys; from config import embedded_redis as r; print(r.ensure_running(sys.argv[1]))"
    redis_url = subprocess.run([str(PYTHON), "-c", start_redis, str(var_dir)], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout.strip()
    with throwaway_postgres() as database_url:
        env = {
            **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL"}},
            "DJANGO_SETTINGS_MODULE": "bench.benchsite.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CHORUS_VAR_DIR": str(var_dir),
            "DEBUG": "0",
            "SECRET_KEY": "bench-" + "x7Q2pL9sK4mN8vB3" * 4,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "EMAIL_HOST": "localhost",
            "SECURE_SSL_REDIRECT": "0",
            "CONN_MAX_AGE": "600",
            "LOG_LEVEL": "WARNING",
            "STATIC_ROOT": str(var_dir / "static"),
        }
        try:
            manage(env, "migrate", "--no-input", "--run-syncdb")
            manage(env, "collectstatic", "--no-input")
            yield env
        finally:
            stop_redis = "import sys; from config import embedded_redis as r; r.stop(sys.argv[1])"
            subprocess.run([str(PYTHON), "-c", stop_redis, str(var_dir)], cwd=ROOT)
            shutil.rmtree(var_dir, ignore_errors=True)


def manage(env, *args):
    subprocess.run([str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def django_shell(env, code):
    """Run `code` with Django set up (for seeding); returns its stdout."""
    result = subprocess.run([str(PYTHON), "manage.py", "shell", "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"seeding failed:\n{result.stderr[-3000:]}")
    return result.stdout.strip()


@contextlib.contextmanager
def gunicorn(env):
    port = free_port()
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "--workers", str(WORKERS),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--access-logfile", "/dev/null"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).close()  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not answer /healthz")
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)


# Load comes from a phone browser's user agent, so a click takes the people path (the bot check runs in
# full and the visitor cookie is set), not the shortcut an empty user agent (a bot) would take.
PHONE_USER_AGENT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


def requests_per_second(url, *, seconds, connections=8):
    """(requests/s, tool) for GET `url`, every answer counted only if it is a 2xx or 3xx."""
    if shutil.which("wrk"):
        output = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
                                 "-H", f"User-Agent: {PHONE_USER_AGENT}", url],
                                capture_output=True, text=True, check=True).stdout
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
        if errors:
            raise RuntimeError(f"{url}: {errors.group(1)} error responses\n{output}")
        return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)), "wrk"
    return python_load(url, seconds=seconds, connections=connections), "python client"


def options_from_arguments(description=None):
    """--quick: short rounds (the whole script under a minute); otherwise the full run.

    Returns (the parsed arguments, seconds per measurement, pairs of rounds).
    """
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short rounds and small data; under a minute")
    arguments = parser.parse_args()
    quick = arguments.quick
    return arguments, (2 if quick else 5), (5 if quick else 9)


def alternate(measures, *, pairs, warm_up=None):
    """{name: [one value per round]} measuring each of `measures` in turn, `pairs` rounds (A, B, A, B…).

    Ours and the baseline take turns in short rounds, so a load spike on the
    shared machine hits both sides of a pair; report() then takes the median
    of the per-round ratios, which one noisy round cannot move.
    """
    for measure in (warm_up or measures).values():
        measure()
    values = {name: [] for name in measures}
    for _ in range(pairs):
        for name, measure in measures.items():
            values[name].append(measure())
    return values


def rate_of(url, *, seconds):
    """A measure for alternate(): requests/s of GET `url` for `seconds` (wrk, or the Python client)."""
    return lambda: requests_per_second(url, seconds=seconds)[0]


def load_tool():
    return "wrk" if shutil.which("wrk") else "python client"


def python_load(url, *, seconds, connections):
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    counts = [0] * connections
    stop = time.monotonic() + seconds

    def worker(index):
        connection = http.client.HTTPConnection(parts.hostname, parts.port)
        while time.monotonic() < stop:
            connection.request("GET", path, headers={"User-Agent": PHONE_USER_AGENT})
            response = connection.getresponse()
            response.read()
            if response.status >= 400:
                raise RuntimeError(f"{url}: HTTP {response.status}")
            counts[index] += 1

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def print_setup(*, tool, seconds, pairs):
    print(f"# PostgreSQL, gunicorn {WORKERS} sync workers, load from {tool}, {pairs} alternating pairs of "
          f"{seconds} s rounds; medians, ratio = median of the per-pair ratios", flush=True)


def report(metric, ours, baseline, unit, target):
    """One line in the bench format: <metric>: ours=<v> <unit> baseline=<v> <unit> ratio=<r> target=<op><t>.

    `ours` and `baseline` are lists of per-round values from alternate() (one
    value each for a single measurement): each side shows its median, the
    ratio is the median of the ratios of the pairs.
    """
    ours, baseline = as_list(ours), as_list(baseline)
    ratios = [a / b if b else float("inf") for a, b in zip(ours, baseline, strict=True)]
    print(f"{metric}: ours={statistics.median(ours):.1f} {unit} baseline={statistics.median(baseline):.1f} {unit} "
          f"ratio={statistics.median(ratios):.2f} target={target}", flush=True)


def as_list(value):
    return list(value) if isinstance(value, list | tuple) else [value]
