"""`last_change`: the version of a school's data that cached panels are kept under. Any change
gives a new one; reading, copying out and signing in do not; another school's changes neither."""

from __future__ import annotations

import pytest
from django.db import connection

from safeguard.audit.selectors import last_change
from safeguard.audit.services import audit_download, audit_record, audit_view
from safeguard.audit.vocabulary import ATTACHMENT_DOWNLOAD, REPORT_EXPORT
from tests.factories_records import make_record


def test_a_change_gives_a_new_version_and_a_read_does_not(school, head, teacher, pupil):
    before = last_change(school.pk)
    record = make_record(teacher, [pupil])
    changed = last_change(school.pk)
    assert changed > before
    audit_view(actor=head, obj=record, school=school)
    audit_download(actor=head, school=school, action=ATTACHMENT_DOWNLOAD, obj=record)
    audit_download(actor=head, school=school, action=REPORT_EXPORT, obj=school)
    audit_record(actor=head, school=school, action="account.sign_in", obj=head)
    assert last_change(school.pk) == changed


def test_another_schools_change_is_not_ours(school, other_school, outsider, other_pupil):
    before = last_change(school.pk)
    make_record(outsider, [other_pupil])
    assert last_change(school.pk) == before
    assert last_change(other_school.pk) > 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's query plan")
def test_the_latest_change_is_one_step_down_its_index(school, head, teacher, pupil):
    record = make_record(teacher, [pupil])
    for _ in range(20):
        audit_view(actor=head, obj=record, school=school)
    from safeguard.audit.models import AuditEvent
    from safeguard.audit.vocabulary import ACCOUNT_PREFIX, READS

    rows = (
        AuditEvent.objects.filter(school_id=school.pk)
        .exclude(action__in=READS)
        .exclude(action__startswith=ACCOUNT_PREFIX)
        .order_by("-id")
        .values_list("id", flat=True)[:1]
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = rows.explain()
    assert "audit_school_changes_idx" in plan
