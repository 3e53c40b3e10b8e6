"""The language switch goes by what is asked, not by the names that appear (issue 17, point 4)."""

from __future__ import annotations

import pytest

from actions.language import requested_language


@pytest.mark.parametrize(
    ("text", "current", "expected"),
    [
        ("Can we continue in English? My German is not good", "de", "en"),
        ("My German is not good, sorry", "de", "en"),
        ("I don't speak German well, English please", "de", "en"),
        ("I want English", "de", "en"),
        ("Mein Deutsch ist nicht gut, geht es auf Englisch?", "de", "en"),
        ("Mein Deutsch ist schlecht", "de", "en"),
        ("Ich verstehe kein Englisch", "en", "de"),
        ("My English is bad, can we speak German?", "en", "de"),
        ("not in German, in English please", "de", "en"),
        ("bitte auf deutsch", "en", "de"),
    ],
)
def test_the_language_asked_for_wins(text: str, current: str, expected: str) -> None:
    assert requested_language(text, current) == expected
