"""Requests per second of `GET /l/<code>` (record a touch, set the visitor cookie, redirect).

Baselines, same gunicorn server and settings, same run, on PostgreSQL:
- a bare Django view that does one INSERT and redirects;
- pinax-referrals' click view (`process_referral`), its equivalent.
Targets: ≥ 0.8× the bare insert view, ahead of pinax-referrals, at most 2 SQL queries per click.

    .venv/bin/pip install -r bench/requirements.txt   # once
    .venv/bin/python bench/click_redirect.py [--quick]
"""

import json

from harness import (
    bench_environment,
    django_shell,
    gunicorn,
    measure,
    print_setup,
    report,
    require_bench_packages,
    seconds_from_arguments,
)

SEED = """
import json
from bench.seed import seed_campaign
from pinax.referrals.models import Referral
campaign, link, page = seed_campaign()
referral = Referral.create(redirect_to="/c/bench/", label="bench")
print(json.dumps({"link": link.code, "referral": referral.code}))
"""

COUNT_QUERIES = """
import json
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client(HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Safari/604.1", HTTP_HOST="127.0.0.1")
codes = json.loads('''{codes}''')
counts = {{}}
for name, url in (("ours", f"/l/{{codes['link']}}"), ("bare", "/bare/click/abc"),
                  ("pinax", f"/referrals/{{codes['referral']}}/")):
    client.cookies.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 302, url
    counts[name] = len(queries)
print(json.dumps(counts))
"""


def main():
    seconds = seconds_from_arguments()
    require_bench_packages()
    with bench_environment() as env:
        codes = json.loads(django_shell(env, SEED).splitlines()[-1])
        queries = json.loads(django_shell(env, COUNT_QUERIES.format(codes=json.dumps(codes))).splitlines()[-1])
        with gunicorn(env) as base:
            rates, tool = measure({"ours": f"{base}/l/{codes['link']}", "bare": f"{base}/bare/click/abc",
                                   "pinax": f"{base}/referrals/{codes['referral']}/"}, seconds=seconds)
        print_setup(tool=tool, seconds=seconds)
        report("click_vs_bare_insert_view", rates["ours"], rates["bare"], "req/s", ">=0.8")
        report("click_vs_pinax_referrals", rates["ours"], rates["pinax"], "req/s", ">1.0")
        report("queries_per_click", queries["ours"], queries["bare"], "queries", "ours<=2")
        print(f"# pinax-referrals queries per click: {queries['pinax']}")


if __name__ == "__main__":
    main()
