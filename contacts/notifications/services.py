"""In-app notifications and the emails that mirror them.

Email leaves the school's systems, so messages say only that something needs attention and
link to it: never a pupil's name, never the reasons.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import get_connection, send_mass_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from contacts.notifications.models import Notification
from contacts.people.models import Staff
from contacts.people.services import DutyChange
from safeguard.core.mail import account_email, site_link
from safeguard.core.models import School
from safeguard.core.roles import Role

logger = logging.getLogger(__name__)


# What a notice's email asks of its reader when its sender says nothing more particular.
OPEN_IT = "Open it in Safeguard: the page shows what has happened and what is needed from you."


def notify(
    *, recipients: Iterable[Staff], message: str, path: str, what_to_do: str = ""
) -> list[Notification]:
    """Create a notice for each recipient and email them once the transaction commits: a
    greeting, the school's name, what happened, what to do (and by when, where the sender
    says), and the link. The message names references, never a pupil."""
    people = {person.pk: person for person in recipients if person.is_active}
    rows = Notification.objects.bulk_create(
        [Notification(recipient=person, message=message, url=path) for person in people.values()]
    )
    if people:
        to = [(person.first_name, person.email) for person in people.values()]
        school_id = next(iter(people.values())).school_id
        transaction.on_commit(
            lambda: _send_notices(school_id, to, message, path, what_to_do or OPEN_IT)
        )
    return rows


def _send_notices(
    school_id: int, to: list[tuple[str, str]], message: str, path: str, what_to_do: str
) -> None:
    # The change is already committed and the in-app notice exists: a mail server that is
    # down must not turn the person's successful action into an error page.
    try:
        school_name = School.objects.get(pk=school_id).name
        emails = [
            account_email(
                school_name=school_name,
                to=address,
                subject=message,
                template="notification",
                context={
                    "first_name": first_name,
                    "message": message,
                    "what_to_do": what_to_do,
                    "link": site_link(path),
                },
            )
            for first_name, address in to
        ]
        get_connection().send_messages(emails)
    except Exception:
        logger.exception("Could not send %d notification email(s)", len(to))


def _send(emails: list[tuple[str, str, str, list[str]]]) -> None:
    # As above, for the plain emails of a duty change.
    try:
        send_mass_mail(emails, fail_silently=False)
    except Exception:
        logger.exception("Could not send %d notification email(s)", len(emails))


def duty_change_tell(change: DutyChange) -> None:
    """Tell the chair of governors and the DSL at once of a change to someone's safeguarding
    roles, line manager or senior account, and the person affected at the address they had
    before the change (an account taken over by changing its email is noticed by its owner).
    Registered with contacts.people.services at start-up (contacts/apps.py)."""
    who = change.staff.full_name
    if change.to_overseers:
        # The chair reads the changes in the governors' report; the DSL on the person's page.
        for role, path in (
            (Role.CHAIR_OF_GOVERNORS, reverse("governors_report")),
            (Role.DSL, reverse("staff_detail", args=[change.staff.pk])),
        ):
            told = Staff.objects.filter(
                school=change.school, is_active=True, role_assignments__role=role
            )
            if change.actor is not None:
                told = told.exclude(pk=change.actor.pk)
            notify(recipients=told, message=f"{who}: {change.what}", path=path)
    if change.tell_at:
        by = change.actor.full_name if change.actor else "the installation's operator"
        subject = f"Safeguard: your account: {change.what}"
        body = (
            f"{change.what.capitalize()} by {by}. If you did not expect this, tell the chair of "
            "governors or the headteacher at once.\n"
        )
        email = (subject, body, settings.DEFAULT_FROM_EMAIL, [change.tell_at])
        transaction.on_commit(lambda: _send([email]))


def notification_mark_read(*, actor: Staff, notification: Notification) -> Notification:
    if notification.recipient_id != actor.pk:
        raise PermissionDenied("This notice is someone else's.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, actor: Staff) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )
