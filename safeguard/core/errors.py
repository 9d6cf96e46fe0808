"""Error pages that must work when nothing else does.

`server_error` is the project's `handler500`. Django calls it for any exception that escaped a
view or a middleware, while that exception is being handled. When the exception says the
database cannot be reached (PostgreSQL restarting, the connection dropped), the person gets a
503 "back in a moment" page with `Retry-After` instead of the generic 500 page: the fault is
not theirs and not the app's, and trying again shortly will work, since each request checks
its database connection before using it (`CONN_HEALTH_CHECKS`).

Both pages are rendered without a request context, so no context processor runs and nothing
touches the database, and neither ever shows a traceback. The exception itself is still
logged with its traceback by Django's request logger, as for any server error.

`method_not_allowed_page` gives Django's bodiless 405 the app's own page.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.views import defaults

# OperationalError: the server refused or dropped the connection, or is shutting down or
# starting up. InterfaceError: the connection Django held is already closed.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def is_database_unavailable(error: BaseException | None) -> bool:
    """True for an error that means the database is not answering, directly or as the cause."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, DATABASE_UNAVAILABLE):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def database_unavailable(request: HttpRequest | None = None) -> HttpResponse:
    """The 503 page: plain HTML from templates/503.html, no context, no database."""
    html = loader.get_template("503.html").render({"retry_after": RETRY_AFTER_SECONDS})
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a 503 while the database is unavailable, Django's own 500 page otherwise."""
    if is_database_unavailable(sys.exc_info()[1]):
        return database_unavailable(request)
    return defaults.server_error(request)


def method_not_allowed_page(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Middleware: Django's 405 (a GET on an address only a form's POST uses, from
    `require_POST`) has no body, which a browser shows as a blank page; this gives it the app's
    page saying what the address is for. The Allow header is kept."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if response.status_code == 405 and not response.content:
            response.content = loader.render_to_string("405.html", request=request).encode()
            response["Content-Type"] = "text/html; charset=utf-8"
        return response

    return middleware


class ClientErrorsInOneLine(logging.Filter):
    """Drops the traceback from Django's log line for a 4xx answer (a PermissionDenied is a
    403 the app meant to give), so the log shows faults, not every refusal in full."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent from a page too old (its session ended, or the browser
    kept it open for a day) says what to do, in the app's own page, not Django's."""
    html = loader.render_to_string("403_csrf.html", request=request)
    return HttpResponse(html, status=403)
