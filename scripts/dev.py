"""The two commands of the README: `run` and `test` (the Makefile calls these).

    python3 scripts/dev.py run    # the embedded mode: gunicorn + worker + scheduler, DEBUG off, demo data
    python3 scripts/dev.py dev    # the same with runserver, autoreload and DEBUG on
    python3 scripts/dev.py test   # venv, install, ruff, pytest on SQLite, then on PostgreSQL

Standard library only: this runs before the virtual environment exists.
"""

import contextlib
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
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"

sys.path.insert(0, str(ROOT))
from config import embedded_redis  # noqa: E402  (standard library only until a server is started)
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


def start_embedded_redis(var_dir):
    code = "import sys; from config import embedded_redis as r; r.ensure_running(sys.argv[1])"
    if subprocess.run([str(PYTHON), "-c", code, str(var_dir)], cwd=ROOT).returncode != 0:
        sys.exit("chorus: the embedded Redis did not start; see the message above")


def stop_embedded_redis(var_dir):
    code = "import sys; from config import embedded_redis as r; r.stop(sys.argv[1])"
    # In its own session: a second Ctrl-C to our process group must not interrupt the stop.
    subprocess.run([str(PYTHON), "-c", code, str(var_dir)], cwd=ROOT, start_new_session=True)


# --- run and dev -----------------------------------------------------------------


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


STOP_SECONDS = 5  # then SIGKILL; with the embedded Redis stop (at most ~4 s) everything is down within 10 s


def stop_all(processes, hurry):
    """SIGTERM every process group, SIGKILL what is left after STOP_SECONDS (at once if `hurry()` says so)."""
    for process in processes.values():
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline and not hurry() and any(p.poll() is None for p in processes.values()):
        time.sleep(0.05)
    for process in processes.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # also children left behind by a process that exited
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(2)


def static_fingerprint():
    """What collectstatic's output depends on: our static files and the installed packages."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "static").rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.relative_to(ROOT)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    for stamp in sorted(VENV.glob(".installed-*")):
        digest.update(stamp.read_bytes())
    return digest.hexdigest()


def collect_static(env):
    """collectstatic (whitenoise serves the result), skipped when nothing it reads has changed."""
    static_root = Path(env.get("STATIC_ROOT") or ROOT / "staticfiles")
    stamp = static_root / ".chorus-collected"
    wanted = static_fingerprint()
    if stamp.exists() and stamp.read_text() == wanted and (static_root / "staticfiles.json").exists():
        return
    say("collecting static files")
    if manage("collectstatic", "--no-input", "--clear", env=env, stdout=subprocess.DEVNULL).returncode != 0:
        sys.exit("chorus: collectstatic failed; see the message above")
    stamp.write_text(wanted)


def embedded_env(mode, port):
    """The environment of `run` (the embedded single-machine mode) or `dev` (DEBUG, autoreload)."""
    env = dict(os.environ)
    if mode == "run":
        env.setdefault("CHORUS_EMBEDDED", "1")
    else:
        env.setdefault("DEBUG", "1")
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    return env


def serve(mode):
    """`run`: gunicorn, worker and scheduler in the embedded mode. `dev`: the same with runserver and DEBUG."""
    ensure_venv("requirements.txt")
    port = os.environ.get("PORT", "8000")
    env = embedded_env(mode, port)
    var_dir = Path(env.get("CHORUS_VAR_DIR") or ROOT / "var")
    started_redis = False
    state = {"stopping": False, "hurry": False}

    def on_signal(signum, frame):
        # The first Ctrl-C or SIGTERM starts the stop; any later one only hurries it (SIGKILL at once),
        # never interrupts it: the embedded Redis must be stopped whatever arrives meanwhile.
        if state["stopping"]:
            state["hurry"] = True
            return
        state["stopping"] = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    processes = {}
    try:
        if not env.get("REDIS_URL"):
            # This command owns the embedded Redis: started here for the three processes, stopped on exit
            # (decided before starting it, so a Ctrl-C during the start still stops it).
            started_redis = not embedded_redis.is_answering(embedded_redis.socket_path(var_dir))
            start_embedded_redis(var_dir)
        if manage("migrate", "--no-input", env=env, stdout=subprocess.DEVNULL).returncode != 0:
            say("migrate failed; see the message above")
            return 1
        demo = None
        published = urllib.parse.urlsplit(env["PUBLIC_BASE_URL"]).hostname not in {"127.0.0.1", "localhost", "::1"}
        if published and env.get("CHORUS_DEMO", "1") != "0":
            # Demo logins share a published password: never on an address the world can reach by default.
            say(f"PUBLIC_BASE_URL is {env['PUBLIC_BASE_URL']}: the demo (logins with a published password) is not "
                "loaded; run `manage.py demo --yes-create-demo-logins` to add it anyway")
        elif env.get("CHORUS_DEMO", "1") != "0":
            # An empty database gets the demo; with DEBUG off that needs the explicit flag (see the demo command).
            demo = manage("demo", "--if-empty", "--yes-create-demo-logins", env=env, capture_output=True, text=True)
            if demo.returncode != 0:
                print(demo.stdout + demo.stderr, end="")
                say("loading the demo failed")
                return 1
        if mode == "run":
            collect_static(env)
            web = [str(VENV / "bin" / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}",
                   "--workers", str(os.cpu_count() or 2), "--graceful-timeout", "3", "--access-logfile", "-",
                   "--no-control-socket"]
        else:
            web = [str(PYTHON), "manage.py", "runserver", f"127.0.0.1:{port}"]
        commands = {
            "web": web,
            "worker": [str(PYTHON), "manage.py", "rqworker", "default", "tallies", "exports", "--with-scheduler"],
            "scheduler": [str(PYTHON), "-m", "config.scheduler", "config.cron"],
        }
        # Each in its own session: Ctrl-C reaches this process only, which then stops them in order.
        for name, command in commands.items():  # one at a time, so a Ctrl-C meanwhile stops those started
            processes[name] = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        health = wait_for_health(f"http://127.0.0.1:{port}/healthz", processes)
        if health is None:
            say("a process did not start; stopping the others")
            return 1
        say(f"health: {health['checks']}")
        if demo is not None:
            print(demo.stdout, end="")
            print(demo.stderr, end="")
        say(f"Chorus is running at http://127.0.0.1:{port}/ (admin: http://127.0.0.1:{port}/admin/)"
            + (" with DEBUG on and autoreload" if mode == "dev" else ""))
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
        state["stopping"] = True
        stop_all(processes, hurry=lambda: state["hurry"])
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
                if key not in {"DATABASE_URL", "REDIS_URL", "CHORUS_VAR_DIR", "DEBUG", "CHORUS_EMBEDDED",
                               "PUBLIC_BASE_URL"}}
    var_dir = Path(tempfile.mkdtemp(prefix="chorus-test-var-"))
    base_env["CHORUS_VAR_DIR"] = str(var_dir)
    failures = []
    try:
        start_embedded_redis(var_dir)  # the tests' queues; stopped below
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
    if len(argv) < 2 or argv[1] not in {"run", "dev", "test"}:
        sys.exit("usage: python3 scripts/dev.py run | dev | test [pytest arguments]")
    return test(argv[2:]) if argv[1] == "test" else serve(argv[1])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
