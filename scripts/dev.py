"""The two commands of the README: `run` and `test` (the Makefile calls these).

    python3 scripts/dev.py run    # venv, install, migrate, demo data, web + worker + cron
    python3 scripts/dev.py test   # venv, install, ruff, pytest on SQLite, then on PostgreSQL

Standard library only: this runs before the virtual environment exists.
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"

sys.path.insert(0, str(ROOT))
from scripts.throwaway_postgres import find_bin_dir, throwaway_postgres  # noqa: E402


def say(message):
    print(f"chorus: {message}", flush=True)


def ensure_venv(requirements):
    """Create .venv and install `requirements` unless the same file was installed already."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs under whatever python3 the machine has
        sys.exit("chorus: Python 3.11 or newer is needed (this is {}.{})".format(*sys.version_info[:2]))
    if not PYTHON.exists():
        say("creating .venv")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    wanted = hashlib.sha256()
    for name in ("requirements.txt", requirements):
        wanted.update((ROOT / name).read_bytes())
    stamp = VENV / f".installed-{requirements}"
    if stamp.exists() and stamp.read_text() == wanted.hexdigest():
        return
    say(f"installing {requirements}")
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(ROOT / requirements)], check=True, cwd=ROOT)
    stamp.write_text(wanted.hexdigest())


def manage(*args, env=None, **kwargs):
    return subprocess.run([str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, **kwargs)


def stop_embedded_redis(var_dir):
    code = "import sys; from config import embedded_redis as r; r.stop(sys.argv[1])"
    subprocess.run([str(PYTHON), "-c", code, str(var_dir)], cwd=ROOT)


# --- run ----------------------------------------------------------------------


def wait_for_health(url, processes, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes.values()):
            return None
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own http URL
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code == 503:
                return json.loads(error.read())
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    return None


def stop_all(processes):
    for process in processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for process in processes.values():
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def run():
    ensure_venv("requirements.txt")
    env = dict(os.environ)
    started_redis = False
    var_dir = Path(env.get("CHORUS_VAR_DIR") or ROOT / "var")
    if not env.get("REDIS_URL"):
        # Start the embedded Redis once here so the three processes share it, and stop it on exit.
        check = subprocess.run(
            [str(PYTHON), "-c", "import sys; from config import embedded_redis as r; "
             "sys.exit(0 if r.is_answering(r.socket_path(sys.argv[1])) else 1)", str(var_dir)],
            cwd=ROOT,
        )
        started_redis = check.returncode != 0
    if manage("migrate", "--no-input", env=env, stdout=subprocess.DEVNULL).returncode != 0:
        sys.exit("chorus: migrate failed; see the message above")
    demo = manage("demo", "--if-empty", env=env, check=True, capture_output=True, text=True)
    port = env.get("PORT", "8000")
    commands = {
        "web": ["runserver", f"127.0.0.1:{port}"],
        "worker": ["rqworker", "default", "tallies", "exports", "--with-scheduler"],
        "cron": ["rqcron", "config.cron"],
    }
    processes = {
        name: subprocess.Popen([str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, start_new_session=True)
        for name, args in commands.items()
    }
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        health = wait_for_health(f"http://127.0.0.1:{port}/healthz", processes)
        if health is None:
            say("a process did not start; stopping the others")
            return 1
        say(f"health: {health['checks']}")
        print(demo.stdout, end="")
        say(f"Chorus is running at http://127.0.0.1:{port}/ (admin: http://127.0.0.1:{port}/admin/)")
        say("press Ctrl-C to stop the web server, the worker and the scheduler")
        while all(process.poll() is None for process in processes.values()):
            time.sleep(0.5)
        stopped = [name for name, process in processes.items() if process.poll() is not None]
        say(f"{', '.join(stopped)} stopped; stopping the rest")
        return 1
    except KeyboardInterrupt:
        say("stopping")
        return 0
    finally:
        stop_all(processes)
        if started_redis:
            stop_embedded_redis(var_dir)


# --- test ---------------------------------------------------------------------


def pytest_leg(name, env, extra_args):
    say(f"test leg: {name}")
    result = subprocess.run([str(PYTHON), "-m", "pytest", *extra_args], cwd=ROOT, env=env)
    return result.returncode


def test(extra_args):
    ensure_venv("requirements-dev.txt")
    say("ruff check")
    if subprocess.run([str(VENV / "bin" / "ruff"), "check", "."], cwd=ROOT).returncode != 0:
        return 1
    base_env = {key: value for key, value in os.environ.items()
                if key not in {"DATABASE_URL", "REDIS_URL", "CHORUS_VAR_DIR", "DEBUG"}}
    var_dir = Path(tempfile.mkdtemp(prefix="chorus-test-var-"))
    base_env["CHORUS_VAR_DIR"] = str(var_dir)
    failures = []
    try:
        if pytest_leg("SQLite + embedded Redis", base_env, extra_args) != 0:
            failures.append("SQLite")
        bin_dir = find_bin_dir()
        if bin_dir is None:
            say("PostgreSQL server binaries not found: the PostgreSQL leg is skipped "
                "(install postgresql to run it)")
        else:
            with throwaway_postgres(bin_dir) as url:
                if pytest_leg(f"PostgreSQL ({bin_dir}) + embedded Redis", {**base_env, "DATABASE_URL": url},
                              extra_args) != 0:
                    failures.append("PostgreSQL")
    finally:
        stop_embedded_redis(var_dir)
        shutil.rmtree(var_dir, ignore_errors=True)
    if failures:
        say(f"FAILED on: {', '.join(failures)}")
        return 1
    say("all test legs passed")
    return 0


def main(argv):
    if len(argv) < 2 or argv[1] not in {"run", "test"}:
        sys.exit("usage: python3 scripts/dev.py run | test [pytest arguments]")
    return run() if argv[1] == "run" else test(argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
