from typing import Any

from django.core.management.base import BaseCommand

from contacts.people.services import staff_leavers_deactivate


class Command(BaseCommand):
    help = (
        "Deactivate every member of staff whose leaving date has come: their sessions end, open "
        "invitations and recovery codes are withdrawn, and what they wrote is kept. Meant for "
        "cron, daily; running it twice changes nothing the second time."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        ended = staff_leavers_deactivate(actor=None)
        for staff in ended:
            self.stdout.write(f"Deactivated {staff.full_name} ({staff.school.name}).")
        self.stdout.write(f"{len(ended)} leaver(s) deactivated.")
