import datetime as dt
from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from contacts.privacy.retention import KeepReason, PlanItem
from contacts.privacy.services import RetentionResult, retention_apply
from safeguard.core.models import School


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--today must be a date as YYYY-MM-DD, not {value!r}.") from error


def _by_rule(items: list[PlanItem]) -> str:
    counts = Counter(item.rule for item in items)
    return ", ".join(f"{rule} {n}" for rule, n in sorted(counts.items()))


class Command(BaseCommand):
    help = (
        "Apply each school's retention schedule (docs/retention.md): delete the records whose "
        "period has run out, flag disclosures for review, keep anything under a legal hold or "
        "with missing data. Meant for cron; running it twice changes nothing more."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what is due without deleting or flagging anything.",
        )
        parser.add_argument(
            "--today",
            type=_date,
            help="The day to apply the schedule as of (YYYY-MM-DD; default today). A future "
            "day is allowed only with --dry-run.",
        )
        parser.add_argument(
            "--school", type=int, help="Only this school (its id); default every school."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["today"] or timezone.localdate()
        dry_run = options["dry_run"]
        schools = School.objects.order_by("pk")
        if options["school"] is not None:
            schools = schools.filter(pk=options["school"])
            if not schools.exists():
                raise CommandError(f"There is no school with id {options['school']}.")
        failed = 0
        for school in schools:
            try:
                result = retention_apply(school=school, today=today, dry_run=dry_run)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
            self._report(result, options["verbosity"])
            failed += len(result.failed)
        if failed:
            raise CommandError(f"{failed} record(s) could not be deleted: see the log.")

    def _line(self, label: str, items: list[PlanItem], detail: str, verbosity: int) -> None:
        extra = f" ({detail})" if detail and items else ""
        self.stdout.write(f"  {label}: {len(items)}{extra}")
        if verbosity >= 2:
            for item in items:
                due = f", due {item.due_on:%Y-%m-%d}" if item.due_on else ""
                keep = f", kept: {item.keep_label}" if item.keep else ""
                self.stdout.write(f"    {item.reference} ({item.kind_label}{due}{keep})")

    def _report(self, result: RetentionResult, verbosity: int) -> None:
        plan = result.plan
        school = plan.school
        mode = "dry run, nothing changed" if result.dry_run else "applied"
        self.stdout.write(f"{school.name} ({school.audit_ref}), as of {plan.today}: {mode}")
        if result.dry_run:
            self._line("Due for deletion", plan.delete, _by_rule(plan.delete), verbosity)
            self._line("Disclosures due for review", plan.flag, "", verbosity)
        else:
            self._line("Deleted", result.deleted, _by_rule(result.deleted), verbosity)
            self._line("Disclosures flagged for review", result.flagged, "", verbosity)
            if result.skipped:
                self._line("Changed since planned, kept", result.skipped, "", verbosity)
            if result.failed:
                self._line("Could not be deleted", result.failed, "", verbosity)
        self._line("Disclosures already awaiting review", plan.awaiting_review, "", verbosity)
        for reason in KeepReason:
            items = [item for item in plan.kept if item.keep == reason]
            if items:
                self._line(f"Kept, {reason.label}", items, _by_rule(items), verbosity)
