"""CSV imports: whole files load, or nothing does and every problem is listed by line.

contacts.people.importing.people_import directly, then the import_people management command.
"""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from contacts.people.importing import ImportRejected, RowError, people_import
from contacts.people.models import Pupil, Staff
from safeguard.audit.chain import audit_verify
from safeguard.audit.models import AuditEvent
from safeguard.core import roles
from tests.helpers import csv_bytes, row_counts

PUPIL_HEADER = (
    "first_name,last_name,date_of_birth,admission_date,leaving_date,year_group,"
    "vulnerable_adult,notes"
)
STAFF_HEADER = "email,first_name,last_name,job_title,staff_type,line_manager_email,roles"
GOOD_PUPIL = "Amir,Rahman,2012-10-01,2023-09-04,,7,no,"


def _import(actor, kind, file):
    return people_import(actor=actor, school=actor.school, kind=kind, file=file)


def _rejected(actor, kind, file) -> list[RowError]:
    """Import that must be rejected whole: nothing is written, the problems are returned."""
    before = row_counts()
    with pytest.raises(ImportRejected) as caught:
        _import(actor, kind, file)
    assert row_counts() == before
    return caught.value.errors


# --- good pupil files -------------------------------------------------------------------------


def test_good_pupil_file_loads_every_row(head):
    file = csv_bytes(
        PUPIL_HEADER,
        GOOD_PUPIL,
        "Beth,Cole,2005-03-12,2016-09-05,2023-07-20,13,yes,Left for college",
        "Cara,Dunn,2013-02-01,2024-09-04,,Year 7,,",
    )
    result = _import(head, "pupils", file)
    assert (result.kind, result.created) == ("pupils", 3)
    amir = Pupil.objects.get(first_name="Amir", last_name="Rahman")
    assert (amir.school, amir.date_of_birth, amir.year_group) == (
        head.school,
        dt.date(2012, 10, 1),
        7,
    )
    assert amir.is_current() and not amir.vulnerable_adult
    beth = Pupil.objects.get(last_name="Cole")
    assert (beth.leaving_date, beth.vulnerable_adult, beth.notes) == (
        dt.date(2023, 7, 20),
        True,
        "Left for college",
    )
    assert Pupil.objects.get(last_name="Dunn").year_group == 7


def test_good_pupil_file_writes_one_audit_event_per_pupil(head):
    _import(
        head, "pupils", csv_bytes(PUPIL_HEADER, GOOD_PUPIL, "Bo,Bell,2012-01-01,2023-09-04,,7,,")
    )
    events = AuditEvent.objects.order_by("id")
    pupils = Pupil.objects.order_by("id")
    assert [e.action for e in events] == ["pupil.import", "pupil.import"]
    assert [e.object_ref for e in events] == [f"PUPIL-{p.pk}" for p in pupils]
    assert all(e.actor == head and e.actor_role == "headteacher" for e in events)
    assert audit_verify() == []


def test_the_administrator_can_import(admin):
    assert _import(admin, "pupils", csv_bytes(PUPIL_HEADER, GOOD_PUPIL)).created == 1
    assert AuditEvent.objects.get().actor_role == "school_admin"


def test_dates_written_day_first_are_accepted(head):
    _import(head, "pupils", csv_bytes(PUPIL_HEADER, "Dee,Day,01/02/2013,04/09/2024,,7,,"))
    pupil = Pupil.objects.get(last_name="Day")
    assert (pupil.date_of_birth, pupil.admission_date) == (dt.date(2013, 2, 1), dt.date(2024, 9, 4))


def test_utf8_file_with_a_byte_order_mark_is_accepted(head):
    _import(
        head, "pupils", csv_bytes(PUPIL_HEADER, "Zoë,Brontë,2012-10-01,2023-09-04,,7,,", bom=True)
    )
    assert Pupil.objects.get().full_name == "Zoë Brontë"


def test_windows_line_endings_are_accepted(head):
    data = (PUPIL_HEADER + "\r\n" + GOOD_PUPIL + "\r\n").encode()
    assert _import(head, "pupils", io.BytesIO(data)).created == 1


def test_header_case_and_spaces_do_not_matter(head):
    header = " First_Name , LAST_NAME,Date_Of_Birth,admission_date"
    _import(head, "pupils", csv_bytes(header, "Amir,Rahman,2012-10-01,2023-09-04"))
    assert Pupil.objects.get().full_name == "Amir Rahman"


def test_optional_columns_may_be_left_out(head):
    header = "first_name,last_name,date_of_birth,admission_date"
    assert _import(head, "pupils", csv_bytes(header, "A,B,2012-10-01,2023-09-04")).created == 1


@pytest.mark.parametrize(
    ("code", "year_group"), [("N", -1), ("r", 0), ("1", 1), ("Year 10", 10), ("14", 14)]
)
def test_year_group_codes(head, code, year_group):
    _import(head, "pupils", csv_bytes(PUPIL_HEADER, f"A,B,2012-10-01,2023-09-04,,{code},,"))
    assert Pupil.objects.get().year_group == year_group


def test_blank_lines_are_skipped(head):
    file = csv_bytes(PUPIL_HEADER, GOOD_PUPIL, "", ",,,,,,,", "Bo,Bell,2012-01-01,2023-09-04,,7,,")
    assert _import(head, "pupils", file).created == 2


# --- good staff files -------------------------------------------------------------------------


def test_good_staff_file_with_roles_and_line_managers(head):
    file = csv_bytes(
        STAFF_HEADER,
        "Nora.Teach@test.example,Nora,Teach,Class teacher,teacher,newlead@test.example,",
        "newlead@test.example,Lee,Lead,Head of maths,teacher,HEAD@test.example,line_manager;dsl",
        "ta@test.example,Tia,Assist,,support,,",
    )
    result = _import(head, "staff", file)
    assert (result.kind, result.created) == ("staff", 3)
    nora = Staff.objects.get(email="nora.teach@test.example")
    lee = Staff.objects.get(email="newlead@test.example")
    tia = Staff.objects.get(email="ta@test.example")
    assert nora.line_manager == lee
    assert lee.line_manager == head
    assert tia.line_manager is None
    assert (tia.staff_type, tia.job_title) == ("support", "")
    assert roles.roles_of(lee) == {"staff", "line_manager", "dsl"}
    assert roles.roles_of(nora) == {"staff"}
    assert all(p.school == head.school for p in (nora, lee, tia))


def test_imported_staff_cannot_sign_in_until_a_password_is_set(client, head):
    _import(head, "staff", csv_bytes(STAFF_HEADER, "nora@test.example,Nora,Teach,,,,"))
    assert not Staff.objects.get(email="nora@test.example").has_usable_password()


def test_staff_import_writes_one_event_per_person_naming_their_roles(head):
    file = csv_bytes(
        STAFF_HEADER,
        "a@test.example,Ann,A,,,,dsl;line_manager",
        "b@test.example,Bob,B,,,a@test.example,",
    )
    _import(head, "staff", file)
    ann = Staff.objects.get(email="a@test.example")
    bob = Staff.objects.get(email="b@test.example")
    events = list(AuditEvent.objects.order_by("id"))
    assert [(e.action, e.object_ref, e.reason) for e in events] == [
        ("staff.import", f"STAFF-{ann.pk}", "roles: dsl, line_manager"),
        ("staff.roles_change", f"STAFF-{ann.pk}", "given: designated safeguarding lead"),
        ("staff.import", f"STAFF-{bob.pk}", "roles: staff"),
        ("staff.line_manager_change", f"STAFF-{bob.pk}", ""),
    ]
    assert audit_verify() == []


def test_a_safeguarding_lead_in_the_file_is_line_managed_by_the_head_only(head, line_manager):
    file = csv_bytes(
        STAFF_HEADER,
        "lead@test.example,Lee,Lead,,,manager@test.example,dsl",
        "dep@test.example,Dee,Deputy,,,new@test.example,deputy_head",
        "new@test.example,Ned,New,,,,line_manager",
    )
    with pytest.raises(ImportRejected) as caught:
        _import(head, "staff", file)
    assert [
        (p.line, "only be line managed by the headteacher" in p.message)
        for p in caught.value.errors
    ] == [(2, True), (3, True)]
    assert not Staff.objects.filter(email__in=["lead@test.example", "new@test.example"]).exists()


def test_a_governor_in_the_school_is_refused_as_a_line_manager_in_the_file(head, governor):
    file = csv_bytes(STAFF_HEADER, "a@test.example,Ann,A,,,governor@test.example,")
    with pytest.raises(ImportRejected) as caught:
        _import(head, "staff", file)
    assert [str(p) for p in caught.value.errors] == [
        "Line 2: line manager email: a governor cannot be a line manager."
    ]


def test_a_file_that_makes_people_manage_each_other_is_refused(head):
    file = csv_bytes(
        STAFF_HEADER,
        "a@test.example,Ann,A,,,b@test.example,line_manager",
        "b@test.example,Bob,B,,,c@test.example,line_manager",
        "c@test.example,Cal,C,,,a@test.example,line_manager",
    )
    with pytest.raises(ImportRejected) as caught:
        _import(head, "staff", file)
    assert {p.line for p in caught.value.errors} == {2, 3, 4}
    assert "reports to" in caught.value.errors[0].message
    assert not Staff.objects.filter(email="a@test.example").exists()


def test_staff_type_defaults_to_teacher(head):
    _import(head, "staff", csv_bytes(STAFF_HEADER, "a@test.example,Ann,A,,,,"))
    assert Staff.objects.get(email="a@test.example").staff_type == "teacher"


def test_staff_dates_of_birth_are_loaded_when_given(head):
    file = csv_bytes(
        STAFF_HEADER + ",date_of_birth",
        "a@test.example,Ann,A,,,,,1970-04-02",
        "b@test.example,Bea,B,,,,,02/11/1985",
        "c@test.example,Cal,C,,,,,",
    )
    _import(head, "staff", file)
    born = dict(
        Staff.objects.filter(email__endswith="@test.example").values_list("email", "date_of_birth")
    )
    assert born["a@test.example"] == dt.date(1970, 4, 2)
    assert born["b@test.example"] == dt.date(1985, 11, 2)
    assert born["c@test.example"] is None


def test_a_staff_date_of_birth_that_is_not_a_date_or_in_the_future_is_listed_by_line(head):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    errors = _rejected(
        head,
        "staff",
        csv_bytes(
            STAFF_HEADER + ",date_of_birth",
            "a@test.example,Ann,A,,,,,31/02/1980",
            f"b@test.example,Bea,B,,,,,{tomorrow.isoformat()}",
        ),
    )
    assert [str(e) for e in errors] == [
        "Line 2: date of birth: Enter a valid date.",
        "Line 3: date of birth: The date of birth cannot be in the future.",
    ]


# --- bad rows: listed with line numbers, nothing saved ----------------------------------------


def test_bad_pupil_rows_are_each_listed_by_line_and_nothing_is_saved(head):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    after = tomorrow + dt.timedelta(days=1)
    file = csv_bytes(
        PUPIL_HEADER,
        GOOD_PUPIL,
        f"Future,Born,{tomorrow:%Y-%m-%d},{after:%Y-%m-%d},,7,,",
        "Early,Leaver,2012-01-01,2023-09-04,2023-09-01,7,,",
        "Bad,Date,2012-13-45,2023-09-04,,7,,",
        "Odd,Year,2012-01-01,2023-09-04,,15,,",
        "Too,Soon,2012-01-01,2011-09-04,,7,,",
        "Un,Sure,2012-01-01,2023-09-04,,7,maybe,",
        ",Nameless,2012-01-01,2023-09-04,,7,,",
    )
    assert _rejected(head, "pupils", file) == [
        RowError(3, "date of birth: The date of birth cannot be in the future."),
        RowError(4, "leaving date: The leaving date cannot be before the admission date."),
        RowError(5, "date of birth: Enter a valid date."),
        RowError(6, "year group: Use N, R or a number from 1 to 14."),
        RowError(7, "admission date: The admission date must be after the date of birth."),
        RowError(8, "vulnerable adult: Use yes or no."),
        RowError(9, "first name: This field is required."),
    ]


def test_problems_read_as_line_numbers(head):
    errors = _rejected(head, "pupils", csv_bytes(PUPIL_HEADER, "Bad,Date,2012-13-45,2023-09-04"))
    assert [str(e) for e in errors] == ["Line 2: date of birth: Enter a valid date."]


def test_line_numbers_count_blank_lines(head):
    file = csv_bytes(PUPIL_HEADER, GOOD_PUPIL, "", "", "Odd,Year,2012-01-01,2023-09-04,,15,,")
    assert [e.line for e in _rejected(head, "pupils", file)] == [5]


def test_one_bad_row_among_good_ones_saves_nothing(head):
    good = [f"Pupil{n},Good,2012-01-01,2023-09-04,,7,," for n in range(20)]
    file = csv_bytes(PUPIL_HEADER, *good, "Last,Bad,2012-01-01,2023-09-04,2020-01-01,7,,")
    assert [e.line for e in _rejected(head, "pupils", file)] == [22]
    assert not Pupil.objects.exists()
    assert not AuditEvent.objects.exists()


def test_null_characters_in_a_name_are_refused(head):
    file = csv_bytes(PUPIL_HEADER, "Am\x00ir,Rahman,2012-10-01,2023-09-04,,7,,")
    assert _rejected(head, "pupils", file) == [
        RowError(2, "first name: Null characters are not allowed.")
    ]


def test_row_with_more_cells_than_the_header_is_refused(head):
    file = csv_bytes(PUPIL_HEADER, GOOD_PUPIL, GOOD_PUPIL + ",extra")
    assert _rejected(head, "pupils", file) == [
        RowError(3, "This row has more cells than the header.")
    ]


def test_bad_staff_rows_are_each_listed_by_line_and_nothing_is_saved(head, teacher, outsider):
    file = csv_bytes(
        STAFF_HEADER,
        "ok@test.example,Ok,Person,,,,",
        "role@test.example,Rol,Wizard,,,,line_manager;wizard",
        "dup@test.example,Dup,One,,,,",
        "DUP@test.example,Dup,Two,,,,",
        "Teacher@TEST.example,Al,Ready,,,,",
        "lm@test.example,Lm,Unknown,,,nobody@test.example,",
        "self@test.example,Self,Managed,,,SELF@test.example,",
        f"far@test.example,Far,Away,,,{outsider.email},",
        "type@test.example,Ty,Pe,,astronaut,,",
        "not-an-email,No,Email,,,,",
    )
    errors = _rejected(head, "staff", file)
    # Line-manager problems are found in a second pass, so they are listed after the others.
    assert sorted(e.line for e in errors) == [3, 5, 6, 7, 8, 9, 10, 11]
    by_line = {e.line: e.message for e in errors}
    assert by_line[3].startswith("roles: Unknown role wizard; use ")
    assert by_line[5] == "email: dup@test.example is already on line 4."
    assert by_line[6] == "email: teacher@test.example is already used by another account."
    assert by_line[7] == "line manager email: nobody at this school has nobody@test.example."
    assert by_line[8] == "line manager email: nobody manages themself."
    assert by_line[9] == ("line manager email: nobody at this school has head@elsewhere.example.")
    assert by_line[10].startswith("staff type: Use one of: teacher, support")
    assert by_line[11] == "email: Enter a valid email address."


def test_staff_email_used_at_another_school_is_refused(head, outsider):
    file = csv_bytes(STAFF_HEADER, f"{outsider.email.upper()},Dou,Ble,,,,")
    assert _rejected(head, "staff", file) == [
        RowError(2, f"email: {outsider.email} is already used by another account.")
    ]


def test_staff_email_longer_than_the_model_allows_is_listed(head):
    email = "a" * 60 + "." + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + "@test.example"
    assert 254 < len(email) <= 320
    errors = _rejected(head, "staff", csv_bytes(STAFF_HEADER, f"{email},Long,Email,,,,"))
    assert [e.line for e in errors] == [2]


# --- bad files --------------------------------------------------------------------------------


def test_missing_required_column_is_refused(head):
    header = "first_name,last_name,date_of_birth,leaving_date"
    assert _rejected(head, "pupils", csv_bytes(header, "A,B,2012-10-01,")) == [
        RowError(1, "Missing column 'admission_date'.")
    ]


def test_missing_staff_email_column_is_refused(head):
    errors = _rejected(head, "staff", csv_bytes("first_name,last_name", "A,B"))
    assert errors == [RowError(1, "Missing column 'email'.")]


def test_unknown_column_is_refused(head):
    header = PUPIL_HEADER + ",favourite_colour"
    assert _rejected(head, "pupils", csv_bytes(header, GOOD_PUPIL + ",blue")) == [
        RowError(1, "Unknown column 'favourite_colour'.")
    ]


def test_a_staff_file_uploaded_as_pupils_is_refused(head):
    errors = _rejected(head, "pupils", csv_bytes(STAFF_HEADER, "a@test.example,A,B,,,,"))
    assert RowError(1, "Missing column 'date_of_birth'.") in errors
    assert RowError(1, "Unknown column 'email'.") in errors


def test_empty_file_is_refused(head):
    assert _rejected(head, "pupils", io.BytesIO(b"")) == [
        RowError(0, "The file is empty: it needs a header row.")
    ]


def test_header_only_file_is_refused(head):
    assert _rejected(head, "pupils", csv_bytes(PUPIL_HEADER)) == [
        RowError(0, "The file has a header but no rows.")
    ]


def test_file_of_only_blank_rows_is_refused(head):
    errors = _rejected(head, "pupils", csv_bytes(PUPIL_HEADER, ",,,,,,,", ""))
    assert errors == [RowError(0, "The file has a header but no rows.")]


def test_file_that_is_not_utf8_is_refused(head):
    file = csv_bytes(PUPIL_HEADER, "Zoë,Brontë,2012-10-01,2023-09-04,,7,,", encoding="latin-1")
    errors = _rejected(head, "pupils", file)
    assert [str(e) for e in errors] == [
        "The file is not UTF-8 text. Save it from your spreadsheet as CSV UTF-8."
    ]


@override_settings(IMPORT_MAX_BYTES=1024 * 1024)
def test_file_over_the_size_limit_is_refused(head):
    data = (PUPIL_HEADER + "\n" + GOOD_PUPIL + "\n").encode()
    data += b" " * (1024 * 1024 + 1 - len(data))
    assert len(data) == 1024 * 1024 + 1
    assert _rejected(head, "pupils", io.BytesIO(data)) == [
        RowError(0, "The file is larger than 1 MB.")
    ]


def test_file_exactly_at_the_size_limit_is_accepted(head):
    data = (PUPIL_HEADER + "\n" + GOOD_PUPIL + "\n").encode()
    with override_settings(IMPORT_MAX_BYTES=len(data)):
        assert _import(head, "pupils", io.BytesIO(data)).created == 1


def test_too_many_rows_are_refused(head):
    rows = [GOOD_PUPIL] * 5001
    assert _rejected(head, "pupils", csv_bytes(PUPIL_HEADER, *rows)) == [
        RowError(0, "At most 5000 rows can be imported at once.")
    ]


def test_a_huge_cell_is_reported_not_crashed_on(head):
    file = csv_bytes(PUPIL_HEADER, GOOD_PUPIL + "x" * 140_000)
    errors = _rejected(head, "pupils", file)
    assert [e.line for e in errors] == [2]


def test_an_unterminated_quote_rejects_the_file(head):
    file = csv_bytes(
        PUPIL_HEADER,
        'Amir,Rahman,2012-10-01,2023-09-04,,7,no,"Note with a stray quote',
        "Bo,Bell,2012-01-01,2023-09-04,,7,,",
    )
    _rejected(head, "pupils", file)


# --- who may import ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["teacher", "governor", "dsl", "deputy", "line_manager"])
def test_only_the_head_or_administrator_may_import(request, persona):
    actor = request.getfixturevalue(persona)
    before = row_counts()
    with pytest.raises(PermissionDenied):
        _import(actor, "pupils", csv_bytes(PUPIL_HEADER, GOOD_PUPIL))
    assert row_counts() == before


def test_a_head_cannot_import_into_another_school(outsider, school):
    before = row_counts()
    with pytest.raises(PermissionDenied):
        people_import(
            actor=outsider, school=school, kind="pupils", file=csv_bytes(PUPIL_HEADER, GOOD_PUPIL)
        )
    assert row_counts() == before


def test_unknown_kind_is_a_programming_error(head):
    with pytest.raises(ValueError, match="kind must be one of"):
        _import(head, "parents", csv_bytes("first_name", "A"))


# --- the import_people management command -----------------------------------------------------


def _command_file(tmp_path, *lines):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes(*lines).getvalue())
    return path


def test_command_imports_a_good_file(tmp_path, head):
    path = _command_file(tmp_path, PUPIL_HEADER, GOOD_PUPIL, "Bo,Bell,2012-01-01,2023-09-04,,7,,")
    out = io.StringIO()
    call_command("import_people", "pupils", str(path), "--as", "HEAD@test.example", stdout=out)
    assert "Imported 2 pupils." in out.getvalue()
    assert set(Pupil.objects.values_list("last_name", flat=True)) == {"Rahman", "Bell"}
    assert AuditEvent.objects.filter(action="pupil.import", actor=head).count() == 2


def test_command_lists_problems_by_line_and_imports_nothing(tmp_path, admin):
    path = _command_file(tmp_path, PUPIL_HEADER, GOOD_PUPIL, "Bad,Date,2012-13-45,2023-09-04,,7,,")
    err = io.StringIO()
    before = row_counts()
    with pytest.raises(CommandError, match=r"Nothing was imported: 1 problem\(s\)"):
        call_command("import_people", "pupils", str(path), "--as", admin.email, stderr=err)
    assert "Line 3: date of birth: Enter a valid date." in err.getvalue()
    assert row_counts() == before


@pytest.mark.parametrize("persona", ["teacher", "dsl", "governor"])
def test_command_refuses_someone_who_may_not_import(tmp_path, request, persona):
    actor = request.getfixturevalue(persona)
    path = _command_file(tmp_path, PUPIL_HEADER, GOOD_PUPIL)
    with pytest.raises(CommandError, match="is not an active headteacher or school administrator"):
        call_command("import_people", "pupils", str(path), "--as", actor.email)
    assert not Pupil.objects.exists()


def test_command_refuses_an_inactive_head(tmp_path, head):
    Staff.objects.filter(pk=head.pk).update(is_active=False)
    path = _command_file(tmp_path, PUPIL_HEADER, GOOD_PUPIL)
    with pytest.raises(CommandError, match="is not an active headteacher"):
        call_command("import_people", "pupils", str(path), "--as", head.email)
    assert not Pupil.objects.exists()


def test_command_refuses_an_unknown_email(tmp_path, db):
    path = _command_file(tmp_path, PUPIL_HEADER, GOOD_PUPIL)
    with pytest.raises(CommandError, match="nobody@test.example is not an active"):
        call_command("import_people", "pupils", str(path), "--as", "nobody@test.example")


def test_command_reports_a_missing_file(tmp_path, head):
    missing = tmp_path / "missing.csv"
    with pytest.raises(CommandError, match="There is no file at"):
        call_command("import_people", "staff", str(missing), "--as", head.email)


def test_a_look_alike_address_is_refused_by_line(head):
    errors = _rejected(
        head,
        "staff",
        csv_bytes(
            STAFF_HEADER, "pe@oakf\u0131eld.example,Pat,Evans,,,,", "ok@test.example,O,K,,,,"
        ),
    )
    assert len(errors) == 1
    assert str(errors[0]).startswith("Line 2: email: Use the address with plain letters only")


def test_imported_addresses_are_stored_in_their_normal_form(head):
    _import(head, "staff", csv_bytes(STAFF_HEADER, " New.Person@Test.EXAMPLE ,N,P,,,,"))
    assert Staff.objects.filter(email="new.person@test.example").exists()
