"""Demo data files under ``data/demo``: invoices and the portal's calendar settings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from rules import kassenzeichen


def invoice_rows(path: Path, config_path: Path, today: dt.date) -> list[dict[str, Any]]:
    """Rows for the invoices table from ``invoices.yml``, dated relative to `today`.

    The file's dates are written as seen on ``demo_invoices.reference_date`` of ``portal.yml``;
    every date moves by the days between that day and the day the data is loaded, so a demo
    started on any day has the same invoices due in the same number of days.
    """
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    shift = today - reference_date(portal_config(config_path))
    return [_invoice_row(entry, shift) for entry in entries]


def reference_date(config: dict[str, Any]) -> dt.date:
    section = config.get("demo_invoices") or {}
    return dt.date.fromisoformat(str(section.get("reference_date", "2026-12-01")))


def _invoice_row(entry: dict[str, Any], shift: dt.timedelta) -> dict[str, Any]:
    def day(value: object) -> dt.date:
        return dt.date.fromisoformat(str(value)) + shift

    further = [day(d) for d in entry.get("further_due_dates", [])]
    return {
        "kassenzeichen": kassenzeichen.validate(str(entry["kassenzeichen"])),
        "amount_cents": int(Decimal(str(entry["amount"])) * 100),
        "currency": str(entry.get("currency", "EUR")),
        "purpose": str(entry["purpose"]),
        "due_date": day(entry["due_date"]),
        "further_due_dates": ",".join(d.isoformat() for d in further),
        "payer_name": str(entry["payer_name"]),
        "payment_state": str(entry.get("payment_state", "open")),
    }


def portal_config(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} must hold a mapping")
    return loaded
