"""The audit trail: every service writes one event per change, inside its own transaction.

Each event carries the SHA-256 of the one before it, so `verify_audit` can tell when a row
was changed or removed behind the application's back.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from safeguard.models import AuditEvent, School
from safeguard.roles import acting_role

GENESIS = "0" * 64
# Any fixed number: serialises writers of the chain on PostgreSQL.
_CHAIN_LOCK_KEY = 7_261_830_451


def _payload_hash(event: AuditEvent) -> str:
    payload = {
        "school": event.school_id,
        "actor": event.actor_id,
        "actor_role": event.actor_role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_ref": event.object_ref,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "reason": event.reason,
        "created_at": event.created_at.astimezone(UTC).isoformat(),
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


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
    event.hash = _payload_hash(event)
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class ChainProblem:
    event_id: int | None
    message: str


def audit_verify(*, batch_size: int = 2000) -> list[ChainProblem]:
    """Walk the whole chain in id order and name every event that does not fit."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    events = AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size)
    for event in events:
        if event.prev_hash != expected_prev:
            problems.append(
                ChainProblem(
                    event.id,
                    f"event {event.id} does not follow the one before it: an event was "
                    "removed or changed just before it",
                )
            )
        if _payload_hash(event) != event.hash:
            problems.append(
                ChainProblem(event.id, f"event {event.id} was changed after it was written")
            )
        expected_prev = event.hash
    return problems


def audit_history(obj: Any):
    """The events about one object, oldest first (for its page's history)."""
    return (
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .select_related("actor")
        .order_by("id")
    )
