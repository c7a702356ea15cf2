"""The sales webhook on PostgreSQL: signed events per second through the real view.

Comparison, against a baseline measured in the same run (alternating rounds, median of the per-pair
ratios; bench/harness.py):

- webhook_vs_bare_insert_view: `POST /api/v1/sales/` with a distinct, freshly signed `order.paid`
  event per request (size and signature checks, JSON, the cached source lookup, HMAC, field checks,
  one inbox INSERT, the apply job enqueued on commit) against a bare view that INSERTs the raw body
  (`/bare/sales/`), through the same gunicorn server. Target ≥ 0.5×.

Load comes from a threaded Python client with keep-alive connections that signs each body as it
sends it (wrk cannot sign per request); both sides get the same client.

    .venv/bin/python bench/ingest.py [--quick]
"""

import hashlib
import hmac
import http.client
import itertools
import json
import threading
import time
from urllib.parse import urlsplit

from harness import alternate, bench_environment, django_shell, gunicorn, options_from_arguments, report

CONNECTIONS = 8
counter = itertools.count()


def seed_source(env):
    code = ("from django.utils import timezone\nfrom accounts.models import BrandAccount\n"
            "from attribution import sources\n"
            "account = BrandAccount.objects.create(name='Bench Air', slug='bench-air', currency='KRW')\n"
            "source = sources.create_source(account=account, name='Shop', key='bench-shop', at=timezone.now())\n"
            "print(source.secrets.get().secret)")
    return django_shell(env, code).splitlines()[-1]


def event_body(number, run):
    return json.dumps({"id": f"evt_{run}_{number}", "type": "order.paid", "source": "bench-shop",
                       "occurred_at": "2026-11-20T10:00:00Z", "order_id": f"B-{run}-{number}",
                       "amount": "129000", "currency": "KRW", "customer_email": f"buyer{number}@example.com",
                       "lines": [{"sku": "HB-JEJU-RT", "quantity": 1, "amount": "129000"}]}).encode()


def post_rate(url, secret, *, seconds):
    """A measure for alternate(): signed POSTs per second to `url` from CONNECTIONS keep-alive clients."""
    parts = urlsplit(url)

    def measure():
        run = next(counter)
        counts = [0] * CONNECTIONS
        stop = time.monotonic() + seconds

        def worker(index):
            connection = http.client.HTTPConnection(parts.hostname, parts.port)
            number = 0
            while time.monotonic() < stop:
                number += 1
                body = event_body(f"{index}-{number}", run)
                t = str(int(time.time()))
                v1 = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
                connection.request("POST", parts.path, body=body, headers={
                    "Content-Type": "application/json", "Chorus-Signature": f"t={t},v1={v1}"})
                response = connection.getresponse()
                answer = response.read()
                if response.status != 200:
                    raise RuntimeError(f"{url}: HTTP {response.status} {answer[:300]!r}")
                counts[index] += 1

        threads = [threading.Thread(target=worker, args=(index,)) for index in range(CONNECTIONS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sum(counts) / seconds

    return measure


def main():
    _arguments, seconds, pairs = options_from_arguments(__doc__)
    with bench_environment() as env:
        secret = seed_source(env)
        with gunicorn(env) as base:
            rates = alternate({"ours": post_rate(f"{base}/api/v1/sales/", secret, seconds=seconds),
                               "bare": post_rate(f"{base}/bare/sales/", secret, seconds=seconds)}, pairs=pairs)
        print(f"# PostgreSQL, gunicorn 2 sync workers, load from a Python client ({CONNECTIONS} keep-alive "
              f"connections, signing each body), {pairs} alternating pairs of {seconds} s rounds", flush=True)
        report("webhook_vs_bare_insert_view", rates["ours"], rates["bare"], "events/s", ">=0.5")


if __name__ == "__main__":
    main()
