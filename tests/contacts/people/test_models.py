"""People models: validation messages, derived values, and the database's own constraints."""

import datetime as dt
import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from contacts.people.models import (
    Pupil,
    Staff,
    StaffRelative,
    StaffRole,
    whole_years,
    years_between,
)
from tests.factories import PupilFactory, StaffFactory, StaffRelativeFactory

D = dt.date


def _pupil(school, **dates):
    values = {
        "school": school,
        "first_name": "Test",
        "last_name": "Pupil",
        "date_of_birth": D(2012, 5, 10),
        "admission_date": D(2023, 9, 4),
        "leaving_date": None,
    }
    values.update(dates)
    return Pupil(**values)


def _clean_errors(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        instance.clean()
    return caught.value.message_dict


# --- Pupil.clean() --------------------------------------------------------------------------


def test_pupil_clean_accepts_sensible_dates(school):
    _pupil(school, leaving_date=D(2024, 7, 20)).clean()


def test_pupil_clean_accepts_leaving_on_the_admission_day(school):
    _pupil(school, leaving_date=D(2023, 9, 4)).clean()


def test_pupil_leaving_before_admission_is_refused_on_leaving_date(school):
    errors = _clean_errors(_pupil(school, leaving_date=D(2023, 9, 3)))
    assert errors == {"leaving_date": ["The leaving date cannot be before the admission date."]}


def test_pupil_date_of_birth_in_the_future_is_refused_on_date_of_birth(school):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    pupil = _pupil(school, date_of_birth=tomorrow, admission_date=tomorrow + dt.timedelta(days=1))
    errors = _clean_errors(pupil)
    assert errors == {"date_of_birth": ["The date of birth cannot be in the future."]}


def test_pupil_born_today_is_accepted(school):
    today = timezone.localdate()
    _pupil(school, date_of_birth=today, admission_date=today + dt.timedelta(days=1)).clean()


def test_pupil_admitted_before_birth_is_refused_on_admission_date(school):
    errors = _clean_errors(_pupil(school, admission_date=D(2012, 5, 9)))
    assert errors == {"admission_date": ["The admission date must be after the date of birth."]}


def test_pupil_admitted_on_the_day_of_birth_is_refused_on_admission_date(school):
    errors = _clean_errors(_pupil(school, admission_date=D(2012, 5, 10)))
    assert errors == {"admission_date": ["The admission date must be after the date of birth."]}


def test_full_clean_reports_the_date_errors_on_their_fields(school):
    pupil = _pupil(school, admission_date=D(2012, 5, 10), leaving_date=D(2010, 1, 1))
    with pytest.raises(ValidationError) as caught:
        pupil.full_clean()
    assert set(caught.value.message_dict) == {"admission_date", "leaving_date"}


# --- Pupil derived values -------------------------------------------------------------------


def test_pupil_without_leaving_date_is_current(school):
    assert _pupil(school).is_current(on=D(2030, 1, 1)) is True


def test_pupil_leaving_in_the_future_is_still_current(school):
    pupil = _pupil(school, leaving_date=D(2025, 7, 20))
    assert pupil.is_current(on=D(2025, 7, 19)) is True


def test_pupil_leaving_today_is_former(school):
    pupil = _pupil(school, leaving_date=D(2025, 7, 20))
    assert pupil.is_current(on=D(2025, 7, 20)) is False
    assert pupil.is_current(on=D(2025, 7, 21)) is False


def test_is_current_defaults_to_today(school):
    today = timezone.localdate()
    assert _pupil(school, leaving_date=today).is_current() is False
    assert _pupil(school, leaving_date=today + dt.timedelta(days=1)).is_current() is True


def test_status_label_follows_is_current(school):
    today = timezone.localdate()
    assert _pupil(school).status_label == "Current"
    assert _pupil(school, leaving_date=today).status_label == "Former"


def test_queryset_current_and_former_split_on_the_leaving_day(school):
    today = timezone.localdate()
    on_roll = PupilFactory(school=school, leaving_date=None)
    leaves_tomorrow = PupilFactory(school=school, leaving_date=today + dt.timedelta(days=1))
    left_today = PupilFactory(school=school, leaving_date=today)
    assert set(Pupil.objects.current()) == {on_roll, leaves_tomorrow}
    assert set(Pupil.objects.former()) == {left_today}


def test_age_on_the_day_before_a_birthday(school):
    assert _pupil(school).age_on(D(2025, 5, 9)) == 12


def test_age_on_the_birthday_and_the_day_after(school):
    pupil = _pupil(school)
    assert pupil.age_on(D(2025, 5, 10)) == 13
    assert pupil.age_on(D(2025, 5, 11)) == 13


def test_age_of_29_february_birthday_in_a_common_year(school):
    pupil = _pupil(school, date_of_birth=D(2008, 2, 29), admission_date=D(2019, 9, 4))
    assert pupil.age_on(D(2026, 2, 28)) == 17
    assert pupil.age_on(D(2026, 3, 1)) == 18


def test_age_of_29_february_birthday_in_a_leap_year(school):
    pupil = _pupil(school, date_of_birth=D(2008, 2, 29), admission_date=D(2019, 9, 4))
    assert pupil.age_on(D(2028, 2, 28)) == 19
    assert pupil.age_on(D(2028, 2, 29)) == 20


def test_years_since_leaving_is_none_while_current(school):
    assert _pupil(school).years_since_leaving(on=D(2025, 1, 1)) is None


def test_years_since_leaving_is_zero_on_the_leaving_day(school):
    pupil = _pupil(school, leaving_date=D(2024, 7, 19))
    assert pupil.years_since_leaving(on=D(2024, 7, 19)) == 0.0


def test_years_since_leaving_is_exactly_three_on_the_third_anniversary(school):
    pupil = _pupil(school, leaving_date=D(2024, 7, 19))
    assert pupil.years_since_leaving(on=D(2027, 7, 19)) == 3.0


def test_years_since_leaving_is_under_three_the_day_before(school):
    pupil = _pupil(school, leaving_date=D(2024, 7, 19))
    years = pupil.years_since_leaving(on=D(2027, 7, 18))
    assert 2.99 < years < 3


def test_years_since_leaving_is_over_three_the_day_after(school):
    pupil = _pupil(school, leaving_date=D(2024, 7, 19))
    assert 3 < pupil.years_since_leaving(on=D(2027, 7, 20)) < 3.01


def test_years_since_leaving_from_29_february(school):
    pupil = _pupil(school, leaving_date=D(2024, 2, 29))
    assert pupil.years_since_leaving(on=D(2027, 2, 27)) < 3
    assert pupil.years_since_leaving(on=D(2027, 2, 28)) == 3.0
    assert pupil.years_since_leaving(on=D(2028, 2, 29)) == 4.0


# --- whole_years and years_between ----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2010, 6, 15), D(2010, 6, 15), 0),
        (D(2010, 6, 15), D(2020, 6, 14), 9),
        (D(2010, 6, 15), D(2020, 6, 15), 10),
        (D(2010, 6, 15), D(2020, 6, 16), 10),
        (D(2010, 12, 31), D(2011, 1, 1), 0),
        (D(2012, 2, 29), D(2013, 2, 28), 0),
        (D(2012, 2, 29), D(2013, 3, 1), 1),
        (D(2012, 2, 29), D(2016, 2, 29), 4),
    ],
)
def test_whole_years(start, end, expected):
    assert whole_years(start, end) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2020, 9, 1), D(2020, 9, 1), 0.0),
        (D(2020, 9, 1), D(2023, 9, 1), 3.0),
        (D(2021, 1, 1), D(2021, 7, 2), 182 / 365),
        (D(2019, 9, 1), D(2021, 3, 1), 1 + 181 / 365),
        (D(2023, 9, 1), D(2024, 3, 1), 182 / 366),
    ],
)
def test_years_between(start, end, expected):
    assert years_between(start, end) == pytest.approx(expected)


def test_years_between_is_exact_on_every_anniversary():
    start = D(2016, 2, 29)
    for years in range(1, 9):
        leap = (2016 + years) % 4 == 0
        anniversary = D(2016 + years, 2, 29 if leap else 28)
        assert years_between(start, anniversary) == float(years)


@pytest.mark.parametrize("start", [D(2019, 7, 19), D(2016, 2, 29)])
def test_years_between_grows_day_by_day(start):
    values = [years_between(start, start + dt.timedelta(days=n)) for n in range(0, 2000)]
    assert all(a < b for a, b in zip(values, values[1:], strict=False))


# --- Staff.clean() --------------------------------------------------------------------------


def test_staff_cannot_be_their_own_line_manager(teacher):
    teacher.line_manager = teacher
    errors = _clean_errors(teacher)
    assert errors == {"line_manager": ["A member of staff cannot be their own line manager."]}


def test_staff_line_manager_must_work_at_the_same_school(teacher, outsider):
    teacher.line_manager = outsider
    errors = _clean_errors(teacher)
    assert errors == {"line_manager": ["The line manager must work at the same school."]}


def test_staff_email_differing_only_in_case_is_refused(school, head):
    newcomer = Staff(school=school, email="HEAD@Test.Example", first_name="A", last_name="B")
    errors = _clean_errors(newcomer)
    assert errors == {"email": ["Another member of staff already uses this email address."]}


def test_staff_email_clash_with_another_school_is_refused(school, outsider):
    newcomer = Staff(school=school, email=outsider.email.upper(), first_name="A", last_name="B")
    assert "email" in _clean_errors(newcomer)


def test_staff_clean_lower_cases_the_email(school):
    newcomer = Staff(school=school, email="  New.Person@School.Example ", first_name="A")
    newcomer.clean()
    assert newcomer.email == "new.person@school.example"


def test_staff_keeping_their_own_email_is_fine(teacher, line_manager):
    teacher.line_manager = line_manager
    teacher.clean()


# --- Database constraints, with clean() bypassed --------------------------------------------


def test_database_refuses_pupil_leaving_before_admission(pupil):
    before = pupil.admission_date - dt.timedelta(days=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Pupil.objects.filter(pk=pupil.pk).update(leaving_date=before)
    pupil.refresh_from_db()
    assert pupil.leaving_date is None


def test_database_accepts_pupil_leaving_on_admission_day(pupil):
    Pupil.objects.filter(pk=pupil.pk).update(leaving_date=pupil.admission_date)
    pupil.refresh_from_db()
    assert pupil.leaving_date == pupil.admission_date


def test_database_refuses_pupil_admitted_before_birth(school):
    pupil = _pupil(school, admission_date=D(2011, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        pupil.save()
    assert not Pupil.objects.exists()


def test_database_refuses_pupil_admitted_on_day_of_birth(pupil):
    with pytest.raises(IntegrityError), transaction.atomic():
        Pupil.objects.filter(pk=pupil.pk).update(admission_date=F("date_of_birth"))


def test_database_refuses_staff_email_differing_only_in_case(school, head):
    with pytest.raises(IntegrityError), transaction.atomic():
        Staff.objects.create(school=school, email="Head@TEST.example", first_name="X")
    assert Staff.objects.filter(email__iexact="head@test.example").count() == 1


def test_database_refuses_staff_as_their_own_line_manager(teacher):
    with pytest.raises(IntegrityError), transaction.atomic():
        Staff.objects.filter(pk=teacher.pk).update(line_manager=teacher)
    teacher.refresh_from_db()
    assert teacher.line_manager_id != teacher.pk


def test_database_refuses_unknown_role(teacher):
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffRole.objects.create(staff=teacher, role="wizard")
    assert not StaffRole.objects.filter(staff=teacher).exists()


def test_database_refuses_the_same_role_twice(head):
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffRole.objects.create(staff=head, role="headteacher")


def test_database_refuses_duplicate_staff_relative(teacher, pupil):
    StaffRelativeFactory(staff=teacher, pupil=pupil)
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffRelative.objects.create(staff=teacher, pupil=pupil, relationship="sibling")
    assert StaffRelative.objects.filter(staff=teacher, pupil=pupil).count() == 1


def _acknowledge_in_the_database(relative, **values):
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffRelative.objects.filter(pk=relative.pk).update(**values)
    relative.refresh_from_db()
    assert not relative.is_acknowledged


def test_database_refuses_an_acknowledgement_by_the_relative_s_own_member_of_staff(teacher, pupil):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil)
    _acknowledge_in_the_database(relative, acknowledged_by=teacher, acknowledged_at=timezone.now())


def test_database_refuses_an_acknowledgement_by_the_declarer(head, teacher, pupil):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil, declared_by=head)
    _acknowledge_in_the_database(relative, acknowledged_by=head, acknowledged_at=timezone.now())


def test_database_refuses_an_acknowledgement_without_who_or_when(head, teacher, pupil):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil)
    _acknowledge_in_the_database(relative, acknowledged_by=head)
    _acknowledge_in_the_database(relative, acknowledged_at=timezone.now())


def test_staff_audit_ref_and_name(school):
    person = StaffFactory(school=school, first_name="Jo", last_name="Bloggs")
    assert str(person) == "Jo Bloggs"
    assert person.audit_ref == f"STAFF-{person.pk}"


# --- an email as an identity (finding 7) ----------------------------------------------------------

LOOKALIKES = [
    "pe@oakf\u0131eld.example",  # dotless ı
    "p\u0435@oakfield.example",  # Cyrillic е
    "pe@\u03bfakfield.example",  # Greek ο
]


@pytest.mark.parametrize("address", LOOKALIKES)
def test_a_look_alike_address_is_refused_beside_the_email(school, address):
    newcomer = Staff(school=school, email=address, first_name="A", last_name="B")
    assert "plain letters only" in _clean_errors(newcomer)["email"][0]


def test_staff_clean_stores_the_normal_form(school):
    newcomer = Staff(
        school=school, email=" \uff30\uff25.Stra\u00dfe@School.Example", first_name="A"
    )
    newcomer.clean()
    assert newcomer.email == "pe.strasse@school.example"


def test_create_user_stores_the_normal_form(school):
    made = Staff.objects.create_user("New.Person@SCHOOL.example", "pw", school=school)
    assert made.email == "new.person@school.example"
    assert Staff.objects.get_by_natural_key("NEW.PERSON@school.example") == made


# --- the migration that normalises stored addresses ---------------------------------------------

_normalising = importlib.import_module("contacts.migrations.0009_normalise_staff_emails")


def test_the_migration_stores_every_address_in_its_normal_form(school):
    mixed = StaffFactory(school=school)
    Staff.objects.filter(pk=mixed.pk).update(email="Mixed.Case@School.Example")
    _normalising.normalise(django_apps, None)
    mixed.refresh_from_db()
    assert mixed.email == "mixed.case@school.example"


def test_the_migration_refuses_when_two_accounts_would_share_an_address(school):
    first, second = StaffFactory(school=school), StaffFactory(school=school)
    Staff.objects.filter(pk=first.pk).update(email="stra\u00dfe@school.example")
    Staff.objects.filter(pk=second.pk).update(email="strasse@school.example")
    with pytest.raises(RuntimeError, match="would share one email address"):
        _normalising.normalise(django_apps, None)
    first.refresh_from_db()
    assert first.email == "stra\u00dfe@school.example"  # nothing changed
