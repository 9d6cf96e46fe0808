"""The audit trail: every service writes one event per change, inside its own transaction.

Each event carries the SHA-256 of the one before it, so `verify_audit` can tell when a row
was changed or removed behind the application's back.
"""

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from json.encoder import encode_basestring
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Max, Min
from django.utils import timezone

from safeguard.audit.models import AuditCheck, AuditEvent
from safeguard.core.bulk import insert_rows
from safeguard.core.models import School
from safeguard.core.roles import Role, acting_role, has_role

GENESIS = "0" * 64
# The action of an event that says somebody opened an object's page (audit_view).
VIEW = "view"
# How many of the latest views "Who has seen this" lists on an object's page.
SEEN_BY_SHOWN = 50
# Who may read "Who has seen this" on a pupil's page and a disclosure. A concern's list is
# its case manager's alone (a concern is never shown to the DSL as such).
SEEN_BY_READERS = frozenset({Role.HEADTEACHER, Role.DSL})
# Who may read the school's audit trail, export it and run the chain check.
AUDIT_READERS = frozenset({Role.HEADTEACHER, Role.CHAIR_OF_GOVERNORS})
CONCERN_TYPE = "contacts.boundaryconcern"
LADO_TYPE = "contacts.ladoreferral"
ROLE_WORDS: dict[str, str] = dict(Role.choices) | {"system": "The system"}
# Any fixed number: serialises writers of the chain on PostgreSQL.
_CHAIN_LOCK_KEY = 7_261_830_451


def _digest(
    school_id: int,
    actor_id: int | None,
    actor_role: str,
    action: str,
    object_type: str,
    object_id: str,
    object_ref: str,
    from_state: str,
    to_state: str,
    reason: str,
    created_at: dt.datetime,
    prev_hash: str,
) -> str:
    """The SHA-256 of an event's canonical JSON: its fields by name in sorted order, no spaces,
    non-ASCII as is, the time in UTC. Written out rather than built with json.dumps(payload,
    sort_keys=True, separators=(",", ":"), ensure_ascii=False), which gives the same text
    (tests/test_audit.py checks this) at a third of the cost: the chain checks hash every
    event in turn."""
    s = encode_basestring
    actor = "null" if actor_id is None else int(actor_id)
    canonical = (
        f'{{"action":{s(action)},"actor":{actor},"actor_role":{s(actor_role)},'
        f'"created_at":{s(created_at.astimezone(UTC).isoformat())},'
        f'"from_state":{s(from_state)},"object_id":{s(object_id)},"object_ref":{s(object_ref)},'
        f'"object_type":{s(object_type)},"prev_hash":{s(prev_hash)},"reason":{s(reason)},'
        f'"school":{int(school_id)},"to_state":{s(to_state)}}}'
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def event_hash(event: AuditEvent) -> str:
    return _digest(*(getattr(event, name) for name in _HASHED))


# The fields an event's hash covers, in `_digest`'s order.
_HASHED = (
    "school_id",
    "actor_id",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "object_ref",
    "from_state",
    "to_state",
    "reason",
    "created_at",
    "prev_hash",
)


def _lock_chain() -> None:
    # SQLite takes its write lock at BEGIN (transaction_mode IMMEDIATE in settings).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def audit_record(
    *,
    actor: Any,
    school: School,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    object_ref: str = "",
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
) -> AuditEvent:
    """Append one event. Must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the service's transaction")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_ref = object_ref or getattr(obj, "audit_ref", f"{obj._meta.model_name}-{obj.pk}")
    _lock_chain()
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    event = AuditEvent(
        school=school,
        actor=actor,
        actor_role=acting_role(actor) if actor is not None else "system",
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_ref=object_ref,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        created_at=timezone.now(),
        prev_hash=last or GENESIS,
    )
    event.hash = event_hash(event)
    event.save(force_insert=True)
    return event


# The columns `audit_append_many` writes, in order (everything but the id).
APPENDED = (*_HASHED, "hash")


def audit_append_many(events: Iterable[Any], *, batch_size: int = 2000) -> int:
    """Append prepared events, in the order given, to the chain: each one's `prev_hash` and
    `hash` are set here, continuing from the current head. For bulk loads that date their
    events themselves (`seed_bench`); the application's own writes use `audit_record`.

    `events` are unsaved AuditEvents, or any objects with the same attributes (`school_id`,
    `actor_id`, ..., `created_at`), so that a load of a million need not build a model
    instance for each. They are hashed with `event_hash` and inserted in that order, so ids
    follow the chain. Takes the chain lock and reads the head as `audit_record` does: it must
    run inside the caller's transaction. Returns how many were written.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_append_many must run inside the caller's transaction")
    _lock_chain()
    head = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    written = 0

    def chained():
        nonlocal written
        prev = head or GENESIS
        for event in events:
            event.prev_hash = prev
            event.hash = prev = event_hash(event)
            written += 1
            yield tuple(getattr(event, name) for name in APPENDED)

    insert_rows(AuditEvent, APPENDED, chained(), batch_size=batch_size)
    return written


@dataclass(frozen=True)
class ChainProblem:
    event_id: int | None
    message: str


# On PostgreSQL a full check also keeps, for each block of CHAIN_BLOCK consecutive event ids it
# found intact, how many events the block held, and which transactions had not finished when it
# began (`xmax`: the first transaction id not yet given out; `running`: those given out but still
# running). Every row PostgreSQL writes carries the id of the transaction that wrote it
# (`xmin`); changing a row writes a new version of it, with a new `xmin`. So a block holding as
# many events as it did, none written by a transaction unfinished when the check began, holds
# exactly the rows the check hashed, however it might have been changed since (triggers lifted
# or not): its events need not be hashed again (`audit_verify_period`).
CHAIN_BLOCK = 1000
_BLOCKS_SQL = """
    SELECT id / %s,
           count(*),
           count(*) FILTER (WHERE age(xmin) <= age(%s::xid) OR xmin = ANY(%s::xid[])),
           count(*) FILTER (WHERE id BETWEEN %s AND %s)
    FROM safeguard_auditevent
    WHERE id >= %s AND id < %s
    GROUP BY 1
"""
# What a chain check reads of each event: its id, the hashed fields in `_digest`'s order, and
# its hash.
_ROW = ("id", *_HASHED, "hash")


def _rows(events, batch_size: int) -> Iterator[tuple]:
    return events.order_by("id").values_list(*_ROW).iterator(chunk_size=batch_size)


def _unfinished_transactions() -> dict | None:
    """PostgreSQL: the transactions not finished now, as a snapshot sees them: `xmax`, the
    first id not yet given out, and `running`, those given out but not finished (64-bit ids,
    with their epoch)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_snapshot_xmax(s)::text, ARRAY(SELECT x::text FROM pg_snapshot_xip(s) x)"
            " FROM pg_current_snapshot() AS s"
        )
        xmax, running = cursor.fetchone()
    return {"xmax": int(xmax), "running": [int(xid) for xid in running]}


def _xid32(xid: int) -> str:
    """A 64-bit transaction id as a row's `xmin` holds it (the low 32 bits)."""
    return str(xid % 2**32)


def _walk_chain(batch_size: int) -> tuple[list[ChainProblem], int, dict[str, int]]:
    """Every problem in the chain, how many events were read to find them, and how many events
    each block (`CHAIN_BLOCK`) found intact holds."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    checked = 0
    counts: dict[int, int] = defaultdict(int)
    broken: set[int] = set()
    for row in _rows(AuditEvent.objects.all(), batch_size):
        event_id, fields, stored = row[0], row[1:13], row[13]
        checked += 1
        counts[event_id // CHAIN_BLOCK] += 1
        if fields[-1] != expected_prev:
            broken.add(event_id // CHAIN_BLOCK)
            problems.append(
                ChainProblem(
                    event_id,
                    f"event {event_id} does not follow the one before it: an event was "
                    "removed or changed just before it",
                )
            )
        if _digest(*fields) != stored:
            broken.add(event_id // CHAIN_BLOCK)
            problems.append(
                ChainProblem(event_id, f"event {event_id} was changed after it was written")
            )
        expected_prev = stored
    intact = {str(block): n for block, n in counts.items() if block not in broken}
    return problems, checked, intact


def audit_verify(*, batch_size: int = 2000) -> list[ChainProblem]:
    """Walk the whole chain in id order and name every event that does not fit."""
    return _walk_chain(batch_size)[0]


def audit_check_run(*, actor: Any, batch_size: int = 2000) -> AuditCheck:
    """Check the whole chain and keep the result (actor None for the verify_audit command).

    The check reads every event, so it runs before the short transaction that stores its
    result rather than holding a write lock while it reads. Storing a check is not itself an
    audit event. The returned row carries every problem found in `found` (not stored). On
    PostgreSQL it also keeps what `audit_verify_period` needs to rely on it (`CHAIN_BLOCK`).
    """
    # Taken before the walk: no row written by a transaction unfinished at this point is relied
    # on, whether or not the walk saw it.
    unfinished = _unfinished_transactions()
    problems, checked, intact = _walk_chain(batch_size)
    with transaction.atomic():
        check = AuditCheck.objects.create(
            ran_by=actor,
            events_checked=checked,
            problems=len(problems),
            first_problem=problems[0].message if problems else "",
            blocks={"size": CHAIN_BLOCK, **unfinished, "intact": intact} if unfinished else {},
        )
    check.found = problems
    return check


@dataclass
class PeriodCheck:
    """The chain checked across a period's events (`audit_verify_period`)."""

    problems: list[int] = field(default_factory=list)  # ids of the events that do not fit
    events: int = 0  # events from the first to the last dated in the period
    hashed: int = 0  # of which hashed again now
    relied_on: AuditCheck | None = None  # the full check whose unchanged blocks were relied on


def audit_verify_period(
    first: dt.datetime, after: dt.datetime, *, batch_size: int = 2000
) -> PeriodCheck:
    """Check the chain across the events dated in [first, after): every event from the first to
    the last of them in id order, each one's own hash and its link to the event before it
    (which may be older).

    On PostgreSQL, blocks of events that the latest full check found intact and that are as
    it left them (as many events, none written by a transaction unfinished when it began: see
    `CHAIN_BLOCK`) are taken
    as checked; the others are hashed again now, with the links into and out of them. Without a
    full check, or on SQLite, every event is hashed. Either way a changed, removed or added
    event in the period is found: a change made after the full check makes its block one to
    hash again.
    """
    # `id + 0`, not `id`: PostgreSQL would otherwise answer MIN and MAX by walking the primary
    # key from either end, filtering on the date, through every event older than the period.
    # This way the (created_at, id) index gives the period's ids directly.
    plus_nothing = F("id") + 0
    span = AuditEvent.objects.filter(created_at__gte=first, created_at__lt=after).aggregate(
        lo=Min(plus_nothing), hi=Max(plus_nothing)
    )
    lo, hi = span["lo"], span["hi"]
    if lo is None:
        return PeriodCheck()
    first_block, last_block = lo // CHAIN_BLOCK, hi // CHAIN_BLOCK
    trusted: set[int] = set()
    relied_on, events, check = None, None, None
    if connection.vendor == "postgresql":
        check = (
            AuditCheck.objects.filter(blocks__has_key="xmax")
            .only("id", "ran_at", "blocks")
            .order_by("-ran_at", "-id")
            .first()
        )
    if check is not None and check.blocks.get("size") == CHAIN_BLOCK:
        with connection.cursor() as cursor:
            cursor.execute(
                _BLOCKS_SQL,
                [
                    CHAIN_BLOCK,
                    _xid32(check.blocks["xmax"]),
                    [_xid32(xid) for xid in check.blocks["running"]],
                    lo,
                    hi,
                    first_block * CHAIN_BLOCK,
                    (last_block + 1) * CHAIN_BLOCK,
                ],
            )
            current = {block: (n, newer, inside) for block, n, newer, inside in cursor}
        events = sum(inside for _, _, inside in current.values())
        kept = check.blocks["intact"]
        trusted = {
            block
            for block, (n, newer, _) in current.items()
            if newer == 0 and kept.get(str(block)) == n
        }
        relied_on = check if trusted else None
    untrusted = [b for b in range(first_block, last_block + 1) if b not in trusted]
    problems: list[int]
    problems, hashed = [], 0
    if untrusted:
        start = max(lo, untrusted[0] * CHAIN_BLOCK)
        stop = min(hi, (untrusted[-1] + 1) * CHAIN_BLOCK - 1)
        problems, hashed = _verify_span(start, stop, check_next=stop < hi, batch_size=batch_size)
    return PeriodCheck(problems, hashed if events is None else events, hashed, relied_on)


def _verify_span(
    start: int, stop: int, *, check_next: bool, batch_size: int
) -> tuple[list[int], int]:
    """Hash the events with ids in [start, stop] again and check their links; with check_next,
    also the link of the event after them."""
    prior = AuditEvent.objects.filter(id__lt=start).order_by("-id").values_list("hash", flat=True)
    expected = prior.first() or GENESIS
    problems, hashed = [], 0
    for row in _rows(AuditEvent.objects.filter(id__gte=start, id__lte=stop), batch_size):
        hashed += 1
        if row[12] != expected or _digest(*row[1:13]) != row[13]:
            problems.append(row[0])
        expected = row[13]
    if check_next:
        following = (
            AuditEvent.objects.filter(id__gt=stop).order_by("id").values_list("id", "prev_hash")
        ).first()
        if following is not None and following[1] != expected:
            problems.append(following[0])
    return problems, hashed


def audit_history(obj: Any):
    """The events about one object, oldest first (for its page's history)."""
    return (
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .select_related("actor")
        .order_by("id")
    )


def audit_view(*, actor: Any, obj: Any, school: School) -> AuditEvent:
    """Record that `actor` was shown the page of `obj` (action "view"), in its own
    transaction. Call it only once the page is certain to be shown, never before a 404."""
    with transaction.atomic():
        return audit_record(actor=actor, school=school, action=VIEW, obj=obj)


def audit_seen_by(obj: Any):
    """The view events for one object, newest first, each with its actor loaded
    (`actor`, `actor_role`, `created_at`): who has seen this, and when."""
    return (
        AuditEvent.objects.filter(
            action=VIEW, object_type=obj._meta.label_lower, object_id=str(obj.pk)
        )
        .select_related("actor")
        .order_by("-id")
    )


def role_words(code: str) -> str:
    """An acting role as people say it ("dsl" is "Designated safeguarding lead")."""
    return ROLE_WORDS.get(code, code) or "No role"


def seen_by_panel(obj: Any, *, limit: int = SEEN_BY_SHOWN) -> dict[str, Any]:
    """The latest views of one object for its page, in one query: rows of (who, role in
    words, when), newest first, and whether older views were left off."""
    events = list(audit_seen_by(obj)[: limit + 1])
    return {
        "rows": [(e.actor, role_words(e.actor_role), e.created_at) for e in events[:limit]],
        "more": len(events) > limit,
    }


# --- Selectors for the audit trail page and its export ----------------------------------------


def withheld_reporters(user: Any) -> dict[str, int]:
    """Confidential concerns of the user's school whose reporter the user may not know:
    {concern id as stored in AuditEvent.object_id: reporter id}. Empty for the case manager.

    The events those reporters wrote about those concerns (raising it, opening its page)
    must show "Name withheld". A few queries, however many concerns there are: whether
    someone manages a concern depends only on its route and whether they are its subject.
    """
    # Imported here: contacts.services imports this module.
    from contacts.concerns.models import BoundaryConcern
    from contacts.concerns.services import is_case_manager

    concerns = BoundaryConcern.objects.filter(school_id=user.school_id, confidential=True).only(
        "pk", "school_id", "route", "subject_id", "reporter_id"
    )
    manages: dict[tuple[str, bool], bool] = {}
    withheld: dict[str, int] = {}
    for concern in concerns:
        if concern.reporter_id == user.pk:
            continue
        key = (concern.route, concern.subject_id == user.pk)
        if key not in manages:
            manages[key] = is_case_manager(user, concern)
        if not manages[key]:
            withheld[str(concern.pk)] = concern.reporter_id
    return withheld


def hidden_from(user: Any) -> dict[str, list[str]]:
    """Objects whose events the user may not see in the trail, by object type: boundary
    concerns and LADO referrals about the user themself (the selectors never show a person
    a concern or referral about them, and the trail must not give away that one exists),
    except a self-referral or a referral they recorded."""
    from contacts.concerns.models import BoundaryConcern, LadoReferral

    concerns = BoundaryConcern.objects.filter(school_id=user.school_id, subject_id=user.pk)
    referrals = LadoReferral.objects.filter(school_id=user.school_id, subject_id=user.pk)
    hidden = {
        CONCERN_TYPE: concerns.exclude(reporter_id=user.pk),
        LADO_TYPE: referrals.exclude(recorded_by_id=user.pk),
    }
    return {
        kind: [str(pk) for pk in rows.values_list("pk", flat=True)] for kind, rows in hidden.items()
    }


def is_withheld(event: AuditEvent, withheld: dict[str, int]) -> bool:
    """Whether this event's actor is a confidential reporter the reader may not know."""
    return (
        event.object_type == CONCERN_TYPE
        and event.actor_id is not None
        and withheld.get(event.object_id) == event.actor_id
    )


_DAY = dt.timedelta(days=1)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _trail_of(user: Any):
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
    withheld: dict[str, int],
    person: Any = None,
    action: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
):
    """The events of the user's school, newest first, narrowed by the audit page's filters.

    Nothing for anyone but the headteacher and the chair of governors; never the events about a
    concern or LADO referral about the reader (`hidden_from`). Filtering by a person never
    matches the events in which their name is withheld (that would name them).
    """
    rows = _trail_of(user)
    if person is not None:
        rows = rows.filter(actor_id=person.pk)
        hidden = [pk for pk, reporter in withheld.items() if reporter == person.pk]
        if hidden:
            rows = rows.exclude(object_type=CONCERN_TYPE, object_id__in=hidden)
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


def latest_check() -> AuditCheck | None:
    return (
        AuditCheck.objects.select_related("ran_by")
        .defer("blocks")
        .order_by("-ran_at", "-id")
        .first()
    )
