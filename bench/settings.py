"""Settings for the benchmark (`make bench`): production settings on PostgreSQL, plus Django's
admin as a reference point.

DEBUG is off, as in production (templates cached, no query log kept). Only what an in-process
test client needs differs: a throwaway key, plain static storage (no collectstatic), no HTTPS
redirect. The admin is installed here and nowhere else: the app itself has no admin.
"""

import os
import secrets

os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "bench-only-" + secrets.token_urlsafe(48))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/safeguard_bench_small")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

from safeguard.settings import *  # noqa: E402,F403

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":  # noqa: F405
    raise ImproperlyConfigured("The benchmark runs on PostgreSQL: set DATABASE_URL.")  # noqa: F405

# `bench` brings the seed_bench command.
INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.admin", "bench"]  # noqa: F405
ROOT_URLCONF = "bench.urls"

SECURE_SSL_REDIRECT = False
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# The client signs in with force_login; the lockout needs a request it does not pass.
AXES_ENABLED = False
# No email leaves the machine during a run.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Not-found and refused pages would log a warning per request.
LOGGING["root"]["level"] = "ERROR"  # noqa: F405
