"""Fixtures: a mail sink per session, a portal process per module and database kind."""

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


@pytest.fixture(scope="module", params=DATABASES)
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def portal(
    db_kind: str, sink: MailSink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PortalProcess]:
    folder: Path = tmp_path_factory.mktemp(f"portal-{db_kind}")
    with database(db_kind, folder) as url, portal_process(url, folder / "var", sink.port) as run:
        yield run
