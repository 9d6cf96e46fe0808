"""The only bridge from models to the pattern rules (contacts.patterns.rules reads no models).

One adult's entries, or every adult's a reader may look at, read through the subjects' own
selectors so that a reader's flags are made only of what their role lets them read: their
requests, records (unplanned contact, gifts, personal messages), the boundary concerns about
them, the disclosures they wrote and the LADO consultations about them, with the pupils of each.
A handful of queries whatever the number of adults: one per kind, and one per kind's pupils.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from contacts.concerns.models import BoundaryConcern
from contacts.concerns.selectors import concerns_visible_to, lado_visible_to
from contacts.patterns.rules import Detail, Entry, EntryKind, Thresholds
from contacts.people.models import Staff
from contacts.planned.models import ContactRequest, Status
from contacts.planned.selectors import can_read_request, requests_visible_to
from contacts.records.models import ContactRecord, Direction, RecordType
from contacts.records.selectors import can_read_record, disclosures_visible_to, records_visible_to
from safeguard.core.models import School

# Requests that are contact: agreed, or done. Asked-for, refused or withdrawn contact is on the
# chronology but never counted as contact.
AGREED = (Status.APPROVED, Status.COMPLETED)
# The kinds of contact that are a message from the adult when their purpose is personal.
MESSAGE_KINDS = ("phone_call", "text_message", "email", "letter", "social_media")


@dataclass(frozen=True)
class Fact:
    """One entry on an adult's chronology: what the rules read (`entry`), whose it is, the row
    it came from (kind and pk), when it sorts, and whether the reader may read its content (a
    restricted family-liaison entry may be known to exist and not be read)."""

    entry: Entry
    adult_id: int
    pk: int
    when: dt.datetime
    readable: bool = True


def thresholds_for(school: School) -> Thresholds:
    return Thresholds(
        unplanned_count=school.pattern_unplanned_count,
        unplanned_days=school.pattern_unplanned_days,
        gifts_messages_count=school.pattern_gifts_count,
        gifts_messages_days=school.pattern_gifts_days,
        concerns_count=school.pattern_concerns_count,
        concerns_days=school.pattern_concerns_days,
    )


def key(kind: EntryKind, pk: int | None) -> str:
    return f"{kind}:{pk}"


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _midday(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """A date-only entry (a concern's date) sorts at midday on its day, in the school's zone
    (read once by the caller: the dashboard reads hundreds of concerns)."""
    return dt.datetime.combine(day, dt.time(12), tzinfo=zone)


def _pupils(through: Any, column: str, ids: Iterable[int]) -> dict[int, set[int]]:
    """{row id: its pupils' ids} from a many-to-many table, for the rows with these ids, in one
    query (by the ids found, rather than running the rows' filter again as a subquery)."""
    found: dict[int, set[int]] = defaultdict(set)
    pairs = through.objects.filter(**{f"{column}__in": list(ids)})
    for row_id, pupil_id in pairs.values_list(f"{column}_id", "pupil_id"):
        found[row_id].add(pupil_id)
    return found


def _request_details(request: ContactRequest) -> frozenset[Detail]:
    if request.status not in AGREED:
        return frozenset()
    details: set[Detail] = set() if request.with_family_only else {"contact"}
    if request.kind == "gift":
        details.add("gift")
    elif request.purpose == "personal" and request.kind in MESSAGE_KINDS:
        details.add("personal_message")
    return frozenset(details)


def _record_details(record: Any) -> frozenset[Detail]:
    """Contact with the family only is not contact with the pupil; a gift or a letter received
    from a pupil is not one from the adult; contact a pupil keeps up (ongoing) is theirs."""
    details: set[Detail] = set() if record.with_family_only else {"contact"}
    given = record.direction == Direction.GIVEN
    if record.record_type == RecordType.UNPLANNED:
        details.add("unplanned")
    elif record.record_type == RecordType.GIFT and given:
        details.add("gift")
    elif (record.record_type == RecordType.CORRESPONDENCE and given) or (
        record.record_type == RecordType.MESSAGE and record.purpose == "personal"
    ):
        details.add("personal_message")
    return frozenset(details)


# Concern pairs: {adult id: the pupils named in concerns about them}.
Named = dict[int, set[int]]


def _named_in(through: Any, column: str, owner: str, named: Named) -> Q:
    """Rows (requests or records) of an adult some concern is about, with a pupil some concern
    names: a superset of each adult's contact with the pupils named in concerns about them
    (two lists, not a clause per adult, keep the query small; the rules do the rest)."""
    adults = sorted(adult_id for adult_id, pupils in named.items() if pupils)
    pupils = sorted(set().union(*named.values())) if adults else []
    if not adults:
        return Q(pk__in=[])
    # Asked of each row in the window (an index probe), not of every row naming those pupils
    # in the school's history.
    naming = through.objects.filter(**{column: OuterRef("pk"), "pupil_id__in": pupils})
    return Q(**{f"{owner}_id__in": adults}) & Q(Exists(naming))


def _requests(
    reader: Staff, adults: Any, since: dt.date | None, named: Named | None = None
) -> list[Fact]:
    rows = requests_visible_to(reader).filter(requester_id__in=adults)
    if since is not None:
        rows = rows.filter(starts_at__gte=_midnight(since))
    if named is not None:
        # Only what a rule could count (see `gather`): agreed gifts and personal messages, and
        # agreed contact with a pupil named in a concern about the requester.
        rows = rows.filter(status__in=AGREED).filter(
            Q(kind="gift")
            | Q(purpose="personal", kind__in=MESSAGE_KINDS)
            | _named_in(ContactRequest.pupils.through, "contactrequest", "requester", named)
        )
    rows = rows.only(
        "pk",
        "school_id",
        "requester_id",
        "starts_at",
        "status",
        "kind",
        "purpose",
        "with_family_only",
        "restricted",
        "route",
    )
    found = list(rows)
    pupils = (
        _pupils(ContactRequest.pupils.through, "contactrequest", (r.pk for r in found))
        if found
        else {}
    )
    facts = []
    for request in found:
        readable = can_read_request(reader, request)
        facts.append(
            Fact(
                Entry(
                    key("request", request.pk),
                    "request",
                    timezone.localtime(request.starts_at).date(),
                    frozenset(pupils[request.pk]) if readable else frozenset(),
                    _request_details(request) if readable else frozenset(),
                ),
                request.requester_id,
                request.pk,
                request.starts_at,
                readable,
            )
        )
    return facts


# What the rules and `can_read_record` read of a record, and each of its pupils.
_RECORD_FIELDS = (
    "pk",
    "author_id",
    "occurred_at",
    "record_type",
    "purpose",
    "direction",
    "with_family_only",
    "restricted",
    "route",
    "pupils",
)


def _records(
    reader: Staff, adults: Any, since: dt.date | None, named: Named | None = None
) -> list[Fact]:
    rows = records_visible_to(reader).filter(author_id__in=adults)
    if since is not None:
        rows = rows.filter(occurred_at__gte=_midnight(since))
    if named is not None:
        # Only what a rule could count (see `gather`), as `_record_details` reads it.
        rows = rows.filter(
            Q(record_type=RecordType.UNPLANNED)
            | Q(
                record_type__in=(RecordType.GIFT, RecordType.CORRESPONDENCE),
                direction=Direction.GIVEN,
            )
            | Q(record_type=RecordType.MESSAGE, purpose="personal")
            | _named_in(ContactRecord.pupils.through, "contactrecord", "author", named)
        )
    # Named rows, not model instances: the dashboard reads thousands of them. One row per
    # record and pupil (the pupils table joined), gathered back into one entry per record.
    found: dict[int, Any] = {}
    pupils: dict[int, set[int]] = defaultdict(set)
    for row in rows.order_by().values_list(*_RECORD_FIELDS, named=True):
        found.setdefault(row.pk, row)
        if row.pupils is not None:
            pupils[row.pk].add(row.pupils)
    zone = timezone.get_current_timezone()
    facts = []
    for record in found.values():
        readable = can_read_record(reader, record)
        facts.append(
            Fact(
                Entry(
                    key("record", record.pk),
                    "record",
                    record.occurred_at.astimezone(zone).date(),
                    frozenset(pupils[record.pk]) if readable else frozenset(),
                    _record_details(record) if readable else frozenset(),
                ),
                record.author_id,
                record.pk,
                record.occurred_at,
                readable,
            )
        )
    return facts


def _concerns(reader: Staff, adults: Any) -> list[Fact]:
    """A concern's pupils are those of the record or request it is about: a concern names no
    pupil of its own."""
    rows = concerns_visible_to(reader).filter(subject_id__in=adults)
    linked = list(
        rows.values_list(
            "pk", "subject_id", "occurred_on", "related_record_id", "related_request_id"
        )
    )
    # Concerns are few: their records' and requests' pupils are read only if any is linked.
    record_ids = {row[3] for row in linked if row[3] is not None}
    request_ids = {row[4] for row in linked if row[4] is not None}
    of_records = (
        _pupils(ContactRecord.pupils.through, "contactrecord", record_ids) if record_ids else {}
    )
    of_requests = (
        _pupils(ContactRequest.pupils.through, "contactrequest", request_ids) if request_ids else {}
    )
    zone = timezone.get_current_timezone()
    facts = []
    for pk, subject_id, occurred_on, record_id, request_id in linked:
        about: set[str] = set()
        pupils: set[int] = set()
        if record_id is not None:
            about.add(key("record", record_id))
            pupils |= of_records[record_id]
        if request_id is not None:
            about.add(key("request", request_id))
            pupils |= of_requests[request_id]
        facts.append(
            Fact(
                Entry(
                    key("concern", pk),
                    "concern",
                    occurred_on,
                    frozenset(pupils),
                    frozenset({"concern"}),
                    frozenset(about),
                ),
                subject_id,
                pk,
                _midday(occurred_on, zone),
            )
        )
    return facts


def _disclosures(reader: Staff, adults: Any) -> list[Fact]:
    rows = disclosures_visible_to(reader).filter(author_id__in=adults)
    return [
        Fact(
            Entry(
                key("disclosure", pk),
                "disclosure",
                timezone.localtime(when).date(),
                frozenset({pupil_id}),
            ),
            author_id,
            pk,
            when,
        )
        for pk, author_id, when, pupil_id in rows.values_list(
            "pk", "author_id", "disclosed_at", "pupil_id"
        )
    ]


def _lado(reader: Staff, adults: Any) -> list[Fact]:
    rows = lado_visible_to(reader).filter(subject_id__in=adults)
    return [
        Fact(
            Entry(key("lado", pk), "lado", timezone.localtime(when).date()),
            subject_id,
            pk,
            when,
        )
        for pk, subject_id, when in rows.values_list("pk", "subject_id", "contacted_at")
    ]


def gather(
    reader: Staff,
    adults: Iterable[int] | QuerySet,
    *,
    every_kind: bool = True,
    contact_since: dt.date | None = None,
    counted_only: bool = False,
) -> dict[int, list[Fact]]:
    """{adult id: [Fact, ...]} for the adults given (ids, or a queryset of ids), of what the
    reader's selectors let them see. Only the kinds the rules read unless `every_kind`
    (disclosures and LADO consultations are on the chronology; no rule counts them). With
    `contact_since`, requests and records dated before it are left out (every concern is
    read: they are few, and contact after an old concern still counts).

    With `counted_only` (the dashboard, which wants flags, not a chronology), requests and
    records that no rule could count are left out in the query: plain contact counts only
    with a pupil named in a concern about the same adult, so the concerns are read first.
    The flags are the same as from every entry (tests/contacts/patterns checks it)."""
    found: dict[int, list[Fact]] = defaultdict(list)
    concerns = _concerns(reader, adults)
    named: Named | None = None
    if counted_only:
        named = defaultdict(set)
        for fact in concerns:
            named[fact.adult_id] |= fact.entry.pupils
    facts = [
        *_requests(reader, adults, contact_since, named),
        *_records(reader, adults, contact_since, named),
        *concerns,
    ]
    if every_kind:
        facts += [*_disclosures(reader, adults), *_lado(reader, adults)]
    for fact in facts:
        found[fact.adult_id].append(fact)
    return found


def facts_of(reader: Staff, adult: Staff) -> list[Fact]:
    """Every entry on one adult's chronology that the reader may see, newest first."""
    facts = gather(reader, [adult.pk])[adult.pk]
    order = {"request": 0, "record": 1, "concern": 2, "disclosure": 3, "lado": 4}
    facts.sort(key=lambda f: (order[f.entry.kind], -f.pk))
    facts.sort(key=lambda f: f.when, reverse=True)
    return facts


def rule_entries(facts: Iterable[Fact]) -> list[Entry]:
    """What the rules may count: the entries the reader may read (a restricted entry they may
    only know of never makes a flag, which would tell them what it holds)."""
    return [fact.entry for fact in facts if fact.readable]


# A change to one of these objects changes only its own adult's entries: the requester's
# request, the author's record, the subject's concern; and, for a request or a record, those of
# whoever a concern about it is about (a concern's pupils are its entry's). {object type: (model,
# its adult, the concern's link to it)}.
_OWNED: dict[str, tuple[Any, str, str]] = {
    "contacts.contactrequest": (ContactRequest, "requester_id", "related_request_id"),
    "contacts.contactrecord": (ContactRecord, "author_id", "related_record_id"),
    "contacts.boundaryconcern": (BoundaryConcern, "subject_id", ""),
}
# Changes no rule counts and that change no reader's reach: disclosures and LADO consultations
# are on the chronology but make no flag (`gather`'s `every_kind`); cases, policies, invitations
# and second factors are about something else.
_UNCOUNTED = ("disclosure.", "lado.", "case.", "policy.", "invitation.", "two_factor.")


def adults_changed(changes: Iterable[tuple[str, str, str]]) -> set[int] | None:
    """The adults whose entries these changes (action, object type, object id) may have changed,
    in one query; None when a change may have changed more than its own adults' entries (staff,
    roles, relationships, the school's settings, the head's absence, a row deleted under
    retention): then every adult's flags must be worked out again."""
    changed: dict[str, set[int]] = defaultdict(set)
    alerts: set[int] = set()
    for action, object_type, object_id in changes:
        if object_type in _OWNED and object_id.isdigit():
            changed[object_type].add(int(object_id))
        elif object_type == "contacts.alert" and object_id.isdigit():
            alerts.add(int(object_id))
        elif not action.startswith(_UNCOUNTED):
            return None
    if not changed and not alerts:
        return set()
    # (what it is, its id, its adult) for each changed entry, for each concern about one, and
    # for each entry a changed alert is about.
    parts = []
    for object_type, pks in changed.items():
        model, adult, link = _OWNED[object_type]
        parts.append(_tagged(model.objects.filter(pk__in=pks), object_type, adult))
        if link:
            about = BoundaryConcern.objects.filter(**{f"{link}__in": pks})
            parts.append(_tagged(about, "about", "subject_id"))
    if alerts:
        # An alert on a request, record or concern can widen who reads it (the DSL reads a
        # record the head is alerted to): it touches that entry's adult, found through the entry.
        for model, adult, _ in _OWNED.values():
            parts.append(_tagged(model.objects.filter(alerts__in=alerts), "alerted", adult))
    found: dict[str, set[int]] = defaultdict(set)
    adults = set()
    for tag, pk, adult_id in parts[0].union(*parts[1:], all=True):
        found[tag].add(pk)
        adults.add(adult_id)
    if any(found[object_type] != pks for object_type, pks in changed.items()):
        return None  # deleted: whose it was is no longer known
    return adults


def contact_between(school_id: int, first: dt.date, until: dt.date) -> set[str]:
    """The keys of every agreed request and every record of the school dated from `first` up
    to (not on) `until`, whoever may read it: of those the rules count (only agreed requests are
    contact), more, never fewer. One query, along each table's school and date index."""
    start, end = _midnight(first), _midnight(until)
    requests = ContactRequest.objects.filter(
        school_id=school_id, status__in=AGREED, starts_at__gte=start, starts_at__lt=end
    )
    records = ContactRecord.objects.filter(
        school_id=school_id, occurred_at__gte=start, occurred_at__lt=end
    )
    tagged = _tagged(requests, "request", "requester_id").union(
        _tagged(records, "record", "author_id"), all=True
    )
    return {key(kind, pk) for kind, pk, _ in tagged}


def _tagged(rows: QuerySet, tag: str, adult: str) -> QuerySet:
    return rows.order_by().annotate(tag=Value(tag, CharField())).values_list("tag", "pk", adult)
