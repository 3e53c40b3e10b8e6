"""Addresses in the city, checked against the street register in ``data/streets.yml``.

A known street with a house number ("Markt 9", "ketzerbach 12a, 35037") is completed and
corrected: umlauts folded, "str." for "straße", hyphens and spaces, case and small typos are
forgiven, and the street comes back in the register's spelling. The register of the demo city is
short, so a street it lacks is not refused: with a house number and one of the city's postcodes
it is read back for the citizen to confirm (``UnknownStreet``). A postcode of another place is
refused. City, postcodes and streets come from the data, never from code.

>>> check("markt 9")
'Markt 9'
>>> check("the address is Universitätsstr. 7")
'Universitätsstraße 7'
>>> check("Weidenhaeuser Str. 12a, 35037 Marburg")
'Weidenhäuser Straße 12a, 35037 Marburg'
>>> check("Ketzerbch 12")  # a typo
'Ketzerbach 12'
>>> try:
...     check("Xyz-Str. 5, 35039")
... except UnknownStreet as unknown:
...     print(unknown.address)
Xyz-Straße 5, 35039 Marburg
>>> for text in ("Hauptstraße 1", "Hauptstraße 1, 10115 Berlin"):
...     try:
...         check(text)
...     except InputError as error:
...         print(error.code)
unknown_street
other_postcode
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

import yaml

from actions import keywords
from actions.city import data_dir
from actions.services.text import fold
from rules.errors import InputError

_HOUSE_NUMBER = re.compile(r"^([0-9]{1,4}\s?[a-zA-Z]?(?:\s?[-/]\s?[0-9]{1,4}[a-zA-Z]?)?)\b")
_STREET_AND_NUMBER = re.compile(
    r"^(?P<street>.*?[^\W\d_].*?)\s+(?P<number>[0-9]{1,4}\s?[a-zA-Z]?(?:\s?[-/]\s?[0-9]{1,4}[a-zA-Z]?)?)\b"
)
_POSTCODE = re.compile(r"(?<![0-9])([0-9]{5})(?![0-9])")
_COORDINATES = re.compile(r"(-?[0-9]{1,2}\.[0-9]{3,})\s*[,; ]\s*(-?[0-9]{1,3}\.[0-9]{3,})")
_ABBREVIATION = re.compile(r"(?<=[^\W\d_])([sS])tr\b\.?|\b(S)tr\b\.?")
# How close a written street must be to a known one to be taken as a typo of it (difflib's
# ratio of the folded names): "Ketzerbch" for "Ketzerbach" is 0.95, "Bahnhofweg" for
# "Bahnhofstraße" 0.67.
TYPO_SIMILARITY = 0.88
MIN_TYPO_LENGTH = 6


class UnknownStreet(InputError):
    """A street the register lacks, with a house number and a postcode of the city."""

    def __init__(self, address: str) -> None:
        super().__init__(f"street not in the register: {address!r}", code="unconfirmed")
        self.address = address


@dataclass(frozen=True)
class StreetList:
    city: str
    postcodes: tuple[str, ...]
    streets: tuple[str, ...]
    area: dict[str, float]

    def match(self, text: str) -> tuple[str, str] | None:
        """(street in the list's spelling, the rest of the text) or None."""
        known = {_key(street): street for street in self.streets}
        words = text.split()
        windows = [
            (start, count)
            for start in range(len(words))
            for count in range(min(len(words) - start, 5), 0, -1)
        ]
        # "die Adresse ist Markt 9": the street may come after a few words of a sentence.
        for start, count in windows:
            street = known.get(_key(" ".join(words[start : start + count])))
            if street is not None:
                return street, " ".join(words[start + count :])
        for start, count in windows:
            written = _key(" ".join(words[start : start + count]))
            if len(written) < MIN_TYPO_LENGTH or not written.isalpha():
                continue
            close = difflib.get_close_matches(written, known, n=1, cutoff=TYPO_SIMILARITY)
            if close:
                return known[close[0]], " ".join(words[start + count :])
        return None


def _key(text: str) -> str:
    """A street's name for comparing: folded, "str" as "strasse", without spaces or hyphens."""
    folded = fold(text).replace("-", " ")
    return re.sub(r"str\b", "strasse", folded).replace(" ", "")


@lru_cache(maxsize=1)
def load_streets() -> StreetList:
    with (data_dir() / "streets.yml").open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    area = {key: float(value) for key, value in (raw.get("area") or {}).items()}
    return StreetList(
        str(raw["city"]), tuple(str(p) for p in raw["postcodes"]), tuple(raw["streets"]), area
    )


def find_coordinates(text: str) -> tuple[float, float] | None:
    """Latitude and longitude written as decimals ("50.80970, 8.77000").

    >>> find_coordinates("Standort 50.80970, 8.77000")
    (50.8097, 8.77)
    >>> find_coordinates("Markt 9, 35037 Marburg") is None
    True
    """
    match = _COORDINATES.search(text)
    return (float(match[1]), float(match[2])) if match else None


def check_coordinates(latitude: float, longitude: float) -> str:
    """A shared location inside the city's area, as the text staff read; code ``other_area``.

    >>> check_coordinates(50.8097, 8.77)
    'Standort 50.80970, 8.77000'
    """
    area = load_streets().area
    inside = area.get("south", -90.0) <= latitude <= area.get("north", 90.0) and area.get(
        "west", -180.0
    ) <= longitude <= area.get("east", 180.0)
    if not inside:
        raise InputError("location outside the city", code="other_area")
    return f"Standort {latitude:.5f}, {longitude:.5f}"


def check(value: str) -> str:
    """Codes: ``empty``, ``unknown_street``, ``no_number``, ``other_postcode``; raises
    ``UnknownStreet`` for a street to confirm."""
    text = " ".join(value.replace(",", " , ").split()).replace(" ,", ",")
    if not text:
        raise InputError("no address", code="empty")
    streets = load_streets()
    postcode = _POSTCODE.search(text)
    if postcode and postcode[1] not in streets.postcodes:
        raise InputError(f"postcode {postcode[1]}", code="other_postcode")
    found = streets.match(text)
    if found is None:
        raise _unknown(text, postcode[1] if postcode else None, streets)
    street, rest = found
    number = _HOUSE_NUMBER.match(rest.lstrip(", "))
    if number is None:
        raise InputError("no house number", code="no_number")
    tail = rest.lstrip(", ")[number.end() :].strip()
    return f"{street} {number[1].replace(' ', '')}" + (
        f"{tail}" if tail.startswith(",") else (f" {tail}" if tail else "")
    )


def _unknown(text: str, postcode: str | None, streets: StreetList) -> InputError:
    """A street the register lacks: read back with the city's postcode, else refused."""
    before = text.split(",")[0]
    if postcode:
        before = before.replace(postcode, " ")
    phrases = keywords.pattern("address_phrases")
    written = re.sub(rf"^\s*(?:{phrases.pattern})\s+", "", before, flags=re.IGNORECASE)
    parts = _STREET_AND_NUMBER.match(written.strip())
    if parts is None:
        if postcode and any(char.isalpha() for char in written):
            return InputError("no house number", code="no_number")
        return InputError(f"unknown street: {text!r}", code="unknown_street")
    if postcode is None:
        # Without the postcode nothing says the street is in the city: ask for the full address.
        return InputError(f"unknown street: {text!r}", code="unknown_street")
    street = _ABBREVIATION.sub(_expand, parts["street"].strip(" ,"))
    street = street[:1].upper() + street[1:]
    number = parts["number"].replace(" ", "")
    return UnknownStreet(f"{street} {number}, {postcode} {streets.city}")


def _expand(match: re.Match[str]) -> str:
    """ "str." → "straße", keeping the capital of "Str." ("Xyz-Str." → "Xyz-Straße")."""
    return ("S" if match[2] else match[1]) + "traße"
