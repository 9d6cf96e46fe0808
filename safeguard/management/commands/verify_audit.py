from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguard.audit.checkpoints import (
    CheckpointError,
    SigningKeyError,
    checkpoint_parse,
    checkpoint_problems,
    checkpoint_verify_signature,
)
from safeguard.audit.services import audit_check_run
from safeguard.core.models import School


class Command(BaseCommand):
    help = (
        "Check the audit trail's hash chains (every school's, or one with --school), name every "
        "event changed or removed, and compare each chain with the last check that found it "
        "intact (events missing from its end) and with its latest signed checkpoint. The result "
        "is kept for the audit trail page. With --checkpoint FILE, prove instead that the "
        "school's chain still extends a checkpoint kept outside Safeguard."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", type=int, help="Check only this school's chain (its id).")
        parser.add_argument(
            "--checkpoint",
            type=Path,
            metavar="FILE",
            help="A checkpoint kept outside (emailed to the chair of governors): the chain it "
            "names must still extend it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        school_id = options["school"]
        if school_id is not None and not School.objects.filter(pk=school_id).exists():
            raise CommandError(f"There is no school {school_id}.")
        if options["checkpoint"] is not None:
            self._against_checkpoint(options["checkpoint"])
            return
        check = audit_check_run(actor=None, school_id=school_id)
        if check.found:
            for problem in check.found:
                self.stderr.write(problem.message)
            raise CommandError(f"The audit trail is broken: {len(check.found)} problem(s).")
        chains = len(check.by_school)
        self.stdout.write(
            self.style.SUCCESS(
                f"The audit trail is intact: {check.events_checked} events in {chains} "
                f"school chain{'s' if chains != 1 else ''}."
            )
        )
        # Kept away from the database (a cron log, a ticket), the heads let an operator see a
        # chain cut back to an older state even by someone who could rewrite the kept checks;
        # the signed checkpoints (audit_checkpoint) are the stronger proof.
        for school, share in sorted(check.by_school.items()):
            if share.get("head_id") is not None:
                self.stdout.write(
                    f"School {school}: head event {share['head_id']}, hash {share['head_hash']}."
                )

    def _against_checkpoint(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"The checkpoint file {path} cannot be read: {error}.") from error
        try:
            checkpoint = checkpoint_parse(text)
            checkpoint_verify_signature(checkpoint)
        except (CheckpointError, SigningKeyError) as error:
            raise CommandError(f"The checkpoint file {path} is not usable: {error}") from error
        if not School.objects.filter(pk=checkpoint.school).exists():
            raise CommandError(
                f"The checkpoint names school {checkpoint.school} ({checkpoint.school_name}), "
                "which this installation does not have."
            )
        problems = checkpoint_problems(checkpoint)
        if problems:
            for problem in problems:
                self.stderr.write(problem.message)
            raise CommandError(
                f"{checkpoint.school_name}'s audit chain does not extend the checkpoint: "
                f"{len(problems)} problem(s)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{checkpoint.school_name}'s audit chain extends the checkpoint of "
                f"{checkpoint.at:%d %b %Y %H:%M} UTC (event {checkpoint.event}, "
                f"{checkpoint.events} events, fingerprint {checkpoint.fingerprint})."
            )
        )
