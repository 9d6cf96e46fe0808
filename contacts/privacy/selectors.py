"""Who may see which people. Every view and export reads through these functions.

A row outside the user's reach is simply absent from the queryset, so a lookup by id gives 404.
"""

from __future__ import annotations

from django.db.models import QuerySet

from contacts.people.models import Staff
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
    if not roles.has_role(user, {Role.DSL, Role.HEADTEACHER}):
        return Disclosure.objects.none()
    return disclosures_visible_to(user).filter(retention_flagged_at__isnull=False)
