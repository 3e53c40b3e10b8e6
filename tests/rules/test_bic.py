from __future__ import annotations

import re

import pytest

from rules import bic


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("BYLADEM1001", "BYLADEM1001"),
        ("byladem1001", "BYLADEM1001"),
        ("BYLA DE M1 001", "BYLADEM1001"),
        ("UBSW-CH-ZH-80A", "UBSWCHZH80A"),
        ("AGRIFRPP", "AGRIFRPP"),
        (" NWBKGB2L ", "NWBKGB2L"),
    ],
)
def test_good_bics(typed: str, expected: str) -> None:
    assert bic.validate(typed) == expected
    assert bic.is_valid(typed)
    assert bic.format(typed) == expected
    assert re.match(bic.PATTERN, expected)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "empty"),
        (" - ", "empty"),
        ("BYLADEM", "wrong_length"),
        ("BYLADEM10", "wrong_length"),
        ("BYLADEM1001X", "wrong_length"),
        ("BYL4DEM1", "invalid_format"),
        ("BYLAD3M1", "invalid_format"),
        ("BYLADEM1_01", "invalid_format"),
        ("BYLAQQM1", "unknown_country"),
    ],
)
def test_bad_bics(typed: str, code: str) -> None:
    with pytest.raises(bic.BicError) as caught:
        bic.validate(typed)
    assert caught.value.code == code
    assert not bic.is_valid(typed)


def test_the_schema_pattern_is_the_shape_without_the_country_list() -> None:
    # The portal's schema takes the shape; the country is checked by validate() only.
    assert re.match(bic.PATTERN, "BYLAQQM1")
    assert not re.match(bic.PATTERN, "byladem1")


def test_format_round_trip() -> None:
    number = bic.validate("byla dem1 001")
    assert bic.compact(bic.format(number)) == number
