"""Referral offers on PostgreSQL: share-link clicks, joins per second, settlement.

Comparisons, each against a baseline measured in the same run (alternating rounds, median of the
per-pair ratios; bench/harness.py):

- share_click_vs_bare_insert_view: `GET /r/<code>` (record a referral-click touch, set the visitor
  cookie, redirect) against the bare view doing one INSERT and redirecting (`/bare/click/…`), through
  the same gunicorn server. Target ≥ 0.8×, like tracking links.
- joins_hot_group / joins_1000_groups: purchases per second through `referrals.record_purchase()` from
  4 threads, all into one group or spread over 1,000, against a bare transaction that inserts one row
  and updates one counter (one counter, or one of 1,000). Target ≥ 0.5×.
- settlement: `referrals.settle_offer()` over 10,000 groups × 20 purchases (`--quick`: 300 × 20), each
  still in its hold, against hand-written SQL doing the same (confirm, final tier, tier changes, rebate
  rows, members' and groups' figures) on an identical copy. Target ≤ 2× the time.

    .venv/bin/python bench/referrals.py [--quick]
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
)

THREADS = 4


def shell(env, code):
    return json.loads(django_shell(env, "import json\nfrom bench import referral_work as w\n" + code)
                      .splitlines()[-1])


def main():
    arguments, seconds, pairs = options_from_arguments(__doc__)
    quick = arguments.quick
    with bench_environment() as env:
        offer = shell(env, "print(json.dumps(w.seed_offer(groups=1000).slug))")
        code = shell(env, f"from promotions.models import ReferralGroup\nprint(json.dumps(ReferralGroup.objects"
                          f".filter(offer__slug={offer!r}).order_by('pk').values_list('code', flat=True)[0]))")
        with gunicorn(env) as base:
            clicks = alternate({"ours": rate_of(f"{base}/r/{code}", seconds=seconds),
                                "bare": rate_of(f"{base}/bare/click/abc", seconds=seconds)}, pairs=pairs)
        print_setup(tool=load_tool(), seconds=seconds, pairs=pairs)
        report("share_click_vs_bare_insert_view", clicks["ours"], clicks["bare"], "req/s", ">=0.8")

        join_seconds = 3 if quick else 8
        for hot, name in ((True, "joins_hot_group"), (False, "joins_1000_groups")):
            def measure(ours, hot=hot):
                return lambda: shell(env, f"print(json.dumps(w.joins(offer_slug={offer!r}, hot={hot}, "
                                          f"threads={THREADS}, seconds={join_seconds}, ours={ours})))")
            rates = alternate({"ours": measure(True), "bare": measure(False)}, pairs=3 if quick else 5)
            report(name, rates["ours"], rates["bare"], "joins/s", ">=0.5")
        statements = shell(env, f"print(json.dumps(w.statements_per_join({offer!r})))")
        print(f"# statements per join (no tier crossed, new buyer): {len(statements)}: "
              + "; ".join(statement.split(" FROM ")[0][:40] for statement in statements), flush=True)

        groups = 300 if quick else 10_000
        ours_times, sql_times = [], []
        for _ in range(1 if not quick else 2):
            ours_offer = shell(env, f"print(json.dumps(w.seed_settlement(groups={groups}, members=20)))")
            sql_offer = shell(env, f"print(json.dumps(w.seed_settlement(groups={groups}, members=20)))")
            sql_times.append(shell(env, f"print(json.dumps(w.settle_sql({sql_offer!r})))"))
            ours_times.append(shell(env, f"print(json.dumps(w.settle_ours({ours_offer!r})))"))
            assert shell(env, f"print(json.dumps(w.same_result({ours_offer!r}, {sql_offer!r})))"), \
                "our settlement and the SQL disagree"
        report(f"settlement_{groups}_groups_x20", ours_times, sql_times, "s", "<=2")


if __name__ == "__main__":
    main()
