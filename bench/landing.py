"""Requests per second of `GET /c/<slug>/` for an anonymous visitor.

Baseline, same gunicorn server and settings, same run, on PostgreSQL: a bare
Django view that reads one row by primary key and renders a small template.
Target ≥ 0.5×. Also checks that the query count per page view stays flat as a
campaign gains co-running accounts (promotions join this check when they exist).

    .venv/bin/python bench/landing.py [--quick]
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
campaign, link, page = seed_campaign(co_accounts=1)
print(json.dumps({"slug": campaign.slug, "page": page.pk}))
"""

COUNT_QUERIES = """
import json
from accounts.models import BrandAccount, SocialHandle
from campaigns.models import Campaign
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client(HTTP_HOST="127.0.0.1")
campaign = Campaign.objects.get(slug="bench")
from campaigns.views.landing import recent_pages
def count():
    recent_pages.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/c/bench/").status_code == 200
    return len(queries)
counts = {"one": count()}
for number in range(19):
    account = BrandAccount.objects.create(name=f"Extra {number}", slug=f"extra-{number}")
    SocialHandle.objects.create(account=account, platform="x", handle=f"extra_{number}")
    campaign.co_accounts.add(account)
counts["twenty"] = count()
campaign.co_accounts.remove(*BrandAccount.objects.filter(slug__startswith="extra-"))
with CaptureQueriesContext(connection) as queries:
    client.get("/bare/page/1/")
counts["bare"] = len(queries)
print(json.dumps(counts))
"""


def main():
    _, seconds, pairs = options_from_arguments(__doc__)
    require_bench_packages()
    with bench_environment() as env:
        seeded = json.loads(django_shell(env, SEED).splitlines()[-1])
        queries = json.loads(django_shell(env, COUNT_QUERIES).splitlines()[-1])
        with gunicorn(env) as base:
            rates = alternate({"ours": rate_of(f"{base}/c/{seeded['slug']}/", seconds=seconds),
                               "bare": rate_of(f"{base}/bare/page/{seeded['page']}/", seconds=seconds)},
                              pairs=pairs)
        # The same page with the per-process page cache off: every view queries and renders.
        with gunicorn({**env, "LANDING_CACHE_SECONDS": "0"}) as base:
            uncached = alternate({"ours": rate_of(f"{base}/c/{seeded['slug']}/", seconds=seconds),
                                  "bare": rate_of(f"{base}/bare/page/{seeded['page']}/", seconds=seconds)},
                                 pairs=pairs)
        print_setup(tool=load_tool(), seconds=seconds, pairs=pairs)
        report("landing_vs_bare_page_view", rates["ours"], rates["bare"], "req/s", ">=0.5")
        report("landing_uncached_vs_bare_page_view", uncached["ours"], uncached["bare"], "req/s",
               "none (information: every view renders)")
        report("landing_queries_20_vs_1_co_accounts", queries["twenty"], queries["one"], "queries", "==1.0")
        print(f"# queries per landing view: {queries['one']} (bare view: {queries['bare']})")


if __name__ == "__main__":
    main()
