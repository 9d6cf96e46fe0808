"""safeguard.audit.vocabulary: every action code the product writes is declared with words, every
declared code is written somewhere, and the audit trail shows the words, never a code.

The codes are found by walking the product's source (AST): the `action` of every
`audit_record(...)` and `AuditEvent(...)`, and of the rows bench/data.py queues for
`audit_append_many` (its `event(...)` method). An argument that is not a literal is followed:
to both sides of a conditional, to a local or module constant, to the callers of the function
whose parameter it is, and to the closed families the vocabulary declares (`request_action`,
`lado_action`, whose parameter is a Literal type). Anything else fails the test: a code must
come from a closed set.
"""

import ast
import contextlib
import csv
import html
import importlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.urls import reverse

from contacts.concerns.models import LadoType
from contacts.planned.models import Status
from safeguard.audit import vocabulary
from safeguard.audit.services import audit_record
from safeguard.audit.vocabulary import ACTIONS, LADO_KINDS, REQUEST_STEPS, STATES
from tests.helpers import REPO_ROOT, sign_in, text

ROOT = REPO_ROOT
PRODUCT = ("safeguard", "contacts", "policies", "demo", "bench")
# Calls whose `action` keyword is an audit action code.
WRITERS = {"audit_record", "audit_download", "AuditEvent"}
# The vocabulary's closed families: a call to one stands for every code of its family.
FAMILIES = {
    "request_action": {vocabulary.request_action(step) for step in REQUEST_STEPS},
    "lado_action": {vocabulary.lado_action(kind) for kind in LADO_KINDS},
}
# Modules that call audit_append_many, and the function each queues its rows' codes with (the
# parameter that is the code): the rows themselves are built from those queued tuples.
APPENDERS = {"bench/data.py": ("event", "action")}
# Codes the AST cannot follow, declared here with where they come from. audit_append_many
# refuses an undeclared code at run time, so a wrong entry here still fails seed_bench's tests.
FOLLOWED_BY_HAND = {
    # bench/data.py: the records' queued (time, actor, action, ...) tuples, replayed in a loop.
    ("bench/data.py", "records"): {"record.create", "record.addendum"},
}
# Declared codes nothing in the product writes, each with the reason it is kept.
UNWRITTEN: dict[str, str] = {}


class Unresolved(Exception):
    pass


@dataclass
class Module:
    path: str
    tree: ast.Module
    parents: dict[ast.AST, ast.AST] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node

    @property
    def dotted(self) -> str:
        return self.path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")

    def enclosing(self, node: ast.AST) -> ast.FunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node
        return None

    def functions(self, name: str) -> list[ast.FunctionDef]:
        return [
            n
            for n in ast.walk(self.tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name
        ]

    def calls_of(self, name: str) -> Iterator[ast.Call]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and _called(node) == name:
                yield node


def _called(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _modules() -> list[Module]:
    modules = []
    for top in PRODUCT:
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            rel = path.relative_to(ROOT).as_posix()
            modules.append(Module(rel, ast.parse(path.read_text(), rel)))
    return modules


def _argument(call: ast.Call, func: ast.FunctionDef, param: str) -> ast.expr | None:
    """The expression passed for `param` in a call of `func` (its default if none)."""
    for keyword in call.keywords:
        if keyword.arg == param:
            return keyword.value
    names = [a.arg for a in func.args.posonlyargs + func.args.args]
    # A method called on an object (self.event(...)) does not pass `self` itself.
    if names and names[0] in ("self", "cls") and isinstance(call.func, ast.Attribute):
        names = names[1:]
    if param in names and names.index(param) < len(call.args):
        return call.args[names.index(param)]
    positional = [a.arg for a in func.args.posonlyargs + func.args.args]
    given = func.args.defaults
    defaults = dict(zip(positional[len(positional) - len(given) :], given, strict=True))
    kw = zip(func.args.kwonlyargs, func.args.kw_defaults, strict=True)
    defaults |= {a.arg: d for a, d in kw if d is not None}
    return defaults.get(param)


def _assigned(module: Module, scope: ast.AST, name: str) -> list[ast.expr]:
    """The values bound to `name` by plain assignments in `scope` (tuples unpacked)."""
    values = []
    for node in ast.walk(scope):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == name:
                values.append(node.value)
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                for element, value in zip(target.elts, node.value.elts, strict=False):
                    if isinstance(element, ast.Name) and element.id == name:
                        values.append(value)
    return values


def _loop_bound(scope: ast.AST, name: str) -> bool:
    """Whether `name` is bound by a for loop (or comprehension) in `scope`."""
    for node in ast.walk(scope):
        targets = ast.walk(node.target) if isinstance(node, ast.For | ast.comprehension) else ()
        if any(isinstance(n, ast.Name) and n.id == name for n in targets):
            return True
    return False


def _imported(module: Module, name: str) -> object:
    for node in module.tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return getattr(importlib.import_module(node.module), alias.name)
    raise Unresolved(name)


def codes_of(module: Module, expr: ast.expr, seen: frozenset = frozenset()) -> set[str]:
    """Every code `expr` can be, or Unresolved."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.IfExp):
        return codes_of(module, expr.body, seen) | codes_of(module, expr.orelse, seen)
    if isinstance(expr, ast.Call) and _called(expr) in FAMILIES:
        return FAMILIES[_called(expr)]
    if isinstance(expr, ast.Name):
        func = module.enclosing(expr)
        if func is not None:
            params = [a.arg for a in func.args.posonlyargs + func.args.args + func.args.kwonlyargs]
            if expr.id in params:
                return codes_passed(module, func, expr.id, seen)
            if _loop_bound(func, expr.id):
                raise Unresolved(f"{module.path}:{expr.lineno}: {expr.id}, a loop's variable")
            local = _assigned(module, func, expr.id)
            if local:
                return set().union(*(codes_of(module, value, seen) for value in local))
        top = [
            v
            for n in module.tree.body
            if isinstance(n, ast.Assign)
            for v in _assigned(module, n, expr.id)
        ]
        if top:
            return set().union(*(codes_of(module, value, seen) for value in top))
        value = _imported(module, expr.id)
        if isinstance(value, str):
            return {value}
    where = f"{module.path}:{expr.lineno}"
    raise Unresolved(f"{where}: {ast.unparse(expr)}")


def codes_passed(module: Module, func: ast.FunctionDef, param: str, seen: frozenset) -> set[str]:
    """The codes every caller in the module passes `func` as `param`."""
    key = (module.path, func.name, param)
    if key in seen:
        return set()
    codes: set[str] = set()
    for call in module.calls_of(func.name):
        value = _argument(call, func, param)
        if value is None:
            raise Unresolved(f"{module.path}:{call.lineno}: {func.name}() without {param}")
        codes |= codes_of(module, value, seen | {key})
    return codes


def _written() -> tuple[set[str], list[str]]:
    """Every code the product writes, and every place whose code could not be followed."""
    written: set[str] = set()
    unresolved: list[str] = []
    for module in _modules():
        sources: list[ast.expr] = []
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Call) and _called(node) in WRITERS:
                sources += [k.value for k in node.keywords if k.arg == "action"]
        if module.path in APPENDERS:
            name, param = APPENDERS[module.path]
            (queue,) = module.functions(name)
            for call in module.calls_of(name):
                value = _argument(call, queue, param)
                if value is not None:
                    sources.append(value)
        for source in sources:
            try:
                written |= codes_of(module, source)
            except Unresolved as problem:
                unresolved.append(str(problem))
    for codes in FOLLOWED_BY_HAND.values():
        written |= codes
    return written, unresolved


def test_every_appender_is_known():
    """A new caller of audit_append_many must say where its rows' codes come from."""
    callers = {
        module.path for module in _modules() if any(module.calls_of("audit_append_many"))
    } - {"safeguard/audit/services.py"}
    assert callers == set(APPENDERS)


def test_every_code_written_is_declared_with_words_and_every_declared_code_is_written():
    written, unresolved = _written()
    # The one place followed by hand (FOLLOWED_BY_HAND); every other code is found.
    assert len(unresolved) == len(FOLLOWED_BY_HAND), unresolved
    assert all(u.startswith("bench/data.py:") and "a loop's variable" in u for u in unresolved)
    assert "view" in written and "request.approve" in written  # the walk finds codes at all
    assert sorted(written - set(ACTIONS)) == []
    assert all(ACTIONS[code].strip() for code in written)
    assert sorted(set(ACTIONS) - written - set(UNWRITTEN)) == []


def test_the_codes_followed_by_hand_are_still_in_their_file():
    for (path, _), codes in FOLLOWED_BY_HAND.items():
        source = (ROOT / path).read_text()
        for code in codes:
            assert f'"{code}"' in source, (path, code)


def test_the_words_are_plain_and_distinct():
    words = list(ACTIONS.values())
    assert len(set(words)) == len(words), "two actions read the same in the filter"
    for code, said in ACTIONS.items():
        assert said and said[0].isupper() and not said.endswith("."), code
        assert code not in said and "_" not in said, code
    for state, said in STATES.items():
        assert said and said[0].isupper() and "_" not in said, state


def test_the_families_are_those_of_the_models():
    assert set(LADO_KINDS) == set(LadoType.values)
    requests = {code.removeprefix("request.") for code in ACTIONS if code.startswith("request.")}
    assert requests == set(REQUEST_STEPS)
    assert {f"lado.{kind}" for kind in LADO_KINDS} <= set(ACTIONS)


def test_a_request_is_in_the_same_words_as_its_status():
    assert {state: STATES[state] for state in Status.values} == dict(Status.choices)


def test_every_literal_state_written_has_words():
    states: set[str] = set()
    for module in _modules():
        for node in ast.walk(module.tree):
            if not (isinstance(node, ast.Call) and _called(node) in WRITERS | {"event"}):
                continue
            for keyword in node.keywords:
                if keyword.arg in ("from_state", "to_state"):
                    # Not a literal: a request's status, whose words are Status's (test above).
                    with contextlib.suppress(Unresolved):
                        states |= codes_of(module, keyword.value)
    assert "review due" in states
    assert sorted(states - set(STATES) - {""}) == []


# --- the trail shows the words ------------------------------------------------------------------


@pytest.fixture
def every_action(head):
    with transaction.atomic():
        for n, code in enumerate(ACTIONS):
            audit_record(
                actor=head,
                school=head.school,
                action=code,
                object_type="test",
                object_id=str(n),
                object_ref=f"EVENT-{n}",
            )
    return list(ACTIONS)


def _action_cells(response) -> dict[str, str]:
    """{reference: action cell} for each row of the audit table."""
    page = response.content.decode()
    body = re.search(r'<table[^>]*id="audit-events".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    cells = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        values = [text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
        cells[values[4]] = values[3]
    return cells


def test_the_trail_shows_every_action_in_words_never_its_code(client, head, every_action):
    sign_in(client, head)
    response = client.get(reverse("audit_trail"))
    cells = _action_cells(response)
    assert cells == {f"EVENT-{n}": ACTIONS[code] for n, code in enumerate(every_action)}
    shown = text(response)
    for code in every_action:
        assert not re.search(rf"(?<![\w.]){re.escape(code)}(?![\w.])", shown), code


def test_the_filter_offers_every_action_in_words(client, head, every_action):
    sign_in(client, head)
    page = client.get(reverse("audit_trail")).content.decode()
    select = re.search(r'<select name="action".*?</select>', page, re.S).group(0)
    found = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)
    options = {code: html.unescape(words) for code, words in found}
    assert options == {"": "Any action"} | {code: ACTIONS[code] for code in every_action}


def test_the_export_has_every_action_in_words(client, head, every_action):
    sign_in(client, head)
    response = client.get(reverse("audit_export"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    actions = {row[4]: row[3] for row in rows[1:]}
    assert actions == {f"EVENT-{n}": ACTIONS[code] for n, code in enumerate(every_action)}
