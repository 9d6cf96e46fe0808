from typing import Any

from django.core.management.base import BaseCommand, CommandError

from safeguard.audit.services import audit_check_run


class Command(BaseCommand):
    help = (
        "Check the audit trail's hash chain and name every event changed or removed. "
        "The result is kept for the audit trail page."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        check = audit_check_run(actor=None)
        if check.found:
            for problem in check.found:
                self.stderr.write(problem.message)
            raise CommandError(f"The audit trail is broken: {len(check.found)} problem(s).")
        self.stdout.write(
            self.style.SUCCESS(f"The audit trail is intact: {check.events_checked} events.")
        )
