"""contacts/files/views.py: a pupil's and a member of staff's file cost the same few queries
however much is on them (docs/performance.md, "Benchmark")."""

import pytest
from django.urls import reverse

from contacts.people.models import StaffRelative
from tests.factories_pages import add_busy_rows
from tests.helpers import page_queries, sign_in

# What each page costs, so that a query per row, or one more section, fails here. A pupil's
# page: the page's frame (session; the person with their second factor: 2), the pupil with their
# parents and whether any relationship with them was declared, the view event (2: on PostgreSQL
# the school's chain lock, then the insert that reads the chain's head; SQLite takes its lock at
# BEGIN and reads the head apart), who has seen it, the declared relationships and whether the
# reader acknowledges them (2, only when there are some), the file's references (1) and its page
# of entries (requests, records, disclosures, each with its pupils: 3), a plan's sessions and
# reviews (2, only when a plan is on the page).
PUPIL_PAGE_QUERIES = 14
# The benchmark's target for a daily page (docs/performance.md): a pupil's page as most are,
# with no declared relationship and no plan on its first page.
TARGET_QUERIES = 10
# A member of staff's page: the frame (2), the person with their second factor, their latest
# invitation, roles, reports, declarations, colleague relationships, the colleagues offered in
# the form, the file (its references and 2 kinds of entries), the concerns the reader manages
# about them (the concerns, the subject's related colleagues, the head's absence, the case
# managers) and whether the reader may open their pattern.
STAFF_PAGE_QUERIES = 17
# One's own page: the same, without the invitation and the concerns' case managers.
OWN_PAGE_QUERIES = 12


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


def test_a_pupils_page_as_most_are_is_within_the_benchmarks_target(client, head, pupil, busy):
    """Parents and carers, requests, records and disclosures on file, and nobody has declared
    a relationship with the pupil."""
    StaffRelative.objects.filter(pupil=pupil).delete()
    sign_in(client, head)
    url = reverse("pupil_detail", args=[pupil.pk])
    client.get(url)
    assert len(page_queries(client, url)) <= TARGET_QUERIES


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


@pytest.mark.parametrize("reader", ["head", "assistant", "dsl", "chair", "teacher"])
def test_a_file_reads_no_field_of_its_entries_after_loading_them(
    client, request, monkeypatch, reader, head, chair, teacher, pupil, busy
):
    """The file, on its page and printed, reads only what its lines show (`_REQUEST_SHOWN`,
    ...): a line that needed a field left out would read it again, entry by entry. Every kind
    of line is here: requests decided and rejected, a plan with its sessions and reviews,
    family-liaison entries (the head's own, routed to the chair), records with addenda, and
    disclosures."""
    from django.db.models import Model

    from contacts.planned import services as planned_services
    from tests.factories_records import make_family_record, make_record
    from tests.factories_requests import make_request

    refused = make_request(teacher, [pupil])
    planned_services.request_decide(actor=head, contact_request=refused, decision="reject",
                                    reason="Not needed.", expected_version=None)  # fmt: skip
    make_family_record(teacher, [pupil])
    make_family_record(head, [pupil])  # the head's own: the chair's to read
    make_record(head, [pupil], record_type="gift", kind="gift", purpose="personal",
                direction="given", details="A book.")  # fmt: skip
    read_again = []

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        read_again.append((type(self).__name__, fields))

    monkeypatch.setattr(Model, "refresh_from_db", refresh_from_db)
    person = request.getfixturevalue(reader)
    sign_in(client, person)
    for url in (
        reverse("pupil_detail", args=[pupil.pk]),
        reverse("staff_detail", args=[teacher.pk]),
        reverse("staff_detail", args=[head.pk]),
        reverse("pupil_print", args=[pupil.pk]),
        reverse("staff_print", args=[teacher.pk]),
    ):
        response = client.get(url)
        assert response.status_code in (200, 403, 404)
    assert read_again == []
