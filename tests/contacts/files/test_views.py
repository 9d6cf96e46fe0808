"""contacts/files/views.py: a pupil's and a member of staff's file cost the same few queries
however much is on them (docs/performance.md, "Benchmark")."""

import pytest
from django.db import connection
from django.urls import reverse

from tests.factories_pages import add_busy_rows
from tests.helpers import page_queries, sign_in

# Above the benchmark's target of 10 (docs/performance.md): what each costs, so that a query
# per row, or one more section, fails here. A pupil's page: the page's frame (session, person,
# second factor: 3), the pupil, the view event (chain head and insert, and on PostgreSQL the
# school's chain lock, which SQLite takes at BEGIN), who
# has seen it, parents, declared relationships and whether the reader acknowledges them (2),
# the file's references (a query per kind: 3) and its page of entries (requests, records,
# disclosures, each request's and record's pupils: 5), a plan's sessions and reviews (2).
PUPIL_PAGE_QUERIES = 18 + (connection.vendor == "postgresql")
# A member of staff's page: the frame (3), the person with their second factor, their latest
# invitation, roles, reports, declarations, colleague relationships, the colleagues offered in
# the form, the file (2 kinds of references, 4 for the entries), the concerns the reader
# manages about them (the concerns, the subject's related colleagues, the head's absence, the
# case managers) and whether the reader may open their pattern.
STAFF_PAGE_QUERIES = 21
# One's own page: the same, without the second factor's session check, the invitation and the
# concerns' case managers.
OWN_PAGE_QUERIES = 15


@pytest.fixture
def busy(head, dsl, teacher, colleague, pupil):
    def more(round_):
        add_busy_rows(
            pupil=pupil, requesters=[teacher, colleague], head=head, dsl=dsl, round_=round_
        )

    more(0)
    return more


def _steady(client, url, more) -> tuple[int, int]:
    """Queries of the page now, and again with as much again on it."""
    client.get(url)
    few = len(page_queries(client, url))
    more(1)
    many = len(page_queries(client, url))
    return few, many


def test_a_pupils_page_costs_the_same_queries_however_full(client, head, pupil, busy):
    sign_in(client, head)
    url = reverse("pupil_detail", args=[pupil.pk])
    few, many = _steady(client, url, busy)
    assert many == few
    assert many <= PUPIL_PAGE_QUERIES


def test_a_pupils_later_page_costs_the_same(client, head, pupil, busy):
    sign_in(client, head)
    busy(1)
    url = reverse("pupil_detail", args=[pupil.pk])
    first = len(page_queries(client, url))
    assert len(page_queries(client, url, {"page": 2})) <= first <= PUPIL_PAGE_QUERIES


def test_a_staff_members_page_costs_the_same_queries_however_full(client, head, teacher, busy):
    sign_in(client, head)
    url = reverse("staff_detail", args=[teacher.pk])
    few, many = _steady(client, url, busy)
    assert many == few
    assert many <= STAFF_PAGE_QUERIES


def test_ones_own_page_costs_the_same_queries_however_full(client, teacher, busy):
    sign_in(client, teacher)
    url = reverse("staff_detail", args=[teacher.pk])
    few, many = _steady(client, url, busy)
    assert many == few
    assert many <= OWN_PAGE_QUERIES
