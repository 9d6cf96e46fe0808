"""Writing the audit trail: every service writes one event per change, inside its own
transaction (`audit_record`); bulk loads append prepared events (`audit_append_many`); a chain
check is run and kept (`audit_check_run`).

An event's action must be declared, with its words, in vocabulary.py. Hashing and checking the
chain is chain.py's; reading the trail is selectors.py's.
"""

from collections.abc import Iterable, Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone

from safeguard.audit.chain import (
    CHAIN_BLOCK,
    GENESIS,
    HASHED,
    behind_earlier_checks,
    by_school_with,
    chain_head,
    content_problems,
    event_hash,
    kept_heads,
    lock_chain,
    missing_since,
    unfinished_transactions,
    walk_chain,
)
from safeguard.audit.models import AuditCheck, AuditEvent
from safeguard.audit.vocabulary import VIEW, known_action
from safeguard.core.bulk import insert_rows
from safeguard.core.models import School
from safeguard.core.roles import acting_role


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
    """Append one event. Must run inside the caller's transaction; ValueError for an action
    the vocabulary does not declare."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the service's transaction")
    known_action(action)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_ref = object_ref or getattr(obj, "audit_ref", f"{obj._meta.model_name}-{obj.pk}")
    lock_chain(school.pk)
    last = chain_head(school.pk)
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


def audit_view(*, actor: Any, obj: Any, school: School) -> AuditEvent:
    """Record that `actor` was shown the page of `obj` (action "view"), in its own
    transaction. Call it only once the page is certain to be shown, never before a 404."""
    with transaction.atomic():
        return audit_record(actor=actor, school=school, action=VIEW, obj=obj)


def audit_download(
    *,
    actor: Any,
    school: School,
    action: str,
    obj: Any = None,
    object_ref: str = "",
    reason: str = "",
) -> AuditEvent:
    """Record that `actor` took a copy out of Safeguard (an attachment, a report, the trail),
    in its own transaction: a view event that outlives the page. Call it once the file is
    certain to be sent."""
    with transaction.atomic():
        return audit_record(
            actor=actor, school=school, action=action, obj=obj, object_ref=object_ref, reason=reason
        )


# The columns `audit_append_many` writes, in order (everything but the id).
APPENDED = (*HASHED, "hash")


def audit_append_many(events: Iterable[Any], *, batch_size: int = 2000) -> int:
    """Append prepared events, in the order given, to the chain: each one's `prev_hash` and
    `hash` are set here, continuing from the current head. For bulk loads that date their
    events themselves (`seed_bench`); the application's own writes use `audit_record`.

    `events` are unsaved AuditEvents, or any objects with the same attributes (`school_id`,
    `actor_id`, ..., `created_at`), so that a load of a million need not build a model
    instance for each. They are hashed with `event_hash` and inserted in that order, so ids
    follow each school's chain. Takes each school's chain lock and reads its head as
    `audit_record` does, the first time it meets the school: it must run inside the caller's
    transaction. Returns how many were written; ValueError (the
    caller's transaction then writes nothing) for an action the vocabulary does not declare.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_append_many must run inside the caller's transaction")
    written = 0
    heads: dict[int, str] = {}

    def chained() -> Iterator[tuple]:
        nonlocal written
        for event in events:
            known_action(event.action)
            school_id = event.school_id
            if school_id not in heads:
                lock_chain(school_id)
                heads[school_id] = chain_head(school_id) or GENESIS
            event.prev_hash = heads[school_id]
            event.hash = heads[school_id] = event_hash(event)
            written += 1
            yield tuple(getattr(event, name) for name in APPENDED)

    insert_rows(AuditEvent, APPENDED, chained(), batch_size=batch_size)
    return written


def audit_check_run(
    *, actor: Any, school_id: int | None = None, batch_size: int = 2000
) -> AuditCheck:
    """Check every school's chain (the verify_audit command: actor None), or one school's (a
    member of staff checks their own school's; the command may name one), compare each with the
    head the last kept check of it found, and keep the result.

    The check reads every event it covers, so it runs before the short transaction that stores its
    result rather than holding a write lock while it reads. Storing a check is not itself an
    audit event. The returned row carries every problem found in `found` (not stored). It keeps
    the head each chain reached, so that the next check can name events missing from its end
    (`missing_since`), in each school's own share (`by_school`). On PostgreSQL it also keeps
    what `audit_verify_period` needs to rely on it (`CHAIN_BLOCK`).
    """
    if actor is not None:
        school_id = actor.school_id  # a member of staff checks their own school's chain
    latest = kept_heads()
    # Taken before the walk: no row written by a transaction unfinished at this point is relied
    # on, whether or not the walk saw it. Only a walk of every chain counts every block.
    unfinished = unfinished_transactions() if school_id is None else None
    walk = walk_chain(batch_size, school_id=school_id, since=latest)
    missing = missing_since(walk) + behind_earlier_checks(latest, batch_size=batch_size)
    content = content_problems()
    if school_id is not None:
        missing = [p for p in missing if p.school_id in (school_id, None)]
        content = [p for p in content if p.school_id in (school_id, None)]
    problems = walk.problems + missing + content
    with transaction.atomic():
        check = AuditCheck.objects.create(
            ran_by=actor,
            school_id=school_id,
            events_checked=walk.checked,
            problems=len(problems),
            first_problem=problems[0].message if problems else "",
            head_id=walk.head_id,
            head_hash=walk.head_hash,
            by_school=by_school_with(walk.by_school, missing + content),
            blocks=(
                {"size": CHAIN_BLOCK, **unfinished, "intact": walk.intact} if unfinished else {}
            ),
        )
    check.found = problems
    return check
