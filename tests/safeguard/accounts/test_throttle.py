"""The password-reset limits count in the cache every app server shares: by default a table of
the database (migration 0014), so a count made by one server holds on another."""

import pytest
from django.core.cache.backends.db import DatabaseCache

import safeguard.settings as production
from safeguard.accounts import throttle

pytestmark = pytest.mark.django_db


def test_the_default_cache_is_the_shared_database_table():
    assert production.CACHES["default"] == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "safeguard_cache",
    }


def test_a_count_made_through_one_server_holds_on_another(monkeypatch):
    def through_a_new_server():
        # What each server process has: its own cache object over the one table.
        monkeypatch.setattr(throttle, "cache", DatabaseCache(production.CACHE_TABLE, {}))
        return throttle.allow("reset", "ann@school.example", limit=3, window_seconds=3600)

    assert [through_a_new_server() for _ in range(4)] == [True, True, True, False]
    # Another key counts apart.
    assert throttle.allow("reset", "bob@school.example", limit=3, window_seconds=3600)


def test_the_key_is_kept_hashed(monkeypatch):
    shared = DatabaseCache(production.CACHE_TABLE, {})
    monkeypatch.setattr(throttle, "cache", shared)
    throttle.allow("reset", "ann@school.example", limit=3, window_seconds=3600)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key FROM {production.CACHE_TABLE}")  # noqa: S608
        keys = [row[0] for row in cursor.fetchall()]
    assert len(keys) == 1
    assert "ann" not in keys[0]
