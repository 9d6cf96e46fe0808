"""Production settings, checked by starting Django as production would (DEBUG off)."""

import os
import subprocess
import sys

import pytest
from django.urls import reverse

from tests.helpers import REPO_ROOT, sign_in

ROOT = REPO_ROOT
STRONG_KEY = "k" * 20 + "-production-key-" + "9Xq7" * 10


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SAFEGUARD_TEST_RUN"}}
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
}


def test_the_deploy_check_passes_with_no_warning():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


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
