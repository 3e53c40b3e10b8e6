"""Start-up refusals, key files, and the doctests of the portal's pure modules."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from portal_harness import ROOT, PortalProcess

from portal import demo
from portal.settings import Settings, SettingsError


@pytest.mark.parametrize(
    "module",
    [
        "portal.invoice_check",
        "portal.mandate_flow",
        "portal.mandate_text",
        "portal.calendar",
        "portal.crypto",
    ],
)
def test_doctests(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0
    assert result.failed == 0


def _start(env_changes: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "CREDITOR_"))}
    env.update({"VAR_DIR": str(tmp_path), "PORTAL_DB_URL": f"sqlite:///{tmp_path}/p.db"})
    env.update(env_changes)
    return subprocess.run(
        [sys.executable, "-m", "portal"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_refuses_to_start_without_token(tmp_path: Path) -> None:
    result = _start({}, tmp_path)
    assert result.returncode == 2
    assert "PORTAL_API_TOKEN" in result.stderr


def test_refuses_a_wrong_creditor_id(tmp_path: Path) -> None:
    result = _start({"PORTAL_API_TOKEN": "x", "CREDITOR_ID": "DE98ZZZ09999999998"}, tmp_path)
    assert result.returncode == 2
    assert "CREDITOR_ID" in result.stderr


def test_refuses_a_short_encryption_key(tmp_path: Path) -> None:
    result = _start({"PORTAL_API_TOKEN": "x", "PORTAL_ENCRYPTION_KEY": "short"}, tmp_path)
    assert result.returncode == 2
    assert "PORTAL_ENCRYPTION_KEY" in result.stderr


def test_says_so_when_the_database_is_unreachable(tmp_path: Path) -> None:
    url = "postgresql://postgres@127.0.0.1:1/none?connect_timeout=3"
    result = _start({"PORTAL_API_TOKEN": "x", "PORTAL_DB_URL": url}, tmp_path)
    assert result.returncode == 3
    assert "cannot be used" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["DE98ZZZ0999999999", "DE98ZZZ0999999999X", "XX"])
def test_creditor_id_checks(value: str) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env({"PORTAL_API_TOKEN": "x", "CREDITOR_ID": value})


def test_defaults() -> None:
    settings = Settings.from_env({"PORTAL_API_TOKEN": "x", "PORTAL_PORT": "9090"})
    assert settings.public_url == "http://127.0.0.1:9090"
    assert settings.db_url == "sqlite:///var/portal.db"
    assert settings.creditor_id == "DE98ZZZ09999999999"


def test_generated_keys_are_private(portal: PortalProcess) -> None:
    for name in ("portal-encryption.key", "seal-key.pem"):
        mode = (portal.var_dir / "keys" / name).stat().st_mode & 0o777
        assert mode == 0o600, (name, oct(mode))


def test_demo_invoices_move_with_the_load_day() -> None:
    folder = ROOT / "data" / "demo"
    config = demo.portal_config(folder / "portal.yml")
    reference = demo.reference_date(config)
    on_reference = demo.invoice_rows(folder / "invoices.yml", folder / "portal.yml", reference)
    later = demo.invoice_rows(
        folder / "invoices.yml", folder / "portal.yml", reference + dt.timedelta(days=400)
    )
    assert on_reference[0]["due_date"] == dt.date(2026, 12, 15)  # as written in the file
    for before, after in zip(on_reference, later, strict=True):
        assert after["due_date"] - before["due_date"] == dt.timedelta(days=400)
        assert [d for d in after["further_due_dates"].split(",") if d] == [
            (dt.date.fromisoformat(d) + dt.timedelta(days=400)).isoformat()
            for d in before["further_due_dates"].split(",")
            if d
        ]
