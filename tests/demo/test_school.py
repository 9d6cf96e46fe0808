"""The demo school: `load_demo` builds a realistic cast once, prints log-ins that work."""

import datetime as dt
import io
import re

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from contacts.people.models import ParentCarer, Pupil, Staff, StaffRelative
from demo.school import build_demo_school
from safeguard.audit.chain import audit_verify
from safeguard.core import roles
from safeguard.core.models import School
from safeguard.core.roles import Role
from tests.helpers import text

pytestmark = pytest.mark.django_db


def _load() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_output():
    return _load()


def _holders(role):
    return Staff.objects.filter(role_assignments__role=role).distinct()


def _every_row_count():
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_demo_creates_one_school(demo_output):
    school = School.objects.get()
    assert school.name == "Oakfield Community School"
    assert f"Loaded {school.name}" in demo_output
    assert Staff.objects.exclude(school=school).count() == 0
    assert Pupil.objects.exclude(school=school).count() == 0


@pytest.mark.parametrize(
    ("role", "email"),
    [
        (Role.HEADTEACHER, "head@oakfield.example"),
        (Role.DEPUTY_HEAD, "deputy@oakfield.example"),
        (Role.ASSISTANT_HEAD, "assistant@oakfield.example"),
        (Role.DSL, "dsl@oakfield.example"),
        (Role.CHAIR_OF_GOVERNORS, "chair@oakfield.example"),
        (Role.GOVERNOR, "governor@oakfield.example"),
        (Role.SCHOOL_ADMIN, "admin@oakfield.example"),
    ],
)
def test_demo_has_one_person_in_each_key_role(demo_output, role, email):
    assert list(_holders(role).values_list("email", flat=True)) == [email]


def test_demo_has_several_line_managers_who_manage_people(demo_output):
    managers = _holders(Role.LINE_MANAGER)
    assert managers.count() >= 3
    assert all(manager.reports.exists() for manager in managers)


def test_demo_has_at_least_twelve_other_staff(demo_output):
    plain = Staff.objects.filter(role_assignments__isnull=True)
    assert plain.count() >= 12
    assert all(person.line_manager is not None for person in plain)


def test_demo_staff_are_all_active_and_in_the_same_school(demo_output):
    assert not Staff.objects.filter(is_active=False).exists()
    assert Staff.objects.values("school").distinct().count() == 1


def test_demo_has_50_to_70_current_pupils(demo_output):
    current = Pupil.objects.current()
    assert 50 <= current.count() <= 70
    assert all(11 <= p.age_on() <= 18 for p in current)


def test_demo_pupils_are_the_right_age_for_their_year_group(demo_output):
    # English schools: Year N is everyone aged N + 4 on 1 September (Year 7: 11 to 12).
    today = timezone.localdate()
    september = dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    for pupil in Pupil.objects.current():
        assert pupil.age_on(september) == pupil.year_group + 4, pupil
        assert pupil.admission_date.month == 9, pupil


def test_demo_leavers_leave_in_july_unless_they_moved_away(demo_output):
    moved = {"Jade", "Tia", "Adam"}  # in-year moves, said so in their notes
    for pupil in Pupil.objects.former():
        if pupil.first_name in moved:
            assert "moved" in pupil.notes
        else:
            assert pupil.leaving_date.month == 7, pupil
        assert pupil.admission_date < pupil.leaving_date


def test_demo_has_about_twenty_former_pupils_of_every_kind(demo_output):
    today = timezone.localdate()
    former = list(Pupil.objects.former())
    assert 15 <= len(former) <= 25
    assert any(p.age_on(today) < 18 for p in former), "a former pupil who is still a child"
    assert any(p.age_on(today) >= 18 for p in former), "an adult former pupil"
    assert any(p.years_since_leaving(today) < 3 for p in former), "left under three years ago"
    assert any(p.years_since_leaving(today) >= 3 for p in former), "left three or more years ago"


def test_demo_has_a_vulnerable_adult_who_left_recently(demo_output):
    today = timezone.localdate()
    vulnerable = [p for p in Pupil.objects.former() if p.vulnerable_adult]
    assert vulnerable
    assert all(p.age_on(today) >= 18 for p in vulnerable)
    assert any(p.years_since_leaving(today) < 3 for p in vulnerable)


def test_demo_has_a_former_pupil_who_left_exactly_three_years_ago(demo_output):
    adam = Pupil.objects.get(first_name="Adam", last_name="Lowe")
    assert adam.years_since_leaving(timezone.localdate()) == 3.0


def test_demo_pupils_all_pass_validation(demo_output):
    for pupil in Pupil.objects.all():
        pupil.full_clean()


def test_demo_has_a_staff_relative(demo_output):
    relative = StaffRelative.objects.get(staff__email="support@oakfield.example")
    assert relative.relationship == "child"
    assert relative.pupil.is_current()


def test_demo_relatives_are_declared_by_their_staff_and_acknowledged_by_the_head(demo_output):
    rows = list(StaffRelative.objects.select_related("staff", "acknowledged_by"))
    assert all(relative.declared_by == relative.staff for relative in rows)
    acknowledged = [relative for relative in rows if relative.is_acknowledged]
    assert len(acknowledged) == 2
    assert {r.acknowledged_by.email for r in acknowledged} == {"head@oakfield.example"}
    # One waits for the head, so the dashboard has something to show.
    (waiting,) = [relative for relative in rows if not relative.is_acknowledged]
    assert waiting.relationship == "neighbour" and waiting.contact_kinds


def test_demo_has_parents_linked_to_pupils(demo_output):
    parents = ParentCarer.objects.all()
    assert parents.count() >= 10
    assert all(parent.children.exists() for parent in parents)


def test_every_printed_login_works_with_the_printed_password(client, demo_output):
    password = re.search(r"every password is ([^)\s]+)", demo_output).group(1)
    emails = re.findall(r"^\s+(\S+@\S+)\s", demo_output, flags=re.M)
    # Everyone but the newcomer, who is invited and chooses her own password.
    assert len(emails) == Staff.objects.count() - 1
    assert "head@oakfield.example" in emails
    for email in emails:
        assert client.login(username=email, password=password), email
        client.logout()


def test_printed_staff_count_matches_the_database(demo_output):
    assert f"{Staff.objects.count()} staff" in demo_output
    assert f"{Pupil.objects.current().count()} current" in demo_output
    assert f"{Pupil.objects.former().count()} former pupils" in demo_output


def test_demo_roles_match_what_the_pages_need(demo_output):
    head = Staff.objects.get(email="head@oakfield.example")
    teacher = Staff.objects.get(email="teacher@oakfield.example")
    assert roles.has_role(head, roles.PEOPLE_EDITORS)
    assert not roles.has_role(teacher, roles.DIRECTORY_READERS)


def test_second_run_changes_nothing_and_says_so(demo_output):
    before = _every_row_count()
    again = _load()
    assert "already has a school" in again
    assert "the demo was not loaded again" in again
    assert _every_row_count() == before


def test_demo_is_not_loaded_over_an_existing_school(school):
    output = _load()
    assert "already has a school" in output
    assert list(School.objects.all()) == [school]
    assert not Pupil.objects.exists()


def test_audit_trail_verifies_after_the_demo(demo_output):
    assert audit_verify() == []


def test_demo_built_in_january_is_consistent():
    build_demo_school(dt.date(2026, 1, 15))
    assert 50 <= Pupil.objects.current(on=dt.date(2026, 1, 15)).count() <= 70
    for pupil in Pupil.objects.all():
        pupil.full_clean()
    assert audit_verify() == []


def test_demo_can_be_built_on_29_february():
    build_demo_school(dt.date(2024, 2, 29))
    adam = Pupil.objects.get(first_name="Adam", last_name="Lowe")
    # No date lies exactly three calendar years before a 29 February; he must still be outside
    # the three-year window, as the demo intends.
    assert 3.0 <= adam.years_since_leaving(dt.date(2024, 2, 29)) < 3.01


def test_senior_demo_accounts_have_an_authenticator_and_others_do_not(demo_output):
    from safeguard.accounts.services import two_factor_enabled, two_factor_required

    for person in Staff.objects.all():
        assert two_factor_enabled(person) == two_factor_required(person), person.email
    assert "demo_code head@oakfield.example" in demo_output


def test_demo_code_prints_a_code_that_signs_the_head_in(demo_output, settings):
    from django.core.management.base import CommandError

    from safeguard.accounts.services import two_factor_check

    head = Staff.objects.get(email="head@oakfield.example")
    settings.DEMO = True  # as `make run` serves it
    out = io.StringIO()
    call_command("demo_code", "head@oakfield.example", stdout=out)
    code = re.match(r"(\d{6}) ", out.getvalue()).group(1)
    assert two_factor_check(actor=head, token=code).user_id == head.pk

    with pytest.raises(CommandError, match="password only"):
        call_command("demo_code", "teacher@oakfield.example")
    with pytest.raises(CommandError, match="only for the demo school"):
        call_command("demo_code", "head@elsewhere.example")
    settings.DEMO = False
    with pytest.raises(CommandError, match="works only in the demo"):
        call_command("demo_code", "head@oakfield.example")


def test_the_invited_newcomers_printed_link_lets_her_choose_a_password(client, demo_output):
    link = re.search(r"^\s+(http\S+/invitation/\S+/)$", demo_output, flags=re.M).group(1)
    path = "/" + link.split("/", 3)[3]
    page = client.get(path)
    assert "Welcome, Nina" in text(page)
    answers = {"new_password1": "Long-enough-Pass-27", "new_password2": "Long-enough-Pass-27"}
    assert client.post(path, answers).status_code == 302
    assert Staff.objects.get(email="newstaff@oakfield.example").has_usable_password()


def test_the_demo_has_a_pattern_worth_a_look(demo_output):
    """Owen Price's three chance meetings with one pupil and two gifts to her show on the
    head's dashboard, and nobody else's pattern does."""
    from contacts.patterns.selectors import worth_a_look

    head = Staff.objects.get(email="head@oakfield.example")
    [row] = worth_a_look(head)
    assert row.adult_id == Staff.objects.get(email="history@oakfield.example").pk
    assert row.titles == [
        "Repeated unplanned contact with one pupil",
        "Repeated gifts or personal messages to one pupil",
    ]
