from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.test.utils import override_settings
from django.utils import timezone

from demo.school import DEMO_PASSWORD, build_demo_school
from safeguard.core.models import School


class Command(BaseCommand):
    help = "Load the demo school if the database has no school yet, and print the demo log-ins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--quiet-if-present",
            action="store_true",
            help="Say nothing more than one line when a school already exists.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if School.objects.exists():
            self.stdout.write("The database already has a school: the demo was not loaded again.")
            return
        # The demo's own requests notify people; nobody needs those emails.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            summary = build_demo_school(timezone.localdate())
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {summary.school_name}: {summary.staff} staff, "
                f"{summary.current_pupils} current and {summary.former_pupils} former pupils, "
                f"{summary.parents} parents and carers."
            )
        )
        self.stdout.write(f"\nDemo log-ins (every password is {DEMO_PASSWORD}):")
        for email, name, title in summary.logins:
            self.stdout.write(f"  {email:<28} {name} ({title})")
        self.stdout.write(
            "\nThe headteacher, deputy, assistant head, DSL, chair and administrator also need a "
            "two-factor code at sign-in; for the demo accounts, print it with\n"
            "  DEMO=1 .venv/bin/python manage.py demo_code head@oakfield.example"
        )
        email, name, link = summary.invitation
        self.stdout.write(
            f"\n{name} ({email}) has just been added and invited; her invitation link, as "
            f"emailed:\n  {link}"
        )
