"""Attribution on PostgreSQL: crediting sales to touches under every model, against one SQL statement.

- attribute_all_models: `crediting.recredit_sales()` over 100,000 sales and 1,000,000 touches
  (`--quick`: 5,000 and 50,000), writing the credit of all five models from none, against one
  hand-written SQL statement computing last touch for every sale into a table. Target ≤ 3× the time.
- attribute_last_touch: the same with the last-touch model only. Target ≤ 1.5×.

Rounds alternate ours and the baseline (median of the per-pair ratios).

    .venv/bin/python bench/attribute.py [--quick]
"""

import json

from harness import alternate, bench_environment, django_shell, options_from_arguments, report


def shell(env, code):
    return json.loads(django_shell(env, "import json\nfrom bench import attribution_work as w\n" + code)
                      .splitlines()[-1])


def main():
    arguments, _seconds, _pairs = options_from_arguments(__doc__)
    sales = 5_000 if arguments.quick else 100_000
    pairs = 2 if arguments.quick else 3
    with bench_environment() as env:
        seeded = shell(env, f"print(json.dumps(w.seed(sales={sales}, touches_per_sale=10)))")
        print(f"# PostgreSQL: {seeded['sales']:,} sales, {seeded['touches']:,} touches; {pairs} alternating pairs",
              flush=True)

        def measure(code):
            return lambda: shell(env, f"print(json.dumps({code}))")["seconds"]

        everything = alternate({"ours": measure("w.ours(models=crediting_models)".replace(
            "crediting_models", "('last_touch', 'first_touch', 'linear', 'position', 'time_decay')")),
            "sql": measure("w.baseline()")}, pairs=pairs)
        report("attribute_all_models", everything["ours"], everything["sql"], "s", "<=3")
        last = alternate({"ours": measure("w.ours(models=('last_touch',))"), "sql": measure("w.baseline()")},
                         pairs=pairs)
        report("attribute_last_touch", last["ours"], last["sql"], "s", "<=1.5")


if __name__ == "__main__":
    main()
