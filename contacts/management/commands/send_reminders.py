from typing import Any

from django.core.management.base import BaseCommand

from contacts.people.services import relative_reviews_remind
from contacts.planned.services import reminders_send


class Command(BaseCommand):
    help = (
        "Remind deciders of requests waiting longer than the school's response time, and the "
        "headteacher (or chair) of declared relationships due for their yearly review. Meant for "
        "cron; running it twice sends each reminder once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = reminders_send()
        reviews = relative_reviews_remind()
        self.stdout.write(f"{sent} reminder(s) sent; {reviews} declaration review(s) due.")
