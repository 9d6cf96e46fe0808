"""policies.facts: people and dates from the database turned into the engine's facts.

Status, age and years since leaving are taken on the contact date, never today.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from contacts.people import services as people_services
from policies.engine import ContactFacts, EngineSettings
from policies.facts import assess_contact, contact_facts, engine_settings_for
from tests.factories import PupilFactory, SchoolFactory, StaffRelativeFactory


def _facts(requester, pupil, **extra):
    arguments = {
        "requester": requester,
        "pupil": pupil,
        "with_family_only": False,
        "on": dt.date(2030, 3, 13),
        "kind": "meeting",
        "purpose": "work",
        "planned": True,
    }
    return contact_facts(**(arguments | extra))


@pytest.fixture
def young_pupil(school):
    """On roll, born 14 March 2013: 16 on 13 March 2030, 17 the day after."""
    return PupilFactory(
        school=school,
        date_of_birth=dt.date(2013, 3, 14),
        admission_date=dt.date(2024, 9, 4),
        leaving_date=None,
    )


@pytest.fixture
def leaver(school):
    """On roll today, leaving on 20 July 2030."""
    return PupilFactory(
        school=school,
        date_of_birth=dt.date(2012, 1, 10),
        admission_date=dt.date(2023, 9, 4),
        leaving_date=dt.date(2030, 7, 20),
    )


def test_a_current_pupil_is_current_with_their_age_on_the_contact_date(teacher, young_pupil):
    facts = _facts(teacher, young_pupil, on=dt.date(2030, 3, 13))

    assert isinstance(facts, ContactFacts)
    assert facts.pupil_status == "current"
    assert facts.pupil_age == 16
    assert facts.pupil_age != young_pupil.age_on(timezone.localdate())
    assert facts.years_since_leaving is None


def test_the_age_turns_on_the_birthday(teacher, young_pupil):
    assert _facts(teacher, young_pupil, on=dt.date(2030, 3, 13)).pupil_age == 16
    assert _facts(teacher, young_pupil, on=dt.date(2030, 3, 14)).pupil_age == 17


def test_a_pupil_on_roll_today_is_former_on_a_date_after_they_leave(teacher, leaver):
    assert leaver.is_current(timezone.localdate())

    facts = _facts(teacher, leaver, on=dt.date(2032, 7, 20))

    assert facts.pupil_status == "former"
    assert facts.years_since_leaving == 2.0
    assert facts.pupil_age == 20


def test_a_pupil_is_still_current_the_day_before_they_leave(teacher, leaver):
    facts = _facts(teacher, leaver, on=dt.date(2030, 7, 19))

    assert facts.pupil_status == "current"
    assert facts.years_since_leaving is None


def test_years_since_leaving_counts_from_the_leaving_day(teacher, leaver):
    assert _facts(teacher, leaver, on=dt.date(2030, 7, 20)).years_since_leaving == 0.0
    half = _facts(teacher, leaver, on=dt.date(2031, 1, 19)).years_since_leaving
    assert half == pytest.approx(0.5, abs=0.01)


def test_contact_with_the_family_only_has_no_pupil_status_or_age(teacher, young_pupil):
    facts = _facts(teacher, young_pupil, with_family_only=True)

    assert facts.pupil_status == "none"
    assert facts.pupil_age is None
    assert facts.years_since_leaving is None


def test_contact_with_a_former_pupil_s_family_has_no_years_since_leaving(teacher, leaver):
    facts = _facts(teacher, leaver, with_family_only=True, on=dt.date(2032, 7, 20))

    assert (facts.pupil_status, facts.pupil_age, facts.years_since_leaving) == ("none", None, None)


def test_the_pupil_s_vulnerable_flag_makes_the_contact_vulnerable(teacher, young_pupil):
    young_pupil.vulnerable_adult = True

    assert _facts(teacher, young_pupil).vulnerable is True


def test_the_vulnerable_checkbox_makes_the_contact_vulnerable(teacher, young_pupil):
    assert _facts(teacher, young_pupil).vulnerable is False
    assert _facts(teacher, young_pupil, vulnerable_context=True).vulnerable is True


def test_the_answers_are_passed_through(teacher, young_pupil):
    facts = _facts(
        teacher,
        young_pupil,
        kind="email",
        purpose="personal",
        planned=False,
        on=dt.date(2025, 1, 6),
        parent_organised=True,
        school_channel=True,
    )

    assert facts.kind == "email"
    assert facts.purpose == "personal"
    assert facts.planned is False
    assert facts.parent_organised is True
    assert facts.school_channel is True
    assert facts.exemption is None


def test_an_empty_exemption_means_none(teacher, young_pupil):
    assert _facts(teacher, young_pupil, exemption="").exemption is None


def test_requester_is_head_follows_the_headteacher_role(head, deputy, teacher, young_pupil):
    assert _facts(head, young_pupil).requester_is_head is True
    assert _facts(deputy, young_pupil).requester_is_head is False
    assert _facts(teacher, young_pupil).requester_is_head is False


def test_own_family_needs_the_pupil_recorded_as_a_relative(teacher, young_pupil):
    with pytest.raises(ValidationError) as caught:
        _facts(teacher, young_pupil, exemption="own_family", purpose="personal")

    assert "exemption" in caught.value.message_dict
    assert "not recorded as your child or relative" in caught.value.message_dict["exemption"][0]


def test_own_family_of_a_colleague_does_not_count(teacher, colleague, young_pupil):
    StaffRelativeFactory(staff=colleague, pupil=young_pupil)

    with pytest.raises(ValidationError) as caught:
        _facts(teacher, young_pupil, exemption="own_family", purpose="personal")

    assert "exemption" in caught.value.message_dict


def test_own_family_is_accepted_for_an_acknowledged_relative(head, teacher, young_pupil):
    StaffRelativeFactory(staff=teacher, pupil=young_pupil, acknowledged_by=head, acknowledged=True)

    facts = _facts(teacher, young_pupil, exemption="own_family", purpose="personal")

    assert facts.exemption == "own_family"


def test_a_declared_relative_awaiting_acknowledgement_is_not_family(teacher, young_pupil):
    StaffRelativeFactory(staff=teacher, pupil=young_pupil, declared_by=teacher)

    with pytest.raises(ValidationError) as caught:
        _facts(teacher, young_pupil, exemption="own_family", purpose="personal")

    assert caught.value.message_dict["exemption"] == [
        "This pupil is declared as your relative, awaiting the headteacher's acknowledgement. "
        "Until then the usual rules apply: choose another answer."
    ]


def test_the_head_s_declared_relative_awaits_the_chair(head, young_pupil):
    StaffRelativeFactory(staff=head, pupil=young_pupil, declared_by=head)

    with pytest.raises(ValidationError) as caught:
        _facts(head, young_pupil, exemption="own_family", purpose="personal")

    assert "awaiting the chair of governors' acknowledgement" in str(caught.value)


# Finding 6 of issue 15: a teacher who declared a pupil their niece, with no approval and no
# notice, was told "Allowed, but it must be recorded" for meetings, parties, lifts and gifts.
FAMILY_KINDS = ["meeting", "social_event", "transport", "gift"]


def _answers(kind, **extra):
    return {
        "with_family_only": False,
        "on": timezone.localdate() + dt.timedelta(days=7),
        "kind": kind,
        "purpose": "personal",
        "planned": True,
    } | extra


@pytest.fixture
def niece_and_stranger(school):
    """Two pupils alike in every way the engine reads: one declared a niece, one not."""
    born = timezone.localdate() - dt.timedelta(days=365 * 14 + 40)
    alike = {"school": school, "date_of_birth": born, "leaving_date": None}
    return PupilFactory(first_name="Nia", **alike), PupilFactory(first_name="Sam", **alike)


@pytest.mark.parametrize("kind", FAMILY_KINDS)
def test_a_self_declared_niece_is_any_other_pupil_until_the_head_acknowledges_her(
    kind, head, teacher, niece_and_stranger
):
    niece, stranger = niece_and_stranger
    declared = people_services.relative_add(
        actor=teacher, staff=teacher, pupil=niece, relationship="niece_nephew"
    )

    # The own-family answer is refused for her as for any pupil, and without it the engine's
    # answer is the one it gives for a pupil who is nobody's relative.
    for pupil in (niece, stranger):
        with pytest.raises(ValidationError) as caught:
            assess_contact(
                requester=teacher, pupils=[pupil], **_answers(kind, exemption="own_family")
            )
        assert "exemption" in caught.value.message_dict
    as_niece = assess_contact(requester=teacher, pupils=[niece], **_answers(kind))
    as_stranger = assess_contact(requester=teacher, pupils=[stranger], **_answers(kind))
    assert as_niece == as_stranger
    assert as_niece.verdict != "record"

    people_services.relative_acknowledge(actor=head, relative=declared)

    family = assess_contact(
        requester=teacher, pupils=[niece], **_answers(kind, exemption="own_family")
    )
    assert family.verdict == "record"
    with pytest.raises(ValidationError):
        assess_contact(
            requester=teacher, pupils=[stranger], **_answers(kind, exemption="own_family")
        )


def test_a_contact_date_before_the_pupil_was_born_is_refused(teacher, young_pupil):
    with pytest.raises(ValidationError) as caught:
        _facts(teacher, young_pupil, on=dt.date(2013, 3, 13))

    assert caught.value.message_dict == {
        "contact_date": ["This date is before the pupil was born."]
    }


def test_a_contact_on_the_day_of_birth_is_accepted(teacher, young_pupil):
    assert _facts(teacher, young_pupil, on=dt.date(2013, 3, 14)).pupil_age == 0


# --- engine_settings_for ----------------------------------------------------------------------


def test_engine_settings_follow_the_school(db):
    school = SchoolFactory(child_age=16, restricted_window_years=5, exemption_needs_approval=False)

    assert engine_settings_for(school) == EngineSettings(
        child_age=16, window_years=5.0, exemption_needs_approval=False
    )


def test_engine_settings_window_is_a_float(db):
    settings = engine_settings_for(SchoolFactory(restricted_window_years=0))

    assert isinstance(settings.window_years, float)
    assert settings.window_years == 0.0


def test_a_school_s_defaults_are_the_engine_s_defaults(school):
    assert engine_settings_for(school) == EngineSettings()


# --- Issue 18 points 3 and 7: the parents' agreed forms of contact; a parent-organised meeting


def test_the_parents_agreed_modes_reach_the_engine(teacher, young_pupil):
    assert not _facts(teacher, young_pupil, kind="text_message").parent_agreed_mode
    young_pupil.agreed_contact_modes = ["text_message"]
    young_pupil.save()
    assert _facts(teacher, young_pupil, kind="text_message").parent_agreed_mode
    assert not _facts(teacher, young_pupil, kind="phone_call").parent_agreed_mode


def test_a_school_text_is_recorded_once_the_parents_agreed_to_texts(teacher, young_pupil):
    answers = {
        "with_family_only": False,
        "on": dt.date(2030, 3, 13),
        "kind": "text_message",
        "purpose": "work",
        "planned": True,
        "school_channel": True,
    }
    before = assess_contact(requester=teacher, pupils=[young_pupil], **answers)
    assert before.verdict == "needs_approval" and "parental_consent" in before.actions
    young_pupil.agreed_contact_modes = ["text_message"]
    young_pupil.save()
    after = assess_contact(requester=teacher, pupils=[young_pupil], **answers)
    assert after.verdict == "record"
    assert "messaging.no_text_conversation" in {f.clause for f in after.findings}
