"""The audit trail: written inside transactions, hash-chained, append-only, tamper-evident."""

import datetime as dt
import hashlib
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from safeguard.audit import chain
from safeguard.audit.chain import GENESIS, ChainProblem, audit_verify
from safeguard.audit.models import AuditCheck, AuditEvent
from safeguard.audit.services import audit_append_many, audit_check_run, audit_record
from tests.factories import SchoolFactory
from tests.helpers import allow_audit_tampering


def _record(school, actor=None, n=1, **extra):
    events = []
    for i in range(n):
        with transaction.atomic():
            events.append(
                audit_record(
                    actor=actor,
                    school=school,
                    action=extra.get("action", "staff.update"),
                    object_type="test",
                    object_id=str(i),
                    object_ref=f"TEST-{i}",
                    reason=f"reason {i}",
                )
            )
    return events


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- recording --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_audit_record_outside_a_transaction_is_refused():
    school = SchoolFactory()
    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        audit_record(actor=None, school=school, action="staff.update")
    assert AuditEvent.objects.count() == 0


def test_audit_record_stores_who_did_what_to_which_object(head, pupil):
    with transaction.atomic():
        event = audit_record(actor=head, school=pupil.school, action="view", obj=pupil)
    saved = AuditEvent.objects.get(pk=event.pk)
    assert (saved.actor, saved.actor_role, saved.action) == (head, "headteacher", "view")
    assert (saved.object_type, saved.object_id) == ("contacts.pupil", str(pupil.pk))
    assert saved.object_ref == f"PUPIL-{pupil.pk}"


def test_an_action_the_vocabulary_does_not_declare_is_refused(head):
    with transaction.atomic(), pytest.raises(ValueError, match="declare it, with its words"):
        audit_record(actor=head, school=head.school, action="pupil.vanish")
    assert AuditEvent.objects.count() == 0


def test_appending_an_undeclared_action_writes_nothing(head):
    def event(action):
        return AuditEvent(
            school=head.school,
            actor=head,
            actor_role="headteacher",
            action=action,
            object_type="test",
            object_id="1",
            object_ref="TEST-1",
            created_at=timezone.now(),
        )

    with pytest.raises(ValueError, match="pupil.vanish"), transaction.atomic():
        audit_append_many([event("view"), event("pupil.vanish")])
    assert AuditEvent.objects.count() == 0


def test_audit_record_without_an_actor_names_the_system(school):
    (event,) = _record(school)
    assert event.actor is None
    assert event.actor_role == "system"


def test_first_event_follows_the_genesis_hash(school):
    (event,) = _record(school)
    assert event.prev_hash == GENESIS == "0" * 64


def test_each_event_links_to_the_hash_of_the_one_before(school, head):
    first, second, third = _record(school, actor=head, n=3)
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3


def test_hash_is_the_sha256_of_the_stored_row(school):
    (event,) = _record(school)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert len(stored.hash) == 64
    assert stored.hash == chain.event_hash(stored)
    assert stored.hash != hashlib.sha256(b"").hexdigest()


def test_each_school_has_its_own_chain(school, other_school):
    mine = _record(school, n=2)
    theirs = _record(other_school, n=2)
    assert theirs[0].prev_hash == GENESIS
    assert theirs[1].prev_hash == theirs[0].hash
    assert mine[1].prev_hash == mine[0].hash
    (later,) = _record(school)
    assert later.prev_hash == mine[1].hash
    assert audit_verify() == []


def test_one_school_s_chain_is_verified_alone(school, other_school):
    _record(school, n=2)
    (theirs,) = _record(other_school)
    allow_audit_tampering()
    _raw("UPDATE safeguard_auditevent SET reason = 'x' WHERE id = %s", [theirs.pk])
    assert audit_verify(school_id=school.pk) == []
    assert [p.event_id for p in audit_verify(school_id=other_school.pk)] == [theirs.pk]


def test_appended_events_continue_each_school_s_chain(school, other_school):
    (mine,) = _record(school)

    def event(on):
        return AuditEvent(
            school=on,
            actor_role="system",
            action="view",
            object_type="test",
            object_id="1",
            object_ref="TEST-1",
            created_at=timezone.now(),
        )

    with transaction.atomic():
        audit_append_many([event(school), event(other_school), event(school)])
    ours = list(AuditEvent.objects.filter(school=school).order_by("id"))
    theirs = AuditEvent.objects.get(school=other_school)
    assert [e.prev_hash for e in ours] == [GENESIS, mine.hash, ours[1].hash]
    assert theirs.prev_hash == GENESIS
    assert audit_verify() == []


# --- verifying --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_an_empty_trail_is_clean():
    assert audit_verify() == []


def test_verify_a_clean_chain_finds_nothing(school, head):
    _record(school, actor=head, n=5)
    assert audit_verify() == []


def test_verify_reads_in_small_batches(school):
    _record(school, n=5)
    assert audit_verify(batch_size=2) == []


# --- the database refuses changes -------------------------------------------------------------


def test_database_refuses_update_of_an_event(school):
    (event,) = _record(school)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    assert AuditEvent.objects.get(pk=event.pk).reason == "reason 0"


def test_database_refuses_saving_a_changed_event(school):
    (event,) = _record(school)
    event.reason = "rewritten"
    with pytest.raises(DatabaseError), transaction.atomic():
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).reason == "reason 0"


def test_database_refuses_raw_sql_update(school):
    (event,) = _record(school)
    with pytest.raises(DatabaseError), transaction.atomic():
        _raw("UPDATE safeguard_auditevent SET reason = %s WHERE id = %s", ["x", event.pk])
    assert AuditEvent.objects.get(pk=event.pk).reason == "reason 0"


def test_database_refuses_delete_of_an_event(school):
    (event,) = _record(school)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_database_refuses_raw_sql_delete(school):
    _record(school, n=2)
    with pytest.raises(DatabaseError), transaction.atomic():
        _raw("DELETE FROM safeguard_auditevent WHERE id > %s", [0])
    assert AuditEvent.objects.count() == 2


# --- tampering is detected --------------------------------------------------------------------


def test_a_changed_reason_is_named_by_verify(school, head):
    first, second, third = _record(school, actor=head, n=3)
    allow_audit_tampering(deletes=True)
    _raw("UPDATE safeguard_auditevent SET reason = %s WHERE id = %s", ["nothing", second.pk])
    assert audit_verify() == [
        ChainProblem(second.pk, f"event {second.pk} was changed after it was written")
    ]


def test_a_changed_actor_role_is_named_by_verify(school, head):
    first, second = _record(school, actor=head, n=2)
    allow_audit_tampering(deletes=True)
    _raw("UPDATE safeguard_auditevent SET actor_role = %s WHERE id = %s", ["staff", first.pk])
    assert [p.event_id for p in audit_verify()] == [first.pk]


def test_a_deleted_middle_event_names_the_next_one(school, head):
    first, second, third = _record(school, actor=head, n=3)
    allow_audit_tampering(deletes=True)
    _raw("DELETE FROM safeguard_auditevent WHERE id = %s", [second.pk])
    problems = audit_verify()
    assert [p.event_id for p in problems] == [third.pk]
    assert "does not follow the one before it" in problems[0].message


def test_a_rewritten_event_with_a_recomputed_hash_breaks_the_link(school, head):
    first, second, third = _record(school, actor=head, n=3)
    allow_audit_tampering(deletes=True)
    forged = AuditEvent.objects.get(pk=second.pk)
    forged.reason = "nothing to see"
    forged.hash = chain.event_hash(forged)
    forged.save(update_fields=["reason", "hash"])
    assert [p.event_id for p in audit_verify()] == [third.pk]


def test_a_deleted_first_event_names_the_new_first(school):
    first, second = _record(school, n=2)
    allow_audit_tampering(deletes=True)
    _raw("DELETE FROM safeguard_auditevent WHERE id = %s", [first.pk])
    assert [p.event_id for p in audit_verify()] == [second.pk]


# --- the verify_audit management command ------------------------------------------------------


def test_verify_audit_command_reports_an_intact_trail(school):
    _record(school, n=3)
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "The audit trail is intact: 3 events in 1 school chain." in out.getvalue()


def test_verify_audit_command_fails_and_names_a_changed_event(school):
    first, second = _record(school, n=2)
    allow_audit_tampering(deletes=True)
    _raw("UPDATE safeguard_auditevent SET reason = %s WHERE id = %s", ["nothing", first.pk])
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"The audit trail is broken: 1 problem\(s\)"):
        call_command("verify_audit", stderr=err)
    assert f"event {first.pk} was changed after it was written" in err.getvalue()


# --- hashing and checking a period ------------------------------------------------------------

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row versions (xmin) exist on PostgreSQL only"
)


def _reference_hash(event) -> str:
    """The canonical JSON as json.dumps writes it: what every stored hash was made from."""
    import json
    from datetime import UTC

    payload = {
        "school": event.school_id,
        "actor": event.actor_id,
        "actor_role": event.actor_role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_ref": event.object_ref,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "reason": event.reason,
        "created_at": event.created_at.astimezone(UTC).isoformat(),
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@given(
    texts=st.lists(st.text(), min_size=7, max_size=7),
    actor=st.one_of(st.none(), st.integers(min_value=1, max_value=10**12)),
    school=st.integers(min_value=1, max_value=10**12),
    when=st.datetimes(
        min_value=dt.datetime(1990, 1, 1),
        max_value=dt.datetime(2200, 1, 1),
        timezones=st.sampled_from([dt.UTC, ZoneInfo("Europe/London"), ZoneInfo("Asia/Kolkata")]),
    ),
)
def test_the_written_out_canonical_json_is_what_json_dumps_writes(texts, actor, school, when):
    event = AuditEvent(
        school_id=school,
        actor_id=actor,
        actor_role=texts[0],
        action=texts[1],
        object_type=texts[2],
        object_id=texts[3],
        object_ref=texts[4],
        from_state=texts[5],
        to_state="",
        reason=texts[6],
        created_at=when,
        prev_hash=GENESIS,
    )
    assert chain.event_hash(event) == _reference_hash(event)


AWKWARD = ['quote " and backslash \\', "Zoë’s line\nnew line\ttab", "emoji 🙂 \u2028", "\x01\x1f"]


@pytest.mark.parametrize("reason", AWKWARD)
def test_the_hash_written_is_the_canonical_json_s_whoever_computes_it(school, head, reason):
    """On PostgreSQL the database hashes the event as it appends it (`append_locked`); the
    stored hash must be the one every check computes."""
    first, second = (AuditEvent.objects.get(pk=event.pk) for event in _record(school, head, n=2))
    with transaction.atomic():
        third = audit_record(
            actor=head, school=school, action="staff.update", object_ref=reason, reason=reason
        )
    stored = AuditEvent.objects.get(pk=third.pk)
    assert (stored.prev_hash, stored.hash) == (third.prev_hash, third.hash)
    assert stored.prev_hash == second.hash and second.prev_hash == first.hash
    assert stored.hash == _reference_hash(stored) == chain.event_hash(stored)
    assert audit_verify() == []


def test_an_event_with_a_naive_time_is_refused(school):
    event = AuditEvent(
        school=school, action="staff.update", object_ref="X", created_at=dt.datetime(2026, 7, 1)
    )
    with transaction.atomic(), pytest.raises(ValueError, match="time zone"):
        chain.append_locked(event)
    assert not AuditEvent.objects.filter(object_ref="X").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the chain lock is PostgreSQL's")
def test_an_event_is_appended_in_one_statement_once_the_lock_is_held(school):
    from django.test.utils import CaptureQueriesContext

    with transaction.atomic(), CaptureQueriesContext(connection) as asked:
        audit_record(actor=None, school=school, action="staff.update", object_ref="X")
    statements = [q["sql"] for q in asked]
    assert len(statements) == 2
    assert statements[0].startswith("SELECT pg_advisory_xact_lock")
    assert statements[1].startswith("INSERT INTO")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the chain lock is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_writers_at_once_on_one_school_keep_its_chain_whole(school, head):
    """Each writer reads the head after the one before it committed, in the same statement as
    it appends: eight threads writing at once leave one unbroken chain."""
    from concurrent.futures import ThreadPoolExecutor

    def write(n: int) -> None:
        try:
            for i in range(10):
                with transaction.atomic():
                    audit_record(
                        actor=None, school=school, action="staff.update", object_ref=f"W{n}-{i}"
                    )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(8)))
    assert AuditEvent.objects.filter(school=school).count() == 80
    assert audit_verify(school_id=school.pk) == []


def _period():
    now = timezone.now()
    return now - dt.timedelta(days=1), now + dt.timedelta(days=1)


def _tamper(event_id):
    """Change one event's reason, in a transaction of its own as anyone tampering would."""
    allow_audit_tampering(deletes=True)
    with transaction.atomic():
        _raw("UPDATE safeguard_auditevent SET reason = %s WHERE id = %s", ["fine", event_id])


def test_a_period_is_checked_event_by_event_without_a_full_check(school, head):
    events = _record(school, actor=head, n=4)
    checked = chain.audit_verify_period(school.pk, *_period())
    assert (checked.problems, checked.events, checked.hashed) == ([], 4, 4)
    assert checked.relied_on is None
    _tamper(events[1].pk)
    assert chain.audit_verify_period(school.pk, *_period()).problems == [events[1].pk]


def test_a_period_with_no_event_has_nothing_to_check(school):
    _record(school, n=2)
    long_ago = timezone.now() - dt.timedelta(days=400)
    checked = chain.audit_verify_period(school.pk, long_ago, long_ago + dt.timedelta(days=30))
    assert (checked.problems, checked.events, checked.hashed) == ([], 0, 0)


def test_on_sqlite_a_full_check_keeps_nothing_to_rely_on(school):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    _record(school, n=2)
    assert audit_check_run(actor=None).blocks == {}
    assert chain.audit_verify_period(school.pk, *_period()).hashed == 2


# The full check is relied on only for rows written before it began: in these tests every write
# is committed on its own, as in production (in a test's single transaction nothing could be).


@pytest.fixture
def lifted_triggers():
    """Lift the append-only trigger for a test whose writes are committed; put it back after."""
    yield lambda: allow_audit_tampering(deletes=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE safeguard_auditevent ENABLE TRIGGER safeguard_auditevent_append_only"
        )


def _committed(sql, params):
    with transaction.atomic():
        _raw(sql, params)


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_full_check_keeps_what_the_report_relies_on(school, head):
    events = _record(school, actor=head, n=3)
    check = audit_check_run(actor=None)
    assert check.blocks["size"] == chain.CHAIN_BLOCK
    assert isinstance(check.blocks["xmax"], int) and isinstance(check.blocks["running"], list)
    blocks = {str(e.pk // chain.CHAIN_BLOCK) for e in events}
    assert set(check.blocks["intact"]) == blocks
    assert sum(check.blocks["intact"].values()) == 3
    checked = chain.audit_verify_period(school.pk, *_period())
    assert (checked.problems, checked.events, checked.hashed) == ([], 3, 0)
    assert checked.relied_on == check


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_break_planted_after_the_full_check_is_still_found(school, head, lifted_triggers):
    events = _record(school, actor=head, n=3)
    audit_check_run(actor=None)
    lifted_triggers()
    _committed("UPDATE safeguard_auditevent SET reason = %s WHERE id = %s", ["fine", events[1].pk])
    checked = chain.audit_verify_period(school.pk, *_period())
    assert checked.problems == [events[1].pk]
    assert checked.hashed >= 3


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_break_found_by_the_full_check_is_named_again(school, head, lifted_triggers):
    events = _record(school, actor=head, n=3)
    lifted_triggers()
    _committed("UPDATE safeguard_auditevent SET reason = %s WHERE id = %s", ["fine", events[0].pk])
    check = audit_check_run(actor=None)
    assert check.problems == 1
    assert str(events[0].pk // chain.CHAIN_BLOCK) not in check.blocks["intact"]
    assert chain.audit_verify_period(school.pk, *_period()).problems == [events[0].pk]


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_removed_event_after_the_full_check_breaks_the_link(school, head, lifted_triggers):
    events = _record(school, actor=head, n=3)
    audit_check_run(actor=None)
    lifted_triggers()
    _committed("DELETE FROM safeguard_auditevent WHERE id = %s", [events[1].pk])
    assert chain.audit_verify_period(school.pk, *_period()).problems == [events[2].pk]


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_events_written_after_the_full_check_are_hashed(school, head):
    _record(school, actor=head, n=2)
    audit_check_run(actor=None)
    _record(school, actor=head, n=2)
    checked = chain.audit_verify_period(school.pk, *_period())
    assert (checked.problems, checked.events) == ([], 4)
    # Their block changed, so it was hashed again (with the two before them if they share it).
    assert 2 <= checked.hashed <= 4


@needs_postgres
def test_nothing_written_in_the_checks_own_transaction_is_relied_on(school, head):
    _record(school, actor=head, n=2)
    audit_check_run(actor=None)
    checked = chain.audit_verify_period(school.pk, *_period())
    assert (checked.problems, checked.events, checked.hashed) == ([], 2, 2)


# --- the trail against its own database owner (issue 15, finding 2) ---------------------------


def _owner_lifts_every_trigger():
    """What the tables' owner can do: the row and statement triggers of both audit tables
    lifted, for the rest of this test's transaction only."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in ("auditevent_no_update", "auditevent_no_delete"):
                cursor.execute(f"DROP TRIGGER safeguard_{name}")
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE safeguard_auditevent DISABLE TRIGGER ALL")


def _verify_output():
    """What `verify_audit` says: (stdout, stderr, the error or None)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), str(error)
    return out.getvalue(), err.getvalue(), None


needs_truncate = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no TRUNCATE"
)


@needs_truncate
@pytest.mark.parametrize("table", ["safeguard_auditevent", "safeguard_auditcheck"])
def test_truncate_cannot_empty_the_audit_trail(school, table):
    _record(school, n=3)
    audit_check_run(actor=None)
    _raw("SET CONSTRAINTS ALL IMMEDIATE", [])  # TRUNCATE waits for no deferred check
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw(f"TRUNCATE {table}", [])
    assert (AuditEvent.objects.count(), AuditCheck.objects.count()) == (3, 1)


def test_a_bare_delete_of_every_event_is_refused(school):
    """SQLite's DELETE without WHERE skips row triggers unless the table has some: it has."""
    _record(school, n=2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw("DELETE FROM safeguard_auditevent", [])
    assert AuditEvent.objects.count() == 2


def test_a_kept_chain_check_cannot_be_forged_or_removed(school):
    _record(school, n=2)
    check = audit_check_run(actor=None)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw("UPDATE safeguard_auditcheck SET problems = 0, first_problem = ''", [])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditCheck.objects.filter(pk=check.pk).update(events_checked=99)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw("DELETE FROM safeguard_auditcheck", [])
    kept = AuditCheck.objects.get()
    assert (kept.pk, kept.events_checked, kept.head_id) == (check.pk, 2, check.head_id)


def test_a_check_keeps_the_head_it_reached_and_each_schools_share(school, head, outsider):
    _record(school, actor=head, n=3)
    *_, last = _record(outsider.school, actor=outsider, n=2)
    mine = list(AuditEvent.objects.filter(school=school).order_by("id"))
    check = audit_check_run(actor=head)
    assert (check.school, check.head_id, check.head_hash) == (school, mine[-1].pk, mine[-1].hash)
    share = {"events": 3, "problems": 0, "first_problem": ""}
    head_of = {"head_id": mine[-1].pk, "head_hash": mine[-1].hash}
    assert check.by_school == {str(school.pk): {**share, **head_of}}
    everyone = audit_check_run(actor=None)
    assert everyone.school is None
    assert (everyone.head_id, everyone.head_hash) == (last.pk, last.hash)
    assert everyone.by_school[str(outsider.school_id)] == {
        "events": 2,
        "problems": 0,
        "first_problem": "",
        "head_id": last.pk,
        "head_hash": last.hash,
    }


def test_deleting_the_newest_events_behind_the_triggers_is_not_reported_intact(school, head):
    events = _record(school, actor=head, n=5)
    assert audit_check_run(actor=None).intact
    _owner_lifts_every_trigger()
    _raw("DELETE FROM safeguard_auditevent WHERE id >= %s", [events[3].pk])
    # The chain alone is still whole: nothing follows the removed events.
    assert chain.walk_chain(2000).problems == []
    out, err, error = _verify_output()
    assert error == "The audit trail is broken: 2 problem(s)."
    assert "intact" not in out
    missing = f"events {events[3].pk}..{events[4].pk} are missing from the end of the school's"
    assert missing in err
    assert f"2 of the 5 events up to event {events[4].pk} are missing" in err
    assert not AuditCheck.objects.order_by("-id").first().intact


def test_an_emptied_trail_is_reported_as_missing_events_not_as_0_intact(school, head):
    events = _record(school, actor=head, n=4)
    audit_check_run(actor=None)
    _owner_lifts_every_trigger()
    # The owner's TRUNCATE with the triggers lifted; on SQLite a bare DELETE is the same.
    _raw(
        "TRUNCATE safeguard_auditevent"
        if connection.vendor == "postgresql"
        else "DELETE FROM safeguard_auditevent",
        [],
    )
    out, err, error = _verify_output()
    assert "The audit trail is intact: 0 events" not in out
    assert error is not None
    assert (
        f"every event up to event {events[-1].pk} is missing from the end of the school's chain"
        in err
    )
    assert f"4 of the 4 events up to event {events[-1].pk} are missing" in err


def test_a_trail_written_again_from_the_start_is_not_intact(school, head):
    events = _record(school, actor=head, n=3)
    audit_check_run(actor=None)
    _owner_lifts_every_trigger()
    _raw("DELETE FROM safeguard_auditevent", [])
    _record(school, actor=head, n=4)  # a fresh chain from GENESIS: every link holds
    assert chain.walk_chain(2000).problems == []
    problems = audit_verify()
    assert [p.event_id for p in problems] == [events[-1].pk, None]
    assert "3 of the 3 events" in problems[1].message


def test_a_rewritten_newest_event_is_named_by_the_next_check(school, head):
    *_, last = _record(school, actor=head, n=3)
    audit_check_run(actor=None)
    _owner_lifts_every_trigger()
    forged = AuditEvent.objects.get(pk=last.pk)
    forged.reason = "nothing to see"
    forged.hash = chain.event_hash(forged)  # the newest: no later link to break
    forged.save(update_fields=["reason", "hash"])
    assert chain.walk_chain(2000).problems == []
    (problem,) = audit_check_run(actor=None).found
    assert problem.event_id == last.pk
    assert f"event {last.pk} is not the one the last check found there" in problem.message


def test_events_missing_stay_reported_until_the_trail_is_whole_again(school, head):
    events = _record(school, actor=head, n=3)
    audit_check_run(actor=None)
    _owner_lifts_every_trigger()
    _raw("DELETE FROM safeguard_auditevent WHERE id = %s", [events[-1].pk])
    assert not audit_check_run(actor=None).intact
    # The broken check is not the measure: the next one still compares with the intact one.
    _record(school, actor=head, n=1)
    again = audit_check_run(actor=None)
    assert again.first_problem.startswith(
        f"event {events[-1].pk} is missing from the end of the school's chain"
    )


def test_a_trail_growing_normally_stays_intact_check_after_check(school, head):
    for n in range(3):
        _record(school, actor=head, n=2)
        check = audit_check_run(actor=None)
        assert check.found == [] and check.events_checked == 2 * (n + 1)
    out, _err, error = _verify_output()
    assert error is None
    assert "The audit trail is intact: 6 events in 1 school chain." in out
    assert f"School {school.pk}: head event {AuditEvent.objects.order_by('-id').first().pk}" in out


def _plant_check(head_event, events_checked):
    """What the app's database role may do: add a check of its own, claiming the trail intact up
    to `head_event` and dated years ahead (red-team review, second round)."""
    _raw(
        "INSERT INTO safeguard_auditcheck (ran_at, events_checked, problems, first_problem, "
        "head_id, head_hash, by_school, blocks) VALUES (%s, %s, 0, '', %s, %s, '{}', '{}')",
        [
            dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
            events_checked,
            head_event.pk,
            head_event.hash,
        ],
    )
    return AuditCheck.objects.order_by("-id").first()


def test_a_planted_check_does_not_hide_events_an_earlier_check_counted(school, head):
    events = _record(school, actor=head, n=5)
    audit_check_run(actor=None)
    _owner_lifts_every_trigger()
    _raw("DELETE FROM safeguard_auditevent WHERE id >= %s", [events[3].pk])
    _plant_check(events[2], 3)
    out, err, error = _verify_output()
    assert error is not None and "intact" not in out
    assert f"event {events[4].pk} is missing from the trail: the check of" in err


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the clock trigger is PostgreSQL's")
def test_a_check_is_dated_by_the_database_clock_whatever_its_inserter_says(school, head):
    _record(school, actor=head, n=1)
    planted = _plant_check(AuditEvent.objects.get(), 1)
    assert abs(planted.ran_at - timezone.now()) < dt.timedelta(minutes=5)
