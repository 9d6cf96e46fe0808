from typing import Any

from django.core.management.base import BaseCommand

from safeguard.audit.services import kept_panels_forget


class Command(BaseCommand):
    help = (
        "Have every kept dashboard panel worked out afresh at its next opening: after a fix "
        "made to the data outside the app (which is not audited, so not seen), or a database "
        "restored from a backup. `migrate` does this too."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        generation = kept_panels_forget()
        self.stdout.write(f"Every kept panel will be worked out afresh (generation {generation}).")
