from typing import Any

from django.core.management.base import BaseCommand

from contacts.planned.services import reminders_send


class Command(BaseCommand):
    help = (
        "Remind deciders of requests waiting longer than the school's response time. "
        "Meant for cron; running it twice sends each reminder once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = reminders_send()
        self.stdout.write(f"{sent} reminder(s) sent.")
