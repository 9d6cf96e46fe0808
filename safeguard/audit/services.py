"""Writing the audit trail: every service writes one event per change, inside its own
transaction (`audit_record`); bulk loads append prepared events (`audit_append_many`); a chain
check is run and kept (`audit_check_run`).

An event's action must be declared, with its words, in vocabulary.py. Hashing and checking the
chain is chain.py's; reading the trail is selectors.py's.
"""

import time
from collections.abc import Iterable, Iterator
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from safeguard.audit.chain import (
    CHAIN_BLOCK,
    GENESIS,
    HASHED,
    ChainProblem,
    append_locked,
    audit_verify,
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
from safeguard.audit.checkpoints import (
    Checkpoint,
    CheckpointError,
    SigningKeyError,
    chain_head_now,
    checkpoint_problems,
    checkpoint_sign,
    checkpoint_verify_signature,
)
from safeguard.audit.models import AuditCheck, AuditCheckpoint, AuditEvent
from safeguard.audit.selectors import KEPT_GENERATION, as_checkpoint, latest_checkpoint
from safeguard.audit.vocabulary import VIEW, known_action
from safeguard.core.bulk import insert_rows
from safeguard.core.mail import account_email, send_on_commit, site_link
from safeguard.core.models import School
from safeguard.core.roles import Role, acting_role


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
    # The time is read once the lock is held, so each chain's times follow its order.
    lock_chain(school.pk)
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
    )
    append_locked(event)
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
    latest = kept_heads(school_id)
    # Taken before the walk: no row written by a transaction unfinished at this point is relied
    # on, whether or not the walk saw it. Only a walk of every chain counts every block.
    unfinished = unfinished_transactions() if school_id is None else None
    walk = walk_chain(batch_size, school_id=school_id, since=latest)
    missing = missing_since(walk) + behind_earlier_checks(
        latest, school_id=school_id, batch_size=batch_size
    )
    content = content_problems(school_id) + stored_checkpoint_problems(school_id)
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


# --- signed checkpoints (checkpoints.py) ------------------------------------------------------


class CheckpointRefused(Exception):
    """The chain is not sound enough to sign: signing would endorse a break."""

    def __init__(self, problems: list[ChainProblem]) -> None:
        super().__init__(problems[0].message)
        self.problems = problems


def stored_checkpoint_problems(school_id: int | None = None) -> list[ChainProblem]:
    """Each school's latest kept checkpoint (or one school's) held against its chain now: its
    signature, and that the chain still extends it. The copies kept outside are the stronger
    proof (these rows could be removed with the triggers lifted); these catch everything else."""
    rows = AuditCheckpoint.objects.order_by("school_id", "-id")
    if school_id is not None:
        rows = rows.filter(school_id=school_id)
    problems, seen = [], set()
    for row in rows:
        if row.school_id in seen:
            continue
        seen.add(row.school_id)
        checkpoint = as_checkpoint(row)
        try:
            checkpoint_verify_signature(checkpoint)
        except (CheckpointError, SigningKeyError) as error:
            problems.append(
                ChainProblem(row.event_id, f"the kept checkpoint {row.pk}: {error}", row.school_id)
            )
            continue
        problems += checkpoint_problems(checkpoint, with_chain=False)
    return problems


def audit_checkpoint_sign(
    *, actor: Any, school: School, key: Ed25519PrivateKey
) -> AuditCheckpoint | None:
    """Sign the head of the school's chain, keep the checkpoint and send it to the chair of
    governors and the school's copy address. None when nothing was written since the last one.

    The chain is checked first, against the last checkpoint too: a checkpoint vouches for what
    it signs, so a broken chain is refused (CheckpointRefused). Events written between the
    check and the signing are signed unchecked; the next checkpoint's check covers them. The
    head and the count are read under the school's chain lock, so they agree."""
    previous = latest_checkpoint(school.pk)
    # Everything verify_audit would say of the school's chain: its links, what the kept checks
    # found there, the content seals; then the last checkpoint.
    problems = audit_verify(school_id=school.pk)
    if previous is not None:
        problems += checkpoint_problems(previous, with_chain=False)
    if problems:
        raise CheckpointRefused(problems)
    with transaction.atomic():
        lock_chain(school.pk)
        head = chain_head_now(school.pk)
        if head is None or (previous is not None and previous.event == head[0]):
            return None
        checkpoint = checkpoint_sign(
            Checkpoint(
                school=school.pk,
                school_name=school.name,
                event=head[0],
                hash=head[1],
                events=head[2],
                at=timezone.now().replace(microsecond=0),
                key="",
            ),
            key,
        )
        row = AuditCheckpoint.objects.create(
            school=school,
            school_name=checkpoint.school_name,
            event_id=checkpoint.event,
            event_hash=checkpoint.hash,
            events=checkpoint.events,
            signed_at=checkpoint.at,
            key_id=checkpoint.key,
            signature=checkpoint.signature,
        )
        for message in _checkpoint_emails(school, checkpoint):
            send_on_commit(message)
    return row


def _checkpoint_emails(school: School, checkpoint: Checkpoint) -> list[EmailMultiAlternatives]:
    chairs = get_user_model().objects.filter(
        school=school, is_active=True, role_assignments__role=Role.CHAIR_OF_GOVERNORS
    )
    recipients = [(chair.first_name, chair.email) for chair in chairs]
    if school.checkpoint_copy_to:
        recipients.append(("", school.checkpoint_copy_to))
    filename = f"audit-checkpoint-{school.pk}-{checkpoint.at:%Y-%m-%d}.json"
    messages = []
    for first_name, address in recipients:
        message = account_email(
            school_name=school.name,
            to=address,
            subject="the audit trail's checkpoint to keep",
            template="audit_checkpoint",
            context={
                "first_name": first_name,
                "checkpoint": checkpoint,
                "filename": filename,
                "public_key_link": site_link(reverse("audit_public_key")),
            },
        )
        message.attach(filename, checkpoint.text(), "application/json")
        messages.append(message)
    return messages


def kept_panels_forget() -> int:
    """Have every kept panel worked out afresh at its next opening (`kept_panels`): after an
    upgrade (`migrate` runs this), a fix made to the data outside the app, or a database
    restored from a backup. Raises the cache's generation rather than emptying the cache, which
    also holds the sign-in rate limits. The new generation."""
    generation = int(time.time_ns())
    cache.set(KEPT_GENERATION, generation, None)
    return generation
