"""Fixtures: one mail sink, and one portal process per database kind, for the whole session.

Starting a portal takes seconds, so the modules share it; each test uses its own invoices
(Kassenzeichen) or unique e-mail addresses so that tests do not see each other's data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from portal_harness import MailSink, PortalProcess, database, mail_sink, portal_process

DATABASES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSink]:
    with mail_sink(tmp_path_factory.mktemp("mail")) as running:
        yield running


@pytest.fixture(scope="session", params=DATABASES)
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def portals(
    sink: MailSink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], PortalProcess]]:
    """The portal of a database kind, started on its first use and kept until the session ends.

    Not a session fixture parametrised by the kind: pytest stops such a fixture whenever the
    next test wants the other kind and starts it again later (six starts per kind in one run)."""
    running: dict[str, PortalProcess] = {}
    with ExitStack() as stack:

        def portal_of(kind: str) -> PortalProcess:
            if kind not in running:
                folder: Path = tmp_path_factory.mktemp(f"portal-{kind}")
                url = stack.enter_context(database(kind, folder))
                running[kind] = stack.enter_context(portal_process(url, folder / "var", sink.port))
            return running[kind]

        yield portal_of


@pytest.fixture
def portal(db_kind: str, portals: Callable[[str], PortalProcess]) -> PortalProcess:
    return portals(db_kind)
