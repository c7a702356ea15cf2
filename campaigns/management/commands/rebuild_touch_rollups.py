import datetime

from django.core.management.base import BaseCommand

from campaigns.reports import tallied_until
from campaigns.rollups import rebuild_touch_rollups, tally_new_touches


class Command(BaseCommand):
    help = ("Check the admin's touch figures against the touches and correct any that disagree "
            "(writes nothing when they agree). --tally first counts every committed touch.")

    def add_arguments(self, parser):
        parser.add_argument("--campaign", type=int, action="append", dest="campaign_ids",
                            help="Only this campaign id (repeatable).")
        parser.add_argument("--tally", action="store_true",
                            help="Count new touches first, without waiting for the usual safety lag "
                                 "(use when no clicks are arriving, e.g. after a restore).")

    def handle(self, *args, campaign_ids=None, tally=False, **options):
        if tally:
            counted = tally_new_touches(safety_lag=datetime.timedelta(0))
            self.stdout.write(f"Tallied {counted} new touches.")
        corrected = rebuild_touch_rollups(campaign_ids=campaign_ids)
        as_of = tallied_until()
        self.stdout.write(self.style.SUCCESS(
            f"Corrected the figures of {corrected} campaign{'s' if corrected != 1 else ''}; "
            f"they count every touch recorded before {as_of:%Y-%m-%d %H:%M:%S %Z}." if as_of else
            f"Corrected the figures of {corrected} campaigns; nothing has been tallied yet."))
