"""Demo data files under ``data/demo``: invoices and the portal's calendar settings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from rules import kassenzeichen


def invoice_rows(path: Path) -> list[dict[str, Any]]:
    """Rows for the invoices table from ``invoices.yml``."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [_invoice_row(entry) for entry in entries]


def _invoice_row(entry: dict[str, Any]) -> dict[str, Any]:
    further = [dt.date.fromisoformat(str(d)) for d in entry.get("further_due_dates", [])]
    return {
        "kassenzeichen": kassenzeichen.validate(str(entry["kassenzeichen"])),
        "amount_cents": int(Decimal(str(entry["amount"])) * 100),
        "currency": str(entry.get("currency", "EUR")),
        "purpose": str(entry["purpose"]),
        "due_date": dt.date.fromisoformat(str(entry["due_date"])),
        "further_due_dates": ",".join(d.isoformat() for d in further),
        "payer_name": str(entry["payer_name"]),
        "payment_state": str(entry.get("payment_state", "open")),
    }


def portal_config(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"{path} must hold a mapping")
    return loaded
