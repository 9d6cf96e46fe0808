"""Whose attention an alert needs now, and which alerts a person sees: the Needs attention page,
the dashboard panel and every alert page read through here.

The owner is a role, resolved when read: the DSL's alerts to the DSL and the headteacher, and to
a deputy DSL once an alert has escalated to them (or while the school has no active DSL); the
headteacher's to the head, or the deputy head while the head is recorded absent (the assistant
head for the restricted family-liaison log); the chair's to the chair, with those about a
concern that went to the chair after it was raised. Nobody acts on an alert about their own
record or a concern about themself, nor on the record of, a concern about or a request of a
colleague they declared a relationship with (003 §3).
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from contacts.alerts.models import Alert, AlertStatus, Owner
from contacts.concerns.selectors import whistleblowing_kept_by
from contacts.people import selectors as people_selectors
from contacts.people.models import Staff
from contacts.planned.workflow import head_absent
from safeguard.core import roles
from safeguard.core.roles import Role


def _school_has_dsl(school_id: int) -> bool:
    return Staff.objects.filter(
        school_id=school_id, is_active=True, role_assignments__role=Role.DSL
    ).exists()


def _reach(user: Staff) -> Q | None:
    """The alerts this person may act on, as a filter (None: none at all)."""
    held = roles.roles_of(user)
    owned: list[Q] = []
    if Role.DSL in held or Role.HEADTEACHER in held:
        owned.append(Q(owner=Owner.DSL))
    elif Role.DEPUTY_DSL in held:
        if _school_has_dsl(user.school_id):
            owned.append(Q(owner=Owner.DSL, escalation_level__gte=1))
        else:
            owned.append(Q(owner=Owner.DSL))
    absent = bool(held & roles.HEAD_STAND_INS) and head_absent(user.school_id)
    # The restricted family-liaison log is the head's and the assistant head's alone (002): while
    # the head is away its alerts go to the assistant head, the rest to the deputy.
    restricted = Q(record__restricted=True) | Q(request__restricted=True)
    # A concern about someone related to the head went to the chair, even if the relationship
    # was declared after it was raised (contacts.concerns.selectors.routed_to).
    chairs_concern = Q(
        concern__subject_id__in=people_selectors.related_to_a_head_ids(user.school_id)
    )
    heads = Q(owner=Owner.HEADTEACHER) & ~chairs_concern
    if Role.HEADTEACHER in held:
        owned.append(heads)
    else:
        if Role.DEPUTY_HEAD in held and absent:
            owned.append(heads & ~restricted)
        if Role.ASSISTANT_HEAD in held and absent:
            owned.append(heads & restricted)
    if Role.CHAIR_OF_GOVERNORS in held:
        owned.append(Q(owner=Owner.CHAIR_OF_GOVERNORS))
        owned.append(Q(owner=Owner.HEADTEACHER) & chairs_concern)
    kept = whistleblowing_kept_by(user)
    if kept:
        owned.append(Q(owner=Owner.WHISTLEBLOWING, concern_id__in=kept))
    if Role.DEPUTY_HEAD in held and absent:
        # A child-protection case that went up to the head's side reaches the acting head.
        owned.append(Q(owner=Owner.DSL, escalation_level__gte=2))
    if not owned:
        return None
    reach = owned[0]
    for more in owned[1:]:
        reach |= more
    return reach


def alerts_for(user: Staff) -> QuerySet[Alert]:
    """Every alert this person may act on, open or closed, at their school."""
    reach = _reach(user)
    if reach is None:
        return Alert.objects.none()
    # Nor on the record of, a concern about, or a request of, a colleague they declared a
    # relationship with (003 §3).
    related = people_selectors.related_colleague_ids(user.pk)
    return (
        Alert.objects.filter(school_id=user.school_id)
        .filter(reach)
        .exclude(record__author_id=user.pk)
        .exclude(concern__subject_id=user.pk)
        .exclude(request__requester_id=user.pk)
        .exclude(record__author_id__in=related)
        .exclude(concern__subject_id__in=related)
        .exclude(request__requester_id__in=related)
        .select_related("disclosure__pupil", "record", "concern", "acknowledged_by", "closed_by")
    )


def open_alerts_for(user: Staff) -> QuerySet[Alert]:
    return alerts_for(user).exclude(status=AlertStatus.CLOSED).order_by("raised_at", "pk")


def first_open_alerts(user: Staff, count: int) -> list[Alert]:
    """The oldest open alerts for the dashboard's list, with only what a line of it shows (the
    kind of disclosure): fewer joins for the database to plan on every opening."""
    rows = open_alerts_for(user).select_related(None).select_related("disclosure")
    # Only what a line shows: the dashboard keeps it in the cache, never a disclosure's account.
    shown = ("status", "raised_at", "record_id", "request_id", "concern_id")
    return list(rows.only(*shown, "disclosure__disclosure_type")[:count])


def attention_counts(user: Staff) -> dict[str, int]:
    """How many alerts are new and how many are open, for the dashboard panel and the menu."""
    # Both in one query.
    return (
        open_alerts_for(user)
        .order_by()
        .aggregate(new=Count("pk", filter=Q(status=AlertStatus.NEW)), open=Count("pk"))
    )


def may_act(user: Staff, alert: Alert) -> bool:
    """Whether this person is one of those the alert needs now."""
    return alerts_for(user).filter(pk=alert.pk).exists()
