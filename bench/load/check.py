"""After a load run: is everything the app acknowledged in the database, whole? (inside Django)

    DJANGO_SETTINGS_MODULE=safeguard.settings \\
        python -m bench.load.check --acks acks.jsonl --since 1767000000.0 --out check.json

- Each acknowledged submission is a request by that member of staff, with its `request.submit`
  audit event, now submitted or further along (the head may have decided it since).
- Each acknowledged decision left the request in the state the head chose, decided by the
  head, with its audit event; each acknowledged review has its reviewer and audit event.
- Each acknowledged record is that member of staff's, with its `record.create` event, and its
  attachment read back through the uploads storage (as any server reads it) has the SHA-256
  and size of the bytes uploaded; each acknowledged download of it from another server left
  its `attachment.download` event.
- No write is half-applied: every request created or changed since the run began (by its
  row's `updated_at` or by an audit event) is replayed from its audit events along
  `TRANSITIONS`, and must end in its stored status and version; and no request is missing
  its `request.create` event.

Prints a summary and writes the findings as JSON; exits 1 if anything is wrong.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import sys
from pathlib import Path

MAX_LISTED = 20


def check(acks: list[dict], since: float) -> dict:
    import django

    django.setup()
    from django.db.models import Q

    from contacts.planned.models import TRANSITIONS, ContactRequest, Status
    from safeguard.audit.models import AuditEvent

    label = ContactRequest._meta.label_lower
    actions = {action for _state, action in TRANSITIONS}
    began = dt.datetime.fromtimestamp(since, dt.UTC)
    problems: list[str] = []

    def problem(text: str) -> None:
        problems.append(text)

    acked = {int(a["pk"]) for a in acks}
    changed_ids = set(
        AuditEvent.objects.filter(object_type=label, created_at__gte=began)
        .values_list("object_id", flat=True)
        .distinct()
    )
    rows = {
        r.pk: r
        for r in ContactRequest.objects.filter(
            Q(pk__in=acked)
            | Q(pk__in=[int(i) for i in changed_ids])
            | Q(updated_at__gte=began)
            | Q(created_at__gte=began)
        ).select_related("requester", "decided_by", "reviewed_by")
    }
    events: dict[int, list[tuple]] = {pk: [] for pk in rows}
    for object_id, action, from_state, to_state, actor in (
        AuditEvent.objects.filter(object_type=label, object_id__in=[str(pk) for pk in rows])
        .order_by("id")
        .values_list("object_id", "action", "from_state", "to_state", "actor__email")
    ):
        # A view event ("view") has no subject prefix; the replay passes over it.
        events[int(object_id)].append((action.split(".", 1)[-1], from_state, to_state, actor))

    counts = {"submit": 0, "decide": 0, "review": 0, "record": 0, "download": 0}
    files = [a for a in acks if a["kind"] in ("record", "download")]
    for ack in files:
        counts[ack["kind"]] += 1
    problems.extend(_files_found(files))
    for ack in acks:
        kind, pk = ack["kind"], int(ack["pk"])
        if kind in ("record", "download"):
            continue
        counts[kind] = counts.get(kind, 0) + 1
        row = rows.get(pk)
        if row is None:
            problem(f"acknowledged {kind} of request {pk}: no such request")
            continue
        done = {(action, actor) for action, _f, _t, actor in events[pk]}
        if kind == "submit":
            if row.requester.email != ack["by"]:
                problem(f"{row.reference}: asked by {row.requester.email}, not {ack['by']}")
            if ("submit", ack["by"]) not in done:
                problem(f"{row.reference}: acknowledged submission has no submit event")
            if row.status in (Status.DRAFT,):
                problem(f"{row.reference}: acknowledged as submitted but is a draft")
        elif kind == "decide":
            wanted = TRANSITIONS[(Status.SUBMITTED, ack["decision"])]
            if row.status != wanted:
                problem(f"{row.reference}: acknowledged {ack['decision']}, but is {row.status}")
            if row.decided_by is None or not any(a == ack["decision"] for a, _ in done):
                problem(f"{row.reference}: acknowledged decision has no decider or no event")
        elif kind == "review":
            # Reviewed (reviewed_at set): the reviewer is set too.
            if row.reviewed_at is None or row.reviewed_by.email != ack["by"]:  # type: ignore[union-attr]
                problem(f"{row.reference}: acknowledged review is not recorded")
            if ("review", ack["by"]) not in done:
                problem(f"{row.reference}: acknowledged review has no review event")

    # Replay each touched request from its events: the stored state must be where they lead.
    for pk, row in rows.items():
        state, steps, history = "", 0, events[pk]
        if not history or history[0][0] != "create":
            problem(f"{row.reference}: no request.create event")
            continue
        for action, from_state, to_state, _actor in history:
            if action == "create":
                state = Status.DRAFT
            elif action in ("edit", "refer"):
                steps += 1
            elif action in actions:
                if from_state != state or TRANSITIONS.get((state, action)) != to_state:
                    problem(f"{row.reference}: {action} from {from_state} does not follow {state}")
                state, steps = to_state, steps + 1
        if state != row.status or row.version != 1 + steps:
            problem(
                f"{row.reference}: events lead to {state} v{1 + steps}, "
                f"stored {row.status} v{row.version}"
            )
        if (row.reviewed_at is not None) != any(a == "review" for a, *_ in history):
            problem(f"{row.reference}: reviewed_at and the review event disagree")

    return {
        "acknowledged": counts,
        "requests_checked": len(rows),
        "problems": len(problems),
        "first_problems": problems[:MAX_LISTED],
        "ok": not problems,
    }


def _files_found(acks: list[dict]) -> list[str]:
    """Each acknowledged record with its file whole in the storage, each download audited."""
    from contacts.records.models import ContactRecord
    from safeguard.audit.models import AuditEvent
    from safeguard.core.uploads import open_stored

    label = ContactRecord._meta.label_lower
    records = {
        r.pk: r
        for r in ContactRecord.objects.filter(pk__in=[int(a["pk"]) for a in acks]).select_related(
            "author"
        )
    }
    done = set(
        AuditEvent.objects.filter(
            object_type=label, object_id__in=[str(pk) for pk in records]
        ).values_list("object_id", "action", "actor__email")
    )
    problems = []
    for ack in acks:
        pk, by = int(ack["pk"]), ack["by"]
        record = records.get(pk)
        if record is None:
            problems.append(f"acknowledged {ack['kind']} of record {pk}: no such record")
            continue
        if ack["kind"] == "download":
            if (str(pk), "attachment.download", by) not in done:
                problems.append(f"{record.reference}: acknowledged download has no event")
            continue
        if record.author.email != by or (str(pk), "record.create", by) not in done:
            problems.append(f"{record.reference}: not recorded by {by}, or no create event")
        try:
            with open_stored(record.attachment) as stored:
                content = stored.read()
        except (FileNotFoundError, ValueError):
            problems.append(f"{record.reference}: its attachment is not stored")
            continue
        if len(content) != ack["size"] or hashlib.sha256(content).hexdigest() != ack["sha256"]:
            problems.append(f"{record.reference}: the stored attachment is not the one uploaded")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--acks", type=Path, required=True)
    parser.add_argument("--since", type=float, required=True, help="run start, epoch seconds")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguard.settings")
    lines = args.acks.read_text().splitlines() if args.acks.exists() else []
    result = check([json.loads(line) for line in lines if line.strip()], args.since)
    args.out.write_text(json.dumps(result, indent=1))
    acked = ", ".join(f"{n} {kind}" for kind, n in result["acknowledged"].items())
    print(
        f"acknowledged: {acked}; requests checked: {result['requests_checked']}; "
        f"problems: {result['problems']}"
    )
    for line in result["first_problems"]:
        print(f"  {line}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
