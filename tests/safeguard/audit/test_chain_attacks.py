"""Review of the per-school audit chains and signed checkpoints, as someone at the school or as
the database's owner. Each test is an attempt that must fail."""

import importlib
import io
import json

import pytest
from django.apps import apps as django_apps
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.people.services import school_update
from safeguard.audit.chain import GENESIS, event_hash
from safeguard.audit.checkpoints import key_id, signing_key
from safeguard.audit.models import AuditCheck, AuditEvent, AuditRechain
from safeguard.audit.selectors import as_checkpoint, latest_checkpoint
from safeguard.audit.services import (
    CheckpointRefused,
    audit_check_run,
    audit_checkpoint_sign,
    audit_record,
)
from tests.factories import PupilFactory
from tests.helpers import allow_audit_tampering, sign_in
from tests.safeguard.audit.test_checkpoints import _events

CHECK_PAGE = "/audit/checkpoint/"
RECHAIN = importlib.import_module("safeguard.migrations.0013_per_school_audit_chains")


def _sign(school):
    with TestCase.captureOnCommitCallbacks(execute=True):
        row = audit_checkpoint_sign(actor=None, school=school, key=signing_key())
    return row


def _verify_checkpoint(tmp_path, row):
    path = tmp_path / "kept.json"
    path.write_text(as_checkpoint(row).text())
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", "--checkpoint", str(path), stdout=out, stderr=err)
    except CommandError:
        return err.getvalue()
    return ""


def _rehash(events):
    """Rewrite events (in this order, one chain) with fresh links and hashes, as an owner with
    the triggers lifted could."""
    prev = GENESIS
    for event in events:
        event.prev_hash = prev
        event.hash = prev = event_hash(event)
        AuditEvent.objects.filter(pk=event.pk).update(
            school_id=event.school_id, prev_hash=event.prev_hash, hash=event.hash
        )


# --- (b) crafted checkpoints on the page ----------------------------------------------------


def test_deeply_nested_json_is_refused_beside_the_field(client, key_file, head):
    sign_in(client, head)
    client.raise_request_exception = False
    response = client.post(CHECK_PAGE, {"checkpoint": "[" * 4000})
    assert response.status_code == 200


def test_a_checkpoint_time_out_of_range_is_refused_beside_the_field(client, key_file, head):
    """The key id is public (/audit/key/), so anyone signed in can reach the signature check."""
    sign_in(client, head)
    client.raise_request_exception = False
    crafted = {
        "format": "safeguard-audit-checkpoint/1",
        "school": head.school_id,
        "school_name": "x",
        "event": 1,
        "hash": "0" * 64,
        "events": 1,
        "at": "0001-01-01T00:00:00+01:00",
        "key": key_id(signing_key().public_key()),
        "signature": "AAAA",
    }
    response = client.post(CHECK_PAGE, {"checkpoint": json.dumps(crafted)})
    assert response.status_code == 200


def test_huge_numbers_negative_numbers_and_unknown_keys_are_named(client, key_file, head):
    sign_in(client, head)
    base = {
        "format": "safeguard-audit-checkpoint/1",
        "school": head.school_id,
        "school_name": "x",
        "event": 1,
        "hash": "0" * 64,
        "events": 1,
        "at": "2026-01-01T00:00:00+00:00",
        "key": key_id(signing_key().public_key()),
        "signature": "AAAA",
    }
    tries = [
        "9" * 4999,  # more digits than int() takes
        json.dumps({**base, "event": -1}),
        json.dumps({**base, "event": True}),
        json.dumps({**base, "events": 1.5}),
        json.dumps({**base, "event": 10**40}),
        json.dumps({**base, "key": "0" * 16}),  # a retired key not listed
        json.dumps({**base, "signature": "é" * 10}),
        json.dumps({**base, "hash": "Ａ" * 64}),
        '{"format": "safeguard-audit-checkpoint/1", "format": 1}',
        "\x00",
    ]
    for text in tries:
        response = client.post(CHECK_PAGE, {"checkpoint": text})
        assert response.status_code == 200
        assert "The trail extends this checkpoint" not in response.content.decode()


# --- (a) one school's checkpoint at another school ---------------------------------------------


def test_another_schools_genuine_checkpoint_tells_nothing_of_its_chain(
    client, key_file, school, other_school, head, tmp_path
):
    _events(other_school, 4, ref="ELSEWHERE")
    row = _sign(other_school)
    _events(other_school, 2, ref="ELSEWHERE-LATER")
    sign_in(client, head)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(CHECK_PAGE, {"checkpoint": as_checkpoint(row).text()})
    page = response.content.decode()
    assert "another school&#x27;s" in page
    assert "ELSEWHERE" not in page and "extends" not in page.split("</h1>")[1].split("<form")[0]
    # No query reads the trail, but the signed-in person's, which reads the id of their own
    # school's latest change (kept panels are worked out at it).
    read = [q["sql"] for q in queries.captured_queries if "safeguard_auditevent" in q["sql"]]
    assert all('FROM "contacts_staff"' in sql for sql in read)
    assert len(read) <= 1


def test_a_schools_own_check_reads_only_its_own_schools_events(school, other_school, head):
    _events(school, 1)
    _events(other_school, 1)
    with CaptureQueriesContext(connection) as queries:
        audit_check_run(actor=head)
    reads = [
        q["sql"]
        for q in queries.captured_queries
        # A plain SELECT, or on PostgreSQL the server-side cursor a walk opens (DECLARE).
        if 'FROM "safeguard_auditevent"' in q["sql"]
        and q["sql"].lstrip().startswith(("SELECT", "DECLARE"))
    ]
    assert reads and all("school_id" in sql.split("WHERE", 1)[-1] for sql in reads), reads


# --- (c) the database's owner ------------------------------------------------------------------


def test_events_moved_to_another_school_and_both_chains_rehashed_are_named(
    key_file, school, other_school, tmp_path
):
    mine = _events(school, 4)
    theirs = _events(other_school, 2)
    row = _sign(school)
    allow_audit_tampering()
    moved = mine[1]
    moved.school_id = other_school.pk
    _rehash([e for e in mine if e is not moved])
    _rehash(sorted([*theirs, moved], key=lambda e: e.pk))
    assert "removed behind it" in _verify_checkpoint(tmp_path, row)


def test_a_forged_rechain_origin_hiding_the_oldest_events_is_named(key_file, school, tmp_path):
    made = _events(school, 5)
    row = _sign(school)
    allow_audit_tampering(deletes=True)
    # The application's role may insert into AuditRechain (append-only refuses changes only).
    AuditRechain.objects.create(
        ran_at=timezone.now(), old_head_id=made[1].pk, old_head_hash=made[1].hash, events=2
    )
    AuditEvent.objects.filter(pk__in=[made[0].pk, made[1].pk]).delete()
    problems = audit_check_run(actor=None).found
    assert any("removed behind it" in p.message for p in problems), [p.message for p in problems]
    assert "removed behind it" in _verify_checkpoint(tmp_path, row)


def test_an_event_inserted_below_the_checkpoint_head_is_named(key_file, school, tmp_path):
    made = _events(school, 3)
    row = _sign(school)
    fake = AuditEvent(
        pk=made[0].pk + 1 if made[1].pk > made[0].pk + 1 else None,
        school=school,
        actor=None,
        actor_role="system",
        action="staff.update",
        object_type="test",
        object_id="x",
        object_ref="X",
        created_at=made[0].created_at,
        prev_hash=made[0].hash,
    )
    fake.hash = event_hash(fake)
    if fake.pk is None:  # ids are consecutive: make room by moving the later ones up
        allow_audit_tampering()
        for event in reversed(made[1:]):
            AuditEvent.objects.filter(pk=event.pk).update(id=event.pk + 1000)
        fake.pk = made[0].pk + 1
    fake.save(force_insert=True)
    assert _verify_checkpoint(tmp_path, row) != ""


def test_the_rechaining_refuses_a_chain_cut_short_since_the_last_kept_check(school, other_school):
    made = sorted([*_events(school, 3), *_events(other_school, 3)], key=lambda e: e.pk)
    allow_audit_tampering(deletes=True)
    _rehash(made)  # the single chain of the release before 0013
    AuditCheck.objects.create(  # that release's kept check: its head, no per-school heads
        events_checked=len(made),
        problems=0,
        head_id=made[-1].pk,
        head_hash=made[-1].hash,
        by_school={str(school.pk): {"events": 3, "problems": 0, "first_problem": ""}},
    )
    AuditEvent.objects.filter(pk=made[-1].pk).delete()  # the newest event cut off

    class Editor:
        connection = connection

        def execute(self, sql, params=None):
            with connection.cursor() as cursor:
                cursor.execute(sql, params)

    try:
        RECHAIN.rechain(django_apps, Editor())
    except RECHAIN.BrokenChain:
        return
    assert audit_check_run(actor=None).found


# --- (f) signing a chain a kept check says is broken ------------------------------------------


def test_a_chain_cut_behind_the_last_kept_check_is_not_signed(key_file, school):
    _events(school, 3)
    _sign(school)
    later = _events(school, 3, ref="LATER")
    assert audit_check_run(actor=None).found == []  # the kept check: its head is later[-1]
    allow_audit_tampering(deletes=True)
    AuditEvent.objects.filter(pk__in=[e.pk for e in later]).delete()
    _events(school, 1, ref="AFTER")  # follows the checkpoint's head: every link holds
    assert audit_check_run(actor=None).found  # verify_audit names the cut
    with pytest.raises(CheckpointRefused):
        _sign(school)


def test_a_chain_with_a_broken_content_seal_is_not_signed(key_file, school, monkeypatch):
    from safeguard.audit import chain

    _events(school, 2)
    broken = [(1, school.pk, "a record has been changed since it was written")]
    monkeypatch.setattr(chain, "_content_checks", [lambda school_id=None: broken])
    assert audit_check_run(actor=None).found
    with pytest.raises(CheckpointRefused):
        _sign(school)


# --- the school's name is signed, but read back from the school ---------------------------------


def test_renaming_the_school_keeps_its_checkpoints_valid(key_file, school, head):
    _events(school, 3)
    row = _sign(school)
    emailed = as_checkpoint(row).fingerprint
    school_update(actor=head, school=school, name="Oakfield Academy")
    assert audit_check_run(actor=head).found == []
    assert latest_checkpoint(school.pk).fingerprint == emailed


# --- (d) the copy address; (e) the email ---------------------------------------------------


def test_changing_the_copy_address_is_audited_and_the_chair_still_gets_a_copy(
    key_file, school, head, chair
):
    school_update(actor=head, school=school, checkpoint_copy_to="me@elsewhere.example")
    event = AuditEvent.objects.filter(school=school, action="school.update").latest("id")
    assert "checkpoint_copy_to" in event.reason
    # What it was changed to is not recorded (as for every setting).
    assert "elsewhere" not in event.reason
    mail.outbox.clear()
    _sign(school)
    assert sorted(m.to[0] for m in mail.outbox) == ["chair@test.example", "me@elsewhere.example"]


def test_the_checkpoint_email_names_no_pupil(key_file, school, chair):
    pupil = PupilFactory(school=school, first_name="Zebedee", last_name="Quill")
    with transaction.atomic():
        audit_record(actor=None, school=school, action="staff.update", obj=pupil)
    mail.outbox.clear()
    _sign(school)
    (message,) = mail.outbox
    everything = message.body + "".join(str(a[1]) for a in message.attachments)
    everything += "".join(str(alt[0]) for alt in message.alternatives)
    assert "Zebedee" not in everything and "Quill" not in everything
