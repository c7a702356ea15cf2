"""Start-up of the run command: seconds from `scripts/dev.py run` to a 200 from /healthz.

Baseline, measured in the same run: a bare Django project (one settings dict,
one view) started with `runserver --noreload` until it answers 200 — what
starting Django itself costs on this machine. Chorus starts more (migrate
check, demo check, worker, scheduler, embedded Redis), so the target is
absolute: under 10 s on a warm venv.

    .venv/bin/python bench/startup.py [--quick]

--quick measures one warm start; the full run takes the median of five.
"""

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 10

BARE_PROJECT = """
import sys
from django.conf import settings
from django.http import HttpResponse
from django.urls import path
settings.configure(DEBUG=False, ALLOWED_HOSTS=["127.0.0.1"], ROOT_URLCONF=__name__, SECRET_KEY="bench" * 10)
urlpatterns = [path("healthz", lambda request: HttpResponse("ok"))]
if __name__ == "__main__":
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seconds_to_200(command, port, env, cwd):
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        while time.monotonic() - started < 120:
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:  # noqa: S310
                    if response.status == 200:
                        return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("no 200 within 120 s")
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    rounds = 1 if parser.parse_args().quick else 5
    work = Path(tempfile.mkdtemp(prefix="chorus-bench-", dir="/tmp"))
    try:
        (work / "bare.py").write_text(BARE_PROJECT)
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env["CHORUS_VAR_DIR"] = str(work / "var")
        port = free_port()
        cold = seconds_to_200([sys.executable, str(ROOT / "scripts" / "dev.py"), "run"], port,
                              {**env, "PORT": str(port)}, ROOT)
        ours, baseline = [], []
        for _ in range(rounds):
            port = free_port()
            ours.append(seconds_to_200([sys.executable, str(ROOT / "scripts" / "dev.py"), "run"], port,
                                       {**env, "PORT": str(port)}, ROOT))
            port = free_port()
            baseline.append(seconds_to_200([str(ROOT / ".venv" / "bin" / "python"), "bare.py", "runserver",
                                            f"127.0.0.1:{port}", "--noreload"], port, env, work))
        ours_s, base_s = statistics.median(ours), statistics.median(baseline)
        print(f"startup_warm_to_healthz: ours={ours_s:.2f} s baseline={base_s:.2f} s "
              f"ratio={ours_s / base_s:.2f} target=<{TARGET_SECONDS} s absolute")
        print(f"startup_cold_first_run (migrate + demo data): ours={cold:.2f} s baseline={base_s:.2f} s "
              f"ratio={cold / base_s:.2f} target=none (information)")
    finally:
        subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c",
                        "import sys; from config import embedded_redis as r; r.stop(sys.argv[1])",
                        str(work / "var")], cwd=ROOT)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
