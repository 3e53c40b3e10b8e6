"""The documentation lives in the repository: no file points outside it, no link is broken.

A clone has only this repository. Earlier notes linked a shared folder beside it, which a
newcomer does not have; what those files said now lives in docs/. This test fails when a file
names that folder or its files again, or when a Markdown link leads nowhere.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The shared folder beside the clone and its files (written as patterns, so that this file does
# not name them itself); any absolute path on the development machines, too.
OUTSIDE = re.compile(
    r"\.\.[/\\]shared\b"
    r"|\b(?:CONTRACT|DESIGN|MARBURG|STYLE)\.md\b"
    r"|/work/(?:shared|main|brief)\b"
)

FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
MARKDOWN_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
HTML_LINK = re.compile(r"""<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.I)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


# What .gitignore keeps out of the repository (runtime state, builds, caches, installed
# packages) and git's own folder. Walking the tree instead of asking git keeps this test free of
# processes, so it runs in `make test-fast`, and checks a new file before its first commit.
IGNORED_FOLDERS = frozenset(
    {".git", ".venv", "var", "models", "node_modules", "dist", "results", "test-results"}
    | {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".rasa", ".hypothesis"}
)
IGNORED_FILES = frozenset({".env"})


def repository_files(root: Path = ROOT) -> list[Path]:
    """The files of the repository: tracked ones and new ones, not what git ignores."""
    found: list[Path] = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [
            name
            for name in subfolders
            if name not in IGNORED_FOLDERS and not name.endswith(".egg-info")
        ]
        found.extend(
            Path(folder) / name
            for name in names
            if name not in IGNORED_FILES and not name.endswith(".pyc")
        )
    return sorted(found)


def text_of(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return None  # binary: images, the model placeholder
    return data.decode("utf-8", errors="replace")


def outside_references(text: str) -> list[tuple[int, str]]:
    """(line number, line) of every reference to a place outside the repository.

    >>> line = "see " + ".." + "/shared/notes for the names"
    >>> outside_references("ok\\n" + line + "\\n") == [(2, line)]
    True
    >>> outside_references("see docs/settings.md")
    []
    """
    lines = text.splitlines()
    return [(number, line.strip()) for number, line in enumerate(lines, 1) if OUTSIDE.search(line)]


def links(markdown: str) -> list[str]:
    """Link targets of Markdown and HTML links, outside code blocks and code spans.

    >>> links("[a](docs/a.md) ![b](img.png 'x') <img src=\\"c.png\\"> `[d](no.md)`")
    ['docs/a.md', 'img.png', 'c.png']
    """
    prose = CODE_SPAN.sub("", FENCE.sub("", markdown))
    found = [(match.start(), match.group(1)) for match in MARKDOWN_LINK.finditer(prose)]
    found += [(match.start(), match.group(1)) for match in HTML_LINK.finditer(prose)]
    return [target for _, target in sorted(found)]


def anchor(heading: str) -> str:
    """The id GitHub gives a heading.

    >>> anchor("Planned, not built yet")
    'planned-not-built-yet'
    >>> anchor("The `Procfile` and .env")
    'the-procfile-and-env'
    """
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", FENCE.sub("", markdown), re.MULTILINE)
    return {anchor(heading) for heading in headings}


def link_problem(source: Path, target: str, root: Path = ROOT) -> str | None:
    """Why a link in `source` does not lead to a file of the repository, or None."""
    if SCHEME.match(target) or target.startswith("//"):
        return None  # a web address: not ours to check offline
    path_part, _, fragment = target.partition("#")
    if not path_part:
        destination = source
    elif path_part.startswith("/"):
        return "absolute path"
    else:
        destination = (source.parent / path_part).resolve()
    if not destination.is_relative_to(root.resolve()):
        return "outside the repository"
    if not destination.exists():
        return "no such file"
    if not fragment or destination.suffix != ".md" or not destination.is_file():
        return None
    if fragment not in anchors(destination.read_text(encoding="utf-8")):
        return f"no heading #{fragment}"
    return None


def markdown_files(root: Path = ROOT) -> list[Path]:
    return [path for path in repository_files(root) if path.suffix == ".md"]


def test_no_file_refers_to_a_place_outside_the_repository() -> None:
    found = []
    for path in repository_files():
        text = text_of(path)
        if text is None:
            continue
        for number, line in outside_references(text):
            found.append(f"{path.relative_to(ROOT)}:{number}: {line}")
    assert not found, "point to docs/ instead:\n" + "\n".join(found)


def test_every_relative_link_in_the_documentation_leads_to_a_file() -> None:
    files = markdown_files()
    assert ROOT / "README.md" in files
    broken = []
    for path in files:
        for target in links(path.read_text(encoding="utf-8")):
            problem = link_problem(path, target)
            if problem:
                broken.append(f"{path.relative_to(ROOT)}: {target} ({problem})")
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("name", ["architecture", "api-contract", "settings", "demo-city"])
def test_the_readme_links_every_document(name: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"docs/{name}.md" in links(readme)


def test_the_link_check_finds_what_is_broken(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# Title\n## Part two\n", encoding="utf-8")
    source = tmp_path / "README.md"
    assert link_problem(source, "docs/a.md#part-two", tmp_path) is None
    assert link_problem(source, "docs/a.md#part-three", tmp_path) == "no heading #part-three"
    assert link_problem(source, "docs/b.md", tmp_path) == "no such file"
    assert link_problem(source, "../elsewhere/x.md", tmp_path) == "outside the repository"
    assert link_problem(source, "https://example.org/x", tmp_path) is None
