"""The pattern view writes one thing: that someone opened it (issue 17: opening it is audited)."""

from __future__ import annotations

from django.db import transaction

from contacts.people.models import Staff
from safeguard.audit.models import AuditEvent
from safeguard.audit.services import audit_record
from safeguard.audit.vocabulary import VIEW

# The audit trail's object type for an adult's pattern view: its own, not the staff member's,
# so that the trail can keep from the adult that someone looked (contacts.patterns.trail).
PATTERN_TYPE = "contacts.pattern"


def pattern_reference(adult: Staff) -> str:
    return f"PATTERN-{adult.audit_ref}"


def pattern_view_record(*, actor: Staff, adult: Staff) -> AuditEvent:
    """A view event for the adult's pattern, in its own transaction. Call it only once the
    page is certain to be shown, never before a 403 or 404."""
    with transaction.atomic():
        return audit_record(
            actor=actor,
            school=actor.school,
            action=VIEW,
            object_type=PATTERN_TYPE,
            object_id=str(adult.pk),
            object_ref=pattern_reference(adult),
        )
