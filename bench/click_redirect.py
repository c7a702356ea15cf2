"""Requests per second of `GET /l/<code>` (record a touch, set the visitor cookie, redirect).

Baselines, same gunicorn server and settings, same run, on PostgreSQL:
- a bare Django view that does one INSERT and redirects;
- pinax-referrals' click view (`process_referral`), its equivalent.
Targets: ≥ 0.8× the bare insert view, ahead of pinax-referrals, at most 2 SQL queries per click.

    .venv/bin/pip install -r bench/requirements.txt   # once
    .venv/bin/python bench/click_redirect.py [--quick]

Ours, the bare view and pinax take turns in short rounds; each ratio is the
median of the per-round ratios (bench/harness.py: alternate).
"""

import json

from harness import (
    alternate,
    bench_environment,
    django_shell,
    gunicorn,
    load_tool,
    options_from_arguments,
    print_setup,
    rate_of,
    report,
    require_bench_packages,
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
    _, seconds, pairs = options_from_arguments(__doc__)
    require_bench_packages()
    with bench_environment() as env:
        codes = json.loads(django_shell(env, SEED).splitlines()[-1])
        queries = json.loads(django_shell(env, COUNT_QUERIES.format(codes=json.dumps(codes))).splitlines()[-1])
        with gunicorn(env) as base:
            rates = alternate({"ours": rate_of(f"{base}/l/{codes['link']}", seconds=seconds),
                               "bare": rate_of(f"{base}/bare/click/abc", seconds=seconds),
                               "pinax": rate_of(f"{base}/referrals/{codes['referral']}/", seconds=seconds)},
                              pairs=pairs)
        print_setup(tool=load_tool(), seconds=seconds, pairs=pairs)
        report("click_vs_bare_insert_view", rates["ours"], rates["bare"], "req/s", ">=0.8")
        report("click_vs_pinax_referrals", rates["ours"], rates["pinax"], "req/s", ">1.0")
        report("queries_per_click", queries["ours"], queries["bare"], "queries", "ours<=2")
        print(f"# pinax-referrals queries per click: {queries['pinax']}")


if __name__ == "__main__":
    main()
