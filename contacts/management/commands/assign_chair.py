"""Appoint a school's chair of governors from the command line: the first chair, or a new one
for recovery (the chair left, or lost their account and second factor). School staff never
appoint the chair (docs/security.md "Separation of duties"); the installation's operator does,
and the audit trail says so.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from contacts.people.models import Staff
from contacts.people.services import chair_appoint
from safeguard.accounts.services import two_factor_reset


class Command(BaseCommand):
    help = (
        "Appoint a school's chair of governors (the first, or a new one for recovery); any "
        "other chair of that school stops being chair. Audited as the installation's operator."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="The account to make chair.")
        parser.add_argument(
            "--operator",
            required=True,
            help="Who is running the command (name and organisation), for the audit trail.",
        )
        parser.add_argument(
            "--reset-two-factor",
            action="store_true",
            help="Also remove the new chair's second factor (a lost phone), so they set it up "
            "again at their next sign-in.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        staff = Staff.objects.filter(email__iexact=options["email"].strip()).first()
        if staff is None:
            raise CommandError(f"No account has the email address {options['email']}.")
        try:
            # Both or neither: a refused reset leaves the appointment undone too.
            with transaction.atomic():
                chair_appoint(school=staff.school, staff=staff, operator=options["operator"])
                if options["reset_two_factor"]:
                    two_factor_reset(actor=None, staff=staff, operator=options["operator"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(f"{staff.full_name} is now chair of governors of {staff.school}.")
        )
