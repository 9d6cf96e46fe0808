"""Content seals: a record, a disclosure or an addendum is never edited once saved, and the event
that wrote it carries a digest of what it said (in its reason, which the hash chain covers).
`verify_audit` hashes each one's content again and names any changed behind the app's back, in
the database itself, where the chain alone sees nothing (it covers the events, not the records).

Registered with safeguard.audit at start-up (contacts' AppConfig.ready): the audit package
imports nothing of contacts.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

from django.db.models import Model

from contacts.records.models import Addendum, ContactRecord, Disclosure
from safeguard.audit.models import AuditEvent

SEAL = re.compile(r"content seal ([0-9a-f]{32})")
ADDENDUM = re.compile(r"addendum (\d+)")
# What each kind of entry said, as written: never what may change lawfully afterwards (a
# retention review's bookkeeping). The times are left out: when it was written is the event's
# own time, which the chain covers, and the demo and the tests date entries into the past.
SEALED_FIELDS: dict[type[Model], tuple[str, ...]] = {
    ContactRecord: (
        "author_id",
        "record_type",
        "with_family_only",
        "kind",
        "purpose",
        "school_channel",
        "direction",
        "place",
        "details",
        "reply",
        "arranged",
        "planned_verdict",
        "verdict",
        "attachment",
        "attachment_name",
        "signposting",
    ),
    Disclosure: (
        "author_id",
        "pupil_id",
        "disclosure_type",
        "disclosed_by",
        "account",
        "circumstances",
        "action_taken",
    ),
    Addendum: ("author_id", "record_id", "disclosure_id", "text"),
}
# Fields added after entries were first sealed: counted only when they say something, so an
# entry written before they existed keeps the seal it was given.
SEALED_IF_GIVEN = frozenset({"signposting"})
# The events that wrote each kind of entry.
WRITTEN_BY = {
    "record.create": ContactRecord,
    "disclosure.create": Disclosure,
    "record.addendum": Addendum,
    "disclosure.addendum": Addendum,
}


def content_seal(entry: Model) -> str:
    """128 bits of the SHA-256 of the entry's sealed fields, as canonical JSON."""
    fields = SEALED_FIELDS[type(entry)]
    values: dict[str, Any] = {}
    for name in fields:
        value = getattr(entry, name)
        if name in SEALED_IF_GIVEN and not value:
            continue
        values[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def seal_words(entry: Model) -> str:
    return f"content seal {content_seal(entry)}"


def broken_seals(school_id: int | None = None) -> Iterator[tuple[int, int, str]]:
    """(event id, school id, what is wrong) for every sealed entry (of one school, or all)
    whose content no longer matches the event that wrote it. An entry deleted since (under the
    retention schedule, which records its own events) is not a broken seal. A few queries,
    however many entries: the events are read first, then each kind of entry at once."""
    written = AuditEvent.objects.filter(
        action__in=list(WRITTEN_BY), reason__contains="content seal"
    )
    if school_id is not None:
        written = written.filter(school_id=school_id)
    events = written.values_list("id", "school_id", "action", "object_id", "object_ref", "reason")
    wanted: list[tuple[int, int, type[Model], int, str, str]] = []
    for event_id, school, action, object_id, object_ref, reason in events.iterator():
        sealed = SEAL.search(reason)
        model = WRITTEN_BY[action]
        if model is Addendum:
            which = ADDENDUM.search(reason)
            pk = int(which.group(1)) if which else None
            what = f"an addendum to {object_ref}"
        else:
            pk, what = int(object_id), object_ref
        if sealed is not None and pk is not None:
            wanted.append((event_id, school, model, pk, what, sealed.group(1)))
    found: dict[type[Model], dict[Any, Model]] = {
        model: model._default_manager.in_bulk([w[3] for w in wanted if w[2] is model])
        for model in SEALED_FIELDS
    }
    for event_id, school_id, model, pk, what, seal in wanted:
        entry = found[model].get(pk)
        if entry is not None and content_seal(entry) != seal:
            yield (
                event_id,
                school_id,
                f"{what} has been changed since it was written (event {event_id} sealed what "
                "it said): records are never edited, so this was done outside Safeguard",
            )
