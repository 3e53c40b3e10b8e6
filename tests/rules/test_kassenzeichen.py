from __future__ import annotations

import re

import pytest

from rules import kassenzeichen


@pytest.mark.parametrize(
    "typed",
    [
        "4100.2026.0001",
        "4100 2026 0001",
        "410020260001",
        " 4100-2026-0001 ",
        "4100/2026/0001",
        "4100.2026 0001",
        "41 00 20 26 00 01",
        "4100\u00a02026\u202f0001",  # no-break spaces, as copied from a PDF
    ],
)
def test_kassenzeichen_written_any_way(typed: str) -> None:
    assert kassenzeichen.validate(typed) == "410020260001"
    assert kassenzeichen.format(typed) == "4100.2026.0001"
    assert kassenzeichen.is_valid(typed)
    assert re.match(kassenzeichen.PATTERN, typed)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "empty"),
        (" . ", "empty"),
        ("4100.2026.000", "wrong_length"),
        ("4100.2026.00011", "wrong_length"),
        ("4100.2026.000O", "invalid_characters"),
        ("４１００２０２６０００１", "invalid_characters"),  # full-width digits
        ("४१००.२०२६.०००१", "invalid_characters"),  # Devanagari digits
        ("4100_2026_0001", "invalid_characters"),
    ],
)
def test_kassenzeichen_errors(typed: str, code: str) -> None:
    with pytest.raises(kassenzeichen.KassenzeichenError) as caught:
        kassenzeichen.validate(typed)
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)
    assert not kassenzeichen.is_valid(typed)
    assert not re.match(kassenzeichen.PATTERN, typed)


def test_format_round_trip() -> None:
    number = kassenzeichen.validate("4100 2026 0001")
    assert kassenzeichen.format(number) == "4100.2026.0001"
    assert kassenzeichen.compact(kassenzeichen.format(number)) == number


# The portal's own rule until the two were merged: it had refused these, the chat accepted them.
# Now the portal's API accepts them too (its answer is that of the Kassenzeichen's digits).
OLD_PORTAL_RULE = re.compile(r"^[0-9]{4}[. ]?[0-9]{4}[. ]?[0-9]{4}$")


@pytest.mark.parametrize(
    "typed",
    ["4100-2026-0001", "4100/2026/0001", "4100  2026  0001", "4100. 2026. 0001", "41 00 2026 0001"],
)
def test_what_only_the_chat_accepted_is_accepted_everywhere_now(typed: str) -> None:
    assert not OLD_PORTAL_RULE.match(typed.strip())
    assert kassenzeichen.validate(typed) == "410020260001"
