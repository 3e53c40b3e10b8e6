"""The suite's lanes: which tests start processes (pytest plugin, loaded by pyproject's addopts).

`make test` runs everything; `make test-fast` runs `-m "not integration and not slow"`: unit
tests and doctests, no process of any kind, in well under a minute. So that a new test lands in
the right lane without anyone remembering a marker, a test is marked here by what it uses:

- `integration` when it uses a fixture that starts processes (the whole stack, a portal, a mail
  sink, PostgreSQL or Redis of the tests, a scale-out cluster) or runs against PostgreSQL;
- `browser` (and `integration`) when it drives Chromium.

Hand-written markers stay valid; these are only added. With `BUERGERBOT_NO_PROCESSES=1` (set by
`make test-fast`) a test that starts a process all the same (a command, a fresh interpreter, a
server this table does not know) is skipped at that moment with the command named: the fast
lane stays free of processes without anyone keeping a list, and `make test` runs it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

# Fixtures that start processes, with the folder of the tests their definition serves ("" for
# all): the same name may mean an in-process fake elsewhere (tests/actions' `portal`).
PROCESS_FIXTURES: dict[str, str] = {
    "stack": "",
    "postgresql_url": "",
    "redis_url": "",
    "cluster": "",
    "seeded": "",  # the console's own system (tests/e2e/console)
    "portal": "tests/portal",
    "sink": "tests/portal",
}
BROWSER_FIXTURES = frozenset({"browser"})
# A parameter with this value runs the test against a database server of the tests.
SERVER_PARAMETERS = frozenset({"postgresql"})

NO_PROCESSES = "BUERGERBOT_NO_PROCESSES"


def _defined_under(item: pytest.Item, name: str, folder: str) -> bool:
    if not folder:
        return True
    info = getattr(item, "_fixtureinfo", None)
    definitions = info.name2fixturedefs.get(name, ()) if info is not None else ()
    return any(d.baseid == folder or d.baseid.startswith(folder + "/") for d in definitions)


def lanes_of(item: pytest.Item) -> set[str]:
    """The markers a test needs by the fixtures and parameters it uses."""
    names = set(getattr(item, "fixturenames", ()))
    found: set[str] = set()
    if any(n in names and _defined_under(item, n, f) for n, f in PROCESS_FIXTURES.items()):
        found.add("integration")
    if names & BROWSER_FIXTURES:
        found |= {"integration", "browser"}
    callspec = getattr(item, "callspec", None)
    if callspec is not None and any(
        isinstance(value, str) and value in SERVER_PARAMETERS for value in callspec.params.values()
    ):
        found.add("integration")
    return found


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        present = {mark.name for mark in item.iter_markers()}
        for name in sorted(lanes_of(item) - present):
            item.add_marker(name)


_real_popen_init = subprocess.Popen.__init__


def _skipping_popen_init(self: Any, args: Any, *rest: Any, **options: Any) -> None:
    argv = args if isinstance(args, list | tuple) else [args]
    shown = " ".join(str(part) for part in argv[:3])
    # Skipped (a BaseException, so no `except Exception` in the test swallows it), not failed:
    # the test is right, it only belongs to the other lane.
    pytest.skip(f"starts a process ({shown}): runs in `make test`")


@contextmanager
def _no_processes() -> Iterator[None]:
    if os.environ.get(NO_PROCESSES) != "1":
        yield
        return
    subprocess.Popen.__init__ = _skipping_popen_init  # type: ignore[method-assign]
    try:
        yield
    finally:
        subprocess.Popen.__init__ = _real_popen_init  # type: ignore[method-assign]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    """Under BUERGERBOT_NO_PROCESSES=1 a fixture or test that starts a process is skipped there
    (subprocess, asyncio's subprocesses, the servers' executors and Playwright's driver all go
    through `subprocess.Popen`): a fixture the table above does not know yet, a command, a fresh
    interpreter."""
    with _no_processes():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _no_processes():
        return (yield)
