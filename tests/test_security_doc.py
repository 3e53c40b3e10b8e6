"""docs/security.md names the test that proves each boundary: every test it names exists.

The threat model cites tests as `tests/…/file.py::test_name`, and further tests of the same file
as `::test_name`. A renamed or deleted test would leave a claim without its proof; this test
fails then, naming the citation.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "security.md"
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_FILE = re.compile(r"^(tests/[\w/]+\.py)(?:::(\w+))?")
_SAME_FILE = re.compile(r"^::(\w+)")


@cache
def defined_tests(path: Path) -> frozenset[str]:
    """The test functions (and test methods) a file defines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return frozenset(
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    )


def citations(text: str) -> list[tuple[str, str | None]]:
    """(file, test or None) for each test the text cites, `::name` resolved to the file before.

    >>> citations("`tests/a.py::test_x`, `::test_y`; `tests/b.py` and `make test`")
    [('tests/a.py', 'test_x'), ('tests/a.py', 'test_y'), ('tests/b.py', None)]
    """
    found: list[tuple[str, str | None]] = []
    current: str | None = None
    for span in _CODE_SPAN.findall(text):
        if match := _FILE.match(span):
            current = match.group(1)
            found.append((current, match.group(2)))
        elif (match := _SAME_FILE.match(span)) and current is not None:
            found.append((current, match.group(1)))
    return found


def test_the_threat_model_cites_tests() -> None:
    assert len(citations(DOC.read_text(encoding="utf-8"))) >= 50


def test_every_test_the_threat_model_cites_exists() -> None:
    missing = []
    for file, name in citations(DOC.read_text(encoding="utf-8")):
        path = ROOT / file
        if not path.is_file():
            missing.append(f"{file} (no such file)")
        elif name is not None and name not in defined_tests(path):
            missing.append(f"{file}::{name}")
    assert not missing, "docs/security.md cites tests that do not exist:\n" + "\n".join(missing)
