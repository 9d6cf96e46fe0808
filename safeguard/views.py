from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from safeguard import roles
from safeguard.roles import Role

# Each role's starting page, first match wins. Pages of later features slot in here.
STARTING_PAGES: list[tuple[frozenset[str], str]] = [
    (frozenset({Role.SCHOOL_ADMIN}), "staff_list"),
    (roles.DIRECTORY_READERS, "pupil_list"),
]


def home(request: HttpRequest) -> HttpResponse:
    held = roles.roles_of(request.user)
    for wanted, url_name in STARTING_PAGES:
        if held & wanted:
            return redirect(url_name)
    return redirect("staff_detail", pk=request.user.pk)


@login_not_required
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """200 when the database answers, 503 when it does not; never a traceback."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})
