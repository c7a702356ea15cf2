"""`manage.py verify_draw <draw id>`: re-run a stored draw from its published data and say which checks pass."""

from django.core.management.base import BaseCommand, CommandError

from promotions.drawing import verify_stored_draw
from promotions.models import Draw


class Command(BaseCommand):
    help = ("Re-run a giveaway draw from its published data (revealed seed, commitment, digest, entrants file, "
            "result) and print each check; exits with status 1 when one fails.")

    def add_arguments(self, parser):
        parser.add_argument("draw_id", type=int, help="The draw's id, as in its public address /g/<slug>/draws/<id>/.")

    def handle(self, *args, draw_id, **options):
        draw = Draw.objects.select_related("round__giveaway").filter(pk=draw_id).first()
        if draw is None:
            raise CommandError(f"There is no draw {draw_id}. The id is the number at the end of the draw's public "
                               "address, /g/<slug>/draws/<id>/.")
        self.stdout.write(f"Draw {draw.pk}: {draw.round} ({draw.algorithm}, {draw.winners} winners, "
                          f"{draw.alternates} alternates)")
        self.stdout.write(f"  seed        {draw.seed}")
        self.stdout.write(f"  commitment  {draw.commitment}")
        self.stdout.write(f"  digest      {draw.digest}")
        check = verify_stored_draw(draw)
        for label, passed in (("the seed hashes to the commitment", check.seed_matches_commitment),
                              ("the entrants file hashes to the digest", check.digest_matches_entrants),
                              ("re-running the draw gives the published result", check.result_matches_rerun)):
            mark = self.style.SUCCESS("ok      ") if passed else self.style.ERROR("MISMATCH")
            self.stdout.write(f"  {mark} {label}")
        for problem in check.problems:
            self.stdout.write(f"  - {problem}")
        if not check.ok:
            raise CommandError(f"Draw {draw.pk} does not verify.", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"Draw {draw.pk} verifies: {len(draw.result)} places re-run exactly."))
