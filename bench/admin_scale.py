"""Admin pages with 5,000,000 touches against the same pages with 5,000.

Two databases in one throwaway PostgreSQL hold the same accounts, campaigns,
users and sessions: "small" with 5,000 touches, "big" grown from a copy of it
to 5,000,000 (200,000 with --quick, to stay under a minute) by INSERT … SELECT generate_series. The
real tally (campaigns.rollups) brings the big one's rollups up to date; the
script prints how long that catch-up took. Two gunicorn servers, one per
database, answer the same URLs; each page is fetched in alternating short
rounds (small, big, small, big…) as the superuser and as a marketer of the
account that co-runs the viral campaign (the case that did not answer in 13
minutes). Time per round = median latency of a few sequential requests;
ratio = median over the pairs of big/small. Target: ≤ 2× for every page.

    .venv/bin/python bench/admin_scale.py [--quick]
"""

import http.client
import json
import statistics
import subprocess
import time
from urllib.parse import urlsplit

from harness import (
    PYTHON,
    ROOT,
    alternate,
    bench_environment,
    django_shell,
    gunicorn,
    options_from_arguments,
    report,
)

from scripts.throwaway_postgres import find_bin_dir, find_tool

SMALL = 5_000

SEED = """
import json
from bench.seed import add_touches, seed_admin_scale
seeded = seed_admin_scale()
seeded["touches"] = add_touches(%d)
print(json.dumps(seeded))
"""

GROW = """
from bench.seed import add_touches
print(add_touches(%d))
"""

CATCH_UP = """
import datetime, json, time
from campaigns.rollups import tally_new_touches
started = time.monotonic()
counted = tally_new_touches(safety_lag=datetime.timedelta(0))
print(json.dumps({"counted": counted, "seconds": time.monotonic() - started}))
"""

PAGES = {
    "touch_list": "/admin/campaigns/touch/",
    "campaign_list": "/admin/campaigns/campaign/",
    "campaign_page": "/admin/campaigns/campaign/{big}/change/",
    "calendar": "/admin/campaigns/campaign/calendar/",
}


def last_json(output):
    return json.loads(output.splitlines()[-1])


def copy_database(env, source, target):
    """CREATE DATABASE target TEMPLATE source: the same rows, sessions included."""
    parts = urlsplit(env["DATABASE_URL"])
    psql = find_tool("psql", find_bin_dir())
    subprocess.run([psql, "-h", parts.hostname, "-p", str(parts.port), "-U", parts.username, "-d", "postgres",
                    "-c", f'CREATE DATABASE "{target}" TEMPLATE "{source}"'], check=True, stdout=subprocess.DEVNULL)
    return f"{parts.scheme}://{parts.netloc}/{target}"


def latency_of(base, path, session, *, requests):
    """A measure for alternate(): median milliseconds of `requests` sequential GETs on one connection."""
    parts = urlsplit(base)
    headers = {"Cookie": f"sessionid={session}", "Host": "127.0.0.1"}

    def measure():
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
        timings = []
        try:
            for _ in range(requests):
                started = time.perf_counter()
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                body = response.read()
                timings.append((time.perf_counter() - started) * 1000)
                if response.status != 200:
                    raise RuntimeError(f"{path}: HTTP {response.status} {body[:300]!r}")
        finally:
            connection.close()
        return statistics.median(timings)

    return measure


def main():
    arguments, _, pairs = options_from_arguments(__doc__)
    big_total = 200_000 if arguments.quick else 5_000_000
    requests = 3 if arguments.quick else 5
    with bench_environment() as env:
        seeded = last_json(django_shell(env, SEED % SMALL))
        small_url = copy_database(env, "chorus", "chorus_small")
        started = time.monotonic()
        total = int(django_shell(env, GROW % (big_total - seeded["touches"])).splitlines()[-1])
        seeded_seconds = time.monotonic() - started
        caught_up = last_json(django_shell(env, CATCH_UP))
        subprocess.run([str(PYTHON), "manage.py", "shell", "-c", CATCH_UP], cwd=ROOT,
                       env={**env, "DATABASE_URL": small_url}, check=True, capture_output=True)
        print(f"# {total:,} touches seeded in {seeded_seconds:.0f} s; the tally caught up with "
              f"{caught_up['counted']:,} touches in {caught_up['seconds']:.1f} s "
              f"({caught_up['counted'] / caught_up['seconds']:,.0f} touches/s)", flush=True)
        with gunicorn({**env, "DATABASE_URL": small_url}) as small, gunicorn(env) as big:
            print(f"# PostgreSQL, gunicorn 2 sync workers per database, {pairs} alternating pairs of rounds of "
                  f"{requests} sequential requests; medians, ratio = median of the per-pair ratios", flush=True)
            for who, session in seeded["sessions"].items():
                for page, path in PAGES.items():
                    path = path.format(big=seeded["big"])
                    rounds = alternate({"small": latency_of(small, path, session, requests=requests),
                                        "big": latency_of(big, path, session, requests=requests)}, pairs=pairs)
                    report(f"admin_{page}_{who}_{total // 1000}k_vs_{SMALL // 1000}k_touches", rounds["big"],
                           rounds["small"], "ms", "<=2.0")


if __name__ == "__main__":
    main()
