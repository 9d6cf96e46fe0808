"""The contacts app's models, declared by subject; Django finds them here."""

from contacts.alerts.models import Alert, AlertEntry, CaseAction, CaseReferral
from contacts.concerns.models import BoundaryConcern, LadoReferral
from contacts.notifications.models import Notification
from contacts.people.models import (
    ColleagueRelationship,
    Invitation,
    ParentCarer,
    Pupil,
    Staff,
    StaffRelative,
    StaffRole,
)
from contacts.planned.models import (
    ContactRequest,
    HeadAbsence,
    PlanReview,
    PlanSession,
    RequestNote,
)
from contacts.privacy.models import LegalHold
from contacts.records.models import Addendum, ContactRecord, Disclosure

__all__ = [
    "Addendum",
    "Alert",
    "AlertEntry",
    "CaseAction",
    "CaseReferral",
    "BoundaryConcern",
    "ColleagueRelationship",
    "ContactRecord",
    "ContactRequest",
    "Disclosure",
    "HeadAbsence",
    "Invitation",
    "LadoReferral",
    "LegalHold",
    "Notification",
    "ParentCarer",
    "PlanReview",
    "PlanSession",
    "Pupil",
    "RequestNote",
    "Staff",
    "StaffRelative",
    "StaffRole",
]
