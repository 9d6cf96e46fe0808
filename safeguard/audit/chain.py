"""The audit trail's hash chains: how an event is hashed, and the checks that every event is as
it was written and follows the one before it.

Each school's events form their own chain: an event carries the SHA-256 of the school's event
before it, so `verify_audit` can tell when a row was changed or removed behind the application's
back, and one school's writers never wait for another's (the lock is the school's). Every event
belongs to a school (the column is required), so there are no installation-level events to
chain apart. Writing events is services.py's; signing chain heads is checkpoints.py's.
"""

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from json.encoder import encode_basestring
from typing import Any

from django.db import connection
from django.db.models import F, Max, Min, Q, QuerySet
from django.utils import timezone

from safeguard.audit.models import AuditCheck, AuditEvent, AuditRechain

GENESIS = "0" * 64
# Any fixed 32-bit number: with a school's id, the key of that school's chain lock on PostgreSQL
# (the two-key form of the advisory lock, so no school's key can collide with another's).
CHAIN_LOCK_CLASS = 726_183_045


def _around_prev_hash(
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
) -> tuple[str, str]:
    """An event's canonical JSON, in the two parts either side of its previous hash's value:
    its fields by name in sorted order, no spaces, non-ASCII as is, the time in UTC. Written out
    rather than built with json.dumps(payload, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False), which gives the same text (tests/test_audit.py checks this) at a third
    of the cost: the chain checks hash every event in turn. In two parts so that PostgreSQL can
    put the chain's head between them as it appends (`append_locked`)."""
    s = encode_basestring
    actor = "null" if actor_id is None else int(actor_id)
    before = (
        f'{{"action":{s(action)},"actor":{actor},"actor_role":{s(actor_role)},'
        f'"created_at":{s(created_at.astimezone(UTC).isoformat())},'
        f'"from_state":{s(from_state)},"object_id":{s(object_id)},"object_ref":{s(object_ref)},'
        f'"object_type":{s(object_type)},"prev_hash":"'
    )
    after = f'","reason":{s(reason)},"school":{int(school_id)},"to_state":{s(to_state)}}}'
    return before, after


def _digest(*fields: Any) -> str:
    """The SHA-256 of an event's canonical JSON, from its `HASHED` fields in order."""
    before, after = _around_prev_hash(*fields[:-1])
    prev_hash = encode_basestring(fields[-1])[1:-1]
    return hashlib.sha256((before + prev_hash + after).encode()).hexdigest()


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


def chain_lock_key(school_id: int) -> tuple[int, int]:
    """The advisory lock key of a school's chain (the benchmark replaces it with one key for
    every school to measure the single chain it replaced)."""
    return CHAIN_LOCK_CLASS, school_id


def lock_chain(school_id: int) -> None:
    """Take the school's chain lock for the rest of the transaction. Writers of a chain get
    their event ids while holding it, so each school's ids are committed in order: what
    `missing_since` relies on."""
    # SQLite takes its one write lock at BEGIN (transaction_mode IMMEDIATE in settings).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", list(chain_lock_key(school_id)))


def append_locked(event: AuditEvent) -> None:
    """Write `event` as the newest of its school's chain, its previous hash and its own set,
    once the caller holds the chain's lock (`lock_chain`). On PostgreSQL the head is read and
    the event written in one statement, hashed by the database from the same canonical text:
    one round trip fewer while the lock is held, on every write and every audited page view.
    The statement starts after the lock was granted, so it sees the head every earlier holder
    committed."""
    if timezone.is_naive(event.created_at):
        # The database would read a naive time in its own zone, the hash in the process's.
        raise ValueError("An audit event's time must carry its time zone.")
    if connection.vendor != "postgresql":
        event.prev_hash = chain_head(event.school_id) or GENESIS
        event.hash = event_hash(event)
        event.save(force_insert=True)
        return
    before, after = _around_prev_hash(*(getattr(event, name) for name in HASHED[:-1]))
    quote = connection.ops.quote_name
    table = quote(AuditEvent._meta.db_table)
    column = {f.attname: quote(str(f.column)) for f in AuditEvent._meta.concrete_fields}
    columns = [column[name] for name in HASHED[:-1]]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {table} ({", ".join(columns)}, {column["prev_hash"]}, {column["hash"]})
            SELECT {", ".join(["%s"] * len(columns))}, head.prev,
                encode(sha256(convert_to(%s || head.prev || %s, 'UTF8')), 'hex')
            FROM (SELECT COALESCE(
                (SELECT {column["hash"]} FROM {table} WHERE {column["school_id"]} = %s
                ORDER BY {column["id"]} DESC LIMIT 1), %s
            ) AS prev) AS head
            RETURNING {column["id"]}, {column["prev_hash"]}, {column["hash"]}""",
            [
                *(getattr(event, name) for name in HASHED[:-1]),
                before,
                after,
                event.school_id,
                GENESIS,
            ],
        )
        event.pk, event.prev_hash, event.hash = cursor.fetchone()
    event._state.adding = False
    event._state.db = connection.alias


def chain_head(school_id: int) -> str | None:
    """The hash of the school's newest event; None for a school with none yet."""
    newest = AuditEvent.objects.filter(school_id=school_id).order_by("-id")
    return newest.values_list("hash", flat=True).first()


def chain_origins() -> set[str]:
    """What the first event of a chain may follow: nothing (GENESIS), or the head of the single
    chain the events were rechained from (`AuditRechain`), which ties every school's chain to
    the trail that came before."""
    return {GENESIS, *AuditRechain.objects.values_list("old_head_hash", flat=True)}


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
           count(*) FILTER (WHERE school_id = %s AND id BETWEEN %s AND %s)
    FROM safeguard_auditevent
    WHERE id >= %s AND id < %s
    GROUP BY 1
"""
# What a chain check reads of each event: its id, the hashed fields in `_digest`'s order, and
# its hash.
_ROW = ("id", *HASHED, "hash")


def _rows(events: QuerySet[AuditEvent], batch_size: int) -> Iterator[tuple]:
    """Each school's chain in turn, in id order (the index on school and id)."""
    return events.order_by("school_id", "id").values_list(*_ROW).iterator(chunk_size=batch_size)


def unfinished_transactions() -> dict | None:
    """PostgreSQL: the transactions not finished now, as a snapshot sees them: `xmax`, the
    first id not yet given out, and `running`, those given out but not finished (64-bit ids,
    with their epoch)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_snapshot_xmax(s)::text, ARRAY(SELECT x::text FROM pg_snapshot_xip(s) x),"
            " pg_current_xact_id_if_assigned()::text FROM pg_current_snapshot() AS s"
        )
        xmax, running, own = cursor.fetchone()
    # Rows this transaction wrote (under savepoints, with ids after its own) are unfinished
    # too, though its snapshot does not list them: every id from its own on counts as newer.
    first_newer = min(int(xmax), int(own)) if own is not None else int(xmax)
    return {"xmax": first_newer, "running": [int(xid) for xid in running]}


def _xid32(xid: int) -> str:
    """A 64-bit transaction id as a row's `xmin` holds it (the low 32 bits)."""
    return str(xid % 2**32)


# The key of `AuditCheck.by_school` for problems of the trail as a whole.
TRAIL_WIDE = "trail"


@dataclass
class Walk:
    """What one walk of every chain found (`walk_chain`)."""

    problems: list[ChainProblem]
    checked: int  # events read
    intact: dict[str, int]  # events held by each block (`CHAIN_BLOCK`) found intact
    head_id: int | None = None  # the newest event read of any school, and its hash
    head_hash: str = ""
    # Each school's chain: {school id: {"events", "problems", "first_problem", "head_id",
    # "head_hash"}}, so that a school's page counts only its own and the next check can hold
    # each chain to the head this one reached.
    by_school: dict[str, dict] = field(default_factory=dict)
    # What each chain lacks or has gained behind the head the kept check `since` reached.
    missing: list[ChainProblem] = field(default_factory=list)


@dataclass
class _Kept:
    """A kept check's head of one school's chain, and what the walk finds up to it now."""

    head_id: int
    head_hash: str
    events: int
    now: int = 0  # the chain's events up to the head now
    left: int | None = None  # the newest of them
    found_hash: str | None = None  # the hash at the head now


def _heads_in(check: AuditCheck) -> dict[int, _Kept]:
    """The head of each school's chain a kept check reached. Checks kept before the chains
    were per school hold no per-school heads: they hold nothing to compare."""
    return {
        int(school): _Kept(share["head_id"], share["head_hash"], share["events"])
        for school, share in check.by_school.items()
        if school != TRAIL_WIDE and share.get("head_id") is not None
    }


def _kept_checks(school_id: int | None) -> QuerySet[AuditCheck]:
    """The kept checks that found what they covered intact; for one school, only those that
    may cover its chain (its own, and the installation's), not every other school's."""
    kept = AuditCheck.objects.filter(head_id__isnull=False, problems=0)
    if school_id is not None:
        kept = kept.filter(Q(school_id=school_id) | Q(school__isnull=True))
    return kept


def kept_heads(school_id: int | None = None) -> dict[int, tuple[_Kept, AuditCheck]]:
    """For each school (or one), the head of its chain that the newest kept check of it found
    intact (a school's own check covers its chain only; the verify_audit command's covers every
    chain, so nothing older need be read once one is met)."""
    heads: dict[int, tuple[_Kept, AuditCheck]] = {}
    kept = _kept_checks(school_id).only("ran_at", "ran_by", "school", "by_school")
    for check in kept.order_by("-id").iterator(chunk_size=100):
        for school, held in _heads_in(check).items():
            if school_id is None or school == school_id:
                heads.setdefault(school, (held, check))
        if check.school_id is None and check.ran_by_id is None:
            break
    return heads


def walk_chain(
    batch_size: int,
    *,
    school_id: int | None = None,
    since: dict[int, tuple[_Kept, AuditCheck]] | None = None,
) -> Walk:
    """Every problem in every school's chain (or one school's), how many events were read to
    find them, how many events each block (`CHAIN_BLOCK`) found intact holds, each chain's head,
    and, against the kept heads `since` (`kept_heads`), what is missing from or added behind
    the head each chain had (`missing_since`)."""
    problems: list[ChainProblem] = []
    origins = chain_origins()
    since = since or {}
    if school_id is not None:
        since = {school_id: since[school_id]} if school_id in since else {}
    kept = {school: held for school, (held, _) in since.items()}
    checked = 0
    counts: dict[int, int] = defaultdict(int)
    broken: set[int] = set()
    chains: dict[int, dict] = {}
    expected_prev: str | None = None
    current = None
    head_id, head_hash = None, ""
    events = AuditEvent.objects.all()
    if school_id is not None:
        events = events.filter(school_id=school_id)
    for row in _rows(events, batch_size):
        event_id, fields, stored = row[0], row[1:13], row[13]
        school = fields[0]
        checked += 1
        counts[event_id // CHAIN_BLOCK] += 1
        if school != current:  # the first event of the next school's chain
            current, expected_prev = school, None
            chains[school] = {"events": 0, "problems": []}
        chain = chains[school]
        chain["events"] += 1
        prev = fields[-1]
        if (prev not in origins) if expected_prev is None else (prev != expected_prev):
            broken.add(event_id // CHAIN_BLOCK)
            chain["problems"].append(
                ChainProblem(
                    event_id,
                    f"event {event_id} does not follow the one before it in its school's "
                    "chain: an event was removed or changed just before it",
                    school,
                )
            )
        if _digest(*fields) != stored:
            broken.add(event_id // CHAIN_BLOCK)
            chain["problems"].append(
                ChainProblem(event_id, f"event {event_id} was changed after it was written", school)
            )
        held = kept.get(school)
        if held is not None and event_id <= held.head_id:
            held.now += 1
            held.left = event_id
            if event_id == held.head_id:
                held.found_hash = stored
        expected_prev = chain["head_hash"] = stored
        chain["head_id"] = event_id
        if head_id is None or event_id > head_id:
            head_id, head_hash = event_id, stored
    intact = {str(block): n for block, n in counts.items() if block not in broken}
    by_school = {}
    for school, chain in chains.items():
        found = chain["problems"]
        problems.extend(found)
        by_school[str(school)] = {
            "events": chain["events"],
            "problems": len(found),
            "first_problem": found[0].message if found else "",
            "head_id": chain["head_id"],
            "head_hash": chain["head_hash"],
        }
    return Walk(problems, checked, intact, head_id, head_hash, by_school, _missing(since))


def _missing(since: dict[int, tuple[_Kept, AuditCheck]]) -> list[ChainProblem]:
    problems = []
    for school, (held, check) in sorted(since.items()):
        moment = timezone.localtime(check.ran_at)
        last = (
            f"the last check (on {moment:%d %b %Y at %H:%M}) ended the school's chain at "
            f"event {held.head_id}"
        )
        if held.found_hash is None:
            if held.left is None:
                span = f"every event up to event {held.head_id} is"
            elif held.left + 1 == held.head_id:
                span = f"event {held.head_id} is"
            else:
                span = f"events {held.left + 1}..{held.head_id} are"
            problems.append(
                ChainProblem(
                    held.head_id,
                    f"{span} missing from the end of the school's chain: {last}",
                    school,
                )
            )
        elif held.found_hash != held.head_hash:
            problems.append(
                ChainProblem(
                    held.head_id,
                    f"event {held.head_id} is not the one the last check found there: the "
                    f"chain was written again up to it ({last})",
                    school,
                )
            )
        if held.now < held.events:
            problems.append(
                ChainProblem(
                    None,
                    f"{held.events - held.now} of the {held.events} events up to event "
                    f"{held.head_id} are missing: {last} and counted {held.events}",
                    school,
                )
            )
        elif held.now > held.events:
            problems.append(
                ChainProblem(
                    None,
                    f"{held.now - held.events} events up to event {held.head_id} were added "
                    f"after the last check counted {held.events}: {last}",
                    school,
                )
            )
    return problems


def by_school_with(by_school: dict[str, dict], problems: list[ChainProblem]) -> dict[str, dict]:
    """`Walk.by_school` with the problems found outside the walk (what is missing since the last
    check, changed entries) added to their school's share, and those no school's event names
    under TRAIL_WIDE: every school is shown those."""
    by_school = {key: dict(share) for key, share in by_school.items()}
    for problem in problems:
        if problem.school_id is None:
            continue
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


def missing_since(walk: Walk) -> list[ChainProblem]:
    """What each school's chain lacks, or has gained, up to the head the last kept check found
    (`kept_heads`: the walk compared them, `walk_chain(since=...)`).

    A chain alone cannot show its newest events removed (nothing follows them to notice), nor
    a chain emptied and written again from the start. A kept check can: writers of a chain take
    its lock and get their ids while holding it, so a school's ids are committed in order, and
    its events up to the check's head stay exactly those it counted, the last with the hash it
    read."""
    return walk.missing


def behind_earlier_checks(
    latest: dict[int, tuple[_Kept, AuditCheck]],
    *,
    school_id: int | None = None,
    batch_size: int = 2000,
) -> list[ChainProblem]:
    """What every earlier kept check, not only the last, says is still there: the event at the
    head of each school's chain it reached, with the hash it read. The app's database role may
    add checks (it runs them), so a check added to match a chain cut short must not become the
    only measure: a genuine earlier check still names the events it ended at. One query per
    `batch_size` heads."""
    kept: dict[int, tuple[str, dt.datetime, int]] = {}
    for check in _kept_checks(school_id).order_by("id").only("ran_at", "by_school"):
        for school, held in _heads_in(check).items():
            if school_id is None or school == school_id:
                kept[held.head_id] = (held.head_hash, check.ran_at, school)  # the newest's
    for held, _ in latest.values():
        kept.pop(held.head_id, None)  # missing_since names it, with the counts
    heads = sorted(kept)
    found: dict[int, str] = {}
    for start in range(0, len(heads), batch_size):
        chunk = heads[start : start + batch_size]
        found.update(AuditEvent.objects.filter(id__in=chunk).values_list("id", "hash"))
    problems = []
    for head_id in heads:
        head_hash, ran_at, school = kept[head_id]
        moment = timezone.localtime(ran_at)
        which = f"the check of {moment:%d %b %Y at %H:%M} ended school {school}'s chain there"
        if head_id not in found:
            problems.append(
                ChainProblem(head_id, f"event {head_id} is missing from the trail: {which}", school)
            )
        elif found[head_id] != head_hash:
            problems.append(
                ChainProblem(
                    head_id,
                    f"event {head_id} is not the one an earlier check found there: the chain was "
                    f"written again up to it, or that check is not genuine ({which})",
                    school,
                )
            )
    return problems


# What else a full check asks: entries whose content no longer matches the seal their writing
# event carries (contacts.records.seals, registered at start-up: this package imports nothing
# of contacts). Each yields (event id, school id, message).
ContentCheck = Callable[[int | None], Iterable[tuple[int, int, str]]]
_content_checks: list[ContentCheck] = []


def register_content_check(check: ContentCheck) -> None:
    """`check(school_id)` yields what is wrong in one school's entries, or every school's for
    None."""
    if check not in _content_checks:
        _content_checks.append(check)


def content_problems(school_id: int | None = None) -> list[ChainProblem]:
    return [
        ChainProblem(event_id, message, school_id=found_in)
        for check in _content_checks
        for event_id, found_in, message in check(school_id)
    ]


def audit_verify(*, batch_size: int = 2000, school_id: int | None = None) -> list[ChainProblem]:
    """Walk every school's chain (or one school's) in id order and name every event that does
    not fit, then what is missing since the last kept check (`missing_since`), then what any
    earlier kept check found that is no longer there (`behind_earlier_checks`), then every
    sealed entry changed since it was written (`content_problems`)."""
    latest = kept_heads(school_id)
    walk = walk_chain(batch_size, school_id=school_id, since=latest)
    return (
        walk.problems
        + missing_since(walk)
        + behind_earlier_checks(latest, school_id=school_id, batch_size=batch_size)
        + content_problems(school_id)
    )


@dataclass
class PeriodCheck:
    """A school's chain checked across a period's events (`audit_verify_period`)."""

    problems: list[int] = field(default_factory=list)  # ids of the events that do not fit
    events: int = 0  # the school's events from the first to the last dated in the period
    hashed: int = 0  # of which hashed again now
    relied_on: AuditCheck | None = None  # the full check whose unchanged blocks were relied on


def audit_verify_period(
    school_id: int, first: dt.datetime, after: dt.datetime, *, batch_size: int = 2000
) -> PeriodCheck:
    """Check a school's chain across its events dated in [first, after): every one of its events
    from the first to the last of them in id order, each one's own hash and its link to the
    school's event before it (which may be older).

    On PostgreSQL, blocks of event ids that the latest full check found intact and that are as
    it left them (as many events of every school, none written by a transaction unfinished when
    it began: see `CHAIN_BLOCK`) are taken as checked; the school's events in the others are
    hashed again now, with the links into and out of them. Without a full check, or on SQLite,
    every one is hashed. Either way a changed, removed or added event in the period is found: a
    change made after the full check makes its block one to hash again.
    """
    # `id + 0`, not `id`: PostgreSQL would otherwise answer MIN and MAX by walking the primary
    # key from either end, filtering on the date. This way the (school, created_at, id) index
    # gives the period's ids directly.
    plus_nothing = F("id") + 0
    mine = AuditEvent.objects.filter(school_id=school_id)
    span = mine.filter(created_at__gte=first, created_at__lt=after).aggregate(
        lo=Min(plus_nothing), hi=Max(plus_nothing)
    )
    lo, hi = span["lo"], span["hi"]
    if lo is None:
        return PeriodCheck()
    first_block, last_block = lo // CHAIN_BLOCK, hi // CHAIN_BLOCK
    trusted: set[int] = set()
    relied_on, check, events = None, None, None
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
                    school_id,
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
        problems, hashed = _verify_span(
            mine, start, stop, check_next=stop < hi, batch_size=batch_size
        )
    return PeriodCheck(problems, hashed if events is None else events, hashed, relied_on)


def _verify_span(
    mine: QuerySet[AuditEvent], start: int, stop: int, *, check_next: bool, batch_size: int
) -> tuple[list[int], int]:
    """Hash a school's events (`mine`) with ids in [start, stop] again and check their links;
    with check_next, also the link of the school's event after them."""
    prior = mine.filter(id__lt=start).order_by("-id").values_list("hash", flat=True).first()
    allowed = {prior} if prior is not None else chain_origins()
    problems, hashed = [], 0
    for row in _rows(mine.filter(id__gte=start, id__lte=stop), batch_size):
        hashed += 1
        if row[12] not in allowed or _digest(*row[1:13]) != row[13]:
            problems.append(row[0])
        allowed = {row[13]}
    if check_next:
        following = mine.filter(id__gt=stop).order_by("id").values_list("id", "prev_hash").first()
        if following is not None and following[1] not in allowed:
            problems.append(following[0])
    return problems, hashed
