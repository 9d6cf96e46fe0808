"""Access to the site: every page needs a log-in, starting pages by role, signing in and health."""

import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import DatabaseError, connections
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.converters import IntConverter, UUIDConverter
from django.urls.resolvers import RoutePattern

from tests.factories import (
    TEST_PASSWORD,
    ParentCarerFactory,
    PupilFactory,
    StaffFactory,
    StaffRelativeFactory,
)
from tests.helpers import row_counts, sign_in, text

# Pages anyone may open without signing in, by URL name. Keep this list short.
# Open to anyone: signing in, health, and getting in by an emailed link (a forgotten password,
# an invitation), whose pages say so when the link is no good; the public half of the key that
# signs the audit trail's checkpoints, which anyone checking one needs; the help pages, which
# hold nothing about any school; and signing out, for a session that has already ended.
PUBLIC = {
    "audit_public_key",
    "logout",
    "help",
    "glossary",
    "login",
    "health",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "invitation_accept",
    "invitation_renew",
    "openid_connect_login",
    "openid_connect_callback",
}

_TOKEN = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _walk(patterns, chain=(), namespace=""):
    """Every URL pattern of the project with the chain of patterns that leads to it."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, (*chain, entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            yield (*chain, entry.pattern), name, entry
        else:  # pragma: no cover
            raise TypeError(f"Unexpected URL entry {entry!r}")


ALL_PATTERNS = list(_walk(get_resolver().url_patterns))


def _label(item):
    chain, name, _ = item
    return name or "".join(str(p) for p in chain)


def _sample(converter, real_id):
    if isinstance(converter, IntConverter):
        return str(real_id)
    if isinstance(converter, UUIDConverter):
        return str(uuid.uuid4())
    return "sample"


def _url(chain, name, real_id) -> str:
    """A concrete URL for the pattern, with every number filled with a real object's id."""
    if all(isinstance(p, RoutePattern) for p in chain):
        parts = []
        for pattern in chain:
            route = str(pattern)
            for token, converter in pattern.converters.items():
                route = _TOKEN.sub(
                    lambda m, t=token, c=converter: (
                        _sample(c, real_id) if m["name"] == t else m.group(0)
                    ),
                    route,
                )
            parts.append(route)
        return "/" + "".join(parts)
    if not name:  # pragma: no cover
        pytest.fail(f"Unnamed regex URL pattern {chain!r}: give it a name so it can be tested")
    groups = {g for p in chain for g in p.regex.groupindex}
    return reverse(name, kwargs={g: str(real_id) for g in groups})


@pytest.fixture
def real_ids(school, head):
    """One id of every kind of object a page may name, all of them real rows."""
    teacher = StaffFactory(school=school)
    pupil = PupilFactory(school=school)
    relative = StaffRelativeFactory(staff=teacher, pupil=pupil)
    parent = ParentCarerFactory(school=school, children=[pupil])
    return sorted({school.pk, head.pk, teacher.pk, pupil.pk, relative.pk, parent.pk})


def test_the_walk_finds_every_known_page():
    names = {name for _, name, _ in ALL_PATTERNS}
    expected = {
        "home",
        "health",
        "login",
        "logout",
        "staff_list",
        "staff_create",
        "staff_detail",
        "staff_print",
        "staff_edit",
        "staff_active",
        "relative_add",
        "relative_end",
        "relative_review",
        "pupil_list",
        "pupil_create",
        "pupil_detail",
        "pupil_print",
        "pupil_edit",
        "parent_add",
        "people_import",
    }
    assert expected <= names
    assert names >= PUBLIC


def test_every_walked_url_resolves_to_its_own_view(real_ids):
    for chain, _name, entry in ALL_PATTERNS:
        url = _url(chain, _name, real_ids[0])
        assert resolve(url).func == entry.callback, url


def _assert_sent_to_login(response, url):
    assert response.status_code == 302, f"{url} answered {response.status_code} without log-in"
    target = urlsplit(response["Location"])
    assert target.path == reverse("login"), url
    assert parse_qs(target.query)["next"] == [url]


@pytest.mark.parametrize(
    "item",
    [p for p in ALL_PATTERNS if p[1] not in PUBLIC],
    ids=_label,
)
def test_every_page_sends_anonymous_visitors_to_log_in(client, real_ids, item):
    chain, name, _ = item
    before = row_counts()
    for real_id in real_ids:
        url = _url(chain, name, real_id)
        _assert_sent_to_login(client.get(url), url)
        _assert_sent_to_login(client.post(url, {"active": "0"}), url)
    assert row_counts() == before


def test_login_page_is_public(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "Sign in" in text(response)


def test_health_is_public_and_answers_json(client, db):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "up"}


def test_health_answers_503_when_the_database_is_down(client, db, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise DatabaseError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(connections["default"], "cursor", broken_cursor)
        response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "down"}


def test_health_refuses_post(client, db):
    assert client.post(reverse("health")).status_code == 405


# --- starting pages ---------------------------------------------------------------------------


# safeguard.views.STARTING_PAGES: senior leaders and the administrator start on the school
# dashboard (it replaced the pupil and staff directories as their starting page); the DSL on
# what needs them.
@pytest.mark.parametrize("persona", ["head", "deputy", "assistant", "admin"])
def test_home_sends_leaders_and_administrator_to_the_dashboard(client, request, persona):
    sign_in(client, request.getfixturevalue(persona))
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain == [(reverse("dashboard"), 302)]
    assert response.status_code == 200


def test_home_sends_the_dsl_to_what_needs_them(client, dsl):
    sign_in(client, dsl)
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain == [(reverse("attention_queue"), 302)]
    assert response.status_code == 200


ALL_PERSONAS = [
    "head",
    "deputy",
    "assistant",
    "dsl",
    "chair",
    "governor",
    "admin",
    "line_manager",
    "teacher",
    "outsider",
]


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_home_lands_every_persona_on_a_page_they_may_open(client, request, persona):
    person = request.getfixturevalue(persona)
    sign_in(client, person)
    response = client.get(reverse("home"), follow=True)
    assert len(response.redirect_chain) == 1
    assert response.redirect_chain[0][0] != reverse("home")
    assert response.status_code == 200
    assert f"{person.full_name} · {person.school.name}" in text(response)


# --- signing in -------------------------------------------------------------------------------


def _sign_in(client, username, password=TEST_PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password, **extra})


def test_sign_in_ignores_the_case_of_the_email(client, teacher):
    response = _sign_in(client, "TEACHER@Test.EXAMPLE")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(teacher.pk)


def test_sign_in_returns_to_the_page_asked_for(client, deputy, pupil):
    # The deputy's role requires a second factor they have not set up: set-up comes first,
    # carrying the page asked for.
    next_url = reverse("pupil_list")
    response = client.post(
        reverse("login"),
        {"username": deputy.email, "password": TEST_PASSWORD, "next": next_url},
        follow=True,
    )
    setup = f"{reverse('two_factor_setup')}?next=%2Fpupils%2F"
    assert response.redirect_chain == [(next_url, 302), (setup, 302)]
    assert "Set up two-factor sign-in" in text(response)


def test_sign_in_without_a_second_factor_returns_to_the_page_asked_for(client, teacher):
    next_url = reverse("record_list")
    response = client.post(
        reverse("login"),
        {"username": teacher.email, "password": TEST_PASSWORD, "next": next_url},
        follow=True,
    )
    assert response.redirect_chain == [(next_url, 302)]
    assert response.status_code == 200


def test_sign_in_does_not_follow_a_next_link_to_another_site(client, head):
    response = _sign_in(client, head.email, next="https://evil.example/steal")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_wrong_password_shows_a_message_and_signs_nobody_in(client, teacher):
    response = _sign_in(client, teacher.email, password="wrong password")
    assert response.status_code == 200
    assert "Your email and password did not match. Please try again." in text(response)
    assert "_auth_user_id" not in client.session


def test_wrong_password_does_not_reveal_whether_the_account_exists(client, teacher):
    known = text(_sign_in(client, teacher.email, password="wrong password"))
    unknown = text(_sign_in(client, "nobody@test.example", password="wrong password"))
    assert "did not match" in known
    assert known == unknown


def test_inactive_account_gets_the_same_message(client, school):
    person = StaffFactory(school=school, email="gone@test.example", is_active=False)
    inactive = text(_sign_in(client, person.email))
    unknown = text(_sign_in(client, "nobody@test.example"))
    assert inactive == unknown
    assert "_auth_user_id" not in client.session


def test_signed_in_visitor_is_sent_on_from_the_login_page(client, teacher):
    sign_in(client, teacher)
    response = client.get(reverse("login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_sign_out_ends_the_session(client, teacher):
    sign_in(client, teacher)
    assert client.post(reverse("logout")).status_code == 302
    response = client.get(reverse("staff_detail", args=[teacher.pk]))
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("login")
