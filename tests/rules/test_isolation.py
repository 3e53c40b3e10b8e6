"""`rules` stands alone: every process imports it, and none of them may drag another one in.

The portal and the action server run without Rasa; a rule that imported Rasa, sanic, SQLAlchemy
or one of the apps would make every process load (or need) all of them.
"""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import rules

ROOT = Path(__file__).resolve().parents[2]
APPS = ("actions", "portal", "bot", "console", "webchat", "devtools")
FORBIDDEN = ("rasa", "rasa_sdk", "sanic", "sqlalchemy", *APPS)

_LOADED_AFTER_IMPORT = """
import importlib, json, pkgutil, sys
import rules
for module in pkgutil.iter_modules(rules.__path__):
    importlib.import_module(f"rules.{module.name}")
print(json.dumps(sorted(sys.modules)))
"""


def test_importing_every_rule_loads_no_framework_and_no_app() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _LOADED_AFTER_IMPORT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded = json.loads(result.stdout)
    assert "rules.iban" in loaded and "rules.mandate_reference" in loaded
    offending = [
        name for name in loaded if any(name == f or name.startswith(f"{f}.") for f in FORBIDDEN)
    ]
    assert offending == []


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_apps_check_these_values_through_rules_only() -> None:
    # python-stdnum is the standard underneath; the apps reach it through `rules`, so that one
    # rule (with its specific errors) holds for the chat, the portal and the redaction alike.
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name
            for name in _imported_modules(path)
            if name == "stdnum" or name.startswith("stdnum.")
        )
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_every_rule_has_the_stdnum_shape() -> None:
    shared = [m.name for m in pkgutil.iter_modules(rules.__path__) if m.name != "errors"]
    assert len(shared) >= 9
    for name in shared:
        module = __import__(f"rules.{name}", fromlist=["validate"])
        for function in ("compact", "validate", "is_valid", "format"):
            assert callable(getattr(module, function, None)), f"rules.{name}.{function}"
        doc = module.__doc__ or ""
        assert doc.splitlines()[0].strip() and doc.splitlines()[1] == "", f"rules.{name}"
        assert ">>> " in doc, f"rules.{name} has no examples"
