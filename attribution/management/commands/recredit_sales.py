"""manage.py recredit_sales [--account SLUG] [--since YYYY-MM-DD]: recompute credit from sales and touches.

Credit is derived data: this brings every row in line with the touches and amounts as they are now
(e.g. after a campaign's lookback changed) and writes nothing where they agree.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from attribution.crediting import recredit_sales
from attribution.models import Sale


class Command(BaseCommand):
    help = "Recompute the credit of sales under every model, writing only differences."

    def add_arguments(self, parser):
        parser.add_argument("--account", help="Only sales of this brand account (its slug).")
        parser.add_argument("--since", help="Only sales from this UTC date on (YYYY-MM-DD).")

    def handle(self, *args, account=None, since=None, **options):
        sales = Sale.objects.all()
        if account:
            sales = sales.filter(account__slug=account)
        if since:
            try:
                day = datetime.date.fromisoformat(since)
            except ValueError as error:
                raise CommandError(f"--since must be a date such as 2026-11-01, not {since!r}.") from error
            sales = sales.filter(occurred_at__gte=datetime.datetime.combine(day, datetime.time(), datetime.UTC))
        total = sales.count()
        seen, changed = recredit_sales(sales=sales, at=timezone.now(),
                                       progress=lambda done: self.stderr.write(f"{done:,} of {total:,} sales"))
        self.stdout.write(f"{seen:,} sales checked; {changed:,} credit rows added, changed or removed.")
