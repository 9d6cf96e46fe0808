from django.core.management.base import BaseCommand, CommandError

from safeguard.audit import audit_verify
from safeguard.models import AuditEvent


class Command(BaseCommand):
    help = "Check the audit trail's hash chain and name every event changed or removed."

    def handle(self, *args, **options):
        problems = audit_verify()
        total = AuditEvent.objects.count()
        if problems:
            for problem in problems:
                self.stderr.write(problem.message)
            raise CommandError(f"The audit trail is broken: {len(problems)} problem(s).")
        self.stdout.write(self.style.SUCCESS(f"The audit trail is intact: {total} events."))
