"""contacts.services: every write, its audit event, who may make it, and what it refuses."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from contacts.notifications.models import Notification
from contacts.people import services
from contacts.people.models import ParentCarer, Pupil, Staff, StaffRelative
from safeguard.audit.chain import audit_verify
from safeguard.audit.models import AuditEvent
from safeguard.core import roles
from safeguard.core.models import School
from safeguard.core.roles import Role
from tests.factories import TEST_PASSWORD, PupilFactory, StaffFactory, StaffRelativeFactory
from tests.helpers import row_counts

# Members of staff who are not the headteacher or administrator of the school concerned.
REFUSED = ["teacher", "governor", "line_manager", "dsl", "deputy", "outsider"]


DUTY_EVENTS = ("staff.roles_change", "staff.line_manager_change")


def _last_event() -> AuditEvent:
    """The last event of the change itself (a change of duties adds its own, tested below)."""
    return AuditEvent.objects.exclude(action__in=DUTY_EVENTS).order_by("-id").first()


def _assert_event(event, *, action, actor, actor_role, object_ref, reason=""):
    assert event.action == action
    assert event.actor == actor
    assert event.actor_role == actor_role
    assert event.object_ref == object_ref
    assert event.reason == reason


def _refused(call):
    """The call raises PermissionDenied and nothing at all is written."""
    before = row_counts()
    with pytest.raises(PermissionDenied):
        call()
    assert row_counts() == before


def _invalid(call, field):
    """The call raises a ValidationError naming `field` and nothing at all is written."""
    before = row_counts()
    with pytest.raises(ValidationError) as caught:
        call()
    assert field in caught.value.message_dict, caught.value.message_dict
    assert row_counts() == before
    return caught.value.message_dict[field]


def _staff_fields(**extra):
    fields = {
        "email": "new.person@test.example",
        "first_name": "Nia",
        "last_name": "Newcomer",
        "job_title": "Teaching assistant",
        "staff_type": "support",
    }
    return fields | extra


def _pupil_fields(**extra):
    fields = {
        "first_name": "Pip",
        "last_name": "Newpupil",
        "date_of_birth": dt.date(2013, 3, 14),
        "admission_date": dt.date(2024, 9, 4),
        "leaving_date": None,
        "year_group": 7,
        "vulnerable_adult": False,
        "notes": "",
    }
    return fields | extra


# --- staff_create -----------------------------------------------------------------------------


def test_staff_create_saves_the_person_their_roles_and_an_event(head, school, line_manager):
    staff = services.staff_create(
        actor=head,
        school=school,
        roles_held=[Role.LINE_MANAGER],
        password=TEST_PASSWORD,
        **_staff_fields(line_manager=line_manager),
    )
    saved = Staff.objects.get(email="new.person@test.example")
    assert saved == staff
    assert (saved.school, saved.first_name, saved.line_manager) == (school, "Nia", line_manager)
    assert set(saved.role_assignments.values_list("role", flat=True)) == {"line_manager"}
    _assert_event(
        _last_event(),
        action="staff.create",
        actor=head,
        actor_role="headteacher",
        object_ref=f"STAFF-{staff.pk}",
        reason="roles: line_manager",
    )


def test_staff_create_by_the_administrator_records_their_role(admin, school):
    services.staff_create(actor=admin, school=school, **_staff_fields())
    event = _last_event()
    assert (event.actor, event.actor_role, event.reason) == (admin, "school_admin", "roles: staff")


def test_staff_created_with_a_password_can_sign_in(client, head, school):
    services.staff_create(actor=head, school=school, password=TEST_PASSWORD, **_staff_fields())
    assert client.login(username="new.person@test.example", password=TEST_PASSWORD)


def test_staff_created_without_a_password_cannot_sign_in(client, head, school):
    staff = services.staff_create(actor=head, school=school, **_staff_fields())
    assert not Staff.objects.get(pk=staff.pk).has_usable_password()
    assert not client.login(username="new.person@test.example", password="")


def test_staff_create_stores_the_email_in_lower_case(head, school):
    staff = services.staff_create(
        actor=head, school=school, **_staff_fields(email="New.Person@Test.EXAMPLE")
    )
    assert Staff.objects.get(pk=staff.pk).email == "new.person@test.example"


def test_staff_create_ignores_fields_it_does_not_own(head, school):
    staff = services.staff_create(actor=head, school=school, is_active=False, **_staff_fields())
    assert Staff.objects.get(pk=staff.pk).is_active


@pytest.mark.parametrize("persona", REFUSED)
def test_staff_create_refused_to_others(request, persona, school):
    actor = request.getfixturevalue(persona)
    _refused(lambda: services.staff_create(actor=actor, school=school, **_staff_fields()))


def test_staff_create_refused_to_a_head_for_another_school(head, other_school):
    _refused(lambda: services.staff_create(actor=head, school=other_school, **_staff_fields()))


def test_staff_create_refused_to_an_inactive_head(school):
    former_head = StaffFactory(school=school, is_active=False, roles=[Role.HEADTEACHER])
    _refused(lambda: services.staff_create(actor=former_head, school=school, **_staff_fields()))


def test_staff_create_refuses_an_email_used_in_another_case(head, school, teacher):
    messages = _invalid(
        lambda: services.staff_create(
            actor=head, school=school, **_staff_fields(email="TEACHER@Test.Example")
        ),
        "email",
    )
    assert messages == ["Another member of staff already uses this email address."]


def test_staff_create_refuses_an_invalid_email(head, school):
    _invalid(
        lambda: services.staff_create(actor=head, school=school, **_staff_fields(email="nope")),
        "email",
    )


def test_staff_create_refuses_a_blank_name(head, school):
    _invalid(
        lambda: services.staff_create(actor=head, school=school, **_staff_fields(last_name="")),
        "last_name",
    )


def test_staff_create_refuses_a_line_manager_from_another_school(head, school, outsider):
    messages = _invalid(
        lambda: services.staff_create(
            actor=head, school=school, **_staff_fields(line_manager=outsider)
        ),
        "line_manager",
    )
    assert messages == ["The line manager must work at the same school."]


def test_staff_create_refuses_an_unknown_role(head, school):
    messages = _invalid(
        lambda: services.staff_create(
            actor=head, school=school, roles_held=["wizard"], **_staff_fields()
        ),
        "roles",
    )
    assert messages == ["Unknown role: wizard."]


# --- staff_update -----------------------------------------------------------------------------


def test_staff_update_saves_and_records_the_changed_fields(head, teacher, deputy):
    services.staff_update(
        actor=head, staff=teacher, job_title="Head of English", line_manager=deputy
    )
    teacher.refresh_from_db()
    assert (teacher.job_title, teacher.line_manager) == ("Head of English", deputy)
    _assert_event(
        _last_event(),
        action="staff.update",
        actor=head,
        actor_role="headteacher",
        object_ref=f"STAFF-{teacher.pk}",
        reason="changed: job_title, line_manager",
    )


def test_staff_update_with_no_change_says_so(head, teacher):
    services.staff_update(actor=head, staff=teacher, job_title=teacher.job_title)
    assert _last_event().reason == "changed: nothing"


def test_staff_update_records_and_applies_roles(head, teacher):
    services.staff_update(
        actor=head,
        staff=teacher,
        roles_held=[Role.DSL, Role.LINE_MANAGER],
        job_title="DSL",
        line_manager=head,
    )
    assert set(teacher.role_assignments.values_list("role", flat=True)) == {"dsl", "line_manager"}
    assert _last_event().reason == "changed: job_title, line_manager; roles: dsl, line_manager"


def test_staff_update_removes_roles_no_longer_held(head, dsl):
    services.staff_update(actor=head, staff=dsl, roles_held=[])
    assert not dsl.role_assignments.exists()
    assert _last_event().reason == "changed: nothing; roles: staff"
    assert roles.roles_of(dsl) == {Role.STAFF}


def test_staff_update_drops_the_role_cache(head, teacher):
    assert not roles.has_role(teacher, Role.DSL)
    services.staff_update(actor=head, staff=teacher, roles_held=[Role.DSL], line_manager=head)
    assert roles.has_role(teacher, Role.DSL)


@pytest.mark.parametrize("persona", REFUSED)
def test_staff_update_refused_to_others(request, persona, colleague):
    actor = request.getfixturevalue(persona)
    _refused(lambda: services.staff_update(actor=actor, staff=colleague, job_title="Changed"))
    colleague.refresh_from_db()
    assert colleague.job_title == "Teacher"


def test_staff_update_refuses_an_unknown_role_and_keeps_other_changes_out(head, teacher):
    _invalid(
        lambda: services.staff_update(
            actor=head, staff=teacher, roles_held=["wizard"], job_title="Changed"
        ),
        "roles",
    )
    assert Staff.objects.get(pk=teacher.pk).job_title == "Class teacher"


def test_staff_update_refuses_self_as_line_manager(head, teacher):
    messages = _invalid(
        lambda: services.staff_update(actor=head, staff=teacher, line_manager=teacher),
        "line_manager",
    )
    assert messages == ["A member of staff cannot be their own line manager."]
    assert Staff.objects.get(pk=teacher.pk).line_manager_id != teacher.pk


def test_staff_update_refuses_an_email_another_person_uses(head, teacher, colleague):
    _invalid(
        lambda: services.staff_update(actor=head, staff=teacher, email="Colleague@TEST.example"),
        "email",
    )
    assert Staff.objects.get(pk=teacher.pk).email == "teacher@test.example"


# --- staff_set_active -------------------------------------------------------------------------


def test_deactivated_person_cannot_sign_in(client, head, teacher):
    assert client.login(username=teacher.email, password=TEST_PASSWORD)
    client.logout()
    services.staff_set_active(actor=head, staff=teacher, active=False)
    assert not Staff.objects.get(pk=teacher.pk).is_active
    assert not client.login(username=teacher.email, password=TEST_PASSWORD)


def test_deactivation_is_recorded(admin, teacher):
    services.staff_set_active(actor=admin, staff=teacher, active=False)
    event = _last_event()
    _assert_event(
        event,
        action="staff.deactivate",
        actor=admin,
        actor_role="school_admin",
        object_ref=f"STAFF-{teacher.pk}",
    )
    assert (event.from_state, event.to_state) == ("active", "inactive")


def test_reactivated_person_can_sign_in_again(client, head, teacher):
    services.staff_set_active(actor=head, staff=teacher, active=False)
    services.staff_set_active(actor=head, staff=teacher, active=True)
    event = _last_event()
    assert (event.action, event.from_state, event.to_state) == (
        "staff.activate",
        "inactive",
        "active",
    )
    assert client.login(username=teacher.email, password=TEST_PASSWORD)


def test_setting_the_same_state_writes_nothing(head, teacher):
    before = row_counts()
    services.staff_set_active(actor=head, staff=teacher, active=True)
    assert row_counts() == before


def test_nobody_can_deactivate_themself(head):
    before = row_counts()
    with pytest.raises(ValidationError) as caught:
        services.staff_set_active(actor=head, staff=head, active=False)
    assert caught.value.messages == ["You cannot deactivate your own account."]
    assert Staff.objects.get(pk=head.pk).is_active
    assert row_counts() == before


@pytest.mark.parametrize("persona", REFUSED)
def test_staff_set_active_refused_to_others(request, persona, colleague):
    actor = request.getfixturevalue(persona)
    _refused(lambda: services.staff_set_active(actor=actor, staff=colleague, active=False))
    assert Staff.objects.get(pk=colleague.pk).is_active


# --- pupil_create -----------------------------------------------------------------------------


def test_pupil_create_saves_the_pupil_and_an_event(head, school):
    pupil = services.pupil_create(actor=head, school=school, **_pupil_fields())
    saved = Pupil.objects.get(pk=pupil.pk)
    assert (saved.school, saved.full_name, saved.year_group) == (school, "Pip Newpupil", 7)
    _assert_event(
        _last_event(),
        action="pupil.create",
        actor=head,
        actor_role="headteacher",
        object_ref=f"PUPIL-{pupil.pk}",
    )


def test_pupil_create_by_the_administrator(admin, school):
    services.pupil_create(actor=admin, school=school, **_pupil_fields())
    assert _last_event().actor_role == "school_admin"
    assert Pupil.objects.filter(last_name="Newpupil").count() == 1


def test_pupil_audit_event_does_not_name_the_pupil(head, school):
    services.pupil_create(actor=head, school=school, **_pupil_fields())
    event = _last_event()
    assert "Newpupil" not in f"{event.object_ref} {event.reason}"


@pytest.mark.parametrize("persona", REFUSED)
def test_pupil_create_refused_to_others(request, persona, school):
    actor = request.getfixturevalue(persona)
    _refused(lambda: services.pupil_create(actor=actor, school=school, **_pupil_fields()))


def test_pupil_create_refuses_leaving_before_admission(head, school):
    messages = _invalid(
        lambda: services.pupil_create(
            actor=head, school=school, **_pupil_fields(leaving_date=dt.date(2024, 9, 3))
        ),
        "leaving_date",
    )
    assert messages == ["The leaving date cannot be before the admission date."]


def test_pupil_create_refuses_a_birth_date_in_the_future(head, school):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    fields = _pupil_fields(date_of_birth=tomorrow, admission_date=tomorrow + dt.timedelta(days=1))
    _invalid(lambda: services.pupil_create(actor=head, school=school, **fields), "date_of_birth")


def test_pupil_create_refuses_admission_before_birth(head, school):
    fields = _pupil_fields(admission_date=dt.date(2013, 3, 1))
    _invalid(lambda: services.pupil_create(actor=head, school=school, **fields), "admission_date")


def test_pupil_create_refuses_an_unknown_year_group(head, school):
    fields = _pupil_fields(year_group=15)
    _invalid(lambda: services.pupil_create(actor=head, school=school, **fields), "year_group")


def test_pupil_create_refuses_a_missing_name(head, school):
    fields = _pupil_fields(first_name="")
    _invalid(lambda: services.pupil_create(actor=head, school=school, **fields), "first_name")


# --- pupil_update -----------------------------------------------------------------------------


def test_pupil_update_saves_and_records_the_changed_fields(head, pupil):
    left = timezone.localdate()
    services.pupil_update(actor=head, pupil=pupil, leaving_date=left, year_group=9, notes="")
    pupil.refresh_from_db()
    assert (pupil.leaving_date, pupil.year_group) == (left, 9)
    assert not pupil.is_current()
    _assert_event(
        _last_event(),
        action="pupil.update",
        actor=head,
        actor_role="headteacher",
        object_ref=f"PUPIL-{pupil.pk}",
        reason="changed: leaving_date, year_group",
    )


@pytest.mark.parametrize("persona", REFUSED)
def test_pupil_update_refused_to_others(request, persona, pupil):
    actor = request.getfixturevalue(persona)
    _refused(lambda: services.pupil_update(actor=actor, pupil=pupil, first_name="Changed"))
    assert Pupil.objects.get(pk=pupil.pk).first_name == "Ava"


def test_pupil_update_refused_to_a_head_of_another_school(outsider, pupil):
    _refused(lambda: services.pupil_update(actor=outsider, pupil=pupil, notes="seen"))


def test_pupil_update_refuses_leaving_before_admission(head, pupil):
    before = pupil.admission_date - dt.timedelta(days=1)
    _invalid(
        lambda: services.pupil_update(actor=head, pupil=pupil, leaving_date=before),
        "leaving_date",
    )
    assert Pupil.objects.get(pk=pupil.pk).leaving_date is None


# --- parent_create ----------------------------------------------------------------------------


def _parent_fields(**extra):
    fields = {
        "first_name": "Paula",
        "last_name": "Parent",
        "relationship": "Mother",
        "email": "paula@parents.example",
        "phone": "07700 900123",
    }
    return fields | extra


def test_parent_create_saves_the_parent_their_children_and_an_event(head, school, pupil):
    brother = PupilFactory(school=school)
    parent = services.parent_create(
        actor=head, school=school, children=[pupil, brother], **_parent_fields()
    )
    saved = ParentCarer.objects.get(pk=parent.pk)
    assert set(saved.children.all()) == {pupil, brother}
    assert saved.full_name == "Paula Parent"
    _assert_event(
        _last_event(),
        action="parent.create",
        actor=head,
        actor_role="headteacher",
        object_ref=f"PARENT-{parent.pk}",
    )


@pytest.mark.parametrize("persona", REFUSED)
def test_parent_create_refused_to_others(request, persona, school, pupil):
    actor = request.getfixturevalue(persona)
    _refused(
        lambda: services.parent_create(
            actor=actor, school=school, children=[pupil], **_parent_fields()
        )
    )


def test_parent_create_refuses_no_children(head, school):
    messages = _invalid(
        lambda: services.parent_create(actor=head, school=school, children=[], **_parent_fields()),
        "children",
    )
    assert messages == ["Choose at least one pupil."]


def test_parent_create_refuses_a_child_of_another_school(head, school, pupil, other_pupil):
    messages = _invalid(
        lambda: services.parent_create(
            actor=head, school=school, children=[pupil, other_pupil], **_parent_fields()
        ),
        "children",
    )
    assert messages == ["Choose pupils from this school only."]


def test_parent_create_refuses_an_invalid_email(head, school, pupil):
    _invalid(
        lambda: services.parent_create(
            actor=head, school=school, children=[pupil], **_parent_fields(email="not-an-email")
        ),
        "email",
    )


# --- relative_add -----------------------------------------------------------------------------


def test_staff_member_can_record_their_own_relative(teacher, pupil):
    relative = services.relative_add(
        actor=teacher, staff=teacher, pupil=pupil, relationship="child"
    )
    assert StaffRelative.objects.get(staff=teacher, pupil=pupil) == relative
    _assert_event(
        _last_event(),
        action="relative.add",
        actor=teacher,
        actor_role="staff",
        object_ref=f"RELATIVE-{relative.pk}",
        reason=f"Own child of STAFF-{teacher.pk}",
    )


def test_head_can_record_a_relative_for_anyone(head, teacher, pupil):
    services.relative_add(actor=head, staff=teacher, pupil=pupil, relationship="niece_nephew")
    assert StaffRelative.objects.get(staff=teacher).relationship == "niece_nephew"
    assert _last_event().reason == f"Niece or nephew of STAFF-{teacher.pk}"


@pytest.mark.parametrize("persona", ["colleague", "line_manager", "governor", "dsl", "outsider"])
def test_relative_add_for_someone_else_is_refused(request, persona, teacher, pupil):
    actor = request.getfixturevalue(persona)
    _refused(
        lambda: services.relative_add(actor=actor, staff=teacher, pupil=pupil, relationship="child")
    )


def test_relative_add_refuses_the_same_pupil_twice(teacher, pupil):
    StaffRelativeFactory(staff=teacher, pupil=pupil, relationship="child")
    messages = _invalid(
        lambda: services.relative_add(
            actor=teacher, staff=teacher, pupil=pupil, relationship="sibling"
        ),
        "pupil",
    )
    assert messages == ["A relationship with this pupil is already declared: end it first."]


def test_relative_add_refuses_a_pupil_of_another_school(teacher, other_pupil):
    messages = _invalid(
        lambda: services.relative_add(
            actor=teacher, staff=teacher, pupil=other_pupil, relationship="child"
        ),
        "pupil",
    )
    assert messages == ["Choose pupils from this school only."]


def test_relative_add_refuses_an_unknown_relationship(teacher, pupil):
    _invalid(
        lambda: services.relative_add(
            actor=teacher, staff=teacher, pupil=pupil, relationship="cousin-in-law"
        ),
        "relationship",
    )


# --- relative_end -----------------------------------------------------------------------------


def test_staff_member_can_end_their_own_declaration_which_stays_on_file(teacher, pupil):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil)
    services.relative_end(actor=teacher, relative=relative, reason="We moved house")
    relative.refresh_from_db()
    assert relative.is_ended and relative.ended_by == teacher
    assert relative.end_reason == "We moved house"
    _assert_event(
        _last_event(),
        action="relative.end",
        actor=teacher,
        actor_role="staff",
        object_ref=relative.audit_ref,
        reason=f"PUPIL-{pupil.pk} for STAFF-{teacher.pk}: We moved house",
    )


def test_administrator_can_end_anyones_declaration(admin, teacher, pupil):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil)
    services.relative_end(actor=admin, relative=relative)
    assert StaffRelative.objects.get().is_ended
    assert _last_event().actor == admin


def test_ending_twice_is_refused(teacher, pupil):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil)
    services.relative_end(actor=teacher, relative=relative)
    with pytest.raises(ValidationError, match="already ended"):
        services.relative_end(actor=teacher, relative=relative)


@pytest.mark.parametrize("persona", ["colleague", "line_manager", "governor", "dsl", "outsider"])
def test_relative_end_for_someone_else_is_refused(request, persona, teacher, pupil):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil)
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        services.relative_end(actor=actor, relative=relative)
    assert not StaffRelative.objects.get(pk=relative.pk).is_ended


# --- acknowledging a declared relative (issue 15, finding 6) ----------------------------------


def _notices(person) -> list[str]:
    return list(Notification.objects.filter(recipient=person).values_list("message", flat=True))


def test_a_declared_relative_counts_for_nothing_until_acknowledged_and_the_head_is_told_at_once(
    head, admin, chair, teacher, pupil, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        relative = services.relative_add(
            actor=teacher, staff=teacher, pupil=pupil, relationship="niece_nephew"
        )

    relative.refresh_from_db()
    assert relative.declared_by == teacher
    assert not relative.is_acknowledged
    assert relative.acknowledged_by is None
    assert _notices(head) == [
        "A member of staff declared a relationship with a pupil: please acknowledge it"
    ]
    assert Notification.objects.get(recipient=head).url == reverse("relatives_awaiting")
    assert _notices(admin) == _notices(chair) == _notices(teacher) == []
    assert [m.to for m in mailoutbox] == [[head.email]]
    # The email names no pupil.
    assert pupil.last_name not in mailoutbox[0].body


def test_the_chair_is_told_when_the_head_declares_a_relative(head, chair, teacher, pupil):
    services.relative_add(actor=head, staff=head, pupil=pupil, relationship="child")

    assert _notices(chair) == [
        "A member of staff declared a relationship with a pupil: please acknowledge it"
    ]
    assert _notices(head) == []


def test_the_head_acknowledges_a_declared_relative(head, teacher, pupil):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil, declared_by=teacher)

    services.relative_acknowledge(actor=head, relative=relative)

    relative.refresh_from_db()
    assert relative.acknowledged_by == head
    assert relative.acknowledged_at is not None
    _assert_event(
        _last_event(),
        action="relative.acknowledge",
        actor=head,
        actor_role="headteacher",
        object_ref=relative.audit_ref,
        reason=f"Own child of STAFF-{teacher.pk}",
    )
    assert _notices(teacher) == ["Your declared relationship with a pupil was acknowledged"]


def test_acknowledging_a_relative_twice_is_refused(head, teacher, pupil):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil)
    services.relative_acknowledge(actor=head, relative=relative)
    before = row_counts()

    with pytest.raises(ValidationError) as caught:
        services.relative_acknowledge(actor=head, relative=relative)

    assert caught.value.messages == ["This declaration was already acknowledged."]
    assert row_counts() == before


@pytest.mark.parametrize(
    "persona", ["teacher", "colleague", "line_manager", "deputy", "dsl", "admin", "governor"]
)
def test_only_the_head_acknowledges_a_member_of_staff_s_relative(request, persona, teacher, pupil):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil, declared_by=teacher)
    actor = request.getfixturevalue(persona)

    _refused(lambda: services.relative_acknowledge(actor=actor, relative=relative))
    _refused(lambda: services.relative_decline(actor=actor, relative=relative))
    assert not StaffRelative.objects.get(pk=relative.pk).is_acknowledged


def test_the_chair_does_not_acknowledge_an_ordinary_member_of_staff_s_relative(
    head, chair, teacher, pupil
):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil, declared_by=teacher)

    _refused(lambda: services.relative_acknowledge(actor=chair, relative=relative))


def test_another_school_s_head_cannot_acknowledge_a_relative(outsider, teacher, pupil):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil)

    _refused(lambda: services.relative_acknowledge(actor=outsider, relative=relative))
    _refused(lambda: services.relative_decline(actor=outsider, relative=relative))


def test_the_head_cannot_acknowledge_their_own_relative_the_chair_does(head, chair, pupil):
    relative = services.relative_add(actor=head, staff=head, pupil=pupil, relationship="child")

    _refused(lambda: services.relative_acknowledge(actor=head, relative=relative))
    services.relative_acknowledge(actor=chair, relative=relative)

    relative.refresh_from_db()
    assert relative.acknowledged_by == chair
    assert _last_event().actor_role == "chair_of_governors"


def test_the_declarer_cannot_acknowledge_their_own_declaration(head, chair, teacher, pupil):
    # The head declared it for the teacher: someone else must vouch for it, the chair.
    relative = services.relative_add(
        actor=head, staff=teacher, pupil=pupil, relationship="niece_nephew"
    )

    _refused(lambda: services.relative_acknowledge(actor=head, relative=relative))
    services.relative_acknowledge(actor=chair, relative=relative)

    assert StaffRelative.objects.get(pk=relative.pk).acknowledged_by == chair


def test_the_head_declines_a_declared_relative(head, admin, teacher, pupil):
    relative = services.relative_add(
        actor=admin, staff=teacher, pupil=pupil, relationship="niece_nephew"
    )
    ref = relative.audit_ref

    services.relative_decline(actor=head, relative=relative)

    assert not StaffRelative.objects.filter(pk=relative.pk).exists()
    _assert_event(
        _last_event(),
        action="relative.decline",
        actor=head,
        actor_role="headteacher",
        object_ref=ref,
        reason=f"PUPIL-{pupil.pk} not acknowledged for STAFF-{teacher.pk}",
    )
    told = "A declared relationship with a pupil was not acknowledged"
    assert _notices(teacher) == [told]
    assert _notices(admin) == [told]


def test_an_acknowledged_relative_cannot_be_declined(head, teacher, pupil):
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil)
    services.relative_acknowledge(actor=head, relative=relative)

    with pytest.raises(ValidationError):
        services.relative_decline(actor=head, relative=relative)
    assert StaffRelative.objects.filter(pk=relative.pk).exists()


def test_a_removed_and_declared_again_relative_needs_acknowledging_again(head, teacher, pupil):
    relative = services.relative_add(
        actor=teacher, staff=teacher, pupil=pupil, relationship="child"
    )
    services.relative_acknowledge(actor=head, relative=relative)
    services.relative_end(actor=teacher, relative=relative)

    again = services.relative_add(actor=teacher, staff=teacher, pupil=pupil, relationship="child")

    assert not again.is_acknowledged


# --- school_bootstrap -------------------------------------------------------------------------


def _bootstrap(**extra):
    values = {
        "actor": None,
        "name": "Brand New Academy",
        "head_email": "Head@BrandNew.example",
        "head_first_name": "Bea",
        "head_last_name": "Ginning",
        "head_password": TEST_PASSWORD,
        "lado_phone": "01632 960 999",
    }
    return services.school_bootstrap(**(values | extra))


@pytest.mark.django_db
def test_school_bootstrap_creates_the_school_and_its_head():
    head = _bootstrap()
    school = School.objects.get(name="Brand New Academy")
    assert head.school == school
    saved = Staff.objects.get(pk=head.pk)
    assert (saved.email, saved.job_title) == ("head@brandnew.example", "Headteacher")
    assert roles.has_role(saved, Role.HEADTEACHER)
    assert roles.acting_role(saved) == "headteacher"


@pytest.mark.django_db
def test_school_bootstrap_head_can_sign_in(client):
    _bootstrap()
    assert client.login(username="head@brandnew.example", password=TEST_PASSWORD)


@pytest.mark.django_db
def test_school_bootstrap_records_two_system_events():
    head = _bootstrap()
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.action for e in events] == ["school.create", "staff.create"]
    assert [e.object_ref for e in events] == [f"SCHOOL-{head.school_id}", f"STAFF-{head.pk}"]
    assert all(e.actor is None and e.actor_role == "system" for e in events)
    assert all(e.school_id == head.school_id for e in events)
    assert audit_verify() == []


@pytest.mark.django_db
def test_school_bootstrap_event_lists_every_role_granted():
    head = _bootstrap()
    granted = sorted(head.role_assignments.values_list("role", flat=True))
    event = AuditEvent.objects.get(action="staff.create")
    assert event.reason == f"roles: {', '.join(granted)}"


@pytest.mark.django_db
def test_school_bootstrap_without_password_gives_an_unusable_one():
    head = _bootstrap(head_password=None)
    assert not Staff.objects.get(pk=head.pk).has_usable_password()


def test_school_bootstrap_refuses_a_head_email_already_in_use(head):
    messages = _invalid(lambda: _bootstrap(head_email="HEAD@test.example"), "email")
    assert messages == ["Another member of staff already uses this email address."]
    assert not School.objects.filter(name="Brand New Academy").exists()


@pytest.mark.django_db
def test_school_bootstrap_refuses_a_blank_school_name():
    _invalid(lambda: _bootstrap(name=""), "name")


@pytest.mark.django_db
def test_every_service_leaves_a_verifiable_chain(head, school, teacher, pupil):
    staff = services.staff_create(actor=head, school=school, **_staff_fields())
    services.staff_update(actor=head, staff=staff, job_title="Cover supervisor")
    services.staff_set_active(actor=head, staff=staff, active=False)
    services.pupil_update(actor=head, pupil=pupil, notes="Moved house")
    services.parent_create(actor=head, school=school, children=[pupil], **_parent_fields())
    relative = services.relative_add(
        actor=teacher, staff=teacher, pupil=pupil, relationship="child"
    )
    services.relative_end(actor=teacher, relative=relative)
    assert AuditEvent.objects.count() == 7
    assert audit_verify() == []


@pytest.mark.parametrize("role", sorted(roles.HEAD_ASSIGNED))
def test_only_the_head_gives_or_removes_powerful_roles(admin, teacher, role):
    with pytest.raises(ValidationError) as caught:
        services.staff_update(actor=admin, staff=teacher, roles_held=[role])
    assert "Only the headteacher can give or remove" in caught.value.message_dict["roles"][0]
    assert not teacher.role_assignments.exists()


def test_the_admin_may_give_everyday_roles(admin, teacher):
    services.staff_update(actor=admin, staff=teacher, roles_held=[Role.LINE_MANAGER])
    assert list(teacher.role_assignments.values_list("role", flat=True)) == [Role.LINE_MANAGER]


def test_the_head_cannot_remove_their_own_headteacher_role(head):
    with pytest.raises(ValidationError) as caught:
        services.staff_update(actor=head, staff=head, roles_held=[Role.LINE_MANAGER])
    assert "your own headteacher role" in caught.value.message_dict["roles"][0]
    assert roles.has_role(head, Role.HEADTEACHER)


# --- Separation of duties (issue 15, findings 1 and 3) ---------------------------------------


def _roles(person):
    return set(person.role_assignments.values_list("role", flat=True))


def test_the_head_cannot_take_the_chair_role_from_the_chair(head, chair):
    with pytest.raises(ValidationError) as caught:
        services.staff_update(actor=head, staff=chair, roles_held=[])
    assert "Only the chair of governors can give or remove" in caught.value.message_dict["roles"][0]
    assert _roles(chair) == {Role.CHAIR_OF_GOVERNORS}


def test_the_head_cannot_make_anyone_chair_of_governors(head, chair, line_manager):
    with pytest.raises(ValidationError):
        services.staff_update(
            actor=head, staff=line_manager, roles_held=[Role.LINE_MANAGER, Role.CHAIR_OF_GOVERNORS]
        )
    with pytest.raises(ValidationError):
        services.staff_create(
            actor=head, school=head.school, roles_held=[Role.GOVERNOR], **_staff_fields()
        )
    assert _roles(line_manager) == {Role.LINE_MANAGER}
    assert not AuditEvent.objects.exists()


def test_the_head_cannot_make_themself_chair_of_governors(head, chair):
    with pytest.raises(ValidationError):
        services.staff_update(
            actor=head,
            staff=head,
            roles_held=[Role.HEADTEACHER, Role.LINE_MANAGER, Role.CHAIR_OF_GOVERNORS],
        )
    assert not roles.has_role(head, Role.CHAIR_OF_GOVERNORS)


def test_a_line_manager_the_head_tried_to_make_chair_cannot_decide_the_heads_request(
    head, chair, line_manager, pupil
):
    from contacts.planned import services as planned_services
    from tests.factories_requests import make_request

    own = make_request(head, [pupil])
    with pytest.raises(ValidationError):
        services.staff_update(
            actor=head, staff=line_manager, roles_held=[Role.LINE_MANAGER, Role.CHAIR_OF_GOVERNORS]
        )
    roles.forget_roles(line_manager)
    with pytest.raises(PermissionDenied):
        planned_services.request_decide(
            actor=line_manager,
            contact_request=own,
            decision="approve",
            expected_version=own.version,
        )
    own.refresh_from_db()
    assert own.decided_by is None


@pytest.mark.parametrize("actor", ["head", "admin"])
def test_school_staff_never_give_or_remove_governance_roles(actor, request, governor, teacher):
    person = request.getfixturevalue(actor)
    with pytest.raises(ValidationError):
        services.staff_update(actor=person, staff=governor, roles_held=[])
    with pytest.raises(ValidationError):
        services.staff_update(actor=person, staff=teacher, roles_held=[Role.GOVERNOR])
    with pytest.raises(PermissionDenied):
        services.governance_roles_set(actor=person, staff=teacher, roles_held=[Role.GOVERNOR])
    assert _roles(governor) == {Role.GOVERNOR}
    assert not _roles(teacher)


def test_the_chair_appoints_and_removes_governors_and_the_chair_and_dsl_are_told(
    chair, dsl, school
):
    from contacts.notifications.models import Notification

    person = StaffFactory(school=school, staff_type="governor")
    services.governance_roles_set(actor=chair, staff=person, roles_held=[Role.GOVERNOR])
    assert _roles(person) == {Role.GOVERNOR}
    event = AuditEvent.objects.get(action="staff.roles_change")
    assert (event.actor_id, event.object_ref, event.to_state) == (
        chair.pk,
        person.audit_ref,
        Role.GOVERNOR,
    )
    assert Notification.objects.filter(recipient=dsl, message__contains="roles changed").exists()
    services.governance_roles_set(actor=chair, staff=person, roles_held=[])
    assert not _roles(person)
    assert AuditEvent.objects.filter(action="staff.roles_change").count() == 2


def test_the_chair_cannot_give_the_head_a_governance_role(chair, head):
    with pytest.raises(ValidationError, match="cannot also be chair of governors or a governor"):
        services.governance_roles_set(actor=chair, staff=head, roles_held=[Role.GOVERNOR])
    assert not roles.has_role(head, roles.GOVERNANCE_ROLES)


def test_the_chair_gives_no_staff_roles(chair, teacher):
    with pytest.raises(ValidationError):
        services.governance_roles_set(actor=chair, staff=teacher, roles_held=[Role.DSL])
    assert not _roles(teacher)


def test_nobody_gives_themself_a_role(head, chair, admin):
    with pytest.raises(ValidationError, match="cannot give yourself a role"):
        services.staff_update(
            actor=head, staff=head, roles_held=[Role.HEADTEACHER, Role.LINE_MANAGER, Role.DSL]
        )
    with pytest.raises(ValidationError, match="cannot give yourself a role"):
        services.governance_roles_set(
            actor=chair, staff=chair, roles_held=[Role.CHAIR_OF_GOVERNORS, Role.GOVERNOR]
        )
    with pytest.raises(ValidationError, match="cannot give yourself a role"):
        services.staff_update(
            actor=admin, staff=admin, roles_held=[Role.SCHOOL_ADMIN, Role.LINE_MANAGER]
        )
    assert _roles(admin) == {Role.SCHOOL_ADMIN}


def test_the_administrator_cannot_give_themself_governor_or_line_manager_roles(admin):
    for wanted in ([Role.SCHOOL_ADMIN, Role.GOVERNOR], [Role.SCHOOL_ADMIN, Role.LINE_MANAGER]):
        with pytest.raises(ValidationError):
            services.staff_update(actor=admin, staff=admin, roles_held=wanted)
    assert _roles(admin) == {Role.SCHOOL_ADMIN}


def test_the_administrator_cannot_make_a_teacher_an_administrator(admin, teacher):
    with pytest.raises(ValidationError, match="Only the headteacher can give or remove"):
        services.staff_update(actor=admin, staff=teacher, roles_held=[Role.SCHOOL_ADMIN])
    with pytest.raises(ValidationError):
        services.staff_create(
            actor=admin, school=admin.school, roles_held=[Role.SCHOOL_ADMIN], **_staff_fields()
        )
    assert not _roles(teacher)


def test_the_head_makes_a_teacher_an_administrator_and_the_chair_and_dsl_are_told(
    head, teacher, chair, dsl
):
    from contacts.notifications.models import Notification

    services.staff_update(
        actor=head, staff=teacher, roles_held=[Role.SCHOOL_ADMIN], line_manager=head
    )
    assert _roles(teacher) == {Role.SCHOOL_ADMIN}
    event = AuditEvent.objects.get(action="staff.roles_change")
    assert event.reason == "given: school administrator"
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {chair.pk, dsl.pk}


def test_the_administrator_cannot_become_the_heads_line_manager(admin, head):
    with pytest.raises(ValidationError) as caught:
        services.staff_update(actor=admin, staff=head, line_manager=admin)
    assert "no line manager" in caught.value.message_dict["line_manager"][0]
    head.refresh_from_db()
    assert head.line_manager is None


def test_nobody_becomes_the_line_manager_of_a_governor(head, governor, line_manager):
    with pytest.raises(ValidationError) as caught:
        services.staff_update(actor=head, staff=governor, line_manager=line_manager)
    assert "line_manager" in caught.value.message_dict
    governor.refresh_from_db()
    assert governor.line_manager is None


@pytest.mark.parametrize("persona", ["deputy", "assistant", "dsl", "admin"])
def test_those_who_oversee_staff_are_line_managed_by_the_head_only(
    request, persona, head, line_manager
):
    """A head of year who is the DSL's line manager would monitor the person who reads the
    disclosures and records LADO matters about them: nobody manages someone who oversees them."""
    overseer = request.getfixturevalue(persona)
    with pytest.raises(ValidationError, match="only the headteacher") as caught:
        services.staff_update(actor=head, staff=overseer, line_manager=line_manager)
    assert "line_manager" in caught.value.message_dict
    overseer.refresh_from_db()
    assert overseer.line_manager != line_manager
    services.staff_update(actor=head, staff=overseer, line_manager=head)
    overseer.refresh_from_db()
    assert overseer.line_manager == head


def test_giving_an_oversight_role_to_someone_a_colleague_manages_is_refused(head, teacher):
    with pytest.raises(ValidationError, match="only the headteacher") as caught:
        services.staff_update(actor=head, staff=teacher, roles_held=[Role.DSL])
    assert "line_manager" in caught.value.message_dict
    assert _roles(teacher) == set()


def test_nobody_is_line_managed_by_someone_they_manage(head, line_manager, teacher):
    below = StaffFactory(school=head.school, line_manager=teacher, roles=[])
    with pytest.raises(ValidationError, match="reports to") as direct:
        services.staff_update(actor=head, staff=line_manager, line_manager=teacher)
    assert "line_manager" in direct.value.message_dict
    with pytest.raises(ValidationError, match="reports to"):
        services.staff_update(actor=head, staff=line_manager, line_manager=below)
    line_manager.refresh_from_db()
    assert line_manager.line_manager is None


@pytest.mark.parametrize("persona", ["governor", "chair"])
def test_a_governor_is_nobodys_line_manager(request, persona, admin, colleague):
    """Red-team review, second round: the administrator made the governor a teacher's line
    manager, and the governor then read the teacher's approved requests with the pupils' names."""
    overseer = request.getfixturevalue(persona)
    with pytest.raises(ValidationError, match="governor cannot be a line manager") as caught:
        services.staff_update(actor=admin, staff=colleague, line_manager=overseer)
    assert "line_manager" in caught.value.message_dict
    colleague.refresh_from_db()
    assert colleague.line_manager != overseer


def test_a_line_manager_becomes_a_governor_only_once_their_team_has_another(
    chair, line_manager, teacher, head
):
    with pytest.raises(ValidationError, match="another line manager first"):
        services.governance_roles_set(actor=chair, staff=line_manager, roles_held=[Role.GOVERNOR])
    assert not roles.has_role(line_manager, Role.GOVERNOR)
    services.staff_update(actor=head, staff=teacher, line_manager=head)
    roles.forget_roles(line_manager)
    services.governance_roles_set(actor=chair, staff=line_manager, roles_held=[Role.GOVERNOR])
    assert _roles(line_manager) >= {Role.GOVERNOR}


def test_the_administrator_cannot_make_themself_anyones_line_manager(admin, teacher):
    with pytest.raises(ValidationError, match="cannot make yourself"):
        services.staff_update(actor=admin, staff=teacher, line_manager=admin)
    teacher.refresh_from_db()
    assert teacher.line_manager != admin


def test_nobody_chooses_or_removes_their_own_line_manager(admin, head, line_manager):
    """Who monitors the administrator is not theirs to pick: neither a friendly monitor nor
    nobody (which would also leave them free to be made a governor)."""
    services.staff_update(actor=head, staff=admin, line_manager=head)
    with pytest.raises(ValidationError, match="your own line manager") as chose:
        services.staff_update(actor=admin, staff=admin, line_manager=line_manager)
    assert "line_manager" in chose.value.message_dict
    with pytest.raises(ValidationError, match="your own line manager"):
        services.staff_update(actor=admin, staff=admin, line_manager=None)
    admin.refresh_from_db()
    assert admin.line_manager == head
    assert not AuditEvent.objects.filter(actor=admin, action="staff.line_manager_change").exists()


def test_editing_your_own_record_leaves_your_line_manager_alone(admin, head):
    services.staff_update(actor=head, staff=admin, line_manager=head)
    services.staff_update(actor=admin, staff=admin, line_manager=head, phone="01234 567890")
    admin.refresh_from_db()
    assert admin.line_manager == head


def test_a_line_manager_change_is_audited_and_told(admin, teacher, colleague, chair, dsl):
    services.staff_update(actor=admin, staff=teacher, line_manager=colleague)
    event = AuditEvent.objects.get(action="staff.line_manager_change")
    assert (event.actor_id, event.to_state) == (admin.pk, colleague.audit_ref)
    from contacts.notifications.models import Notification

    assert Notification.objects.filter(recipient=chair, message__contains="line manager").exists()


def test_the_administrator_cannot_deactivate_the_head(admin, head):
    with pytest.raises(ValidationError, match="Only the chair of governors"):
        services.staff_set_active(actor=admin, staff=head, active=False)
    head.refresh_from_db()
    assert head.is_active
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("senior", ["deputy", "dsl", "assistant"])
def test_the_administrator_cannot_deactivate_a_senior_account(admin, senior, request):
    person = request.getfixturevalue(senior)
    with pytest.raises(ValidationError, match="Only the headteacher"):
        services.staff_set_active(actor=admin, staff=person, active=False)
    person.refresh_from_db()
    assert person.is_active


def test_the_administrator_cannot_change_the_heads_email(admin, head):
    with pytest.raises(ValidationError) as caught:
        services.staff_update(actor=admin, staff=head, email="taken-over@test.example")
    assert "Only the chair of governors" in caught.value.message_dict["email"][0]
    head.refresh_from_db()
    assert head.email == "head@test.example"


def test_the_head_cannot_change_the_chairs_email_or_deactivate_the_chair(head, chair):
    with pytest.raises(ValidationError):
        services.staff_update(actor=head, staff=chair, email="mine@test.example")
    with pytest.raises(ValidationError):
        services.staff_set_active(actor=head, staff=chair, active=False)
    chair.refresh_from_db()
    assert (chair.email, chair.is_active) == ("chair@test.example", True)


def test_the_administrator_still_changes_a_teachers_email(admin, teacher):
    services.staff_update(actor=admin, staff=teacher, email="new@test.example")
    teacher.refresh_from_db()
    assert teacher.email == "new@test.example"


def test_the_chair_changes_the_heads_email_and_the_head_is_told_at_the_old_address(
    chair, head, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.staff_update(actor=chair, staff=head, email="new-head@test.example")
    head.refresh_from_db()
    assert head.email == "new-head@test.example"
    to_old = [m for m in mailoutbox if m.to == ["head@test.example"]]
    assert to_old and "email address changed" in to_old[0].subject


def test_the_head_deactivates_the_deputy_and_the_deputy_is_told(
    head, deputy, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.staff_set_active(actor=head, staff=deputy, active=False)
    deputy.refresh_from_db()
    assert not deputy.is_active
    assert any(m.to == ["deputy@test.example"] for m in mailoutbox)


def test_the_chair_deactivates_and_reactivates_the_head(chair, head):
    services.staff_set_active(actor=chair, staff=head, active=False)
    head.refresh_from_db()
    assert not head.is_active
    services.staff_set_active(actor=chair, staff=head, active=True)
    head.refresh_from_db()
    assert head.is_active


def test_the_administrator_cannot_reactivate_a_deactivated_head(chair, admin, head):
    services.staff_set_active(actor=chair, staff=head, active=False)
    with pytest.raises(ValidationError):
        services.staff_set_active(actor=admin, staff=head, active=True)
    head.refresh_from_db()
    assert not head.is_active


def test_the_chair_changes_no_teachers_account(chair, teacher):
    with pytest.raises(PermissionDenied):
        services.staff_update(actor=chair, staff=teacher, job_title="Cleaner")
    with pytest.raises(PermissionDenied):
        services.staff_set_active(actor=chair, staff=teacher, active=False)


def test_the_installation_appoints_the_first_chair(school, head):
    person = StaffFactory(school=school, staff_type="governor")
    services.chair_appoint(school=school, staff=person, operator="A. Operator, IT")
    assert _roles(person) == {Role.CHAIR_OF_GOVERNORS}
    event = AuditEvent.objects.get(action="staff.roles_change")
    assert (event.actor_id, event.actor_role) == (None, "system")
    assert "A. Operator, IT" in event.reason
    assert audit_verify() == []


def test_the_installation_replaces_a_chair_for_recovery(school, chair, governor):
    services.chair_appoint(school=school, staff=governor, operator="A. Operator")
    assert _roles(governor) == {Role.CHAIR_OF_GOVERNORS, Role.GOVERNOR}
    assert not _roles(chair)


def test_the_installation_names_who_ran_it(school, governor):
    with pytest.raises(ValidationError):
        services.chair_appoint(school=school, staff=governor, operator=" ")
    assert _roles(governor) == {Role.GOVERNOR}
