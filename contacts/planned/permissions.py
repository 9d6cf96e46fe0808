"""What a person may do with a planned-contact request now, worked out in one place.

`allowed_actions` answers for the request page (which forms to offer) and for every transition
service (what to refuse), so the page never offers what the service would refuse. Each action
has two tests: who the person is (refused with PermissionDenied) and the state the request is in
(refused with a ValidationError that says why).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from contacts.people.models import Staff
from contacts.planned import workflow
from contacts.planned.models import EDITABLE, TRANSITIONS, ContactRequest, Route, Status
from contacts.planned.selectors import MONITORED, can_read_request
from contacts.planned.selectors import monitors as monitors_request
from safeguard.core import roles
from safeguard.core.roles import Role

# The past participle of each transition, for the sentence that refuses it.
ACTION_WORDS = {
    "submit": "submitted",
    "approve": "approved",
    "reject": "rejected",
    "ask": "sent back for more information",
    "withdraw": "withdrawn",
    "complete": "completed",
    "cancel": "cancelled",
}

# The three answers of the person who decides.
DECISIONS = ("approve", "reject", "ask")

NOT_THE_REQUESTER = "Only the member of staff who made the request can do this."

# Refused to a decider until a consultation about the request is recorded (000 §contact with
# former pupils: the head contacts the LADO about a close relationship with an ex-pupil).
LADO_FIRST = (
    "Consult the LADO before you approve or reject this request: a close relationship with a "
    "former pupil is decided only once a LADO consultation about it is recorded, since it was "
    "last sent. You may still ask the member of staff for more information."
)


@dataclass(frozen=True)
class Refusal:
    """Why an action is refused: who the person is, or the state the request is in (or none)."""

    person: str = ""
    state: str = ""


@dataclass(frozen=True)
class RequestActions:
    """One person's rights over one request as it stands: flags for the page and the services."""

    is_requester: bool
    # The capacity in which the person decides the request ("headteacher"...), or "".
    decides_as: str
    # The requester's line manager, who monitors approved contact.
    monitors: bool
    can_read: bool
    can_edit: bool
    can_submit: bool
    can_withdraw: bool
    can_decide: bool
    can_refer: bool
    can_complete: bool
    can_cancel: bool
    can_note: bool
    can_review: bool
    can_ask: bool
    # The plan of involvement: the requester logs its sessions; whoever decides the request
    # reviews it (continue, change or end).
    can_log_session: bool
    can_review_plan: bool
    # Why the decider may not approve or reject yet (the LADO first), for the page to say; "".
    decision_waits: str
    refusals: Mapping[str, Refusal] = field(repr=False, compare=False)

    def require_person(self, action: str) -> None:
        """Refuse someone who may never do this to the request, whatever its state."""
        if self.refusals[action].person:
            raise PermissionDenied(self.refusals[action].person)

    def require_state(self, action: str) -> None:
        """Refuse an action the request's current state does not allow, saying why."""
        if self.refusals[action].state:
            raise ValidationError(self.refusals[action].state)

    def require(self, action: str) -> None:
        self.require_person(action)
        self.require_state(action)


def _unless(allowed: bool, why: str) -> str:
    return "" if allowed else why


def _transition(contact_request: ContactRequest, action: str) -> str:
    """Why the declared workflow has no such move from the current state, or ""."""
    return _unless(
        (contact_request.status, action) in TRANSITIONS,
        f"This request is “{contact_request.get_status_display().lower()}”, so it cannot be "
        f"{ACTION_WORDS[action]}.",
    )


def _lado_missing(contact_request: ContactRequest) -> bool:
    # Read only for the requests that need it: every other request asks nothing more.
    if not contact_request.needs_lado:
        return False
    # Advice recorded before the request was last sent was on the request as it then was: sent
    # back for more information, its requester may have changed anything, the pupil included.
    advice = contact_request.lado_referrals.all()
    if contact_request.submitted_at is not None:
        advice = advice.filter(created_at__gte=contact_request.submitted_at)
    return not advice.exists()


def _plan_refusal(contact_request: ContactRequest, *, none: str, ended: str, other: str) -> str:
    """Why nothing can be done under the request's plan now, or ""."""
    if not contact_request.has_plan:
        return none
    if contact_request.plan_ended_at is not None:
        when = timezone.localtime(contact_request.plan_ended_at)
        return f"The plan was ended at its review on {when:%d %b %Y}: {ended}"
    return _unless(contact_request.plan_is_live, other)


def _state_refusals(contact_request: ContactRequest) -> dict[str, str]:
    status = contact_request.status
    refusals = {action: _transition(contact_request, action) for action in ACTION_WORDS}
    started = contact_request.starts_at <= timezone.now()
    lado = _unless(status != Status.SUBMITTED or not _lado_missing(contact_request), LADO_FIRST)
    return refusals | {
        "approve": refusals["approve"] or lado,
        "reject": refusals["reject"] or lado,
        "edit": _unless(
            status in EDITABLE, "Only a draft, or a request sent back to you, can be changed."
        ),
        "complete": refusals["complete"]
        or _unless(
            not contact_request.has_plan,
            "This contact has a plan of involvement: log each session under it instead. The "
            "plan ends when a review ends it.",
        )
        or _unless(started, "The outcome can be recorded once the contact has taken place."),
        "log_session": _plan_refusal(
            contact_request,
            none="This request has no plan of involvement: record its outcome instead.",
            ended="no more sessions are logged under it.",
            other="Sessions are logged only under an approved plan of involvement.",
        ),
        "review_plan": _plan_refusal(
            contact_request,
            none="This request has no plan of involvement to review.",
            ended="it is not reviewed again.",
            other="Only an approved plan of involvement is reviewed.",
        ),
        "refer": _unless(
            status == Status.SUBMITTED, "Only a request waiting for a decision can be referred."
        ),
        "note": _unless(
            status != Status.DRAFT, "Notes are added once the request has been submitted."
        ),
        "review": _unless(
            status in (Status.APPROVED, Status.COMPLETED),
            "Only approved or completed contact is reviewed.",
        )
        or _unless(
            contact_request.reviewed_at is None, "This request has already been marked reviewed."
        ),
    }


def allowed_actions(user: Staff, contact_request: ContactRequest) -> RequestActions:
    """What `user` may do with the request now. The services call it on the locked row."""
    same_school = user.school_id == contact_request.school_id
    is_requester = user.pk == contact_request.requester_id
    decides_as = workflow.decider_role(user, contact_request) or ""
    monitors = monitors_request(user, contact_request)
    can_read = can_read_request(user, contact_request)
    # The line manager sees, and so notes, only the contact they monitor.
    monitoring = monitors and contact_request.status in MONITORED
    comments = is_requester or monitoring or bool(decides_as)
    comments = comments or roles.has_role(user, roles.SENIOR_LEADERS)
    is_head = same_school and roles.has_role(user, Role.HEADTEACHER)
    refers = bool(decides_as) and workflow.route_now(contact_request) == Route.HEADTEACHER
    person = {
        "edit": _unless(is_requester, NOT_THE_REQUESTER),
        "submit": _unless(is_requester, NOT_THE_REQUESTER),
        "withdraw": _unless(is_requester, NOT_THE_REQUESTER),
        "complete": _unless(is_requester, NOT_THE_REQUESTER),
        "cancel": _unless(
            is_requester or is_head, "Only the requester or the headteacher can cancel it."
        ),
        "refer": _unless(refers, "Only the person deciding this request can refer it."),
        "note": _unless(
            same_school and can_read and comments, "You cannot add notes to this request."
        ),
        "review": _unless(monitors, "Only the requester's line manager reviews their contact."),
        "log_session": _unless(is_requester, NOT_THE_REQUESTER),
        "review_plan": _unless(
            bool(decides_as), "Only the person who decides this request reviews its plan."
        ),
    }
    for decision in DECISIONS:
        person[decision] = _unless(bool(decides_as), "You cannot decide this request.")
    state = _state_refusals(contact_request)
    refusals = {action: Refusal(person[action], state[action]) for action in person}

    def can(action: str) -> bool:
        return refusals[action] == Refusal()

    waits = refusals["approve"].state if refusals["approve"].state == LADO_FIRST else ""

    return RequestActions(
        is_requester=is_requester,
        decides_as=decides_as,
        monitors=monitors,
        can_read=can_read,
        can_edit=can("edit"),
        can_submit=can("submit"),
        can_withdraw=can("withdraw"),
        can_decide=can("approve"),
        can_refer=can("refer"),
        can_complete=can("complete"),
        can_cancel=can("cancel"),
        can_note=can("note"),
        can_review=can("review"),
        can_ask=can("ask"),
        can_log_session=can("log_session"),
        can_review_plan=can("review_plan"),
        decision_waits="" if refusals["approve"].person else waits,
        refusals=MappingProxyType(refusals),
    )
