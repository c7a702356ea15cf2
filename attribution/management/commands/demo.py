"""`manage.py demo`: the Hanbit Air demo, every app's part of it.

It lives in attribution, the top-most app, because it may import every app to
its left: each app owns a loader for its own demo data (`accounts.demo.load_demo`,
`campaigns.demo.load_campaign_demo`, `promotions.demo.load_promotions_demo`,
`promotions.demo_referrals.load_referral_demo`, `attribution.demo.load_sales_demo`), and
this command calls them in dependency order.

The demo makes logins with a published password, a superuser among them, so
with DEBUG off (production, or the embedded mode of `make run`) it refuses to
run unless told `--yes-create-demo-logins`, and then says which logins it made.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_PASSWORD, load_demo, logins
from accounts.models import BrandAccount, User
from attribution.demo import load_sales_demo
from campaigns.demo import load_campaign_demo
from promotions.demo import load_promotions_demo
from promotions.demo_referrals import load_referral_demo

# Each app's demo loader, in dependency order; each is idempotent.
LOADERS = [load_demo, load_campaign_demo, load_promotions_demo, load_referral_demo, load_sales_demo]


class Command(BaseCommand):
    help = "Load the Hanbit Air demo data (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Only load when there are no brand accounts yet.")
        parser.add_argument("--yes-create-demo-logins", action="store_true",
                            help="Needed with DEBUG off: create the demo logins (published password, a superuser) "
                                 "on this server anyway.")

    def handle(self, *args, if_empty=False, yes_create_demo_logins=False, **options):
        # DEBUG as configured (DEBUG=0, or the embedded mode), not as a test runner may have switched it.
        served = settings.PRODUCTION or settings.EMBEDDED
        if served and not yes_create_demo_logins:
            raise CommandError(
                "DEBUG is off: the demo creates logins with a published password, a superuser among them. "
                "If this server is a demo, run it again with --yes-create-demo-logins."
            )
        if if_empty and BrandAccount.objects.exists():
            self.stdout.write("Brand accounts exist already; demo data not loaded.")
            if not User.objects.filter(email__iexact=logins()[0][0]).exists():
                return
        else:
            created = False
            for loader in LOADERS:
                result = loader() or {}
                created = created or result.get("created", False)
            message = "Demo data loaded." if created else "Demo data was already there."
            self.stdout.write(self.style.SUCCESS(message))
        if served:
            self.stderr.write(self.style.WARNING(
                "WARNING: this server has demo logins with the published password below; anyone can sign in as "
                f"them: {', '.join(email for email, _ in logins())}. Delete them or change their passwords "
                "before real use."
            ))
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        for email, what in logins():
            self.stdout.write(f"  {email:32} {what}")
