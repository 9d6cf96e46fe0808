"""While the database does not answer, people get a 503 "back in a moment" page, never a
traceback, and production keeps connections only after checking them (CONN_HEALTH_CHECKS)."""

import json
import os
import subprocess
import sys

import pytest
from django.db import connection
from django.db.utils import InterfaceError, OperationalError
from django.test import Client
from django.urls import reverse

from contacts.planned import selectors
from safeguard.core.errors import database_unavailable, is_database_unavailable
from tests.helpers import REPO_ROOT, sign_in, text

ROOT = REPO_ROOT
DOWN = [
    OperationalError("could not connect to server: Connection refused"),
    OperationalError("terminating connection due to administrator command"),
    InterfaceError("connection already closed"),
]
LEAKS = ("Traceback", "OperationalError", "InterfaceError", "Connection refused", "connection")


def _database_gone(error):
    """An execute wrapper: every query from now on fails as it does while PostgreSQL is down."""

    def fail(execute, sql, params, many, context):
        raise error

    return fail


def _assert_back_in_a_moment(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "no-store" in response["Cache-Control"]
    page = text(response)
    assert "Safeguard is back in a moment" in page
    assert "saved in full or not at all" in page
    for leak in LEAKS:
        assert leak not in page, leak


@pytest.mark.django_db
@pytest.mark.parametrize("error", DOWN, ids=lambda e: type(e).__name__)
def test_a_signed_in_page_is_a_503_while_every_query_fails(teacher, error):
    """The session and the user are read in middleware: the failure is there, before any view,
    and the error page itself must not need the database."""
    client = Client(raise_request_exception=False)
    sign_in(client, teacher)
    with connection.execute_wrapper(_database_gone(error)):
        response = client.get(reverse("my_requests"))
    _assert_back_in_a_moment(response)


@pytest.mark.django_db
@pytest.mark.parametrize("error", DOWN, ids=lambda e: type(e).__name__)
def test_a_view_whose_query_fails_is_a_503(teacher, monkeypatch, error):
    client = Client(raise_request_exception=False)
    sign_in(client, teacher)

    def boom(user):
        raise error

    monkeypatch.setattr(selectors, "requests_visible_to", boom)
    _assert_back_in_a_moment(client.get(reverse("my_requests")))


@pytest.mark.django_db
def test_a_post_when_the_database_goes_is_a_503_too(teacher):
    client = Client(raise_request_exception=False)
    sign_in(client, teacher)
    with connection.execute_wrapper(_database_gone(DOWN[1])):
        response = client.post(reverse("request_new"), {"action": "submit"})
    _assert_back_in_a_moment(response)


def test_the_sign_in_page_is_a_503_without_a_session_too(db):
    client = Client(raise_request_exception=False)
    with connection.execute_wrapper(_database_gone(DOWN[0])):
        response = client.post(reverse("login"), {"username": "a@b.example", "password": "x"})
    _assert_back_in_a_moment(response)


def test_the_health_check_says_the_database_is_down(db):
    with connection.execute_wrapper(_database_gone(DOWN[0])):
        response = Client(raise_request_exception=False).get(reverse("health"))
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "down"}


@pytest.mark.django_db
def test_any_other_error_is_still_the_plain_500_page(teacher, monkeypatch):
    client = Client(raise_request_exception=False)
    sign_in(client, teacher)

    def boom(user):
        raise RuntimeError("a bug, not an outage")

    monkeypatch.setattr(selectors, "requests_visible_to", boom)
    response = client.get(reverse("my_requests"))
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "Something went wrong" in text(response)
    assert "a bug" not in text(response)


def test_the_503_page_is_rendered_without_the_database(rf):
    # No db fixture: pytest-django makes any database access here an error.
    _assert_back_in_a_moment(database_unavailable(rf.get("/")))


def test_an_error_raised_while_handling_a_database_error_counts_as_unavailable():
    try:
        try:
            raise OperationalError("server closed the connection unexpectedly")
        except OperationalError as error:
            raise ValueError("wrapped") from error
    except ValueError as wrapped:
        assert is_database_unavailable(wrapped)
    assert not is_database_unavailable(ValueError("alone"))
    assert not is_database_unavailable(None)


def _production_database(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SAFEGUARD_TEST_RUN"}}
    env.pop("CONN_MAX_AGE", None)
    env |= {
        "DEBUG": "0",
        "SECRET_KEY": "p" * 20 + "-production-key-" + "7Zr4" * 10,
        "DATABASE_URL": "postgres://safeguard@127.0.0.1:5432/safeguard",
        "ALLOWED_HOSTS": "safeguard.school.example",
    } | extra
    script = (
        "import json; from safeguard import settings as s; "
        "print(json.dumps({k: s.DATABASES['default'][k] "
        "for k in ('CONN_HEALTH_CHECKS', 'CONN_MAX_AGE')}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_checks_kept_connections_before_using_them():
    assert _production_database() == {"CONN_HEALTH_CHECKS": True, "CONN_MAX_AGE": 60}


def test_production_connection_age_can_be_set():
    assert _production_database(CONN_MAX_AGE="0")["CONN_MAX_AGE"] == 0
    assert _production_database(CONN_MAX_AGE="300")["CONN_MAX_AGE"] == 300


# --- 405: an address only a form posts to ------------------------------------------------------


def test_opening_a_form_only_address_shows_a_page_saying_what_it_is_for(client, teacher):
    sign_in(client, teacher)
    response = client.get(reverse("logout"))
    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"
    page = text(response)
    assert "This address is for sending a form" in page
    assert "Back to your starting page" in page


def test_a_405_with_a_body_of_its_own_is_left_alone(rf):
    from django.http import HttpResponseNotAllowed

    from safeguard.core.errors import method_not_allowed_page

    answered = HttpResponseNotAllowed(["POST"], content=b"kept")
    assert method_not_allowed_page(lambda request: answered)(rf.get("/")).content == b"kept"


def test_signing_out_says_so_on_the_sign_in_page(client, teacher):
    sign_in(client, teacher)
    response = client.post(reverse("logout"), follow=True)
    assert response.resolver_match.url_name == "login"
    assert "You have signed out." in text(response)
    assert "_auth_user_id" not in client.session


def test_a_refusal_is_logged_in_one_line_and_a_fault_with_its_traceback():
    import logging

    from safeguard.core.errors import ClientErrorsInOneLine

    try:
        raise PermissionError("refused")
    except PermissionError:
        exc_info = sys.exc_info()
    for status, kept in ((403, False), (404, False), (500, True)):
        record = logging.LogRecord("django.request", logging.WARNING, "", 0, "x", (), exc_info)
        record.status_code = status
        assert ClientErrorsInOneLine().filter(record)
        assert (record.exc_info is not None) is kept


def test_signing_out_of_a_session_already_ended_goes_to_the_sign_in_page(client):
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("login")


def test_a_form_from_a_page_too_old_gets_the_apps_page_saying_what_to_do(teacher):
    csrf_checking = Client(enforce_csrf_checks=True)
    sign_in(csrf_checking, teacher)
    response = csrf_checking.post(reverse("concern_new"), {})
    assert response.status_code == 403
    assert "That form could not be sent" in text(response)
    assert "Nothing was saved." in text(response)


def test_the_help_pages_answer_a_head_request(client):
    assert client.head(reverse("help")).status_code == 200
    assert client.head(reverse("glossary")).status_code == 200


def test_opening_the_sign_out_address_offers_the_sign_out_button(client, teacher):
    sign_in(client, teacher)
    response = client.get(reverse("logout"))
    assert response.status_code == 405
    assert f'<form method="post" action="{reverse("logout")}"' in response.text
    assert "Sign out" in text(response)
