"""Production settings, checked by starting Django as production would (DEBUG off)."""

import json
import os
import subprocess
import sys

import pytest
from django.db import connection
from django.urls import reverse

from tests.helpers import REPO_ROOT, sign_in, text

ROOT = REPO_ROOT
STRONG_KEY = "k" * 20 + "-production-key-" + "9Xq7" * 10


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # Nothing of the machine's own database settings: each test says what it runs with.
    local = {"DEBUG", "SAFEGUARD_TEST_RUN", "DATABASE_POOLED", "DATABASE_RANDOM_PAGE_COST"}
    clean = {k: v for k, v in os.environ.items() if k not in local and k != "PGOPTIONS"}
    clean.pop("SECRET_KEY", None)
    clean.pop("DATABASE_URL", None)
    clean |= {"DJANGO_SETTINGS_MODULE": "safeguard.settings"} | env
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": STRONG_KEY,
    "DATABASE_URL": "postgres://safeguard@127.0.0.1:5432/safeguard",
    "ALLOWED_HOSTS": "safeguard.school.example",
    "DEFAULT_FROM_EMAIL": "safeguard@school.example",
}


def test_the_deploy_check_passes_with_no_warning():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_warns_of_emails_from_localhost():
    env = {k: v for k, v in PRODUCTION.items() if k != "DEFAULT_FROM_EMAIL"}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    assert "safeguard.W001" in result.stderr + result.stdout
    assert "DEFAULT_FROM_EMAIL is 'safeguard@localhost'" in result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_refuses_the_development_key():
    from safeguard.settings import DEV_SECRET_KEY

    result = _manage("check", **(PRODUCTION | {"SECRET_KEY": DEV_SECRET_KEY}))
    assert result.returncode != 0
    assert "development SECRET_KEY cannot be used" in result.stderr


def test_production_refuses_sqlite():
    result = _manage("check", **(PRODUCTION | {"DATABASE_URL": "sqlite:///var/x.sqlite3"}))
    assert result.returncode != 0
    assert "Production (DEBUG off) needs PostgreSQL" in result.stderr


def test_development_starts_with_its_own_key_on_sqlite():
    result = _manage("check", DEBUG="1")
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_signed_in_pages_are_never_stored(client, teacher):
    sign_in(client, teacher)
    response = client.get(reverse("my_requests"))
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_every_page_carries_the_security_headers(client):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_behind_a_transaction_pooler_server_side_cursors_are_off():
    read = "from django.conf import settings; print(settings.DATABASES['default']"
    read += "['DISABLE_SERVER_SIDE_CURSORS'])"
    pooled = _manage("shell", "-c", read, DEBUG="1", DATABASE_POOLED="1")
    assert pooled.stdout.split()[-1] == "True", pooled.stderr
    assert _manage("shell", "-c", read, DEBUG="1").stdout.split()[-1] == "False"


def _options(**env: str) -> dict:
    read = "import json; from django.conf import settings; "
    read += "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
    result = _manage("shell", "-c", read, **(PRODUCTION | env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_postgresql_connections_cost_a_random_read_as_memory_or_ssd_does():
    """docs/scaling.md, "Parallel plans": not 4 (spinning disks), which planned a pupil's 1 ms
    file in parallel; set on the database instead behind a pooler, which may refuse a
    connection's options; kept as the server has it when set empty."""
    assert _options()["options"] == "-c random_page_cost=1.1"
    assert _options(DATABASE_RANDOM_PAGE_COST="2")["options"] == "-c random_page_cost=2.0"
    assert "options" not in _options(DATABASE_POOLED="1")
    assert "options" not in _options(DATABASE_RANDOM_PAGE_COST="")


def test_connection_options_given_elsewhere_are_kept():
    """libpq reads PGOPTIONS only when the connection names no options of its own, so they are
    carried over; and a cost the URL or PGOPTIONS sets is theirs to set."""
    url = PRODUCTION["DATABASE_URL"] + "?options=-c%20statement_timeout%3D5000"
    assert _options(DATABASE_URL=url)["options"] == (
        "-c statement_timeout=5000 -c random_page_cost=1.1"
    )
    assert _options(PGOPTIONS="-c lock_timeout=2000")["options"] == (
        "-c lock_timeout=2000 -c random_page_cost=1.1"
    )
    assert "options" not in _options(PGOPTIONS="-c random_page_cost=3")  # libpq reads it
    url = PRODUCTION["DATABASE_URL"] + "?options=-c%20random_page_cost%3D2"
    assert _options(DATABASE_URL=url)["options"] == "-c random_page_cost=2"


@pytest.mark.parametrize("value", ["fast", "0", "-1", "1000"])
@pytest.mark.parametrize("pooled", ["0", "1"])
def test_a_random_page_cost_that_is_not_a_cost_is_refused(value, pooled):
    env = {"DATABASE_RANDOM_PAGE_COST": value, "DATABASE_POOLED": pooled}
    result = _manage("check", **(PRODUCTION | env))
    assert result.returncode != 0
    assert "DATABASE_RANDOM_PAGE_COST must be a number above 0 and at most 100" in result.stderr


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's setting")
def test_the_apps_postgresql_connection_has_the_cost_set():
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"


# --- the demo (`make run`: DEMO=1) -------------------------------------------------------------

DEMO_PAGES = """
import django, json
django.setup()
from django.conf import settings
from django.test import Client
client = Client()
missing = client.get("/no-such-page/", HTTP_HOST="127.0.0.1")
print(json.dumps({
    "debug": settings.DEBUG,
    "engine": settings.DATABASES["default"]["ENGINE"],
    "status": missing.status_code,
    "page": missing.content.decode(),
}))
"""


def test_the_demo_runs_on_sqlite_with_the_apps_own_error_pages(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", DEMO_PAGES],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k not in {"DEBUG", "SAFEGUARD_TEST_RUN"}}
        | {
            "DJANGO_SETTINGS_MODULE": "safeguard.settings",
            "DEMO": "1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert shown["debug"] is False
    assert shown["engine"] == "django.db.backends.sqlite3"
    assert shown["status"] == 404
    assert "Page not found" in shown["page"]
    assert "URLconf" not in shown["page"]  # never Django's debug page listing every address
    # One line for an expected 404, never a traceback.
    assert "Traceback" not in result.stderr


def test_demo_is_refused_nothing_production_refuses_when_it_is_not_set():
    # Without DEMO, DEBUG off on SQLite is still refused: DEMO is the demo's switch alone.
    result = _manage("check", DEBUG="0", SECRET_KEY=STRONG_KEY)
    assert result.returncode != 0
    assert "Production (DEBUG off) needs PostgreSQL" in result.stderr


def test_the_demo_says_so_on_every_page(client, teacher, settings):
    settings.DEMO = True
    sign_in(client, teacher)
    assert "Demo school. Everyone here is made up" in text(client.get(reverse("my_requests")))
    settings.DEMO = False
    assert "Demo school." not in text(client.get(reverse("my_requests")))


def test_no_field_has_a_fixed_date_or_time_default(monkeypatch):
    """Django's check of a fixed date or time default (fields.W161) fires whenever it runs
    within ten seconds of that time: the deploy check would fail at 17:00 with a fixed 17:00."""
    import datetime as dt

    from django.apps import apps
    from django.db.models import fields

    fixed = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(getattr(field, "default", None), dt.date | dt.time)
    ]
    assert fixed == []
    # And the check itself, run at the moment the school day usually ends.
    at_five = dt.datetime.combine(dt.date.today(), dt.time(17, 0, 5))
    monkeypatch.setattr(fields, "_get_naive_now", lambda: at_five)
    from safeguard.core.models import School

    assert School._meta.get_field("school_day_ends").check() == []
