"""manage.py import_sales FILE --source KEY [--dry-run]: the CSV import, through the webhook's ingest."""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from attribution import imports
from attribution.models import SalesSource


class Command(BaseCommand):
    help = "Import sales and refunds from a CSV file into a sales source (see docs/sales-import.md)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file (UTF-8, with a header row).")
        parser.add_argument("--source", required=True, help="The sales source's key, e.g. hanbit-web-shop.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row and report; store nothing.")

    def handle(self, *args, file, source, dry_run, **options):
        found = SalesSource.objects.filter(key=source).first()
        if found is None:
            keys = ", ".join(SalesSource.objects.values_list("key", flat=True)[:20]) or "none yet"
            raise CommandError(f"No sales source has the key {source!r}. Keys: {keys}.")
        try:
            total = imports.count_rows(file)
            with open(file, newline="", encoding="utf-8-sig") as handle:
                report = imports.import_rows(source=found, handle=handle, dry_run=dry_run, at=timezone.now(),
                                             progress=lambda done: self.show_progress(done, total))
        except FileNotFoundError as error:
            raise CommandError(f"Cannot open {file}: {error.strerror}.") from error
        except UnicodeDecodeError as error:
            raise CommandError(f"{file} is not UTF-8 text ({error.reason}); save it as CSV UTF-8.") from error
        except imports.HeaderProblem as error:
            raise CommandError(str(error)) from error
        self.stderr.write("")
        for line, name, message in report.problems:
            self.stdout.write(f"line {line}: {name}: {message}")
        if report.problem_count > len(report.problems):
            self.stdout.write(f"… and {report.problem_count - len(report.problems):,} more problems.")
        self.stdout.write(("Dry run: " if dry_run else "") + report.summary(dry_run=dry_run))
        if report.problem_count:
            sys.exit(1)

    def show_progress(self, done, total):
        percent = f" ({100 * done // total}%)" if total else ""
        self.stderr.write(f"\r{done:,} of {total:,} rows{percent}", ending="")
        self.stderr.flush()
