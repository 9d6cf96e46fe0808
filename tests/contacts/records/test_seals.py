"""Content seals: a record, disclosure or addendum changed in the database behind the app's
back (its triggers aside) is named by verify_audit, on SQLite and PostgreSQL."""

import io

import pytest
from django.core.management import CommandError, call_command

from contacts.records import services
from contacts.records.models import Addendum, ContactRecord, Disclosure
from contacts.records.seals import SEALED_FIELDS, broken_seals, content_seal
from safeguard.audit.chain import audit_verify
from safeguard.audit.models import AuditEvent
from tests.factories_records import make_disclosure, make_record


def _verify() -> str:
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_audit", stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def test_every_written_entry_is_sealed_in_its_event(teacher, pupil, head, dsl):
    record = make_record(teacher, [pupil])
    disclosure = make_disclosure(teacher, pupil)
    event = AuditEvent.objects.get(action="record.create")
    assert f"content seal {content_seal(record)}" in event.reason
    assert content_seal(disclosure) in AuditEvent.objects.get(action="disclosure.create").reason
    assert list(broken_seals()) == []
    assert audit_verify() == []


def test_a_disclosure_changed_with_sql_is_named(teacher, pupil, head, dsl):
    disclosure = make_disclosure(teacher, pupil)
    Disclosure.objects.filter(pk=disclosure.pk).update(account="Nothing was said.")
    [problem] = audit_verify()
    assert disclosure.reference in problem.message
    assert "changed since it was written" in problem.message
    assert disclosure.reference in _verify()


def test_a_record_and_an_addendum_changed_with_sql_are_named(teacher, pupil, head):
    record = make_record(teacher, [pupil])
    addendum = services.record_addendum_add(actor=teacher, record=record, text="At ten past four.")
    ContactRecord.objects.filter(pk=record.pk).update(details="Nothing happened.")
    Addendum.objects.filter(pk=addendum.pk).update(text="At midnight.")
    messages = [p.message for p in audit_verify()]
    assert any(record.reference in m and "addendum" not in m for m in messages)
    assert any(f"an addendum to {record.reference}" in m for m in messages)


def test_an_entry_deleted_under_retention_is_not_a_broken_seal(teacher, pupil, head):
    record = make_record(teacher, [pupil])
    ContactRecord.objects.filter(pk=record.pk).delete()
    assert list(broken_seals()) == []


def test_checking_the_seals_takes_the_same_queries_however_many_entries(
    teacher, pupil, head, django_assert_max_num_queries
):
    make_record(teacher, [pupil])
    make_disclosure(teacher, pupil)
    with django_assert_max_num_queries(4):
        list(broken_seals())
    for _ in range(5):
        record = make_record(teacher, [pupil])
        services.record_addendum_add(actor=teacher, record=record, text="A later detail.")
    with django_assert_max_num_queries(4):
        assert list(broken_seals()) == []


def test_signposting_is_sealed(teacher, pupil):
    plain = make_record(teacher, [pupil])
    signposted = make_record(teacher, [pupil], signposting="The local young people's hub.")
    assert list(broken_seals()) == []
    ContactRecord.objects.filter(pk=signposted.pk).update(signposting="Nowhere.")
    ContactRecord.objects.filter(pk=plain.pk).update(signposting="Added afterwards.")
    messages = [p.message for p in audit_verify()]
    assert any(signposted.reference in m for m in messages)
    assert any(plain.reference in m for m in messages)


def test_a_record_without_signposting_keeps_the_seal_it_had_before_the_field(
    teacher, pupil, monkeypatch
):
    plain = make_record(teacher, [pupil])
    sealed = content_seal(plain)
    before = tuple(name for name in SEALED_FIELDS[ContactRecord] if name != "signposting")
    monkeypatch.setitem(SEALED_FIELDS, ContactRecord, before)
    assert content_seal(plain) == sealed
