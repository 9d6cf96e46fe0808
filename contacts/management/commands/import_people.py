from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from contacts.people.importing import COLUMNS, ImportRejected, people_import
from contacts.people.models import Staff
from safeguard.core import roles
from safeguard.core.emails import normal_email


class Command(BaseCommand):
    help = (
        "Import pupils or staff from a CSV file: every row loads, or none does. "
        "The columns are listed in the README."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(COLUMNS))
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--as",
            dest="actor_email",
            required=True,
            help="Email of the headteacher or school administrator the import is made by.",
        )
        parser.add_argument(
            "--invite",
            action="store_true",
            help="Staff only: email everyone new an invitation to choose their password.",
        )

    def handle(
        self, *args: Any, kind: str, path: Path, actor_email: str, invite: bool, **options: Any
    ) -> None:
        actor = Staff.objects.filter(email=normal_email(actor_email), is_active=True).first()
        if actor is None or not roles.has_role(actor, roles.PEOPLE_EDITORS):
            raise CommandError(
                f"{actor_email} is not an active headteacher or school administrator."
            )
        if not path.is_file():
            raise CommandError(f"There is no file at {path}.")
        with path.open("rb") as file:
            try:
                result = people_import(
                    actor=actor, school=actor.school, kind=kind, file=file, invite=invite
                )
            except ImportRejected as rejected:
                for error in rejected.errors:
                    self.stderr.write(str(error))
                raise CommandError(
                    f"Nothing was imported: {len(rejected.errors)} problem(s) in {path}."
                ) from None
        invited = f"; {result.invited} invited to sign in" if result.invited else ""
        self.stdout.write(self.style.SUCCESS(f"Imported {result.created} {result.kind}{invited}."))
