"""Which notifications a member of staff may see: only their own."""

from __future__ import annotations

from django.db.models import QuerySet

from contacts.notifications.models import Notification
from contacts.people.models import Staff


def notifications_of(user: Staff) -> QuerySet[Notification]:
    """The user's own notifications (in the model's order); anyone else's give 404."""
    return Notification.objects.filter(recipient=user)
