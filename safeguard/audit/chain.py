"""The audit trail's hash chain: how an event is hashed, and the checks that every event is as
it was written and follows the one before it.

Each event carries the SHA-256 of the one before it, so `verify_audit` can tell when a row
was changed or removed behind the application's back. Writing events is services.py's.
"""

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from json.encoder import encode_basestring

from django.db import connection
from django.db.models import F, Max, Min, QuerySet
from django.utils import timezone

from safeguard.audit.models import AuditCheck, AuditEvent

GENESIS = "0" * 64
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
    return _digest(*(getattr(event, name) for name in HASHED))


# The fields an event's hash covers, in `_digest`'s order.
HASHED = (
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


def lock_chain() -> None:
    """Take the chain's write lock for the rest of the transaction."""
    # SQLite takes its write lock at BEGIN (transaction_mode IMMEDIATE in settings).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


@dataclass(frozen=True)
class ChainProblem:
    event_id: int | None
    message: str
    # The school of the event it names; None for what the trail as a whole lacks (events
    # missing from its end).
    school_id: int | None = field(default=None, compare=False)


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
_ROW = ("id", *HASHED, "hash")


def _rows(events: QuerySet[AuditEvent], batch_size: int) -> Iterator[tuple]:
    return events.order_by("id").values_list(*_ROW).iterator(chunk_size=batch_size)


def unfinished_transactions() -> dict | None:
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


# The key of `AuditCheck.by_school` for problems of the trail as a whole.
TRAIL_WIDE = "trail"


@dataclass
class Walk:
    """What one walk of the whole chain found (`walk_chain`)."""

    problems: list[ChainProblem]
    checked: int  # events read
    intact: dict[str, int]  # events held by each block (`CHAIN_BLOCK`) found intact
    head_id: int | None = None  # the newest event read, and its hash
    head_hash: str = ""
    # Each school's own events and problems: {school id: {"events", "problems",
    # "first_problem"}}, so that a school's page counts only its own.
    by_school: dict[str, dict] = field(default_factory=dict)


def walk_chain(batch_size: int) -> Walk:
    """Every problem in the chain, how many events were read to find them, how many events
    each block (`CHAIN_BLOCK`) found intact holds, the head, and each school's share."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    checked = 0
    counts: dict[int, int] = defaultdict(int)
    broken: set[int] = set()
    schools: dict[int, int] = defaultdict(int)
    head_id = None
    for row in _rows(AuditEvent.objects.all(), batch_size):
        event_id, fields, stored = row[0], row[1:13], row[13]
        school_id = fields[0]
        checked += 1
        schools[school_id] += 1
        counts[event_id // CHAIN_BLOCK] += 1
        if fields[-1] != expected_prev:
            broken.add(event_id // CHAIN_BLOCK)
            problems.append(
                ChainProblem(
                    event_id,
                    f"event {event_id} does not follow the one before it: an event was "
                    "removed or changed just before it",
                    school_id,
                )
            )
        if _digest(*fields) != stored:
            broken.add(event_id // CHAIN_BLOCK)
            problems.append(
                ChainProblem(
                    event_id, f"event {event_id} was changed after it was written", school_id
                )
            )
        expected_prev, head_id = stored, event_id
    intact = {str(block): n for block, n in counts.items() if block not in broken}
    found: dict[int, list[ChainProblem]] = defaultdict(list)
    for problem in problems:
        found[problem.school_id or 0].append(problem)
    by_school = {
        str(school_id): {
            "events": n,
            "problems": len(found[school_id]),
            "first_problem": found[school_id][0].message if found[school_id] else "",
        }
        for school_id, n in schools.items()
    }
    head_hash = expected_prev if head_id is not None else ""
    return Walk(problems, checked, intact, head_id, head_hash, by_school)


def by_school_with(by_school: dict[str, dict], problems: list[ChainProblem]) -> dict[str, dict]:
    """`Walk.by_school` with the problems of the trail as a whole (no school's event names
    them) under TRAIL_WIDE: every school is shown those."""
    by_school = {key: dict(share) for key, share in by_school.items()}
    for problem in problems:
        if problem.school_id is None:
            continue
        # A school's own problem found outside the walk (a changed entry): in its share.
        share = by_school.setdefault(
            str(problem.school_id), {"events": 0, "problems": 0, "first_problem": ""}
        )
        share["problems"] = share.get("problems", 0) + 1
        share["first_problem"] = share.get("first_problem") or problem.message
    trail = [problem for problem in problems if problem.school_id is None]
    if not trail:
        return by_school
    share = {"events": 0, "problems": len(trail), "first_problem": trail[0].message}
    return {**by_school, TRAIL_WIDE: share}


def last_kept_check() -> AuditCheck | None:
    """The newest kept check that found the trail intact and recorded its head (by id: a
    check's own time is a default anyone inserting a row could set). Not simply the newest: a
    check that found events missing must not become the measure the next one is held to, or
    the loss would be reported once and then forgotten."""
    return AuditCheck.objects.filter(head_id__isnull=False, problems=0).order_by("-id").first()


def missing_since(check: AuditCheck | None) -> list[ChainProblem]:
    """What the trail lacks, or has gained, up to the head of a kept check.

    The chain alone cannot show the newest events removed (nothing follows them to notice), nor
    a trail emptied and written again from the start. A kept check can: writers of the chain
    take its lock and get their ids while holding it, so ids are committed in order, and the
    events up to the check's head stay exactly those it counted, the last with the hash it read.
    """
    if check is None or check.head_id is None:
        return []
    moment = timezone.localtime(check.ran_at)
    last = f"the last check (on {moment:%d %b %Y at %H:%M}) ended at event {check.head_id}"
    upto = AuditEvent.objects.filter(id__lte=check.head_id)
    now = upto.count()
    kept = upto.filter(id=check.head_id).values_list("hash", flat=True).first()
    problems = []
    if kept is None:
        left = upto.aggregate(last=Max("id"))["last"]
        if left is None:
            span = f"every event up to event {check.head_id} is"
        elif left + 1 == check.head_id:
            span = f"event {check.head_id} is"
        else:
            span = f"events {left + 1}..{check.head_id} are"
        problems.append(
            ChainProblem(check.head_id, f"{span} missing from the end of the trail: {last}")
        )
    elif kept != check.head_hash:
        problems.append(
            ChainProblem(
                check.head_id,
                f"event {check.head_id} is not the one the last check found there: the trail "
                f"was written again up to it ({last})",
            )
        )
    if now < check.events_checked:
        problems.append(
            ChainProblem(
                None,
                f"{check.events_checked - now} of the {check.events_checked} events up to "
                f"event {check.head_id} are missing: {last} and counted {check.events_checked}",
            )
        )
    elif now > check.events_checked:
        problems.append(
            ChainProblem(
                None,
                f"{now - check.events_checked} events up to event {check.head_id} were added "
                f"after the last check counted {check.events_checked}: {last}",
            )
        )
    return problems


def behind_earlier_checks(last: AuditCheck | None, *, batch_size: int = 2000) -> list[ChainProblem]:
    """What every earlier kept check, not only the last, says is still there: the event at its
    head, with the hash it read. The app's database role may add checks (it runs them), so a
    check added to match a trail cut short must not become the only measure: a genuine earlier
    check still names the events it ended at. One query per `batch_size` checks' heads."""
    kept: dict[int, tuple[str, dt.datetime]] = {}
    earlier = AuditCheck.objects.filter(head_id__isnull=False, problems=0)
    if last is not None:
        earlier = earlier.exclude(pk=last.pk)
    for head_id, head_hash, ran_at in earlier.order_by("id").values_list(
        "head_id", "head_hash", "ran_at"
    ):
        if head_id is not None:  # filtered out above; the type cannot know
            kept[head_id] = (head_hash, ran_at)  # the newest check with this head
    if last is not None and last.head_id is not None:
        kept.pop(last.head_id, None)  # missing_since names it, with the counts
    heads = sorted(kept)
    found: dict[int, str] = {}
    for start in range(0, len(heads), batch_size):
        chunk = heads[start : start + batch_size]
        found.update(AuditEvent.objects.filter(id__in=chunk).values_list("id", "hash"))
    problems = []
    for head_id in heads:
        head_hash, ran_at = kept[head_id]
        moment = timezone.localtime(ran_at)
        which = f"the check of {moment:%d %b %Y at %H:%M} ended at event {head_id}"
        if head_id not in found:
            problems.append(
                ChainProblem(head_id, f"event {head_id} is missing from the trail: {which}")
            )
        elif found[head_id] != head_hash:
            problems.append(
                ChainProblem(
                    head_id,
                    f"event {head_id} is not the one an earlier check found there: the trail was "
                    f"written again up to it, or that check is not genuine ({which})",
                )
            )
    return problems


# What else a full check asks: entries whose content no longer matches the seal their writing
# event carries (contacts.records.seals, registered at start-up: this package imports nothing
# of contacts). Each yields (event id, school id, message).
_content_checks: list[Callable[[], Iterable[tuple[int, int, str]]]] = []


def register_content_check(check: Callable[[], Iterable[tuple[int, int, str]]]) -> None:
    if check not in _content_checks:
        _content_checks.append(check)


def content_problems() -> list[ChainProblem]:
    return [
        ChainProblem(event_id, message, school_id=school_id)
        for check in _content_checks
        for event_id, school_id, message in check()
    ]


def audit_verify(*, batch_size: int = 2000) -> list[ChainProblem]:
    """Walk the whole chain in id order and name every event that does not fit, then what is
    missing since the last kept check (`missing_since`), then what any earlier kept check
    found that is no longer there (`behind_earlier_checks`), then every sealed entry changed
    since it was written (`content_problems`)."""
    last = last_kept_check()
    return (
        walk_chain(batch_size).problems
        + missing_since(last)
        + behind_earlier_checks(last, batch_size=batch_size)
        + content_problems()
    )


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
