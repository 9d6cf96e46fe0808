"""Who may see which people. Every view and export reads through these functions.

A row outside the user's reach is simply absent from the queryset, so a lookup by id gives 404.
"""

from __future__ import annotations

from django.db.models import QuerySet

from contacts.people.models import Pupil, Staff
from contacts.privacy.models import LegalHold, LegalHoldQuerySet
from contacts.records.models import Disclosure
from contacts.records.selectors import disclosures_visible_to
from safeguard.core import roles
from safeguard.core.roles import Role


def legal_holds_visible_to(user: Staff) -> LegalHoldQuerySet:
    """The school's legal holds, for the headteacher alone: nobody else learns that one exists."""
    if not roles.has_role(user, Role.HEADTEACHER):
        return LegalHold.objects.none()
    return LegalHold.objects.filter(school_id=user.school_id)


def disclosures_for_review(user: Staff) -> QuerySet[Disclosure]:
    """Disclosures flagged at the end of their retention period, for the DSL and the
    headteacher, who decide whether each is kept or deleted."""
    if not roles.has_role(user, roles.DISCLOSURE_REVIEWERS):
        return Disclosure.objects.none()
    return disclosures_visible_to(user).filter(retention_flagged_at__isnull=False)


def subject_access_refusal(actor: Staff, subject: Pupil | Staff) -> str:
    """Why the actor may not export this person's information ('' when they may)."""
    if not roles.has_role(actor, Role.HEADTEACHER) or actor.school_id != subject.school_id:
        return "Only the headteacher of the person's school makes a subject-access export."
    if isinstance(subject, Staff) and subject.pk == actor.pk:
        return (
            "Your own file holds entries you may not see, such as concerns about you: a "
            "request for your own information is answered by the chair of governors with the "
            "school's data protection officer, not through this export."
        )
    return ""
