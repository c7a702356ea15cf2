"""A throwaway PostgreSQL cluster for the test suite and benchmarks.

`throwaway_postgres()` finds the server binaries (on PATH, or in Debian's
/usr/lib/postgresql/<version>/bin), creates a cluster in a temporary folder,
starts it on a free loopback port and yields its DATABASE_URL; on exit it stops
the server and deletes the folder. PostgreSQL refuses to run as root, so as
root the server runs as the `postgres` user. Standard library only: it runs
before the virtual environment exists.
"""

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SERVER_SETTINGS = [
    "listen_addresses=127.0.0.1",
    "max_connections=200",
    # Durability is pointless for a cluster deleted after the run; speed is not.
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
]


def find_bin_dir():
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name) if Path(path).parent.parent.name.isdigit() else 0,
    )
    return Path(candidates[-1]).parent if candidates else None


def find_tool(name, bin_dir):
    """A client program such as createdb: beside initdb, on PATH, or in Debian's folders."""
    for candidate in [bin_dir / name, shutil.which(name), *sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))]:
        if candidate and Path(candidate).exists():
            return str(candidate)
    return None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_server_user(command):
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextlib.contextmanager
def throwaway_postgres(bin_dir=None, database="chorus"):
    bin_dir = bin_dir or find_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) were not found")
    folder = Path(tempfile.mkdtemp(prefix="chorus-pg-"))
    data = folder / "data"
    port = free_port()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    try:
        subprocess.run(
            as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "chorus", "--auth=trust",
                            "-E", "UTF8", "--locale=C"]),
            check=True, **quiet,
        )
        options = " ".join([f"-p {port}", f"-k {folder}"] + [f"-c {setting}" for setting in SERVER_SETTINGS])
        subprocess.run(
            as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"),
                            "-o", options, "-w", "start"]),
            check=True, **quiet,
        )
        createdb = find_tool("createdb", bin_dir)
        if createdb:
            subprocess.run([createdb, "-h", "127.0.0.1", "-p", str(port), "-U", "chorus", database],
                           check=True, **quiet)
        else:
            database = "postgres"  # initdb always creates this one
        yield f"postgres://chorus@127.0.0.1:{port}/{database}"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                **quiet,
            )
        shutil.rmtree(folder, ignore_errors=True)
