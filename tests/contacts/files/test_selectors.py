"""contacts/files/selectors.py: a file's references in one query, answered from its indexes."""

import datetime as dt

import pytest
from django.db import connection

from contacts.files import selectors
from safeguard.core import roles
from tests.factories_records import make_disclosure, make_record
from tests.factories_requests import make_request


def test_the_references_of_every_kind_come_in_one_query_newest_first(
    head, dsl, teacher, pupil, django_assert_num_queries
):
    older = make_record(teacher, [pupil])
    request = make_request(teacher, [pupil])
    disclosure = make_disclosure(dsl, pupil)
    roles.roles_of(head)  # loaded with the person on a page
    with django_assert_num_queries(1):
        refs = selectors._file_references(head, pupil)
    assert sorted((kind, pk) for kind, pk, _when in refs) == [
        ("disclosure", disclosure.pk),
        ("record", older.pk),
        ("request", request.pk),
    ]
    whens = [when for _kind, _pk, when in refs]
    assert whens == sorted(whens, reverse=True)


def test_entries_at_the_same_moment_list_a_request_then_records_then_a_disclosure(
    head, dsl, teacher, pupil
):
    from django.utils import timezone

    from contacts.planned.models import ContactRequest

    when = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)
    first, second = (make_record(teacher, [pupil], occurred_at=when) for _ in range(2))
    disclosure = make_disclosure(dsl, pupil, disclosed_at=when)
    request = make_request(teacher, [pupil])
    ContactRequest.objects.filter(pk=request.pk).update(starts_at=when)
    refs = [(kind, pk) for kind, pk, _when in selectors._file_references(head, pupil)]
    assert refs == [
        ("request", request.pk),
        ("record", second.pk),
        ("record", first.pk),
        ("disclosure", disclosure.pk),
    ]


def test_each_entry_comes_with_its_pupils_names_in_the_lists_order(
    head, teacher, pupil, django_assert_num_queries
):
    from tests.factories import PupilFactory

    others = [
        PupilFactory(school=pupil.school, first_name="Zac", last_name="abbott"),
        PupilFactory(school=pupil.school, first_name="Amy", last_name="Zephyr"),
    ]
    record = make_record(teacher, [pupil, *others])
    request = make_request(teacher, [pupil, others[1]])
    refs = selectors._file_references(head, pupil)
    roles.roles_of(head)
    assert connection.features.supports_json_field  # asked once per connection, on SQLite
    with django_assert_num_queries(2):
        loaded = selectors._file_load(head, refs)
    entries = {(entry["kind"], entry["item"].pk): entry["pupils"] for entry in loaded}
    assert entries["record", record.pk][0] == "Zac abbott"  # whatever the case of a name
    assert entries["record", record.pk][-1] == "Amy Zephyr"
    assert set(entries["record", record.pk]) == {p.full_name for p in [pupil, *others]}
    assert set(entries["request", request.pk]) == {pupil.full_name, "Amy Zephyr"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's query plan")
@pytest.mark.django_db(transaction=True)
def test_a_pupils_references_are_read_from_indexes_alone(head, teacher, pupil):
    """The indexes of migration contacts 0023 cover the query: once the tables are vacuumed, as
    autovacuum keeps them, the requests and records are read from those indexes alone. (Table
    scans are ruled out, as at scale the planner would rule them out itself.)"""
    from django.db import transaction

    make_record(teacher, [pupil])
    make_request(teacher, [pupil])
    with connection.cursor() as cursor:
        for table in (
            "contacts_contactrequest",
            "contacts_contactrequest_pupils",
            "contacts_contactrecord",
            "contacts_contactrecord_pupils",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
    kinds = [
        rows.order_by().values_list("pk", column)
        for kind, rows, column in selectors._file_rows(head, pupil)
        if kind != "disclosure"
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for method in ("seqscan", "bitmapscan", "mergejoin", "hashjoin"):
            cursor.execute(f"SET LOCAL enable_{method} = off")
        plans = [rows.explain() for rows in kinds]
    assert "Index Only Scan using contacts_request_pupils_file_idx" in plans[0], plans[0]
    assert "Index Only Scan using contacts_request_file_idx" in plans[0], plans[0]
    assert "Index Only Scan using contacts_record_pupils_file_idx" in plans[1], plans[1]
    assert "Index Only Scan using contacts_record_file_idx" in plans[1], plans[1]
