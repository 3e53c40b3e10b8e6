"""The service catalogue (``data/catalogue/services.yml``) and what a question is about.

Loaded once on first use (never at import time). A question names a service ("Reisepass"),
an office ("Standesamt") or neither, and asks about aspects (fee, hours, documents, location,
contact); the longest matching name wins, so "kinderreisepass" is not read as "pass".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml

from actions.city import _localised, data_dir
from actions.services.text import contains_words

ASPECTS = ("fee", "hours", "documents", "location", "contact")


@dataclass(frozen=True)
class Entry:
    """A service or an office of the catalogue."""

    key: str
    kind: str  # "service" | "office"
    raw: dict[str, Any]

    def text(self, name: str, language: str) -> str:
        return _localised(self.raw.get(name), language)

    @property
    def office(self) -> str:
        return str(self.raw.get("office", self.key))

    @property
    def source_url(self) -> str:
        return str(self.raw.get("source_url") or "")


@dataclass(frozen=True)
class Question:
    entry: Entry | None
    aspects: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Catalogue:
    raw: dict[str, Any]

    def service(self, key: str) -> Entry:
        return Entry(key, "service", dict(self.raw["services"][key]))

    def office(self, key: str) -> Entry:
        return Entry(key, "office", dict(self.raw["offices"][key]))

    def services(self) -> list[Entry]:
        return [self.service(key) for key in self.raw["services"]]

    def offices(self) -> list[Entry]:
        return [self.office(key) for key in self.raw["offices"]]

    def by_field(self, name: str, value: str) -> Entry | None:
        """The service whose ``name`` field is ``value`` (e.g. ``certificate: eheurkunde``)."""
        return next((s for s in self.services() if s.raw.get(name) == value), None)

    def understand(self, text: str) -> Question:
        """What the question is about: the entry with the longest matching name, and aspects."""
        best: tuple[int, Entry] | None = None
        for entry in [*self.services(), *self.offices()]:
            for name in entry.raw.get("names", []):
                if contains_words(text, str(name)) and (best is None or len(name) > best[0]):
                    best = (len(name), entry)
        aspects = tuple(
            aspect
            for aspect in ASPECTS
            if any(contains_words(text, word) for word in self.raw["aspects"].get(aspect, []))
        )
        return Question(best[1] if best else None, aspects)


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    with (data_dir() / "catalogue" / "services.yml").open(encoding="utf-8") as handle:
        return Catalogue(yaml.safe_load(handle))
