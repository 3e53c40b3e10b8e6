"""Fixtures: one mail sink, and one portal process per database kind, for the whole session.

Starting a portal takes seconds, so the modules share it; each test uses its own invoices
(Kassenzeichen) or unique e-mail addresses so that tests do not see each other's data.
"""

from __future__ import annotations

from collections.abc import Iterator
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
def portal(
    db_kind: str, sink: MailSink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PortalProcess]:
    folder: Path = tmp_path_factory.mktemp(f"portal-{db_kind}")
    with database(db_kind, folder) as url, portal_process(url, folder / "var", sink.port) as run:
        yield run
