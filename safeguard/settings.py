"""Settings, read from the environment (and an optional .env file) by django-environ."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# `make run`: the demo school served as a school would see it (the app's own error pages, no
# debug page), but on SQLite over plain HTTP on this computer, with the development key.
DEMO = env.bool("DEMO", default=False) and not DEBUG
# Set only by safeguard/settings_test.py: the suite runs with DEBUG off on SQLite over HTTP.
TESTING = env.bool("SAFEGUARD_TEST_RUN", default=False)

# The development key is only ever used with DEBUG on; production must bring its own.
DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY if DEBUG or DEMO else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
if not DEBUG and not DEMO and not TESTING and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("The development SECRET_KEY cannot be used with DEBUG off.")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG or DEMO else []
)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Single sign-on (safeguard.accounts.sso): only the OpenID Connect provider's sign-in and
    # callback addresses are routed; allauth's own account pages are not.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "safeguard",
    "contacts",
    "policies",
    # The demo school (`load_demo`, `demo_code`): no models, only commands.
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Answers a page asks for many times, kept for one GET (safeguard/core/memo.py).
    "safeguard.core.memo.memo_per_request",
    # django-otp's, answered from the person's devices loaded with them.
    "safeguard.accounts.middleware.OTPFromLoad",
    # Deny by default (Django's LoginRequiredMiddleware), saying when a form sent after the
    # session ended was not saved.
    "safeguard.accounts.middleware.LoginRequired",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Required by allauth: keeps the request for its flows (single sign-on).
    "allauth.account.middleware.AccountMiddleware",
    # After authentication and messages: it signs out and leaves a message for the login page.
    "safeguard.accounts.middleware.sign_out_when_idle",
    # Deny by default, second step: nobody who must use two-factor sign-in reaches a page before it.
    "safeguard.accounts.middleware.require_two_factor",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "safeguard.accounts.middleware.no_store_when_signed_in",
    # A GET on an address only a form posts to: the app's page, not a blank one.
    "safeguard.core.errors.method_not_allowed_page",
    # Last, as django-axes asks: turns a lockout during sign-in into the locked-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "safeguard.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "safeguard.core.context_processors.navigation",
                "safeguard.core.context_processors.installation",
            ],
            # Template tags live with what they belong to, not in an app's templatetags folder.
            "libraries": {
                "safeguard_tags": "safeguard.core.template_tags",
            },
        },
    },
]

WSGI_APPLICATION = "safeguard.wsgi.application"

(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'safeguard.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock at BEGIN, so concurrent writers queue instead of failing mid-way.
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
# Check a kept connection before each request uses it, so after a database restart the next
# request reconnects instead of failing. Connections are kept CONN_MAX_AGE seconds (production
# default 60; development and the suite open one per request, as Django does by default).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int(
    "CONN_MAX_AGE", default=0 if DEBUG or DEMO or TESTING else 60
)
# Behind PgBouncer in transaction mode (docs/scaling.md) each transaction may run on another
# server connection, so a server-side cursor (what .iterator() opens on PostgreSQL: the chain
# check, exports) could not be read across them. The audit chain's locks are transaction-scoped
# advisory locks, which transaction pooling keeps.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DATABASE_POOLED", default=False)
_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
# The planner's cost of reading a page out of order, relative to reading the next one (the
# server's default, 4, is for spinning disks). The app's working set is in memory or on SSD:
# at 4 a pupil's file, a 1 ms read of ~500 index entries, was costed high enough to be planned
# in parallel, and starting the workers took 6 ms (docs/scaling.md, "Parallel plans"). Set as
# a connection option, after any the URL or PGOPTIONS give (which libpq would otherwise drop),
# unless they set it. A pooler may refuse connection options (PgBouncer does, for settings it
# does not track): behind one (DATABASE_POOLED) nothing is set, and it is set on the database
# instead (`ALTER DATABASE … SET random_page_cost = 1.1`). Empty: the server's.
RANDOM_PAGE_COST = env.str("DATABASE_RANDOM_PAGE_COST", default="1.1")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and RANDOM_PAGE_COST:
    try:
        _cost = float(RANDOM_PAGE_COST)
    except ValueError:
        _cost = 0.0
    if not 0 < _cost <= 100:
        raise ImproperlyConfigured(
            f"DATABASE_RANDOM_PAGE_COST must be a number above 0 and at most 100, e.g. 1.1, "
            f"not {RANDOM_PAGE_COST!r}."
        )
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _given = " ".join(filter(None, [env.str("PGOPTIONS", default=""), _options.get("options", "")]))
    if not env.bool("DATABASE_POOLED", default=False) and "random_page_cost" not in _given:
        _options["options"] = f"{_given} -c random_page_cost={_cost}".strip()
if not DEBUG and not DEMO and not TESTING and _SQLITE:
    raise ImproperlyConfigured(
        "Production (DEBUG off) needs PostgreSQL: set DATABASE_URL. SQLite is for `make run`."
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "contacts.Staff"
LOGIN_URL = "login"
OTP_TOTP_ISSUER = "Safeguard"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in lockout (django-axes). Failures count per email *and* address together, so guessing at
# the headteacher's email from elsewhere cannot lock the headteacher out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading the person's school with them (one query fewer a page).
    "safeguard.accounts.backends.StaffBackend",
]
AXES_ENABLED = True
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # the login form posts the email as "username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429


def _axes_username(request: Any, credentials: dict[str, Any] | None) -> str:
    """The email in the normal form signing in matches exactly (safeguard.core.emails), so the
    variants that reach one account share one count, and a look-alike reaches none."""
    from safeguard.core.emails import normal_email

    source = credentials if credentials is not None else getattr(request, "POST", {})
    return normal_email(source.get("username"))


AXES_USERNAME_CALLABLE = _axes_username
# Behind reverse proxies, set this to how many there are in front of Django (each appends the
# address it saw to X-Forwarded-For): the client is then that many entries from the right. With 0
# only REMOTE_ADDR counts, and a forged X-Forwarded-For changes nothing.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0)


def _axes_client_ip(request: Any) -> str | None:
    from django.conf import settings

    proxies = settings.AXES_IPWARE_PROXY_COUNT or 0
    if proxies:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")


AXES_CLIENT_IP_CALLABLE = _axes_client_ip

# Single sign-on (docs/security.md "Single sign-on"): one registered app per installation and
# provider, configured here; each school chooses on /school/sign-in/ which Entra ID tenant or
# Google Workspace domain may sign its staff in. A provider whose client id is empty is off,
# and its button is not shown.
SSO_PROVIDERS = {
    "microsoft": {
        "name": "Microsoft",
        "client_id": env.str("SSO_MICROSOFT_CLIENT_ID", default=""),
        "secret": env.str("SSO_MICROSOFT_SECRET", default=""),
        "server_url": env.str(
            "SSO_MICROSOFT_SERVER_URL",
            default="https://login.microsoftonline.com/organizations/v2.0",
        ),
    },
    "google": {
        "name": "Google",
        "client_id": env.str("SSO_GOOGLE_CLIENT_ID", default=""),
        "secret": env.str("SSO_GOOGLE_SECRET", default=""),
        "server_url": env.str("SSO_GOOGLE_SERVER_URL", default="https://accounts.google.com"),
    },
}
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": provider_id,
                "name": app["name"],
                "client_id": app["client_id"],
                "secret": app["secret"],
                # Only the signed ID token's claims are trusted, never the userinfo endpoint's.
                "settings": {"server_url": app["server_url"], "fetch_userinfo": False},
            }
            for provider_id, app in SSO_PROVIDERS.items()
            if app["client_id"]
        ],
    }
}
# The adapters refuse every sign-up and sign in through Django's login() themselves.
SOCIALACCOUNT_ADAPTER = "safeguard.accounts.adapters.SocialAccountAdapter"
ACCOUNT_ADAPTER = "safeguard.accounts.adapters.AccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = False
# Sign-in starts with a POST from the sign-in page's button (a GET could be forged by a link).
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10
SOCIALACCOUNT_OPENID_CONNECT_URL_PREFIX = "sso"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None

# Sessions: eight hours at most, and signed out after SESSION_IDLE_TIMEOUT seconds without a
# request (safeguard.accounts.middleware.sign_out_when_idle).
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [BASE_DIR / "static"]
# Bootstrap comes from the npm package, installed by `make run`; the tests do not need it.
_BOOTSTRAP_DIST = BASE_DIR / "node_modules" / "bootstrap" / "dist"
if _BOOTSTRAP_DIST.is_dir():
    STATICFILES_DIRS.append(("vendor/bootstrap", _BOOTSTRAP_DIST))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or DEMO
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="safeguard@localhost")

# Imports of staff or pupils are validated whole before anything is written.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_MAX_BYTES = 2 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# A form sent from a page too old: the app's own page saying what to do.
CSRF_FAILURE_VIEW = "safeguard.core.errors.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# The demo is served by `runserver` without `collectstatic`: WhiteNoise finds the files itself.
WHITENOISE_USE_FINDERS = DEMO
if not DEBUG and not DEMO:
    # HTTPS only. The __Host- prefix pins cookies to this exact host over HTTPS.
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# Chromium applies form-action to the redirects that follow a form's POST: the sign-in buttons'
# POST is answered with a redirect to the provider's sign-in page.
_SSO_ORIGINS = sorted({_origin(a["server_url"]) for a in SSO_PROVIDERS.values() if a["client_id"]})

# Nothing is loaded from anywhere but the school's own server, and no script runs at all.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'none'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        # The single sign-on buttons post here, and the answer redirects to the provider.
        "form-action": ["'self'", *_SSO_ORIGINS],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    # A refused or missing page (403, 404) is logged as one line, not with its traceback: they
    # are answers, not faults. Server errors keep theirs.
    "filters": {"client_errors_in_one_line": {"()": "safeguard.core.errors.ClientErrorsInOneLine"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["client_errors_in_one_line"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Uploaded files live in the "uploads" storage, never in a web root; only permission-checked
# views read them (safeguard.core.uploads). In the database by default, so every app server
# reads what another wrote with nothing more to run; UPLOAD_STORAGE=filesystem keeps them in
# the folder PRIVATE_UPLOAD_ROOT instead (one server, or a folder every server mounts). Object
# storage: docs/performance.md "Uploaded files".
UPLOAD_STORAGE = env.str("UPLOAD_STORAGE", default="database")
PRIVATE_UPLOAD_ROOT = env.path("PRIVATE_UPLOAD_ROOT", default=BASE_DIR / "var" / "uploads")
_UPLOAD_BACKENDS: dict[str, dict[str, Any]] = {
    "database": {"BACKEND": "safeguard.core.storage.DatabaseStorage"},
    "filesystem": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # Readable by the app's own user only.
        "OPTIONS": {
            "location": str(PRIVATE_UPLOAD_ROOT),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
}
if UPLOAD_STORAGE not in _UPLOAD_BACKENDS:
    raise ImproperlyConfigured(
        f"UPLOAD_STORAGE must be one of {', '.join(_UPLOAD_BACKENDS)}, not {UPLOAD_STORAGE!r}."
    )
STORAGES["uploads"] = _UPLOAD_BACKENDS[UPLOAD_STORAGE]
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# An invitation's link works for this many days; a password-reset link for PASSWORD_RESET_HOURS.
INVITATION_DAYS = env.int("INVITATION_DAYS", default=7)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_HOURS", default=2) * 60 * 60
# Password-reset requests allowed per address and per network address an hour, counted in the
# cache (safeguard.accounts.throttle).
PASSWORD_RESET_PER_EMAIL = 3
PASSWORD_RESET_PER_ADDRESS = 20
# The cache holds counts every app process must share (the limits above, and the single sign-on
# tokens already used): by default a table of the database (made by migration 0014), so any
# number of servers share it with nothing more to run. CACHE_URL may name a Redis cache
# instead; never a per-process one (locmemcache://) when more than one process serves.
CACHE_TABLE = "safeguard_cache"
CACHES = {"default": env.cache_url("CACHE_URL", default=f"dbcache://{CACHE_TABLE}")}

# The address emails link back to (they carry no details, only a link).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# The Ed25519 key that signs each school's audit checkpoints (safeguard.audit.checkpoints):
# outside the database, a file (AUDIT_SIGNING_KEY_FILE, PEM) or the key itself in base64
# (AUDIT_SIGNING_KEY). `manage.py audit_key new FILE` makes one. After a rotation the old public
# halves stay listed in AUDIT_VERIFY_KEYS (base64, comma-separated) so older checkpoints verify.
AUDIT_SIGNING_KEY_FILE = env.str("AUDIT_SIGNING_KEY_FILE", default="")
AUDIT_SIGNING_KEY = env.str("AUDIT_SIGNING_KEY", default="")
AUDIT_VERIFY_KEYS = env.list("AUDIT_VERIFY_KEYS", default=[])
