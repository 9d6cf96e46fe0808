"""The rules engine package stands alone: only the standard library and its own modules."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import policies.engine

ENGINE = Path(policies.engine.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_every_engine_module_imports_only_the_standard_library_and_the_engine() -> None:
    for path in ENGINE.glob("*.py"):
        for name in _imported_modules(path):
            top = name.split(".")[0]
            assert name.startswith("policies.engine") or top in sys.stdlib_module_names, (
                f"{path.name} imports {name}"
            )


def test_importing_the_engine_loads_neither_django_nor_the_project() -> None:
    code = (
        "import sys, policies.engine\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(loaded & {'django', 'safeguard', 'contacts'}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ENGINE.parent.parent,
    )
    assert out.stdout.strip() == "[]"


def test_the_package_names_what_the_app_imports() -> None:
    # `policies.engine.assess` is the function; the module of that name is reached by its path.
    module = importlib.import_module("policies.engine.assess")
    for name in ("assess", "combine", "Assessment", "Finding", "EngineSettings", "ContactFacts"):
        assert getattr(policies.engine, name) is getattr(module, name)
