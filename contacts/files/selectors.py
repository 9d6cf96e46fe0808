"""A staff or pupil file: the requests, records and disclosures about one person that the user
may see, a page at a time. Only what the subjects' selectors let the user see is ever listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    CharField,
    Count,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.utils import timezone

from contacts.people.models import Pupil, Staff
from contacts.people.selectors import by_name
from contacts.planned.models import ContactRequest, PlanReview
from contacts.planned.selectors import can_read_request, requests_visible_to
from contacts.records.models import ContactRecord, Disclosure
from contacts.records.selectors import can_read_record, disclosures_visible_to, records_visible_to
from safeguard.core.aggregates import rows_of

# Entries per page of a staff or pupil file.
FILE_PAGE_SIZE = 25
# Each kind of entry: the selector of what the user may see, and the date the file sorts by.
_KINDS: dict[str, tuple[Callable[[Staff], QuerySet], str]] = {
    "request": (requests_visible_to, "starts_at"),
    "record": (records_visible_to, "occurred_at"),
    "disclosure": (disclosures_visible_to, "disclosed_at"),
}


@dataclass
class FilePage:
    page: Page  # of (kind, pk, when) references, newest first
    entries: list[dict]  # {kind, item, when, readable} for each entry of the page


def _file_rows(user: Staff, person: Staff | Pupil) -> list[tuple[str, QuerySet, str]]:
    """(kind, rows the user may see, date column) for each kind of entry on the person's file:
    a member of staff's requests and records; a pupil's requests, records and disclosures.
    Each kind is the file's own condition with the selector's added (`&`) rather than tested as
    a subquery over the whole school."""
    if isinstance(person, Pupil):
        conditions = {
            "request": Q(pupils=person),
            "record": Q(pupils=person),
            "disclosure": Q(pupil=person),
        }
    else:
        conditions = {"request": Q(requester=person), "record": Q(author=person)}
    rows = []
    for kind, condition in conditions.items():
        visible_to, column = _KINDS[kind]
        visible = visible_to(user)
        rows.append((kind, visible.model.objects.filter(condition) & visible, column))
    return rows


def _file_references(user: Staff, person: Staff | Pupil) -> list[tuple[str, int, object]]:
    """(kind, pk, when) of every entry the user may see, newest first (at the same moment, a
    request before a record before a disclosure, the newest written first): one query, each
    kind's narrow rows put together (UNION ALL)."""
    file_rows = _file_rows(user, person)
    kinds = [
        rows.order_by()
        .annotate(entry_kind=Value(kind, output_field=CharField()))
        .values_list("entry_kind", "pk", column)
        for kind, rows, column in file_rows
    ]
    # The union's columns are named as its first query names them.
    when = file_rows[0][2]
    newest_first = kinds[0].union(*kinds[1:], all=True).order_by(f"-{when}", "-entry_kind", "-pk")
    return list(newest_first)


def _pupils_named(model: type[ContactRequest] | type[ContactRecord]) -> Subquery:
    """The names of each entry's pupils, read with the entry."""
    through = model.pupils.through
    return rows_of(
        through.objects.all(),
        f"{model._meta.model_name}_id",
        first_name="pupil__first_name",
        last_name="pupil__last_name",
    )


def _names(found: list[dict] | None) -> list[str]:
    """Pupils' names in the people lists' order."""
    pupils = sorted(found or (), key=by_name)
    return [f"{pupil['first_name']} {pupil['last_name']}".strip() for pupil in pupils]


# What a file's line shows of each kind of entry, and what deciding whether its reader may read
# it needs (`can_read_request`, `can_read_record`): only these are read, not the entries' texts,
# nor the rest of their people's rows (no password hashes).
_NAMES = ("first_name", "last_name")
_REQUEST_SHOWN = (
    "school_id",
    "requester_id",
    "kind",
    "with_family_only",
    "status",
    "route",
    "restricted",
    "starts_at",
    "sessions_logged",
    "decided_at",
    "outcome",
    "plan_review_date",
    "plan_ended_at",
    *(f"requester__{name}" for name in _NAMES),
    *(f"decided_by__{name}" for name in _NAMES),
)
_RECORD_SHOWN = (
    "author_id",
    "record_type",
    "verdict",
    "restricted",
    "route",
    *(f"author__{name}" for name in _NAMES),
)
_DISCLOSURE_SHOWN = ("disclosure_type", *(f"author__{name}" for name in _NAMES))
# What the printed chronology shows besides (`file_chronology`).
_PRINTED = {"request": ("place",), "record": ("details",)}


def _file_load(
    user: Staff, references: list[tuple[str, int, object]], *, printed: bool = False
) -> list[dict]:
    """The entries for these references, in their order: a query per kind, whatever their
    number, each entry's pupils' names read with it (`pupils`). Notes and addenda are counted
    in the database. Only what a line shows is read, and what the printed chronology shows
    too if `printed`."""
    extra = _PRINTED if printed else {}
    wanted: dict[str, list[int]] = {"request": [], "record": [], "disclosure": []}
    for kind, pk, _when in references:
        wanted[kind].append(pk)
    items: dict[tuple[str, int], Any] = {}
    rows: QuerySet[Any]
    if wanted["request"]:
        requests = list(
            ContactRequest.objects.filter(pk__in=wanted["request"])
            .order_by()  # put in the references' order below
            .select_related("requester", "decided_by")
            .only(*_REQUEST_SHOWN, *extra.get("request", ()))
            .annotate(note_count=Count("notes"), pupils_found=_pupils_named(ContactRequest))
        )
        # A plan's sessions and reviews are on the file with it: two queries for the page, and
        # none for a page without a plan (most of them).
        prefetch_related_objects(
            [item for item in requests if item.has_plan],
            "plan_sessions",
            Prefetch("plan_reviews", PlanReview.objects.select_related("reviewed_by")),
        )
        items |= {("request", item.pk): item for item in requests}
    if wanted["record"]:
        rows = (
            ContactRecord.objects.filter(pk__in=wanted["record"])
            .order_by()
            .select_related("author")
            .only(*_RECORD_SHOWN, *extra.get("record", ()))
            .annotate(addendum_count=Count("addenda"), pupils_found=_pupils_named(ContactRecord))
        )
        items |= {("record", item.pk): item for item in rows}
    if wanted["disclosure"]:
        rows = (
            Disclosure.objects.filter(pk__in=wanted["disclosure"])
            .order_by()
            .select_related("author")
            .only(*_DISCLOSURE_SHOWN)
        )
        items |= {("disclosure", item.pk): item for item in rows}
    entries = []
    for kind, pk, when in references:
        item = items[kind, pk]
        if kind == "request":
            readable = can_read_request(user, item)
        elif kind == "record":
            readable = can_read_record(user, item)
        else:
            readable = True
        pupils = _names(item.pupils_found) if kind != "disclosure" else []
        entries.append(
            {"kind": kind, "item": item, "when": when, "readable": readable, "pupils": pupils}
        )
    return entries


def file_page(user: Staff, person: Staff | Pupil, *, number: str | int | None = None) -> FilePage:
    """One page (FILE_PAGE_SIZE entries) of a staff or pupil file: the requests, records and
    disclosures the user may see, newest first; entries the user may know exist but not read are
    marked restricted. `person` is one the caller fetched through a people selector.

    A file grows for years: the references of every entry are read (two small columns each, a
    few hundred rows for the busiest pupil); only the page's entries are then read whole."""
    refs = _file_references(user, person)
    page = Paginator(refs, FILE_PAGE_SIZE).get_page(number)
    return FilePage(page, _file_load(user, list(page.object_list)))


# The most entries one printed chronology holds (the busiest pupil of a large school has some
# five hundred); a longer one says how many were left out and asks for narrower dates.
PRINT_LIMIT = 1000


@dataclass
class Chronology:
    entries: list[dict]  # {kind, item, when, readable}, oldest first
    total: int  # how many matched, of which `entries` holds the first PRINT_LIMIT


def file_chronology(
    user: Staff,
    person: Staff | Pupil,
    *,
    kinds: set[str] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> Chronology:
    """The person's file as a chronology in date order (oldest first), for printing: the same
    entries `file_page` lists, of the kinds and between the dates asked for."""

    def day(when: Any) -> dt.date:
        return timezone.localtime(when).date()

    refs = [
        ref
        for ref in reversed(_file_references(user, person))
        if (not kinds or ref[0] in kinds)
        and (since is None or day(ref[2]) >= since)
        and (until is None or day(ref[2]) <= until)
    ]
    return Chronology(_file_load(user, refs[:PRINT_LIMIT], printed=True), len(refs))
