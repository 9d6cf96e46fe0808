"""Turn people and dates from the database into the engine's facts (the engine reads no models)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError

from contacts.people.models import FAMILY_RELATIONSHIPS, Pupil, Staff, StaffRelative
from contacts.people.selectors import declarations_covering
from policies.engine import (
    Assessment,
    ContactFacts,
    EngineSettings,
    Exemption,
    Kind,
    PupilStatus,
    Purpose,
    assess,
    combine,
)
from safeguard.core import roles
from safeguard.core.models import School


def engine_settings_for(school: School) -> EngineSettings:
    return EngineSettings(
        child_age=school.child_age,
        window_years=float(school.restricted_window_years),
        exemption_needs_approval=school.exemption_needs_approval,
    )


def _require_acknowledged_relative(requester: Staff, pupil: Pupil) -> None:
    """The own-family exemption counts only for a relative the head (or the chair) has
    acknowledged: until then the pupil is like any other, whatever was declared."""
    declared = StaffRelative.objects.filter(
        staff=requester,
        pupil=pupil,
        ended_at__isnull=True,
        relationship__in=FAMILY_RELATIONSHIPS,
    ).first()
    if declared is None:
        raise ValidationError(
            {
                "exemption": "This pupil is not recorded as your child or relative. Add them "
                "on your own page first, or choose another answer."
            }
        )
    if not declared.is_acknowledged:
        whose = (
            "the chair of governors'"
            if roles.has_role(requester, roles.Role.HEADTEACHER)
            else "the headteacher's"
        )
        raise ValidationError(
            {
                "exemption": "This pupil is declared as your relative, awaiting "
                f"{whose} acknowledgement. Until then the usual rules apply: choose another "
                "answer."
            }
        )


def _declared(requester: Staff, pupil: Pupil, kind: str, on: dt.date) -> bool:
    """Whether a standing declaration the head acknowledged covers this kind of contact with
    this pupil on that day (it stands until ended, and while the pupil is at the school)."""
    return bool(declarations_covering(requester, [pupil], kind, on))


def contact_facts(
    *,
    requester: Staff,
    pupil: Pupil,
    with_family_only: bool,
    on: dt.date,
    kind: Kind,
    purpose: Purpose,
    planned: bool,
    exemption: Exemption | Literal[""] | None = None,
    parent_organised: bool = False,
    school_channel: bool = False,
    vulnerable_context: bool = False,
) -> ContactFacts:
    """The facts about one contact with a pupil (or only their family) on a given date.

    Status and age are taken on the contact date, not today: a Year 13 pupil asking about a
    trip after they leave is a former pupil on that day.
    """
    if exemption == "own_family":
        _require_acknowledged_relative(requester, pupil)
    if on < pupil.date_of_birth:
        raise ValidationError({"contact_date": "This date is before the pupil was born."})
    status: PupilStatus
    if with_family_only:
        status, age, years = "none", None, None
    elif pupil.is_current(on):
        status, age, years = "current", pupil.age_on(on), None
    else:
        status, age, years = "former", pupil.age_on(on), pupil.years_since_leaving(on)
    return ContactFacts(
        kind=kind,
        purpose=purpose,
        pupil_status=status,
        pupil_age=age,
        years_since_leaving=years,
        vulnerable=pupil.vulnerable_adult or vulnerable_context,
        exemption=exemption or None,
        parent_organised=parent_organised,
        requester_is_head=roles.has_role(requester, roles.Role.HEADTEACHER),
        planned=planned,
        school_channel=school_channel,
        declared=not with_family_only and _declared(requester, pupil, kind, on),
        parent_agreed_mode=not with_family_only and kind in pupil.agreed_contact_modes,
    )


def assess_contact(*, requester: Staff, pupils: list[Pupil], **answers: Any) -> Assessment:
    """The assessment of one contact with one or more pupils (strictest over them all)."""
    if not pupils:
        raise ValidationError({"pupils": "Choose at least one pupil."})
    settings = engine_settings_for(requester.school)
    return combine(
        [assess(contact_facts(requester=requester, pupil=p, **answers), settings) for p in pupils]
    )
