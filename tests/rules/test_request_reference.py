"""Service-request references: random, readable, self-checking; the older form still read."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules import request_reference as ref


def test_generated_references_are_valid_and_not_sequential() -> None:
    made = [ref.generate(2026) for _ in range(2000)]
    assert all(re.fullmatch(ref.PATTERN, value) for value in made)
    assert all(ref.validate(value) == value for value in made)
    # 35 random bits: a repeat among 200 has a chance of 6 in 10 million (among all 2000, of
    # 6 in 100,000, which is too often for a suite that must never fail by chance)
    assert len(set(made[:200])) == 200
    # nothing to read from one reference about the next: the symbols are spread over the alphabet
    assert len({value[8] for value in made}) == len(ref.ALPHABET)


@given(st.integers(min_value=0, max_value=7), st.sampled_from(ref.ALPHABET))
def test_any_one_wrong_symbol_is_caught(position: int, symbol: str) -> None:
    issued = ref.generate(2026)
    body = issued[8:].replace("-", "")
    typo = body[:position] + symbol + body[position + 1 :]
    if typo == body:
        return
    with pytest.raises(ref.RequestReferenceError) as caught:
        ref.validate(f"SR-2026-{typo}")
    assert caught.value.code == "checksum"


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("", "empty"),
        ("  ", "empty"),
        ("4711", "format"),
        ("SR-2026-12345", "format"),
        ("SR-2026-ABCD-EFGU", "format"),
        ("SR-26-ABCD-EFGH", "format"),
    ],
)
def test_refusals_say_why(written: str, code: str) -> None:
    with pytest.raises(ref.RequestReferenceError) as caught:
        ref.validate(written)
    assert caught.value.code == code


def test_loose_writing_is_read() -> None:
    issued = ref.generate(2026)
    body = issued[8:].lower().replace("1", "l").replace("0", "o")
    loose = f"sr {issued[3:7]} {body.replace('-', ' ')}"
    assert ref.validate(loose) == issued
    assert ref.FIND_PATTERN.search(f"wie steht es um {loose}?") is not None
