"""The audit trail page, its CSV export and the chain check.

For the headteacher and the chair of governors only; one school's events and chain checks;
filters that narrow the rows; the latest chain check at the top; governors-safe (no pupil names,
no reasons for the chair); a confidential concern's reporter withheld from anyone but its case
manager.
"""

import csv
import datetime as dt
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import QuerySet
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contacts.concerns import services as concerns_services
from contacts.people import services as people_services
from safeguard.audit.chain import GENESIS, event_hash
from safeguard.audit.models import AuditCheck, AuditEvent
from safeguard.audit.services import audit_record
from tests.factories import StaffFactory
from tests.factories_records import days_ago, make_concern, make_disclosure, make_lado, make_record
from tests.helpers import allow_audit_tampering, field_error, sign_in, text

URL = reverse("audit_trail")
EXPORT = reverse("audit_export")
CHECK = reverse("audit_check")
COLUMNS = ["when", "who", "role", "action", "object reference", "from state", "to state"]


def _as(client, user):
    sign_in(client, user)
    return client


def _event(school, actor=None, action="staff.update", ref="TEST-1", **extra):
    with transaction.atomic():
        return audit_record(
            actor=actor,
            school=school,
            action=action,
            object_type=extra.pop("object_type", "test"),
            object_id=extra.pop("object_id", "1"),
            object_ref=ref,
            **extra,
        )


def _undeclared_event(school, action, ref):
    """An event whose code the vocabulary does not declare, as one written before it existed
    would be (audit_record refuses such a code now), chained like any other."""
    head = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    event = AuditEvent(
        school=school,
        actor_role="system",
        action=action,
        object_type="test",
        object_id="9",
        object_ref=ref,
        created_at=timezone.now(),
        prev_hash=head or GENESIS,
    )
    event.hash = event_hash(event)
    event.save(force_insert=True)
    return event


def _rows(response) -> list[list[str]]:
    """The audit table's body rows, each a list of its cells' text."""
    page = response.content.decode()
    table = re.search(r'<table[^>]*id="audit-events".*?<tbody>(.*?)</tbody>', page, flags=re.S)
    assert table, "no audit table on the page"
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), flags=re.S):
        cells = [text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
        if len(cells) > 1:
            rows.append(cells)
    return rows


def _refs(response) -> list[str]:
    return [row[4] for row in _rows(response)]


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


# --- who may open it ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["teacher", "governor", "dsl", "deputy", "admin"])
def test_everyone_but_the_head_and_the_chair_is_refused(client, request, persona):
    user = request.getfixturevalue(persona)
    _as(client, user)
    assert client.get(URL).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert client.post(CHECK).status_code == 403
    assert AuditCheck.objects.count() == 0
    assert "Audit trail" not in text(client.get(reverse("my_requests")))


@pytest.mark.parametrize("persona", ["head", "chair"])
def test_the_head_and_the_chair_open_the_audit_trail(client, request, persona):
    user = request.getfixturevalue(persona)
    _as(client, user)
    response = client.get(URL)
    assert response.status_code == 200
    assert "Audit trail" in text(response)
    assert reverse("audit_trail") in client.get(reverse("my_requests")).content.decode()


@pytest.mark.django_db
def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


# --- the table ----------------------------------------------------------------------------------


def test_rows_are_this_schools_events_newest_first_in_words(client, head, dsl, outsider):
    school = head.school
    _event(school, head, "request.approve", "REQ-000001", from_state="submitted",
           to_state="approved", reason="Fine with conditions")  # fmt: skip
    _event(school, dsl, "record.create", "REC-000002", reason="Unplanned contact")
    _event(outsider.school, outsider, "record.create", "ELSEWHERE-REF")
    _undeclared_event(school, "mystery.code", "TEST-9")
    rows = _rows(_as(client, head).get(URL))
    assert [row[1:] for row in rows] == [
        ["The system", "The system", "Mystery code", "TEST-9", "", ""],
        [dsl.full_name, "Designated safeguarding lead", "Record made", "REC-000002", "",
         "Unplanned contact"],
        [head.full_name, "Headteacher", "Request approved", "REQ-000001",
         "Waiting for a decision → Approved", "Fine with conditions"],
    ]  # fmt: skip
    assert "ELSEWHERE-REF" not in text(_as(client, head).get(URL))
    assert "ELSEWHERE-REF" in text(_as(client, outsider).get(URL))


def test_other_schools_events_are_never_listed_or_exported(client, head, chair, outsider):
    for n in range(3):
        _event(outsider.school, outsider, "pupil.create", f"ELSEWHERE-{n}")
    _event(head.school, head, "pupil.create", "MINE-1")
    for user in (head, chair):
        _as(client, user)
        # Each export is itself an event of the school's ("Audit trail").
        assert _refs(client.get(URL, {"action": "pupil.create"})) == ["MINE-1"]
        exported = [row[4] for row in _csv(client.get(EXPORT))[1:]]
        assert [ref for ref in exported if ref != "Audit trail"] == ["MINE-1"]
        assert _refs(client.get(URL, {"person": outsider.pk, "action": "pupil.create"})) == [
            "MINE-1"
        ]


def test_actions_are_in_words(client, head, teacher, colleague, pupil):
    make_record(teacher, [pupil])
    make_concern(teacher, colleague)
    _as(client, head).get(reverse("pupil_detail", args=[pupil.pk]))
    actions = [row[3] for row in _rows(_as(client, head).get(URL))]
    # A concern needs its case manager's attention: its alert is raised with it.
    assert actions == [
        "Viewed",
        "Needs attention: raised",
        "Boundary concern raised",
        "Record made",
    ]


def test_each_reference_links_to_the_page_its_object_is_read_on(client, head, teacher, pupil):
    record = make_record(teacher, [pupil])
    _as(client, head).get(reverse("pupil_detail", args=[pupil.pk]))
    response = _as(client, head).get(URL)
    assert f'<a href="{reverse("record_detail", args=[record.pk])}">{record.reference}</a>' in (
        response.text
    )
    assert f'<a href="{reverse("pupil_detail", args=[pupil.pk])}">PUPIL-{pupil.pk}</a>' in (
        response.text
    )


def test_a_reference_with_no_page_of_its_own_is_plain_text():
    from safeguard.audit.selectors import object_url

    assert object_url("policies.policyversion", "3") == ""
    assert object_url("contacts.staff", "not-a-number") == ""
    assert object_url("contacts.staff", "7") == reverse("staff_detail", args=[7])


def test_the_table_is_paginated_by_100(client, head):
    for n in range(101):
        _event(head.school, head, ref=f"TEST-{n}")
    _as(client, head)
    first = client.get(URL)
    assert len(_rows(first)) == 100
    assert "Page 1 of 2" in text(first)
    assert _refs(client.get(URL, {"page": 2})) == ["TEST-0"]


# --- filters ------------------------------------------------------------------------------------


def test_filter_by_person(client, head, dsl, teacher):
    _event(head.school, dsl, ref="BY-DSL")
    _event(head.school, teacher, ref="BY-TEACHER-1")
    _event(head.school, teacher, ref="BY-TEACHER-2")
    _as(client, head)
    assert _refs(client.get(URL, {"person": teacher.pk})) == ["BY-TEACHER-2", "BY-TEACHER-1"]
    assert _refs(client.get(URL, {"person": dsl.pk})) == ["BY-DSL"]
    assert len(_rows(client.get(URL))) == 3


def test_filter_by_action_offers_only_the_actions_present(client, head):
    _event(head.school, head, "request.approve", "APPROVED")
    _event(head.school, head, "view", "VIEWED")
    _as(client, head)
    response = client.get(URL)
    select = re.search(r'<select name="action".*?</select>', response.content.decode(), re.S)
    options = re.findall(r'<option value="([^"]*)"', select.group(0))
    assert options == ["", "request.approve", "view"]
    assert "Request approved" in select.group(0)
    assert _refs(client.get(URL, {"action": "view"})) == ["VIEWED"]
    assert _refs(client.get(URL, {"action": "request.approve"})) == ["APPROVED"]


def test_filter_by_dates(client, head, monkeypatch):
    today = timezone.localdate()
    days = {ref: today - dt.timedelta(days=n) for ref, n in [("OLD", 30), ("MID", 10), ("NEW", 1)]}
    for ref, day in days.items():
        with monkeypatch.context() as patched:
            patched.setattr(timezone, "now", lambda day=day: _at(day))
            _event(head.school, head, ref=ref)
    _as(client, head)
    iso = {ref: day.isoformat() for ref, day in days.items()}
    assert _refs(client.get(URL, {"date_from": iso["MID"]})) == ["NEW", "MID"]
    assert _refs(client.get(URL, {"date_to": iso["MID"]})) == ["MID", "OLD"]
    assert _refs(client.get(URL, {"date_from": iso["MID"], "date_to": iso["MID"]})) == ["MID"]
    between = {"date_from": iso["OLD"], "date_to": (days["NEW"] - dt.timedelta(1)).isoformat()}
    assert _refs(client.get(URL, between)) == ["MID", "OLD"]


def test_filters_combine(client, head, teacher):
    _event(head.school, teacher, "view", "TEACHER-VIEW")
    _event(head.school, teacher, "record.create", "TEACHER-RECORD")
    _event(head.school, head, "view", "HEAD-VIEW")
    _as(client, head)
    assert _refs(client.get(URL, {"person": teacher.pk, "action": "view"})) == ["TEACHER-VIEW"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_from", "2026-13-45", "Enter a valid date."),
        ("date_to", "yesterday", "Enter a valid date."),
        ("date_from", "9999-99-99", "Enter a valid date."),
        ("person", "not-a-number", "Select a valid choice."),
        ("action", "no.such.action", "Select a valid choice."),
    ],
)
def test_a_bad_filter_is_named_next_to_its_field(client, head, field, value, message):
    _event(head.school, head, ref="STILL-LISTED")
    response = _as(client, head).get(URL, {field: value})
    assert response.status_code == 200
    assert message in field_error(response, field)
    assert _refs(response) == ["STILL-LISTED"]
    export = client.get(EXPORT, {field: value})
    assert export.status_code == 400
    assert message in export.content.decode()


def test_an_end_date_before_the_start_is_named_next_to_the_end(client, head):
    response = _as(client, head).get(URL, {"date_from": "2026-05-10", "date_to": "2026-05-01"})
    assert response.status_code == 200
    assert field_error(response, "date_to") == "The end date is before the start date."
    assert field_error(response, "date_from") == ""


def test_extreme_dates_do_not_break_the_page(client, head):
    _event(head.school, head, ref="TODAY")
    _as(client, head)
    assert _refs(client.get(URL, {"date_from": "0001-01-01", "date_to": "9999-12-31"})) == ["TODAY"]
    assert _refs(client.get(URL, {"date_from": "9999-12-31"})) == []
    assert _refs(client.get(URL, {"date_to": "0001-01-01"})) == []
    with override_settings(TIME_ZONE="Pacific/Kiritimati"):  # UTC+14
        assert _refs(client.get(URL, {"date_from": "0001-01-01"})) == ["TODAY"]
    with override_settings(TIME_ZONE="Pacific/Pago_Pago"):  # UTC-11
        assert _refs(client.get(URL, {"date_to": "9999-12-31"})) == ["TODAY"]


def test_someone_elses_staff_member_is_not_a_valid_person(client, head, outsider):
    response = _as(client, head).get(URL, {"person": outsider.pk})
    assert "Select a valid choice." in field_error(response, "person")
    assert outsider.full_name not in text(response)


# --- checking the chain -------------------------------------------------------------------------


def test_the_page_says_when_the_chain_was_never_checked(client, head):
    assert "The chain has not been checked yet" in text(_as(client, head).get(URL))


@pytest.mark.parametrize("persona", ["head", "chair"])
def test_check_the_chain_now_stores_a_check_and_the_page_says_intact(client, request, persona):
    user = request.getfixturevalue(persona)
    for n in range(3):
        _event(user.school, user, ref=f"TEST-{n}")
    before = AuditEvent.objects.count()
    _as(client, user)
    response = client.post(CHECK)
    assert response.status_code == 302
    assert response["Location"] == URL
    check = AuditCheck.objects.get()
    assert (check.ran_by, check.events_checked, check.problems) == (user, 3, 0)
    assert check.first_problem == ""
    assert AuditEvent.objects.count() == before  # a check is not itself an audit event
    page = text(client.get(URL))
    when = timezone.localtime(check.ran_at)
    assert f"Intact: checked on {when.day} {when:%b %Y} at {when:%H:%M} by {user.full_name}" in page


def test_check_the_chain_needs_a_post(client, head):
    assert _as(client, head).get(CHECK).status_code == 405
    assert AuditCheck.objects.count() == 0


def _kept(ran_by, events, problems=0, first_problem="", **extra):
    """A kept check, run by `ran_by` (None: the command), that found `events` of its school's."""
    school_id = ran_by.school_id if ran_by is not None else extra.pop("school_id")
    share = {"events": events, "problems": problems, "first_problem": first_problem}
    return AuditCheck.objects.create(
        ran_by=ran_by,
        school_id=ran_by.school_id if ran_by is not None else None,
        events_checked=extra.pop("events_checked", events),
        problems=extra.pop("total_problems", problems),
        first_problem=first_problem,
        by_school={str(school_id): share, **extra.pop("by_school", {})},
    )


def test_a_tampered_event_makes_the_page_say_broken_and_name_it(client, head):
    first, second, third = (_event(head.school, head, ref=f"TEST-{n}") for n in range(3))
    allow_audit_tampering()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE safeguard_auditevent SET reason = %s WHERE id = %s", ["nothing", second.pk]
        )
    _as(client, head).post(CHECK)
    check = AuditCheck.objects.get()
    assert (check.problems, check.events_checked) == (1, 3)
    assert check.first_problem == f"event {second.pk} was changed after it was written"
    page = text(client.get(URL))
    assert f"BROKEN: 1 problem — event {second.pk} was changed after it was written" in page
    assert "Intact:" not in page


def test_the_page_shows_the_latest_check(client, head):
    _kept(head, 5, problems=2, first_problem="event 4 x")
    _kept(head, 6)
    page = text(_as(client, head).get(URL))
    assert "Intact: checked" in page and "BROKEN" not in page


def test_a_check_kept_before_schools_were_counted_says_no_count(client, head):
    AuditCheck.objects.create(ran_by=head, events_checked=12345, problems=0)
    page = text(_as(client, head).get(URL))
    assert "Intact: checked on" in page
    assert "12,345" not in page


# --- tenancy of the chain check (issue 15, finding 8) -------------------------------------------


def test_a_schools_audit_page_counts_no_events(client, head, outsider):
    """Not its own events' count either: the trail hides concerns about the reader, and a count
    beside the shorter list would tell them one exists (red-team review, second round)."""
    for n in range(3):
        _event(head.school, head, ref=f"TEST-{n}")
    for n in range(4):
        _event(outsider.school, outsider, ref=f"ELSEWHERE-{n}")
    _as(client, head)
    response = client.post(CHECK, follow=True)
    assert "The chain is intact." in text(response)
    page = text(client.get(URL))
    assert "Intact: checked" in page
    assert "events checked" not in page and "7 events" not in page
    call_command("verify_audit", stdout=io.StringIO())
    _as(client, outsider)
    assert "Intact: checked" in text(client.get(URL))


def test_a_check_run_at_another_school_is_neither_shown_nor_named(client, head, outsider):
    _kept(outsider, 2)
    page = text(_as(client, head).get(URL))
    assert "another school" not in page
    assert outsider.full_name not in page
    assert "The chain has not been checked yet" in page
    mine = _kept(head, 1)
    _kept(outsider, 2)  # newer, and still not this school's
    when = timezone.localtime(mine.ran_at)
    assert f"Intact: checked on {when.day} {when:%b %Y}" in text(client.get(URL))


def test_the_installations_own_check_is_shown_to_every_school(client, head, outsider):
    _kept(None, 3, school_id=head.school_id, by_school={str(outsider.school_id): {"events": 9}})
    assert "Intact: checked" in text(_as(client, head).get(URL))
    assert "by the verify_audit command" in text(client.get(URL))
    assert "by the verify_audit command" in text(_as(client, outsider).get(URL))


def test_a_break_in_another_schools_chain_is_not_this_schools(client, head, outsider):
    _event(head.school, head)
    theirs = _event(outsider.school, outsider)
    allow_audit_tampering()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE safeguard_auditevent SET reason = 'x' WHERE id = %s", [theirs.pk])
    _as(client, head)
    response = client.post(CHECK, follow=True)
    assert "The chain is intact." in text(response)
    page = text(client.get(URL))
    assert f"event {theirs.pk}" not in page and "BROKEN" not in page
    page = text(_as(client, outsider).get(URL))
    assert "The chain has not been checked yet" in page  # the head's check is not theirs
    response = client.post(CHECK, follow=True)
    assert f"The chain is broken: event {theirs.pk} was changed after it was written" in text(
        response
    )


def test_events_missing_from_the_end_are_told_to_their_school_only(client, head, outsider):
    _event(outsider.school, outsider)
    last = _event(head.school, head)
    call_command("verify_audit", stdout=io.StringIO())
    allow_audit_tampering()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER safeguard_auditevent_no_delete")
        cursor.execute("DELETE FROM safeguard_auditevent WHERE id = %s", [last.pk])
    with pytest.raises(CommandError):
        call_command("verify_audit", stdout=io.StringIO(), stderr=io.StringIO())
    page = text(_as(client, head).get(URL))
    assert f"event {last.pk} is missing from the end of the school's chain" in page
    page = text(_as(client, outsider).get(URL))
    assert "BROKEN" not in page and "Intact: checked" in page


def test_the_verify_audit_command_stores_its_run(client, head):
    for n in range(2):
        _event(head.school, head, ref=f"TEST-{n}")
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "The audit trail is intact: 2 events in 1 school chain." in out.getvalue()
    check = AuditCheck.objects.get()
    assert (check.ran_by, check.events_checked, check.problems) == (None, 2, 0)
    assert "Intact: checked" in text(_as(client, head).get(URL))


def test_the_verify_audit_command_stores_a_broken_run_and_still_fails(head):
    first, second = (_event(head.school, head, ref=f"TEST-{n}") for n in range(2))
    allow_audit_tampering()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE safeguard_auditevent SET reason = 'x' WHERE id = %s", [first.pk])
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"The audit trail is broken: 1 problem\(s\)"):
        call_command("verify_audit", stderr=err)
    assert f"event {first.pk} was changed after it was written" in err.getvalue()
    check = AuditCheck.objects.get()
    assert (check.ran_by, check.problems) == (None, 1)
    assert check.first_problem == f"event {first.pk} was changed after it was written"


# --- the CSV export -----------------------------------------------------------------------------


def _varied_events(head, dsl, teacher):
    school = head.school
    _event(school, head, "request.approve", "REQ-000001", from_state="submitted",
           to_state="approved", reason="Approved, with the door open")  # fmt: skip
    _event(school, dsl, "record.create", "REC-000002", reason="Unplanned contact; verdict record")
    _event(school, teacher, "request.submit", "REQ-000003", from_state="draft",
           to_state="submitted", reason="Asked to see the plan")  # fmt: skip
    _event(school, None, "request.remind", "REQ-000003", reason="waiting too long")
    _event(school, teacher, "view", "PUPIL-77")


def _page_as_csv_rows(response) -> list[list[str]]:
    """The page's rows laid out as the head's CSV lays them out (bar the time's format)."""
    out = []
    for when, who, role, action, ref, states, reason in _rows(response):
        from_state, _, to_state = states.partition(" → ")
        out.append([when, who, role, action, ref, from_state.strip("—").strip(),
                    to_state.strip("—").strip(), reason])  # fmt: skip
    return out


def _csv_when_as_page(value: str) -> str:
    moment = dt.datetime.fromisoformat(value)
    assert moment.utcoffset() is not None
    local = timezone.localtime(moment)
    return f"{local.day} {local:%b %Y}, {local:%H:%M}"


@pytest.mark.parametrize(
    "filters",
    [{}, {"action": "request.submit"}, {"person": "teacher"}, {"date_from": "today"}],
)
def test_the_heads_csv_has_the_pages_rows(client, head, dsl, teacher, filters):
    _varied_events(head, dsl, teacher)
    query = dict(filters)
    if "person" in query:
        query["person"] = teacher.pk
    if "date_from" in query:
        query["date_from"] = timezone.localdate().isoformat()
    _as(client, head)
    page_rows = _page_as_csv_rows(client.get(URL, query))
    response = client.get(EXPORT, query)
    lines = _csv(response)
    assert lines[0] == [*COLUMNS, "reason"]
    exported = [[_csv_when_as_page(line[0]), *line[1:]] for line in lines[1:]]
    assert exported == page_rows
    assert len(exported) >= 1
    if not filters:
        names = {line[1] for line in lines[1:]}
        assert {head.full_name, dsl.full_name, teacher.full_name, "The system"} == names


def test_the_csv_is_an_attachment_named_for_the_school_and_day(client, head):
    response = _as(client, head).get(EXPORT)
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"audit-trail-oakfield-test-school-{timezone.localdate():%Y-%m-%d}.csv" in disposition


def test_the_csv_guards_against_spreadsheet_formulas(client, head):
    _event(head.school, head, reason="=cmd|' /C calc'!A0")
    (line,) = _csv(_as(client, head).get(EXPORT))[1:]
    assert line[-1] == "'=cmd|' /C calc'!A0"


def test_the_chairs_page_and_csv_agree_on_names(client, head, dsl, teacher, chair):
    """The chair holds the school to account and names people on the page: the CSV names the
    same people (docs/security.md says why), and neither has the reasons."""
    _varied_events(head, dsl, teacher)
    _as(client, chair)
    # The page first: the export writes an event of its own, which the next page would show.
    page_who = [row[1] for row in _rows(client.get(URL))]
    lines = _csv(client.get(EXPORT))
    assert lines[0] == COLUMNS
    body = "\n".join(",".join(line) for line in lines)
    who = [line[1] for line in lines[1:]]
    assert who == [
        teacher.full_name,
        "The system",
        teacher.full_name,
        dsl.full_name,
        head.full_name,
    ]
    assert who == page_who
    assert "STAFF-" not in body
    for reason in ("door open", "Unplanned", "see the plan", "waiting too long"):
        assert reason not in body
    assert all(len(line) == len(COLUMNS) for line in lines)


def test_the_chairs_page_shows_no_reasons(client, head, dsl, teacher, chair):
    _varied_events(head, dsl, teacher)
    response = _as(client, chair).get(URL)
    page = text(response)
    assert "door open" not in page
    assert "Reasons are not shown to governors" in page
    assert all(len(row) == 6 for row in _rows(response))


def test_the_csv_streams_from_an_iterator(client, head, monkeypatch):
    calls = []
    real_iterator = QuerySet.iterator

    def spy(queryset, *args, **kwargs):
        calls.append(queryset.model)
        return real_iterator(queryset, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "iterator", spy)
    _make_events(head.school, [head], 5)
    _as(client, head)
    with CaptureQueriesContext(connection) as few:
        assert len(_csv(client.get(EXPORT))) == 6
    _make_events(head.school, [head], 60, start=5)
    with CaptureQueriesContext(connection) as many:
        response = client.get(EXPORT)
        assert response.streaming
        # The first export is in the trail, and so in the second.
        assert len(_csv(response)) == 67
    assert AuditEvent in calls
    assert len(many) == len(few)


# --- governors-safe: no pupil names ------------------------------------------------------------


def test_no_pupil_name_appears_on_the_page_or_in_the_csv(client, head, dsl, teacher, chair):
    school = head.school
    today = timezone.localdate()
    pupil = people_services.pupil_create(
        actor=head,
        school=school,
        first_name="Zebedee",
        last_name="Quillfeather",
        date_of_birth=today - dt.timedelta(days=13 * 365),
        admission_date=today - dt.timedelta(days=2 * 365),
        year_group=8,
    )
    people_services.pupil_update(actor=head, pupil=pupil, notes="Walks home with an older sibling.")
    people_services.relative_add(actor=head, staff=teacher, pupil=pupil, relationship="child")
    make_record(teacher, [pupil])
    disclosure = make_disclosure(teacher, pupil)
    _as(client, dsl).get(reverse("pupil_detail", args=[pupil.pk]))
    _as(client, dsl).get(reverse("disclosure_detail", args=[disclosure.pk]))
    assert AuditEvent.objects.filter(object_id=str(pupil.pk), object_type="contacts.pupil")
    for user in (head, chair):
        _as(client, user)
        page = client.get(URL)
        assert f"PUPIL-{pupil.pk}" in text(page)
        export = b"".join(client.get(EXPORT).streaming_content).decode()
        assert f"PUPIL-{pupil.pk}" in export
        for output in (page.content.decode(), export):
            assert "Quillfeather" not in output
            assert "Zebedee" not in output


# --- confidential concerns ----------------------------------------------------------------------


def _raise_row(response, concern) -> list[str]:
    (row,) = [r for r in _rows(response) if r[4] == concern.reference and r[3].endswith("raised")]
    return row


def test_a_confidential_reporter_is_withheld_from_the_chair(
    client, head, chair, teacher, colleague
):
    concern = make_concern(teacher, colleague, confidential=True)  # the head manages it
    _as(client, teacher).get(reverse("concern_detail", args=[concern.pk]))
    _as(client, chair)
    response = client.get(URL)
    assert _raise_row(response, concern)[1:3] == ["Name withheld", "Withheld"]
    viewed = [r for r in _rows(response) if r[3] == "Viewed" and r[4] == concern.reference]
    assert [r[1] for r in viewed] == ["Name withheld"]
    # Filtering by the reporter must not give them away either.
    assert concern.reference not in _refs(client.get(URL, {"person": teacher.pk}))
    assert _refs(client.get(URL, {"person": teacher.pk, "action": "concern.raise"})) == []
    lines = _csv(client.get(EXPORT))
    raised = [line for line in lines if line[4] == concern.reference and line[3].endswith("raised")]
    assert raised[0][1:3] == ["Name withheld", "Withheld"]
    assert f"STAFF-{teacher.pk}" not in "\n".join(",".join(line) for line in lines)


def test_the_case_manager_sees_the_confidential_reporter(client, head, teacher, colleague):
    concern = make_concern(teacher, colleague, confidential=True)
    response = _as(client, head).get(URL)
    assert _raise_row(response, concern)[1:3] == [teacher.full_name, "Staff"]
    assert concern.reference in _refs(client.get(URL, {"person": teacher.pk}))
    lines = _csv(client.get(EXPORT))
    assert [line[1] for line in lines if line[4] == concern.reference] == [teacher.full_name]


def test_a_concern_about_the_reader_is_not_in_their_trail(client, head, chair, teacher, dsl):
    """The head may not learn that a concern or LADO referral about them exists."""
    concern = make_concern(teacher, head, confidential=True)  # the chair manages it
    _as(client, chair).get(reverse("concern_detail", args=[concern.pk]))
    referral = make_lado(chair, head, concern=concern)
    concerns_services.lado_outcome_record(
        actor=chair, referral=referral, outcome="unfounded", outcome_on=days_ago(0)
    )
    for_chair = _as(client, chair).get(URL)
    assert _raise_row(for_chair, concern)[1] == teacher.full_name
    assert referral.reference in _refs(for_chair)
    _as(client, head)
    response = client.get(URL)
    page = response.content.decode()
    for hidden in (concern.reference, referral.reference, f"STAFF-{head.pk}", "lado.", "raised"):
        assert hidden not in page
    assert _rows(response) == []
    assert all(
        line[4] not in (concern.reference, referral.reference)
        for line in _csv(client.get(EXPORT))[1:]
    )
    assert _refs(client.get(URL, {"person": chair.pk})) == []


def test_a_self_referral_stays_in_the_reporters_trail(client, head, chair):
    concern = make_concern(head, head)  # the head refers themself; the chair manages it
    assert concern.reference in _refs(_as(client, head).get(URL))


def test_a_concern_that_is_not_confidential_names_its_reporter(client, chair, teacher, colleague):
    concern = make_concern(teacher, colleague)
    assert _raise_row(_as(client, chair).get(URL), concern)[1] == teacher.full_name


# --- cost ---------------------------------------------------------------------------------------


def _make_events(school, people, n, start=0):
    for i in range(start, start + n):
        _event(school, people[i % len(people)], ref=f"TEST-{i}", reason=f"reason {i}")


def test_the_page_query_count_does_not_grow_with_the_events(
    client, head, chair, dsl, teacher, colleague, django_assert_max_num_queries
):
    people = [head, dsl, teacher, colleague, None]
    make_concern(teacher, colleague, confidential=True)
    make_concern(colleague, teacher)
    _make_events(head.school, people, 3)
    AuditCheck.objects.create(ran_by=head, events_checked=5, problems=0)
    counts = {}
    for user in (head, chair):
        _as(client, user).get(URL)
        with CaptureQueriesContext(connection) as five:
            # The five events, and each concern's alert being raised.
            assert len(_rows(client.get(URL))) == 5 + 2
        counts[user.pk] = len(five)
    extra = [StaffFactory(school=head.school) for _ in range(10)]
    _make_events(head.school, people + extra, 45, start=3)
    for user in (head, chair):
        _as(client, user)
        with django_assert_max_num_queries(counts[user.pk]):
            assert len(_rows(client.get(URL))) == 50 + 2


def test_the_filter_form_puts_no_token_in_the_address_and_the_csv_link_keeps_filters(client, head):
    _event(head.school, head, "view", "VIEWED")
    page = _as(client, head).get(URL, {"action": "view", "page": "1"}).content.decode()
    get_form = re.search(r'<form method="get".*?</form>', page, flags=re.S).group(0)
    assert "csrfmiddlewaretoken" not in get_form
    assert f'href="{EXPORT}?action=view"' in get_form
