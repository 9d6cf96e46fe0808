from typing import Any

from django.core.management.base import BaseCommand

from contacts.alerts.services import alerts_escalate


class Command(BaseCommand):
    help = (
        "Send every child-protection disclosure nobody acknowledged within the school's time up "
        "to the next person (the deputy DSL, then the headteacher), and remind the owners of "
        "overdue case actions. Meant for cron, every few minutes; running it twice sends nothing "
        "twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        went_up = alerts_escalate(actor=None)
        self.stdout.write(f"{went_up} alert(s) escalated.")
