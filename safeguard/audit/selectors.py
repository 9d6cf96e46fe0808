"""Reading the audit trail: an object's history and who has seen it, and the school's trail as
the headteacher and the chair of governors may see it, row by row in words.

What a reader may not learn from the trail depends on objects other apps own (a confidential
concern's reporter is kept from everyone but its case manager, a concern about the reader is
kept from them). This package imports nothing of those apps: each registers a `TrailPrivacy`
when Django starts (`register_trail_privacy`, from its AppConfig.ready), and the selectors
here ask every registered one. The events themselves need no change, and the trail keeps
knowing nothing of concerns.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from safeguard.audit.chain import TRAIL_WIDE
from safeguard.audit.checkpoints import Checkpoint
from safeguard.audit.models import AuditCheck, AuditCheckpoint, AuditEvent
from safeguard.audit.vocabulary import ACCOUNT_PREFIX, READS, SEEN, action_words, state_words
from safeguard.core.roles import AUDIT_READERS, Role, has_role

# How many of the latest views "Who has seen this" lists on an object's page: who has looked
# lately. Every earlier view is in the audit trail and its export; a pupil's file is opened
# often enough that a longer list would be most of the page, and of the time it takes.
SEEN_BY_SHOWN = 20
ROLE_WORDS: dict[str, str] = dict(Role.choices) | {"system": "The system"}
WITHHELD = "Name withheld"
SYSTEM = "The system"

# An object as events name it: (object_type, object_id), e.g. ("contacts.boundaryconcern", "7").
ObjectKey = tuple[str, str]


def audit_history(obj: Any) -> QuerySet[AuditEvent]:
    """The events about one object, oldest first (for its page's history)."""
    return (
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .select_related("actor")
        .order_by("id")
    )


def last_change(school_id: int) -> int:
    """The id of the school's latest event that changed something (not a read, a copy out or a
    sign-in): a version of the school's data, under which panels costly to work out are kept
    (`kept_panels`). Every change is audited in the same
    transaction, so any change gives a new version. One step down `audit_school_changes_idx`."""
    latest = _changes(school_id).order_by("-id").values_list("id", flat=True).first()
    return latest or 0


def last_change_of(school: OuterRef) -> Coalesce:
    """`last_change` as an expression, for reading it in the same statement as what a kept
    answer is worked out from (the signed-in person, their roles and relationships)."""
    latest = _changes(school).order_by("-id").values("id")[:1]
    return Coalesce(Subquery(latest), 0, output_field=IntegerField())


def _changes(school_id: int | OuterRef) -> QuerySet[AuditEvent]:
    """The school's events that changed something (`audit_school_changes_idx`)."""
    return (
        AuditEvent.objects.filter(school_id=school_id)
        .exclude(action__in=READS)
        .exclude(action__startswith=ACCOUNT_PREFIX)
    )


def changes_between(
    school_id: int, after: int, upto: int, *, limit: int
) -> list[tuple[str, str, str]] | None:
    """(action, object_type, object_id) of the school's changes after the version `after` up to
    `upto` (`last_change`), oldest first; None when there are more than `limit`. For bringing a
    kept answer up to date rather than working it out again. Each school's events are appended
    under its chain lock, held until they commit, so nothing can still commit below `upto`."""
    rows = (
        _changes(school_id)
        .filter(id__gt=after, id__lte=upto)
        .order_by("id")
        .values_list("action", "object_type", "object_id")
    )
    found = list(rows[: limit + 1])
    return None if len(found) > limit else found


# How long a kept answer stays in the cache: a week, so that Monday's first opening brings
# Friday's up to date rather than working it out again.
KEPT_FOR = 7 * 24 * 60 * 60


# A change as `changes_between` reads it: (action, object type, object id).
Change = tuple[str, str, str]
# The kinds of change whose every effect on a kept panel the panel declares (`Panel.changed_by`):
# the entries, their alerts and cases, and the policies. Any other change (staff, roles,
# relationships, pupils, the school's settings, the head's absence, retention) may change what
# anyone sees: then every panel is worked out again.
FOLLOWED = ("request.", "record.", "disclosure.", "concern.", "lado.", "alert.", "case.", "policy.")
# More changes than this since a kept answer (an import, say): worked out again, not followed.
CATCH_UP_LIMIT = 100


@dataclass(frozen=True)
class Panel:
    """A part of a page kept until the school's data changes (`kept_panels`). `work_out` gives
    it afresh; `changed_by` names the kinds of change (action prefixes, of FOLLOWED) that can
    change it; `catch_up(kept, changes)`, if given, brings a kept answer up to date from those
    changes, or says it cannot (None). A panel is worked out again each day unless it has
    `next_day(kept)`, which brings an answer kept on an earlier day to today (or says it
    cannot), before any changes since are caught up."""

    work_out: Callable[[], Any]
    changed_by: tuple[str, ...] = ()
    catch_up: Callable[[Any, list[Change]], Any | None] | None = None
    next_day: Callable[[Any], Any | None] | None = None


@dataclass(frozen=True)
class _Kept:
    at: int  # the school's version they were worked out at (`last_change`)
    day: dt.date  # the day they were kept for (read before they were worked out)
    generation: int  # `KEPT_GENERATION` when they were worked out
    panels: dict[str, Any]


# Part of every kept answer's key: raised whenever `_Kept` changes, so that an upgrade never
# reads (unpickles) one of an older shape.
KEPT_SHAPE = 3
# Every kept answer was worked out in a generation; raising it (`kept_panels_forget`: after an
# upgrade, a fix made outside the app, a database restored) has each worked out afresh.
KEPT_GENERATION = "kept:generation"


def kept_panels(
    *, school_id: int, key: str, panels: dict[str, Panel], version: int | None = None
) -> dict[str, Any]:
    """Each panel's answer, kept in the cache (`key` names whose they are, with a version of
    their shape, raised whenever what is kept changes). When the school's data has changed
    since, the changes are read and only the panels they can change are worked out again (or
    brought up to date); a change outside FOLLOWED, or too many, has every panel worked out
    again. On a new day each panel is brought to today (`Panel.next_day`) or worked out again.
    For answers that change only by an audited change or by the date, never by the hour.
    `version` is the school's `last_change`, if the caller has read it (with what the panels
    are worked out from, so that it is never newer than they are).

    A change made outside the app is not audited, so it is not seen: `kept_panels_forget`
    (`manage.py migrate` runs it, and `manage.py forget_kept_panels`) has every answer worked
    out afresh."""
    version = last_change(school_id) if version is None else version
    # Read before any panel is worked out, so never a day later than what they read.
    today = timezone.localdate()
    where = f"{key}:{KEPT_SHAPE}"
    found = cache.get_many([where, KEPT_GENERATION])
    generation = found.get(KEPT_GENERATION, 0)
    kept = found.get(where)
    if (
        not isinstance(kept, _Kept)
        or kept.generation != generation
        or kept.panels.keys() != panels.keys()
        or kept.at > version
        or kept.day > today  # the clock or the school's time zone set back
    ):
        kept = None
    if kept is not None and kept.at == version and kept.day == today:
        return dict(kept.panels)
    answers = _caught_up(school_id, kept, version, today, panels) if kept is not None else None
    if answers is None:
        answers = {name: panel.work_out() for name, panel in panels.items()}
    cache.set(where, _Kept(version, today, generation, answers), KEPT_FOR)
    return dict(answers)


def _caught_up(
    school_id: int, kept: _Kept, version: int, today: dt.date, panels: dict[str, Panel]
) -> dict[str, Any] | None:
    changes: list[Change] | None = []
    if kept.at < version:
        changes = changes_between(school_id, kept.at, version, limit=CATCH_UP_LIMIT)
    if changes is None or not all(action.startswith(FOLLOWED) for action, _, _ in changes):
        return None
    answers = dict(kept.panels)
    for name, panel in panels.items():
        if kept.day != today:
            carried = panel.next_day(answers[name]) if panel.next_day else None
            if carried is None:
                answers[name] = panel.work_out()  # as of now: the changes are in it
                continue
            answers[name] = carried
        touching = [change for change in changes if change[0].startswith(panel.changed_by)]
        if not touching:
            continue
        caught = panel.catch_up(answers[name], touching) if panel.catch_up else None
        answers[name] = panel.work_out() if caught is None else caught
    return answers


def audit_seen_by(obj: Any) -> QuerySet[AuditEvent]:
    """The view events for one object (its page opened, its attachment downloaded, it exported),
    newest first, each with its actor loaded (`actor`, `actor_role`, `action`, `created_at`):
    who has seen this, how, and when."""
    return (
        AuditEvent.objects.filter(
            action__in=SEEN, object_type=obj._meta.label_lower, object_id=str(obj.pk)
        )
        .select_related("actor")
        .order_by("-id")
    )


def role_words(code: str) -> str:
    """An acting role as people say it ("dsl" is "Designated safeguarding lead")."""
    return ROLE_WORDS.get(code, code) or "No role"


def seen_by_panel(obj: Any, *, limit: int = SEEN_BY_SHOWN) -> dict[str, Any]:
    """The latest views of one object for its page, in one query: rows of (who, role in
    words, when, what they did in words), newest first, and whether older views were left off."""
    # Only what the panel shows: not the events' reasons, nor the rest of each reader's row.
    shown = audit_seen_by(obj).only(
        "actor_role", "action", "created_at", "actor__first_name", "actor__last_name"
    )
    events = list(shown[: limit + 1])
    return {
        "rows": [
            (e.actor, role_words(e.actor_role), e.created_at, action_words(e.action))
            for e in events[:limit]
        ],
        "more": len(events) > limit,
    }


# --- What a reader may not learn: registered by the apps that know ----------------------------


@dataclass(frozen=True)
class TrailPrivacy:
    """What one app keeps from a reader of the trail.

    `withheld(user)`: the objects whose events by a given actor must show "Name withheld" to
    the user, {(object_type, object_id): that actor's id}. `hidden(user)`: the objects whose
    events the user may not see at all, {object_type: [object ids]}.
    """

    withheld: Callable[[Any], dict[ObjectKey, int]]
    hidden: Callable[[Any], dict[str, list[str]]]


_PRIVACY: list[TrailPrivacy] = []


def register_trail_privacy(privacy: TrailPrivacy) -> None:
    """Called from an AppConfig.ready(); registering the same one again changes nothing."""
    if privacy not in _PRIVACY:
        _PRIVACY.append(privacy)


def withheld_reporters(user: Any) -> dict[ObjectKey, int]:
    """The objects whose events by one actor must show "Name withheld" to the user (for the
    concerns app: confidential concerns whose reporter the user may not know)."""
    withheld: dict[ObjectKey, int] = {}
    for privacy in _PRIVACY:
        withheld.update(privacy.withheld(user))
    return withheld


def hidden_from(user: Any) -> dict[str, list[str]]:
    """Objects whose events the user may not see in the trail, by object type (for the
    concerns app: concerns and LADO referrals about the user, but for their own)."""
    hidden: dict[str, list[str]] = defaultdict(list)
    for privacy in _PRIVACY:
        for object_type, object_ids in privacy.hidden(user).items():
            hidden[object_type].extend(object_ids)
    return dict(hidden)


def is_withheld(event: Any, withheld: dict[ObjectKey, int]) -> bool:
    """Whether this event's actor is someone the reader may not know (a confidential
    reporter, about their concern)."""
    return (
        event.actor_id is not None
        and withheld.get((event.object_type, event.object_id)) == event.actor_id
    )


# --- The audit trail page and its export ----------------------------------------------------


_DAY = dt.timedelta(days=1)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _trail_of(user: Any) -> QuerySet[AuditEvent]:
    """The events the user may see in the trail, before any filter."""
    if not has_role(user, AUDIT_READERS):
        return AuditEvent.objects.none()
    rows = AuditEvent.objects.filter(school_id=user.school_id)
    for object_type, object_ids in hidden_from(user).items():
        if object_ids:
            rows = rows.exclude(object_type=object_type, object_id__in=object_ids)
    return rows


def audit_events_for(
    user: Any,
    *,
    withheld: dict[ObjectKey, int],
    person: Any = None,
    action: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """The events of the user's school, newest first, narrowed by the audit page's filters.

    Nothing for anyone but the headteacher and the chair of governors; never the events about an
    object hidden from the reader (`hidden_from`). Filtering by a person never matches the
    events in which their name is withheld (that would name them).
    """
    rows = _trail_of(user)
    if person is not None:
        rows = rows.filter(actor_id=person.pk)
        hidden: dict[str, list[str]] = defaultdict(list)
        for (object_type, object_id), actor_id in withheld.items():
            if actor_id == person.pk:
                hidden[object_type].append(object_id)
        for object_type, object_ids in hidden.items():
            rows = rows.exclude(object_type=object_type, object_id__in=object_ids)
    if action:
        rows = rows.filter(action=action)
    # A bound on the calendar's first or last days narrows nothing, and converting it to UTC
    # could overflow; it is left out.
    if date_from is not None and date_from > dt.date.min + _DAY:
        rows = rows.filter(created_at__gte=_start_of(date_from))
    if date_to is not None and date_to < dt.date.max - _DAY:
        rows = rows.filter(created_at__lt=_start_of(date_to + _DAY))
    return rows.select_related("actor").order_by("-created_at", "-id")


def audit_action_present(user: Any, action: str) -> bool:
    """Whether the action code occurs in the trail the user may see (one indexed lookup)."""
    return _trail_of(user).filter(action=action).exists()


def audit_actions_for(user: Any) -> list[str]:
    """The action codes present in the user's school's trail, for the filter."""
    rows = _trail_of(user).values_list("action", flat=True)
    return list(rows.order_by("action").distinct())


def latest_check(user: Any) -> AuditCheck | None:
    """The latest chain check the user's school may see: its own staff's, and the verify_audit
    command's (the installation's own check, which names nobody). Checks run at another school
    are that school's business."""
    own = Q(school_id=user.school_id) | Q(school__isnull=True, ran_by__school_id=user.school_id)
    return (
        AuditCheck.objects.filter(own | Q(ran_by__isnull=True))
        .select_related("ran_by")
        .defer("blocks")
        .order_by("-id")  # not by time: a check's time is what its inserter said (on SQLite)
        .first()
    )


@dataclass(frozen=True)
class SchoolCheck:
    """A kept chain check as one school may read it: the problems in its own chain (another
    school's chain is that school's business, and cannot hide a change to this one). No count
    of events: a reader from whom the trail hides some would learn that they exist."""

    check: AuditCheck
    problems: int  # in this school's chain
    first_problem: str  # the first of them, or what the trail as a whole lacks

    @property
    def intact(self) -> bool:
        return self.problems == 0


def school_check(check: AuditCheck, school_id: int) -> SchoolCheck:
    """`check` read for one school (`AuditCheck.by_school`)."""
    if not check.by_school:  # kept before each school's share was: nothing to count by
        return SchoolCheck(check, check.problems, check.first_problem)
    own = check.by_school.get(str(school_id), {})
    trail = check.by_school.get(TRAIL_WIDE, {})
    problems = own.get("problems", 0) + trail.get("problems", 0)
    return SchoolCheck(
        check,
        problems=problems,
        first_problem=own.get("first_problem") or trail.get("first_problem", ""),
    )


def _who(
    event: Any, withheld: dict[ObjectKey, int], *, pseudonymous: bool, names: dict | None
) -> str:
    if is_withheld(event, withheld):
        return WITHHELD
    if event.actor_id is None:
        return SYSTEM
    if pseudonymous:
        return f"STAFF-{event.actor_id}"
    return event.actor.full_name if names is None else names[event.actor_id]


def _role(event: Any, withheld: dict[ObjectKey, int]) -> str:
    # A role can name someone as surely as their name (there is one administrator).
    return "Withheld" if is_withheld(event, withheld) else role_words(event.actor_role)


# The page each kind of object is read on, by URL name (the trail names no other subject's code):
# a reference on the trail links there, and that page decides whether this reader may open it.
OBJECT_PAGES = {
    "contacts.alert": "alert_detail",
    "contacts.boundaryconcern": "concern_detail",
    "contacts.contactrecord": "record_detail",
    "contacts.contactrequest": "request_detail",
    "contacts.disclosure": "disclosure_detail",
    "contacts.ladoreferral": "lado_detail",
    "contacts.pupil": "pupil_detail",
    "contacts.staff": "staff_detail",
    "policies.policy": "policy_detail",
}


def object_url(object_type: str, object_id: str) -> str:
    """The page an event's object is read on, or "" for one with no page of its own."""
    name = OBJECT_PAGES.get(object_type)
    if name is None or not str(object_id).isdigit():
        return ""
    return reverse(name, args=[int(object_id)])


def trail_row(
    event: Any,
    withheld: dict[ObjectKey, int],
    *,
    pseudonymous: bool,
    names: dict | None = None,
) -> dict[str, Any]:
    """One event as the trail shows it, in words: who (withheld, or a pseudonymous STAFF-n for
    a governor's export), their role, the action and states in words. `event` is an
    AuditEvent, or a row with its fields (`names` then gives the actors' names by id)."""
    return {
        "id": event.pk,
        "when": timezone.localtime(event.created_at),
        "who": _who(event, withheld, pseudonymous=pseudonymous, names=names),
        "role": _role(event, withheld),
        "action": action_words(event.action),
        "ref": event.object_ref,
        "from_state": state_words(event.from_state),
        "to_state": state_words(event.to_state),
        "reason": event.reason,
    }


# --- signed checkpoints -----------------------------------------------------------------------


def as_checkpoint(row: AuditCheckpoint) -> Checkpoint:
    return Checkpoint(
        school=row.school_id,
        school_name=row.school_name,
        event=row.event_id,
        hash=row.event_hash,
        events=row.events,
        at=row.signed_at,
        key=row.key_id,
        signature=row.signature,
    )


def latest_checkpoint(school_id: int) -> Checkpoint | None:
    """The school's newest kept checkpoint, for its audit page and governors' report."""
    row = AuditCheckpoint.objects.filter(school_id=school_id).first()
    return None if row is None else as_checkpoint(row)
