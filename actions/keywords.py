"""The words the action server looks for in what citizens type, from ``data/keywords/*.yml``.

One file per language; all are merged (lists joined, tables joined per key, the files in name
order), because citizens mix languages and the NLU's language may lag behind the text. Loaded
once, on first use (not at import time, so a test may point the data folder elsewhere first).

>>> table("issue_categories")["pothole"]
['schlagloch', 'strassenschaden', 'pothole', 'road']
>>> bool(pattern("correction").search("die adresse ist falsch"))
True
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import yaml

from actions.city import data_dir


@lru_cache(maxsize=1)
def keywords() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in sorted((data_dir() / "keywords").glob("*.yml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, value in raw.items():
            merged[key] = _merge(merged.get(key), value)
    return merged


def _merge(old: Any, new: Any) -> Any:
    if old is None:
        return new
    if isinstance(old, list):
        return [*old, *(new or [])]
    if isinstance(old, dict):
        joined = dict(old)
        for key, value in (new or {}).items():
            joined[key] = _merge(joined.get(key), value)
        return joined
    return new


def words(name: str) -> list[str]:
    return [str(word) for word in keywords().get(name) or []]


def table(name: str) -> dict[str, Any]:
    return dict(keywords().get(name) or {})


def labels(language: str, name: str) -> dict[str, Any]:
    """Words the assistant says, per language (``labels: {de: {name: {key: text}}}``)."""
    tables = table("labels")
    return dict((tables.get(language) or tables.get("de") or {}).get(name) or {})


@lru_cache(maxsize=64)
def pattern(name: str) -> re.Pattern[str]:
    """The patterns of a list as one expression (never matching when the list is empty)."""
    return _compile(tuple(words(name)))


@lru_cache(maxsize=16)
def patterns(name: str) -> dict[str, re.Pattern[str]]:
    """A table of pattern lists as one expression per key (``language_names``: de, en)."""
    return {
        str(key): _compile(tuple(str(p) for p in found or ())) for key, found in table(name).items()
    }


@lru_cache(maxsize=128)
def slot_pattern(slot: str) -> re.Pattern[str] | None:
    """The words that name a slot in a correction, or None if the data has none for it."""
    found = [str(word) for word in table("slot_words").get(slot) or []]
    return _compile(tuple(found)) if found else None


def _compile(patterns: tuple[str, ...]) -> re.Pattern[str]:
    if not patterns:
        return re.compile(r"(?!)")
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
