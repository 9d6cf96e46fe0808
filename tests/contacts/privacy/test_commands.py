"""apply_retention: the cron command. One summary per school, --dry-run and --today, the system
as the actor, what it refuses, and what its output never says (a pupil's name)."""

import datetime as dt
import io
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError
from django.utils import timezone

from contacts.concerns.models import BoundaryConcern
from contacts.privacy import services
from contacts.records.models import ContactRecord, Disclosure
from safeguard.audit.models import AuditEvent
from tests.factories import PupilFactory
from tests.factories_records import make_record
from tests.factories_retention import (
    CONTACT_DUE,
    DISCLOSURE_DUE,
    make_leaver,
    make_old_concern,
    make_old_disclosure,
    make_old_record,
    set_birth_date,
)

DAY = dt.timedelta(days=1)


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("apply_retention", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def leaver(pupil):
    return make_leaver(pupil)


@pytest.fixture
def record(teacher, leaver):
    return make_old_record(teacher, [leaver])


def test_the_day_before_keeps_and_the_day_of_deletes(school, record):
    before = _run("--today", f"{CONTACT_DUE - DAY}")
    assert f"{school.name} (SCHOOL-{school.pk}), as of {CONTACT_DUE - DAY}: applied" in before
    assert "  Deleted: 0\n" in before
    assert ContactRecord.objects.filter(pk=record.pk).exists()

    output = _run("--today", f"{CONTACT_DUE}")
    assert "  Deleted: 1 (contact 1)\n" in output
    assert not ContactRecord.objects.filter(pk=record.pk).exists()
    [event] = AuditEvent.objects.filter(action="retention.delete")
    assert (event.actor, event.actor_role, event.object_ref) == (None, "system", record.reference)


def test_dry_run_reports_and_changes_nothing(school, teacher, leaver, record):
    make_old_disclosure(teacher, leaver)
    events = AuditEvent.objects.count()
    output = _run("--dry-run", "--today", "2024-01-01")
    assert "as of 2024-01-01: dry run, nothing changed" in output
    assert "  Due for deletion: 1 (contact 1)\n" in output
    assert "  Disclosures due for review: 1\n" in output
    assert ContactRecord.objects.filter(pk=record.pk).exists()
    assert not Disclosure.objects.filter(retention_flagged_at__isnull=False).exists()
    assert AuditEvent.objects.count() == events


def test_a_future_day_is_refused_unless_dry_run(school, record):
    future = timezone.localdate() + DAY
    with pytest.raises(CommandError, match="future"):
        _run("--today", f"{future}")
    assert ContactRecord.objects.filter(pk=record.pk).exists()
    assert "Due for deletion: 1" in _run("--dry-run", "--today", f"{future}")


def test_a_malformed_day_is_refused(school):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        _run("--today", "1/2/2024")


def test_without_today_it_applies_as_of_today(school, record):
    output = _run()
    assert f"as of {timezone.localdate()}: applied" in output
    assert not ContactRecord.objects.filter(pk=record.pk).exists()


def test_flags_disclosures_once_and_says_so(school, teacher, head, dsl, leaver):
    make_old_disclosure(teacher, leaver)
    first = _run("--today", f"{DISCLOSURE_DUE}")
    assert "  Disclosures flagged for review: 1\n" in first
    second = _run("--today", f"{DISCLOSURE_DUE}")
    assert "  Disclosures flagged for review: 0\n" in second
    assert "  Disclosures already awaiting review: 1\n" in second
    assert AuditEvent.objects.filter(action="retention.flag").count() == 1


def test_holds_and_missing_data_are_reported(school, teacher, colleague, head, leaver, record):
    make_old_concern(colleague, teacher, head, raised_on=dt.date(2010, 5, 1))
    services.legal_hold_place(actor=head, pupil=leaver, reason="A claim has been made.")
    output = _run("--today", "2024-01-01")
    assert "  Kept, a legal hold covers someone it is about: 1 (contact 1)\n" in output
    assert "  Kept, the member of staff has no date of birth: 1 (allegation 1)\n" in output
    assert ContactRecord.objects.filter(pk=record.pk).exists()
    assert BoundaryConcern.objects.exists()


def test_verbose_output_lists_references_never_names(school, teacher, leaver, record):
    on_roll = make_record(teacher, [PupilFactory(school=school)])
    output = _run("--today", f"{CONTACT_DUE}", "--verbosity", "2")
    assert f"    {record.reference} (contact record, due {CONTACT_DUE})\n" in output
    assert f"    {on_roll.reference} (contact record, kept: a pupil has no leaving date" in output
    for name in (leaver.first_name, leaver.last_name, teacher.last_name):
        assert name not in output


def test_every_school_gets_its_own_summary(school, record, other_school, outsider, other_pupil):
    theirs = make_old_record(outsider, [make_leaver(other_pupil)])
    services.legal_hold_place(actor=outsider, pupil=other_pupil, reason="Their claim.")
    output = _run("--today", f"{CONTACT_DUE}")
    ours, elsewhere = output.split(f"{other_school.name} (SCHOOL-{other_school.pk})")
    assert "Deleted: 1 (contact 1)" in ours
    assert "Deleted: 0" in elsewhere
    assert "Kept, a legal hold covers someone it is about: 1" in elsewhere
    assert ContactRecord.objects.filter(pk=theirs.pk).exists()


def test_one_school_by_id(school, record, other_school, outsider, other_pupil):
    theirs = make_old_record(outsider, [make_leaver(other_pupil)])
    output = _run("--school", str(other_school.pk), "--today", f"{CONTACT_DUE}")
    assert school.name not in output
    assert not ContactRecord.objects.filter(pk=theirs.pk).exists()
    assert ContactRecord.objects.filter(pk=record.pk).exists()
    with pytest.raises(CommandError, match="no school"):
        _run("--school", "999999")


def test_a_record_that_cannot_go_fails_the_run_after_the_rest(
    school, teacher, colleague, head, leaver, record
):
    set_birth_date(teacher, dt.date(1940, 1, 1))
    concern = make_old_concern(colleague, teacher, head, raised_on=dt.date(2010, 5, 1))
    out = io.StringIO()
    with (
        mock.patch.object(ContactRecord, "delete", side_effect=DatabaseError("disk full")),
        pytest.raises(CommandError, match="1 record"),
    ):
        call_command("apply_retention", "--today", f"{CONTACT_DUE}", stdout=out)
    assert "  Deleted: 1 (allegation 1)\n" in out.getvalue()
    assert "  Could not be deleted: 1\n" in out.getvalue()
    assert ContactRecord.objects.filter(pk=record.pk).exists()
    assert not BoundaryConcern.objects.filter(pk=concern.pk).exists()
