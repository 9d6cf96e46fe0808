import getpass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from contacts.people.services import school_bootstrap


class Command(BaseCommand):
    help = "Set up a new school and its headteacher, who then adds everyone else in the app."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--head-email", required=True)
        parser.add_argument("--head-first-name", required=True)
        parser.add_argument("--head-last-name", required=True)
        parser.add_argument("--address", default="")
        parser.add_argument("--lado-phone", default="")
        parser.add_argument(
            "--invite",
            action="store_true",
            help="Email the headteacher an invitation to choose their password, instead of "
            "asking for it here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = None if options["invite"] else getpass.getpass("Headteacher's password: ")
        try:
            if password is not None:
                validate_password(password)
            head = school_bootstrap(
                actor=None,
                name=options["name"],
                address=options["address"],
                lado_phone=options["lado_phone"],
                head_email=options["head_email"],
                head_first_name=options["head_first_name"],
                head_last_name=options["head_last_name"],
                head_password=password,
                invite_head=options["invite"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        how = "an invitation was emailed to" if options["invite"] else "sign in as"
        self.stdout.write(self.style.SUCCESS(f"Created {head.school.name}; {how} {head.email}."))
