"""Settings for the test suite: the real settings with a throwaway key and a fast hasher."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-key-not-secret")
os.environ.setdefault("SAFEGUARD_TEST_RUN", "1")

from safeguard.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Serve static files from the finders, so the suite needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

# Uploads go to the test database (rolled back after each test); should UPLOAD_STORAGE choose a
# folder, each process (each xdist worker) has its own.
if UPLOAD_STORAGE == "filesystem":  # noqa: F405
    PRIVATE_UPLOAD_ROOT = Path(tempfile.mkdtemp(prefix="safeguard-test-uploads-"))
    STORAGES["uploads"]["OPTIONS"]["location"] = str(PRIVATE_UPLOAD_ROOT)  # noqa: F405

# Each test runs in one process, and tests that touch no database clear the cache too
# (tests/conftest.py): the process's own memory. The database cache that every server shares is
# tested in tests/safeguard/accounts/test_throttle.py.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The test client speaks plain HTTP.
SECURE_SSL_REDIRECT = False

# django-axes refuses authenticate() without a request, and the test client's login() passes
# none: the lockout is off for the suite and switched on in tests/test_signin_security.py.
AXES_ENABLED = False

# The benchmark data generator's command (seed_bench) is tested too.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
