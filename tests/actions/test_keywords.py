"""The keyword tables of data/keywords/: merged over the languages, loaded once, swappable."""

from __future__ import annotations

import doctest
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from actions import city, keywords
from actions.services import checks, streets

ROOT = Path(__file__).resolve().parents[2]


def test_doctests() -> None:
    failures, _ = doctest.testmod(keywords)
    assert failures == 0


def test_the_languages_are_merged() -> None:
    numbers = keywords.table("number_words")
    assert (numbers["zwei"], numbers["two"]) == (2, 2)
    assert keywords.labels("en", "request_status")["done"] == "done"
    assert keywords.labels("de", "request_status")["done"] == "erledigt"
    assert keywords.labels("fr", "request_status")["done"] == "erledigt"  # German by default


@pytest.fixture
def swapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    monkeypatch.delenv("DATA_DIR", raising=False)
    monkeypatch.setenv("DATA_DIR", str(data))
    caches = (keywords.keywords, keywords.pattern, keywords.slot_pattern, city.load_city)
    for cache in (*caches, streets.load_streets):
        cache.cache_clear()
    yield data
    for cache in (*caches, streets.load_streets):
        cache.cache_clear()


def test_another_language_is_a_file(swapped: Path) -> None:
    (swapped / "keywords" / "fr.yml").write_text(
        "number_words: {deux: 2}\nlist_words: [et]\n", encoding="utf-8"
    )
    assert checks.copies("deux exemplaires") == 2
    assert checks.items("table et chaise") == ["table", "chaise"]


def test_the_words_of_a_correction_are_data(swapped: Path) -> None:
    folded = "die adresse ist verkehrt"
    assert keywords.slot_pattern("waste_address") is not None
    assert not keywords.pattern("correction").search(folded)
    (swapped / "keywords" / "xx.yml").write_text("correction: ['verkehrt']\n", encoding="utf-8")
    keywords.keywords.cache_clear()
    keywords.pattern.cache_clear()
    assert keywords.pattern("correction").search(folded)
