from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguard.audit.checkpoints import SigningKeyError, signing_key
from safeguard.audit.services import CheckpointRefused, audit_checkpoint_sign
from safeguard.core.models import School


class Command(BaseCommand):
    help = (
        "Sign the head of each school's audit chain (or one with --school) with the "
        "installation's key, keep the checkpoint, and email it to the chair of governors and "
        "the school's copy address. For cron, daily. A chain that does not check out is not "
        "signed; the command then exits non-zero."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", type=int, help="Only this school (its id).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            key = signing_key()
        except SigningKeyError as error:
            raise CommandError(str(error)) from error
        schools = School.objects.order_by("pk")
        if options["school"] is not None:
            schools = schools.filter(pk=options["school"])
            if not schools.exists():
                raise CommandError(f"There is no school {options['school']}.")
        refused = 0
        for school in schools:
            try:
                row = audit_checkpoint_sign(actor=None, school=school, key=key)
            except CheckpointRefused as error:
                refused += 1
                self.stderr.write(f"{school.name}: not signed, the chain does not check out:")
                for problem in error.problems:
                    self.stderr.write(f"  {problem.message}")
                continue
            if row is None:
                self.stdout.write(f"{school.name}: nothing new since the last checkpoint.")
            else:
                self.stdout.write(
                    f"{school.name}: signed event {row.event_id} ({row.events} events), "
                    f"key {row.key_id}."
                )
        if refused:
            raise CommandError(f"{refused} school chain(s) were not signed: run verify_audit.")
