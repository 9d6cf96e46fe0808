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

PRIVATE_UPLOAD_ROOT = tempfile.mkdtemp(prefix="safeguard-test-uploads-")

# The test client speaks plain HTTP.
SECURE_SSL_REDIRECT = False

# django-axes refuses authenticate() without a request, and the test client's login() passes
# none: the lockout is off for the suite and switched on in tests/test_signin_security.py.
AXES_ENABLED = False

# The benchmark data generator's command (seed_bench) is tested too.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
