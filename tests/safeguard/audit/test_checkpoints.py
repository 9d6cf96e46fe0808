"""Signed checkpoints of each school's audit chain: signing, keeping, sending out, and proving
later that the chain still extends them, even after its owner rewrote it with fresh hashes."""

import io
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import TestCase
from django.utils import timezone

from safeguard.audit import chain
from safeguard.audit.checkpoints import (
    Checkpoint,
    CheckpointError,
    checkpoint_parse,
    checkpoint_sign,
    checkpoint_verify_signature,
    key_id,
    private_key_from,
    public_text,
    signing_key,
)
from safeguard.audit.models import AuditCheckpoint, AuditEvent
from safeguard.audit.selectors import as_checkpoint
from safeguard.audit.services import CheckpointRefused, audit_checkpoint_sign, audit_record
from tests.helpers import allow_audit_tampering, field_error, sign_in, text

CHECK_PAGE = "/audit/checkpoint/"
KEY_PAGE = "/audit/key/"


def _events(school, n=3, ref="TEST"):
    made = []
    for i in range(n):
        with transaction.atomic():
            made.append(
                audit_record(
                    actor=None,
                    school=school,
                    action="staff.update",
                    object_type="test",
                    object_id=str(i),
                    object_ref=f"{ref}-{i}",
                    reason=f"reason {i}",
                )
            )
    return made


def _checkpoint_command(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        # The emails go once the checkpoint is kept (on commit).
        with TestCase.captureOnCommitCallbacks(execute=True):
            call_command("audit_checkpoint", *args, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), str(error)
    return out.getvalue(), err.getvalue(), None


def _verify(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), str(error)
    return out.getvalue(), err.getvalue(), None


def _kept_copy(tmp_path):
    """The checkpoint as the chair keeps it: the attachment of the email."""
    (attachment,) = [a for m in mail.outbox for a in m.attachments][:1]
    path = tmp_path / attachment[0]
    path.write_text(attachment[1])
    return path


def _rewrite_with_fresh_hashes(school, changed_event):
    """What the database's owner can do: change an event, then hash the school's chain again
    from it onwards so that every link fits, and remove every kept check and checkpoint."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in (
                "auditevent_no_update",
                "auditcheck_no_delete",
                "auditcheckpoint_no_delete",
            ):
                cursor.execute(f"DROP TRIGGER safeguard_{name}")
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in ("auditevent", "auditcheck", "auditcheckpoint"):
                cursor.execute(f"ALTER TABLE safeguard_{table} DISABLE TRIGGER ALL")
        cursor.execute(
            "UPDATE safeguard_auditevent SET reason = 'nothing to see' WHERE id = %s",
            [changed_event.pk],
        )
        cursor.execute("DELETE FROM safeguard_auditcheck")
        cursor.execute("DELETE FROM safeguard_auditcheckpoint")
    prev = None
    for event in AuditEvent.objects.filter(school=school).order_by("id"):
        if event.pk >= changed_event.pk:
            event.prev_hash = prev
            event.hash = chain.event_hash(event)
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE safeguard_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
                    [event.prev_hash, event.hash, event.pk],
                )
        prev = event.hash


# --- signing ----------------------------------------------------------------------------------


def test_the_command_signs_each_schools_head_and_emails_it_to_the_chair(
    key_file, school, chair, other_school, settings
):
    school.checkpoint_copy_to = "clerk@test.example"
    school.save()
    mine = _events(school)
    _events(other_school, n=2)
    mail.outbox.clear()
    out, err, error = _checkpoint_command()
    assert error is None, err
    row = AuditCheckpoint.objects.get(school=school)
    assert (row.event_id, row.event_hash, row.events) == (mine[-1].pk, mine[-1].hash, 3)
    assert AuditCheckpoint.objects.filter(school=other_school).count() == 1
    assert f"{school.name}: signed event {mine[-1].pk} (3 events)" in out
    to_school = [m for m in mail.outbox if m.subject.startswith(school.name)]
    assert sorted(m.to[0] for m in to_school) == ["chair@test.example", "clerk@test.example"]
    message = next(m for m in to_school if m.to == ["chair@test.example"])
    assert message.body.startswith(f"Dear {chair.first_name},")
    assert "Please keep this email" in message.body
    (name, content, kind) = message.attachments[0]
    assert kind == "application/json" and name.endswith(".json")
    kept = checkpoint_parse(content)
    checkpoint_verify_signature(kept)
    assert kept.fingerprint in message.body
    assert (kept.event, kept.hash, kept.events) == (mine[-1].pk, mine[-1].hash, 3)


def test_nothing_new_is_not_signed_again(key_file, school):
    _events(school)
    _checkpoint_command()
    out, _, error = _checkpoint_command("--school", str(school.pk))
    assert error is None
    assert "nothing new since the last checkpoint" in out
    assert AuditCheckpoint.objects.filter(school=school).count() == 1


def test_a_broken_chain_is_not_signed(key_file, school, head):
    events = _events(school)
    allow_audit_tampering()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE safeguard_auditevent SET reason = 'x' WHERE id = %s", [events[1].pk])
    with pytest.raises(CheckpointRefused, match=f"event {events[1].pk} was changed"):
        audit_checkpoint_sign(actor=None, school=school, key=Ed25519PrivateKey.generate())
    _, err, error = _checkpoint_command()
    assert error == "1 school chain(s) were not signed: run verify_audit."
    assert "not signed, the chain does not check out" in err
    assert not AuditCheckpoint.objects.exists()


def test_a_missing_key_is_named_and_the_command_fails(settings, school):
    settings.AUDIT_SIGNING_KEY_FILE = ""
    settings.AUDIT_SIGNING_KEY = ""
    _, _, error = _checkpoint_command()
    assert error.startswith("No audit signing key: set AUDIT_SIGNING_KEY_FILE")


def test_an_unreadable_or_wrong_key_is_named(settings, tmp_path, school):
    settings.AUDIT_SIGNING_KEY_FILE = str(tmp_path / "absent.pem")
    _, _, error = _checkpoint_command()
    assert "cannot be read: No such file or directory" in error
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    settings.AUDIT_SIGNING_KEY_FILE = str(junk)
    _, _, error = _checkpoint_command()
    assert error == f"The audit signing key file {junk} is not an Ed25519 private key " + (
        "(PEM, or its 32 bytes in base64)."
    )


def test_a_new_key_never_overwrites_one(tmp_path):
    path = tmp_path / "k.pem"
    call_command("audit_key", "new", str(path), stdout=io.StringIO())
    before = path.read_bytes()
    with pytest.raises(CommandError, match="exists already"):
        call_command("audit_key", "new", str(path), stdout=io.StringIO())
    assert path.read_bytes() == before
    assert oct(path.stat().st_mode & 0o777) == "0o600"


# --- proving the chain extends a kept checkpoint ----------------------------------------------


def test_a_rewrite_behind_a_kept_checkpoint_is_named_and_without_one_goes_unnoticed(
    key_file, school, chair, tmp_path
):
    events = _events(school, n=5)
    mail.outbox.clear()
    _checkpoint_command()
    kept = _kept_copy(tmp_path)
    _events(school, n=2)  # the chain goes on after the checkpoint
    out, _, error = _verify("--checkpoint", str(kept))
    assert error is None and "audit chain extends the checkpoint" in out

    _rewrite_with_fresh_hashes(school, events[1])

    # The chain alone, every kept check and checkpoint removed, looks whole...
    out, err, error = _verify()
    assert error is None, err
    assert "The audit trail is intact" in out
    # ...but the copy the chair kept names the rewrite.
    _, err, error = _verify("--checkpoint", str(kept))
    assert error == f"{school.name}'s audit chain does not extend the checkpoint: 1 problem(s)."
    assert "the chain was rewritten behind the checkpoint signed on" in err
    assert f"event {events[-1].pk} now has the hash" in err


def test_a_rewrite_behind_a_checkpoint_kept_in_the_database_is_named(key_file, school):
    events = _events(school, n=3)
    _checkpoint_command()
    allow_audit_tampering()
    prev = None
    for event in AuditEvent.objects.filter(school=school).order_by("id"):
        if event.pk == events[0].pk:
            event.reason = "rewritten"
        if prev is not None:
            event.prev_hash = prev
        event.hash = prev = chain.event_hash(event)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE safeguard_auditevent SET reason = %s, prev_hash = %s, hash = %s "
                "WHERE id = %s",
                [event.reason, event.prev_hash, event.hash, event.pk],
            )
    _, err, error = _verify()
    assert error is not None
    assert "the chain was rewritten behind the checkpoint" in err


def test_events_removed_behind_a_checkpoint_are_named(key_file, school, chair, tmp_path):
    events = _events(school, n=4)
    mail.outbox.clear()
    _checkpoint_command()
    kept = _kept_copy(tmp_path)
    allow_audit_tampering(deletes=True)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM safeguard_auditevent WHERE id = %s", [events[-1].pk])
    _, err, error = _verify("--checkpoint", str(kept))
    assert error is not None
    assert f"event {events[-1].pk}, the head of the checkpoint signed on" in err
    assert "holds 3 events up to event" in err and "events were removed behind it" in err


def test_a_malformed_or_foreign_checkpoint_file_is_named(key_file, school, chair, tmp_path):
    _events(school)
    mail.outbox.clear()
    _checkpoint_command()
    kept = _kept_copy(tmp_path)
    data = json.loads(kept.read_text())
    cases = {
        "{not json": "not JSON",
        json.dumps({"format": "other"}): "not a Safeguard audit checkpoint",
        json.dumps({**data, "hash": "xyz"}): "Its 'hash' is not 64 lower-case",
        json.dumps({**data, "events": data["events"] + 1}): "Its signature does not match",
        json.dumps({**data, "extra": 1}): "fields a checkpoint does not: extra",
    }
    for content, message in cases.items():
        kept.write_text(content)
        _, _, error = _verify("--checkpoint", str(kept))
        assert error.startswith(f"The checkpoint file {kept} is not usable:"), content
        assert message in error, content
    _, _, error = _verify("--checkpoint", str(tmp_path / "absent.json"))
    assert "cannot be read" in error


def test_a_rotated_key_still_verifies_what_it_signed_when_listed(
    key_file, school, chair, tmp_path, settings
):
    _events(school)
    mail.outbox.clear()
    _checkpoint_command()
    kept = _kept_copy(tmp_path)
    old = checkpoint_parse(kept.read_text())
    new_key = tmp_path / "new.pem"
    call_command("audit_key", "new", str(new_key), stdout=io.StringIO())
    settings.AUDIT_SIGNING_KEY_FILE = str(new_key)
    _, _, error = _verify("--checkpoint", str(kept))
    assert f"signed by a key this installation does not know (key {old.key})" in error
    old_public = private_key_from(key_file.read_bytes(), "the old key").public_key()
    settings.AUDIT_VERIFY_KEYS = [public_text(old_public)]
    out, _, error = _verify("--checkpoint", str(kept))
    assert error is None and "extends the checkpoint" in out
    _events(school)
    _checkpoint_command()
    newest = AuditCheckpoint.objects.filter(school=school).first()
    assert newest.key_id != old.key == key_id(old_public)


def test_a_signature_by_another_key_is_refused(school):
    with pytest.raises(CheckpointError, match="does not know"):
        forged = checkpoint_sign(
            Checkpoint(
                school.pk,
                school.name,
                1,
                "0" * 64,
                1,
                timezone.now(),
                "",
            ),
            Ed25519PrivateKey.generate(),
        )
        checkpoint_verify_signature(forged)


# --- the pages --------------------------------------------------------------------------------


def test_the_public_key_is_published_to_anyone(client, key_file):
    public = signing_key().public_key()
    page = text(client.get(KEY_PAGE))
    assert public_text(public) in page and key_id(public) in page
    assert "Signs new checkpoints" in page


def test_the_public_key_page_says_when_there_is_no_key(client, settings):
    settings.AUDIT_SIGNING_KEY_FILE = ""
    settings.AUDIT_SIGNING_KEY = ""
    settings.AUDIT_VERIFY_KEYS = []
    assert "does not sign checkpoints yet" in text(client.get(KEY_PAGE))


def test_a_kept_checkpoint_pasted_on_the_page_is_proved(client, key_file, head, chair, tmp_path):
    _events(head.school)
    mail.outbox.clear()
    _checkpoint_command()
    kept = _kept_copy(tmp_path).read_text()
    sign_in(client, chair)
    page = text(client.post(CHECK_PAGE, {"checkpoint": kept}))
    assert "The trail extends this checkpoint" in page
    assert checkpoint_parse(kept).fingerprint in page
    page = text(client.get("/audit/"))
    assert f"Latest signed checkpoint: {checkpoint_parse(kept).fingerprint}" in page


def test_a_bad_or_foreign_checkpoint_on_the_page_is_named_beside_the_field(
    client, key_file, head, outsider, tmp_path
):
    _events(outsider.school)
    mail.outbox.clear()
    _checkpoint_command()
    sign_in(client, head)
    response = client.post(CHECK_PAGE, {"checkpoint": "{nope"})
    assert response.status_code == 200
    assert "It is not a checkpoint: not JSON" in field_error(response, "checkpoint")
    theirs = AuditCheckpoint.objects.get(school=outsider.school)
    response = client.post(CHECK_PAGE, {"checkpoint": as_checkpoint(theirs).text()})
    assert (
        field_error(response, "checkpoint")
        == "This checkpoint is another school's, not this one's."
    )
    assert "extends" not in text(response)


def test_only_the_audit_readers_check_checkpoints(client, teacher, governor):
    for person in (teacher, governor):
        sign_in(client, person)
        assert client.get(CHECK_PAGE).status_code == 403
