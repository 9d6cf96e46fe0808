"""safeguard.core.roles: who holds which role, the acting role, the cache, the view decorator,
and role groups declared in roles.py only."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from contacts.people.models import StaffRole
from safeguard.core import roles
from safeguard.core.roles import Role
from tests.factories import StaffFactory
from tests.helpers import sign_in

# --- roles_of ---------------------------------------------------------------------------------


def test_plain_member_of_staff_holds_only_staff(teacher):
    assert roles.roles_of(teacher) == {Role.STAFF}


def test_roles_of_includes_staff_and_every_assigned_role(head):
    assert roles.roles_of(head) == {Role.STAFF, Role.HEADTEACHER, Role.LINE_MANAGER}


def test_anonymous_user_holds_no_role():
    assert roles.roles_of(AnonymousUser()) == frozenset()


def test_no_user_holds_no_role():
    assert roles.roles_of(None) == frozenset()


def test_inactive_user_holds_no_role_not_even_staff(school):
    person = StaffFactory(school=school, is_active=False, roles=[Role.HEADTEACHER])
    assert roles.roles_of(person) == frozenset()
    assert not roles.has_role(person, Role.STAFF)
    assert not roles.has_role(person, Role.HEADTEACHER)


# --- has_role ---------------------------------------------------------------------------------


def test_has_role_with_a_single_role(dsl):
    assert roles.has_role(dsl, Role.DSL)
    assert roles.has_role(dsl, Role.STAFF)
    assert not roles.has_role(dsl, Role.HEADTEACHER)


def test_has_role_with_several_roles_is_any_of_them(governor):
    assert roles.has_role(governor, Role.HEADTEACHER, Role.GOVERNOR)
    assert not roles.has_role(governor, Role.HEADTEACHER, Role.DSL)


def test_has_role_with_role_sets(head, admin, dsl, teacher, governor, chair):
    assert roles.has_role(head, roles.PEOPLE_EDITORS)
    assert roles.has_role(admin, roles.PEOPLE_EDITORS)
    assert not roles.has_role(dsl, roles.PEOPLE_EDITORS)
    assert roles.has_role(dsl, roles.DIRECTORY_READERS)
    assert not roles.has_role(teacher, roles.DIRECTORY_READERS)
    assert roles.has_role(chair, roles.GOVERNORS)
    assert not roles.has_role(governor, roles.DIRECTORY_READERS)


def test_has_role_mixing_a_set_and_a_single_role(line_manager):
    assert roles.has_role(line_manager, roles.PEOPLE_EDITORS, Role.LINE_MANAGER)
    assert not roles.has_role(line_manager, roles.PEOPLE_EDITORS, Role.DSL)


def test_has_role_with_nothing_wanted_is_false(head):
    assert not roles.has_role(head)


def test_anonymous_has_no_role():
    assert not roles.has_role(AnonymousUser(), Role.STAFF)


# --- acting_role ------------------------------------------------------------------------------


def test_headteacher_acts_as_headteacher_not_line_manager(head):
    assert roles.acting_role(head) == "headteacher"


def test_chair_acts_as_chair_over_governor(school):
    person = StaffFactory(school=school, roles=[Role.GOVERNOR, Role.CHAIR_OF_GOVERNORS])
    assert roles.acting_role(person) == "chair_of_governors"


def test_deputy_who_is_also_dsl_acts_as_deputy(school):
    person = StaffFactory(school=school, roles=[Role.DSL, Role.DEPUTY_HEAD])
    assert roles.acting_role(person) == "deputy_head"


def test_line_manager_acts_as_line_manager(line_manager):
    assert roles.acting_role(line_manager) == "line_manager"


def test_plain_staff_acts_as_staff(teacher):
    assert roles.acting_role(teacher) == "staff"


def test_anonymous_has_no_acting_role():
    assert roles.acting_role(AnonymousUser()) == ""


# --- the cache --------------------------------------------------------------------------------


def test_roles_are_cached_on_the_user_object(teacher, django_assert_num_queries):
    roles.roles_of(teacher)
    with django_assert_num_queries(0):
        roles.roles_of(teacher)
        roles.has_role(teacher, Role.DSL)


def test_a_new_role_is_seen_only_after_forget_roles(teacher):
    assert not roles.has_role(teacher, Role.DSL)
    StaffRole.objects.create(staff=teacher, role=Role.DSL)
    assert not roles.has_role(teacher, Role.DSL)
    roles.forget_roles(teacher)
    assert roles.has_role(teacher, Role.DSL)


def test_forget_roles_on_an_uncached_user_is_harmless(teacher):
    roles.forget_roles(teacher)
    assert roles.roles_of(teacher) == {Role.STAFF}


# --- role_required ----------------------------------------------------------------------------


@roles.role_required(roles.PEOPLE_EDITORS)
def _editors_only(request):
    return HttpResponse("secret page")


def _request_as(user):
    request = RequestFactory().get("/anything/")
    request.user = user
    return request


def test_role_required_lets_the_role_through(head):
    assert _editors_only(_request_as(head)).content == b"secret page"


def test_role_required_refuses_other_roles(dsl):
    with pytest.raises(PermissionDenied):
        _editors_only(_request_as(dsl))


def test_role_required_refuses_anonymous():
    with pytest.raises(PermissionDenied):
        _editors_only(_request_as(AnonymousUser()))


def test_require_role_raises_permission_denied(teacher):
    with pytest.raises(PermissionDenied):
        roles.require_role(teacher, Role.HEADTEACHER)
    roles.require_role(teacher, Role.STAFF)


def test_role_required_page_answers_403_with_a_readable_page(client, teacher):
    sign_in(client, teacher)
    response = client.get("/staff/")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.content.decode()


# --- role groups live in roles.py -------------------------------------------------------------

PRODUCT_PACKAGES = ("safeguard", "contacts", "policies", "demo")
ROLES_MODULE = Path("safeguard/core/roles.py")


def _is_role(node: ast.AST) -> bool:
    """`Role.X` or `roles.Role.X`."""
    if not isinstance(node, ast.Attribute):
        return False
    owner = node.value
    return (isinstance(owner, ast.Name) and owner.id == "Role") or (
        isinstance(owner, ast.Attribute) and owner.attr == "Role"
    )


def _role_sets(tree: ast.AST) -> set[int]:
    """Lines of every set of Role members written in place: {Role.A, ...}, frozenset({...}),
    set([...]), and has_role/require_role/role_required given several roles one by one."""
    found = set()
    for node in ast.walk(tree):
        members: list[ast.AST] = []
        if isinstance(node, ast.Set):
            members = node.elts
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            if name in ("set", "frozenset") and node.args:
                first = node.args[0]
                if isinstance(first, ast.List | ast.Tuple | ast.Set):
                    members = first.elts
            elif name in ("has_role", "require_role", "role_required"):
                given = [arg for arg in node.args if _is_role(arg)]
                members = given if len(given) > 1 else []
        if any(_is_role(member) for member in members):
            found.add(node.lineno)
    return found


def _product_sources() -> list[Path]:
    root = Path(settings.BASE_DIR)
    return sorted(
        path.relative_to(root)
        for package in PRODUCT_PACKAGES
        for path in (root / package).rglob("*.py")
        if "migrations" not in path.parts
    )


def test_role_groups_are_declared_in_roles_py_only():
    root = Path(settings.BASE_DIR)
    inline = {}
    for path in _product_sources():
        if path == ROLES_MODULE:
            continue
        lines = _role_sets(ast.parse((root / path).read_text(), filename=str(path)))
        if lines:
            inline[str(path)] = lines
    assert not inline, (
        "Name these role groups in safeguard/core/roles.py and use the name: "
        f"{inline} (file: lines)"
    )


@pytest.mark.parametrize(
    "source",
    [
        "allowed = {Role.HEADTEACHER, Role.DSL}",
        "allowed = frozenset({roles.Role.DSL})",
        "allowed = set([Role.DSL])",
        "ok = has_role(user, Role.HEADTEACHER, Role.DSL)",
        "@role_required(Role.HEADTEACHER, Role.SCHOOL_ADMIN)\ndef page(request): ...",
        "held = roles_of(user) - {Role.STAFF}",
    ],
)
def test_the_scan_finds_a_role_set_written_in_place(source):
    assert _role_sets(ast.parse(source))


@pytest.mark.parametrize(
    "source",
    [
        "ok = has_role(user, roles.LADO_RECORDERS)",
        "ok = has_role(user, Role.HEADTEACHER)",
        "names = {'headteacher', 'dsl'}",
        "wanted = [Role.HEADTEACHER]",
    ],
)
def test_the_scan_leaves_named_groups_and_single_roles_alone(source):
    assert not _role_sets(ast.parse(source))
