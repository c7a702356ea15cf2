from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, load_demo, logins
from accounts.models import BrandAccount, User
from campaigns.demo import load_campaign_demo


class Command(BaseCommand):
    help = "Load the Hanbit Air demo data (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Only load when there are no brand accounts yet.")

    def handle(self, *args, if_empty=False, **options):
        if if_empty and BrandAccount.objects.exists():
            self.stdout.write("Brand accounts exist already; demo data not loaded.")
            if not User.objects.filter(email__iexact=logins()[0][0]).exists():
                return
        else:
            result = load_demo()
            load_campaign_demo()
            message = "Demo data loaded." if result["created"] else "Demo data was already there."
            self.stdout.write(self.style.SUCCESS(message))
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        for email, what in logins():
            self.stdout.write(f"  {email:32} {what}")
