"""Who may see which people. Every view and export reads through these functions.

A row outside the user's reach is simply absent from the queryset, so a lookup by id gives 404.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from contacts.people.models import Staff
from contacts.planned.assessments import stored_assessment
from contacts.planned.models import Route
from contacts.planned.selectors import readable_liaison
from contacts.records.models import ContactRecord, Disclosure, DisclosureType
from policies.engine import Assessment
from safeguard.core import roles
from safeguard.core.roles import Role


def records_visible_to(user: Staff) -> QuerySet[ContactRecord]:
    """Authors see their own; senior leaders the school's; the chair of governors those made by
    the headteacher. Restricted content is masked by `can_read_record`. A line manager monitors
    their team's approved contact (000), not their records: being made someone's line manager
    must not open their file."""
    if not roles.roles_of(user):
        return ContactRecord.objects.none()
    rows = ContactRecord.objects.filter(school_id=user.school_id)
    if roles.has_role(user, roles.SENIOR_LEADERS):
        return rows
    reach = Q(author_id=user.pk)
    if roles.has_role(user, Role.CHAIR_OF_GOVERNORS):
        reach |= Q(route=Route.CHAIR_OF_GOVERNORS)
    if roles.has_role(user, roles.DSL_TEAM):
        # What was reported to the head (it raised an alert), except the restricted family
        # liaison log, which is the head's and the assistant head's alone (002).
        # (Not the head's own, reported to the chair.)
        reported = rows.filter(alerts__owner=Route.HEADTEACHER, restricted=False)
        reach |= Q(pk__in=reported.values("pk"))
    return rows.filter(reach)


def readable_records(user: Staff) -> Q:
    """The records `can_read_record` lets this user read, as a filter (see
    `readable_liaison`)."""
    return readable_liaison(user, owner="author_id")


def can_read_record(user: Staff, record: ContactRecord) -> bool:
    """Family liaison records: the headteacher, assistant head and author only (002)."""
    if not record.restricted or record.author_id == user.pk:
        return True
    if roles.has_role(user, roles.RESTRICTED_READERS):
        return True
    return record.route == Route.CHAIR_OF_GOVERNORS and roles.has_role(
        user, Role.CHAIR_OF_GOVERNORS
    )


def disclosures_visible_to(user: Staff) -> QuerySet[Disclosure]:
    """Child protection: the DSL, headteacher, deputy and the author. Other personal
    disclosures: the headteacher, the DSL and the author (001 §4.2)."""
    if not roles.roles_of(user):
        return Disclosure.objects.none()
    reach = Q(author_id=user.pk)
    if roles.has_role(user, roles.DISCLOSURE_READERS):
        reach |= Q(pk__isnull=False)
    elif roles.has_role(user, roles.CHILD_PROTECTION_READERS):
        reach |= Q(disclosure_type=DisclosureType.CHILD_PROTECTION)
    return Disclosure.objects.filter(school_id=user.school_id).filter(reach)


def record_assessment(record: ContactRecord) -> Assessment | None:
    """The engine's assessment as it was when the record was made, or None if none was kept."""
    return stored_assessment(record)
