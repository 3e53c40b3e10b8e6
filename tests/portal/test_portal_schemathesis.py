"""Schemathesis over /openapi.json of a running portal: no 5xx, no answer that breaks the document.

Every check runs except ``positive_data_acceptance``: the portal refuses some schema-valid data
on purpose, for reasons a JSON schema cannot express (an IBAN checksum, an e-mail address, a date
in the future, a day without bulky waste pickup, a reused Idempotency-Key), always with a
documented 422 problem.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from portal_harness import TOKEN, MailSink, PortalProcess, database, portal_process

pytestmark = pytest.mark.integration  # starts the real portal process


@pytest.fixture(scope="module")
def fuzzed(sink: MailSink, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalProcess]:
    # On PostgreSQL, the production database, only: the fuzzing takes a minute per run, and
    # every route's behaviour on SQLite is covered by the API tests, which run on both.
    folder: Path = tmp_path_factory.mktemp("schemathesis")
    with (
        database("postgresql", folder) as url,
        portal_process(url, folder / "var", sink.port) as run,
    ):
        yield run


def test_schemathesis_finds_no_failure(fuzzed: PortalProcess, tmp_path: Path) -> None:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{fuzzed.url}/openapi.json",
        "--header",
        f"Authorization: Bearer {TOKEN}",
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
        "--max-examples",
        "20",
        "--seed",
        "20261128",
        "--request-timeout",
        "20",
        "--suppress-health-check",
        "all",
    ]
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=400, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    assert "No issues found" in output or " passed" in output, output[-3000:]
    assert "Traceback" not in fuzzed.log()
