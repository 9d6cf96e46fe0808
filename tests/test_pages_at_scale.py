"""What keeps the daily pages fast as the years add up (docs/performance.md): long lists come a
page at a time, and the frame of every page costs the same few queries."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contacts.files import selectors
from contacts.planned import services
from contacts.planned import views as request_views
from safeguard.accounts.middleware import ACTIVITY_RESOLUTION, LAST_ACTIVITY_KEY
from tests.factories_records import make_record, past
from tests.factories_requests import future, make_request
from tests.helpers import sign_in, text


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(request_views, "PAGE_SIZE", 2)
    monkeypatch.setattr(selectors, "FILE_PAGE_SIZE", 2)


def _sql(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries]


# --- the frame of a page ----------------------------------------------------------------------


def test_a_page_soon_after_the_last_writes_nothing_to_the_session(client, teacher):
    sign_in(client, teacher)
    assert isinstance(client.session[LAST_ACTIVITY_KEY], int)  # signing in is activity
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("my_requests")).status_code == 200
    assert not [sql for sql in _sql(queries) if "django_session" in sql and "UPDATE" in sql]


def test_the_time_of_activity_is_kept_to_the_minute(client, teacher):
    sign_in(client, teacher)
    session = client.session
    session[LAST_ACTIVITY_KEY] = int(time.time()) - ACTIVITY_RESOLUTION - 1
    session.save()
    client.get(reverse("my_requests"))
    assert int(time.time()) - client.session[LAST_ACTIVITY_KEY] <= 1


def test_the_school_comes_with_the_signed_in_person(client, teacher):
    sign_in(client, teacher)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("my_requests"))
    assert teacher.school.name in text(page)
    assert not [sql for sql in _sql(queries) if sql.startswith('SELECT "safeguard_school"')]


# --- lists a page at a time -------------------------------------------------------------------


def test_the_decision_queue_comes_a_page_at_a_time(client, head, teacher, pupil, small_pages):
    waiting = [make_request(teacher, [pupil], starts_at=future(days=3 + i)) for i in range(3)]
    sign_in(client, head)
    first = client.get(reverse("decision_queue"))
    assert [item.pk for item, _ in first.context["items"]] == [w.pk for w in waiting[:2]]
    assert "Requests waiting for your decision (3)" in text(first)
    assert "Page 1 of 2" in text(first)
    second = client.get(reverse("decision_queue"), {"page": 2})
    assert [item.pk for item, _ in second.context["items"]] == [waiting[2].pk]


def test_the_monitoring_queue_comes_a_page_at_a_time(
    client, head, teacher, line_manager, pupil, small_pages
):
    approved = []
    for i in range(3):
        item = make_request(teacher, [pupil], starts_at=future(days=3 + i))
        approved.append(
            services.request_decide(
                actor=head, contact_request=item, decision="approve", expected_version=item.version
            )
        )
    sign_in(client, line_manager)
    first = client.get(reverse("monitoring_queue"))
    second = client.get(reverse("monitoring_queue"), {"page": 2})
    shown = [r.pk for r in first.context["rows"]] + [r.pk for r in second.context["rows"]]
    assert shown == [a.pk for a in approved]  # unreviewed, soonest first, none twice
    assert "3 in all" in text(first) and "Page 2 of 2" in text(second)


def test_a_pupils_file_comes_a_page_at_a_time(client, head, teacher, pupil, small_pages):
    request = make_request(teacher, [pupil], starts_at=future(days=3))
    older = make_record(teacher, [pupil], occurred_at=past(5))
    oldest = make_record(teacher, [pupil], occurred_at=past(9))
    sign_in(client, head)
    url = reverse("pupil_detail", args=[pupil.pk])
    first = client.get(url)
    assert [e["item"].pk for e in first.context["entries"]] == [request.pk, older.pk]
    assert "On file, newest first (3)" in text(first)
    second = client.get(url, {"page": 2})
    assert [e["item"].pk for e in second.context["entries"]] == [oldest.pk]
    assert "Page 2 of 2" in text(second)


def test_a_files_queries_do_not_grow_with_its_entries(client, head, teacher, pupil):
    sign_in(client, head)
    url = reverse("pupil_detail", args=[pupil.pk])
    make_request(teacher, [pupil], starts_at=future(days=3))
    make_record(teacher, [pupil], occurred_at=past(5))
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(4):
        make_request(teacher, [pupil], starts_at=future(days=4 + i))
        make_record(teacher, [pupil], occurred_at=past(6 + i))
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
