"""Who may see which people. Every view and export reads through these functions.

A row outside the user's reach is simply absent from the queryset, so a lookup by id gives 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet

from contacts.people.models import Staff
from contacts.planned.models import ContactRequest
from contacts.planned.selectors import can_read_request, requests_visible_to
from contacts.records.models import ContactRecord, Disclosure
from contacts.records.selectors import can_read_record, disclosures_visible_to, records_visible_to

# Entries per page of a staff or pupil file.
FILE_PAGE_SIZE = 25


@dataclass
class FilePage:
    page: Page  # of (kind, pk, when) references, newest first
    entries: list[dict]  # the page's entries, as file_entries gives them


def _file_references(
    user: Staff, *, requests: QuerySet, records: QuerySet, disclosures: QuerySet | None
) -> list[tuple[str, int, object]]:
    """(kind, pk, when) of every entry the user may see, newest first. Three narrow queries, one
    per kind, each the file's own conditions with the selector's added (`&`) rather than tested
    as a subquery over the whole school; merged here. (One UNION query is no quicker: PostgreSQL
    plans it in parallel, and starting the workers costs more than the query.)"""
    parts = [
        ("request", requests & requests_visible_to(user), "starts_at"),
        ("record", records & records_visible_to(user), "occurred_at"),
    ]
    if disclosures is not None:
        parts.append(("disclosure", disclosures & disclosures_visible_to(user), "disclosed_at"))
    refs = [
        (kind, pk, when)
        for kind, rows, column in parts
        for pk, when in rows.order_by().values_list("pk", column)
    ]
    order = {"request": 0, "record": 1, "disclosure": 2}
    refs.sort(key=lambda ref: (order[ref[0]], -ref[1]))
    refs.sort(key=lambda ref: ref[2], reverse=True)
    return refs


def _file_load(user: Staff, references: list[tuple[str, int, object]]) -> list[dict]:
    """The entries for these references, in their order: a query or two per kind, whatever
    their number. Notes and addenda are counted in the database."""
    wanted: dict[str, list[int]] = {"request": [], "record": [], "disclosure": []}
    for kind, pk, _when in references:
        wanted[kind].append(pk)
    items: dict[tuple[str, int], Any] = {}
    rows: QuerySet[Any]
    if wanted["request"]:
        rows = (
            ContactRequest.objects.filter(pk__in=wanted["request"])
            .select_related("requester", "decided_by")
            .prefetch_related("pupils")
            .annotate(note_count=Count("notes"))
        )
        items |= {("request", item.pk): item for item in rows}
    if wanted["record"]:
        rows = (
            ContactRecord.objects.filter(pk__in=wanted["record"])
            .select_related("author")
            .prefetch_related("pupils")
            .annotate(addendum_count=Count("addenda"))
        )
        items |= {("record", item.pk): item for item in rows}
    if wanted["disclosure"]:
        rows = Disclosure.objects.filter(pk__in=wanted["disclosure"]).select_related(
            "author", "pupil"
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
        entries.append({"kind": kind, "item": item, "when": when, "readable": readable})
    return entries


def file_entries(
    user: Staff, *, requests: QuerySet, records: QuerySet, disclosures: QuerySet | None = None
) -> list[dict]:
    """A staff or pupil file: requests, records and disclosures the user may see, newest first.

    Entries the user may know exist but not read are marked restricted.
    """
    refs = _file_references(user, requests=requests, records=records, disclosures=disclosures)
    return _file_load(user, refs)


def file_page(
    user: Staff,
    *,
    requests: QuerySet,
    records: QuerySet,
    disclosures: QuerySet | None = None,
    number: str | int | None = None,
) -> FilePage:
    """One page of `file_entries` (FILE_PAGE_SIZE entries): a file grows for years. The
    references of every entry are read (two small columns each, a few hundred rows for the
    busiest pupil); only the page's entries are then read whole."""
    refs = _file_references(user, requests=requests, records=records, disclosures=disclosures)
    page = Paginator(refs, FILE_PAGE_SIZE).get_page(number)
    return FilePage(page, _file_load(user, list(page.object_list)))
