import pytest
from django.urls import reverse

from safeguard.audit.models import AuditEvent
from safeguard.core.models import School
from tests.helpers import field_error, sign_in, text

URL = "school_settings"


def _data(school, **changes):
    data = {
        "name": school.name,
        "address": school.address,
        "lado_phone": school.lado_phone,
        "child_age": school.child_age,
        "restricted_window_years": school.restricted_window_years,
        "exemption_needs_approval": "on" if school.exemption_needs_approval else "",
        "response_days": school.response_days,
        "require_two_factor_for_all": "on" if school.require_two_factor_for_all else "",
        "acknowledge_within_minutes": school.acknowledge_within_minutes,
        "school_day_starts": school.school_day_starts.strftime("%H:%M"),
        "school_day_ends": school.school_day_ends.strftime("%H:%M"),
        "retention_disclosure_until_age": school.retention_disclosure_until_age,
        "retention_staff_retirement_age": school.retention_staff_retirement_age,
        "retention_allegation_min_years": school.retention_allegation_min_years,
        "retention_contact_years_after_leaving": school.retention_contact_years_after_leaving,
        "pattern_unplanned_count": school.pattern_unplanned_count,
        "pattern_unplanned_days": school.pattern_unplanned_days,
        "pattern_gifts_count": school.pattern_gifts_count,
        "pattern_gifts_days": school.pattern_gifts_days,
        "pattern_concerns_count": school.pattern_concerns_count,
        "pattern_concerns_days": school.pattern_concerns_days,
        "concern_open_days": school.concern_open_days,
    }
    return data | changes


def test_the_head_changes_the_policy_settings(client, head, school):
    sign_in(client, head)
    response = client.post(reverse(URL), _data(school, restricted_window_years=5, child_age=21))
    assert response.status_code == 302
    school.refresh_from_db()
    assert (school.restricted_window_years, school.child_age) == (5, 21)
    event = AuditEvent.objects.get(action="school.update")
    assert event.actor == head
    assert event.reason == "changed: child_age, restricted_window_years"
    assert "The school's settings were saved." in text(client.get(response.url))


def test_the_head_requires_two_factor_of_everyone(client, head, school):
    sign_in(client, head)
    client.post(reverse(URL), _data(school, require_two_factor_for_all="on"))
    school.refresh_from_db()
    assert school.require_two_factor_for_all
    event = AuditEvent.objects.get(action="school.update")
    assert event.reason == "changed: require_two_factor_for_all"


def test_the_head_changes_the_retention_schedule(client, head, school):
    sign_in(client, head)
    client.post(reverse(URL), _data(school, retention_contact_years_after_leaving=7))
    school.refresh_from_db()
    assert school.retention_contact_years_after_leaving == 7


def test_the_head_changes_the_pattern_thresholds(client, head, school):
    assert (school.pattern_unplanned_count, school.pattern_unplanned_days) == (3, 90)
    assert (school.pattern_gifts_count, school.pattern_gifts_days) == (2, 90)
    assert (school.pattern_concerns_count, school.pattern_concerns_days) == (2, 365)
    sign_in(client, head)
    client.post(reverse(URL), _data(school, pattern_unplanned_count=4, pattern_gifts_days=60))
    school.refresh_from_db()
    assert (school.pattern_unplanned_count, school.pattern_gifts_days) == (4, 60)
    event = AuditEvent.objects.get(action="school.update")
    assert event.reason == "changed: pattern_gifts_days, pattern_unplanned_count"


def test_the_head_sets_how_long_a_concern_may_stay_open(client, head, school):
    assert school.concern_open_days == 30
    sign_in(client, head)
    client.post(reverse(URL), _data(school, concern_open_days=45))
    school.refresh_from_db()
    assert school.concern_open_days == 45
    assert AuditEvent.objects.get(action="school.update").reason == "changed: concern_open_days"


@pytest.mark.parametrize(("days", "error"), [(6, "greater than or equal to 7"), (366, "less than")])
def test_a_concern_limit_out_of_range_is_refused_next_to_it(client, head, school, days, error):
    sign_in(client, head)
    response = client.post(reverse(URL), _data(school, concern_open_days=days))
    assert response.status_code == 200
    assert error in field_error(response, "concern_open_days")
    school.refresh_from_db()
    assert school.concern_open_days == 30


def test_a_pattern_of_one_is_refused_next_to_it(client, head, school):
    sign_in(client, head)
    response = client.post(reverse(URL), _data(school, pattern_concerns_count=1))
    assert response.status_code == 200
    assert "greater than or equal to 2" in field_error(response, "pattern_concerns_count")
    school.refresh_from_db()
    assert school.pattern_concerns_count == 2


def test_a_retention_period_below_its_floor_is_refused_next_to_it(client, head, school):
    sign_in(client, head)
    response = client.post(reverse(URL), _data(school, retention_disclosure_until_age=12))
    assert "greater than or equal to 18" in field_error(response, "retention_disclosure_until_age")
    school.refresh_from_db()
    assert school.retention_disclosure_until_age == 25


def test_the_new_window_changes_what_the_check_page_says(head, school):
    from policies.facts import engine_settings_for

    school.restricted_window_years = 5
    school.save()
    assert engine_settings_for(School.objects.get(pk=school.pk)).window_years == 5.0


def test_out_of_range_values_show_errors_and_change_nothing(client, head, school):
    sign_in(client, head)
    page = text(client.post(reverse(URL), _data(school, child_age=3, response_days=0)))
    assert "greater than or equal to 10" in page
    assert "greater than or equal to 1" in page
    school.refresh_from_db()
    assert school.child_age == 18
    assert not AuditEvent.objects.filter(action="school.update").exists()


@pytest.mark.parametrize("persona", ["deputy", "admin", "teacher", "chair", "governor", "dsl"])
def test_only_the_head_may_change_settings(request, client, persona, school):
    sign_in(client, request.getfixturevalue(persona))
    assert client.get(reverse(URL)).status_code == 403
    assert client.post(reverse(URL), _data(school, child_age=21)).status_code == 403
    school.refresh_from_db()
    assert school.child_age == 18


def test_the_head_sets_the_time_to_acknowledge_a_disclosure_and_the_school_day(
    client, head, school
):
    sign_in(client, head)
    client.post(
        reverse(URL),
        _data(school, acknowledge_within_minutes=30, school_day_starts="08:30"),
    )
    school.refresh_from_db()
    assert school.acknowledge_within_minutes == 30
    assert school.school_day_starts.strftime("%H:%M") == "08:30"


def test_a_school_day_that_ends_before_it_starts_is_refused_beside_the_field(client, head, school):
    sign_in(client, head)
    response = client.post(
        reverse(URL), _data(school, school_day_starts="17:00", school_day_ends="08:00")
    )
    assert response.status_code == 200
    assert "must end after it starts" in field_error(response, "school_day_ends")
