"""The lanes plugin (tests/support/lanes.py): which tests `make test-fast` leaves out."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.lanes import lanes_of


def item(*fixtures: str, defined_in: str = "tests", **params: object) -> Any:
    """A collected test as far as the plugin looks at it."""
    definitions = {name: [SimpleNamespace(baseid=defined_in)] for name in fixtures}
    return SimpleNamespace(
        fixturenames=list(fixtures),
        _fixtureinfo=SimpleNamespace(name2fixturedefs=definitions),
        callspec=SimpleNamespace(params=params) if params else None,
    )


def test_process_fixtures_make_a_test_integration() -> None:
    assert lanes_of(item("stack", "tmp_path")) == {"integration"}
    assert lanes_of(item("redis_url")) == {"integration"}
    assert lanes_of(item("browser")) == {"integration", "browser"}
    assert lanes_of(item("tmp_path", "monkeypatch")) == set()


def test_a_name_counts_only_where_it_means_a_process() -> None:
    # tests/portal's `portal` starts the portal; tests/actions' `portal` is an in-process fake
    assert lanes_of(item("portal", defined_in="tests/portal")) == {"integration"}
    assert lanes_of(item("portal", defined_in="tests/actions/services")) == set()


def test_a_postgresql_parameter_needs_the_server() -> None:
    assert lanes_of(item("tmp_path", db_kind="postgresql")) == {"integration"}
    assert lanes_of(item("tmp_path", db_kind="sqlite")) == set()


def test_this_session_marks_what_it_collected(request: pytest.FixtureRequest) -> None:
    """The plugin is loaded (pyproject's addopts) and its markers are on the items."""
    assert request.config.pluginmanager.has_plugin("tests.support.lanes")
    for collected in request.session.items:
        present = {mark.name for mark in collected.iter_markers()}
        assert lanes_of(collected) <= present, collected.nodeid
