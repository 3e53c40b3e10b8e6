"""The city's facts from `data/city.yml`: offices, phone numbers, contact hours.

City facts live in data, never in code, so another city swaps the folder: `DATA_DIR` (default
`data`; a relative path is taken from the repository root) names it. Loaded once, lazily, on
first use (never at import time, so tests can point `DATA_DIR` elsewhere first).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("de", "en")


def data_dir() -> Path:
    raw = os.environ.get("DATA_DIR") or "data"
    path = Path(raw)
    return path if path.is_absolute() else REPO_ROOT / path


def _localised(value: Any, language: str) -> str:
    """A YAML value is either one string for both languages or a mapping de/en."""
    if isinstance(value, dict):
        return str(value.get(language) or value["de"])
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Office:
    key: str
    raw: dict[str, Any]

    def text(self, field: str, language: str) -> str:
        return _localised(self.raw.get(field), language)


@dataclass(frozen=True)
class City:
    raw: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.raw["city_name"])

    @property
    def switchboard_phone(self) -> str:
        return str(self.raw["switchboard_phone"])

    @property
    def service_number(self) -> str:
        return str(self.raw["service_number"])

    @property
    def citizens_office(self) -> str:
        """The office for ID cards, passports and registration, as the texts name it (its German
        name: a proper name, also in English texts)."""
        return self.office("stadtbuero").text("name", "de")

    @property
    def example_address(self) -> str:
        """An address in the city that the assistant shows as an example of the format."""
        return str(self.raw["example_address"])

    @property
    def example_phone(self) -> str:
        """A phone number in the city's format, shown as an example (not a real line)."""
        return str(self.raw["example_phone"])

    @property
    def privacy_path(self) -> str:
        return str(self.raw.get("privacy_path", "/datenschutz"))

    def contact_hours(self, language: str) -> str:
        return _localised(self.raw["contact_hours"], language)

    def office(self, key: str) -> Office:
        return Office(key, dict(self.raw["offices"][key]))


@lru_cache(maxsize=1)
def load_city() -> City:
    with (data_dir() / "city.yml").open(encoding="utf-8") as handle:
        return City(yaml.safe_load(handle))


@lru_cache(maxsize=1)
def intent_labels() -> dict[str, dict[str, str]]:
    """Button labels per intent and language, from `data/intent_labels.yml`."""
    with (data_dir() / "intent_labels.yml").open(encoding="utf-8") as handle:
        raw: dict[str, dict[str, str]] = yaml.safe_load(handle)
    return raw


def intent_label(intent: str, language: str) -> str:
    labels = intent_labels().get(intent, {})
    return labels.get(language) or labels.get("de") or intent
