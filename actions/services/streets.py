"""Addresses in the city, checked against the street list in ``data/streets.yml``.

An address is a known street and a house number ("Markt 9", "ketzerbach 12a, 35037"); the
street is matched with umlauts folded, "str." for "straße", and case ignored, and is returned
in the list's spelling.

>>> check("markt 9")
'Markt 9'
>>> check("the address is Universitätsstr. 7")
'Universitätsstraße 7'
>>> check("Weidenhaeuser Str. 12a, 35037 Marburg")
'Weidenhäuser Straße 12a, 35037 Marburg'
>>> try:
...     check("Hauptstraße 1")
... except InputError as error:
...     print(error.code)
unknown_street
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import yaml

from actions.city import data_dir
from actions.services.text import fold
from rules.errors import InputError

_HOUSE_NUMBER = re.compile(r"^([0-9]{1,4}\s?[a-zA-Z]?(?:\s?[-/]\s?[0-9]{1,4}[a-zA-Z]?)?)\b")
_POSTCODE = re.compile(r"(?<![0-9])([0-9]{5})(?![0-9])")
_COORDINATES = re.compile(r"(-?[0-9]{1,2}\.[0-9]{3,})\s*[,; ]\s*(-?[0-9]{1,3}\.[0-9]{3,})")


@dataclass(frozen=True)
class StreetList:
    city: str
    postcodes: tuple[str, ...]
    streets: tuple[str, ...]
    area: dict[str, float]

    def match(self, text: str) -> tuple[str, str] | None:
        """(street in the list's spelling, the rest of the text) or None."""
        known = {_normalise(street): street for street in self.streets}
        words = text.split()
        # "die Adresse ist Markt 9": the street may come after a few words of a sentence
        for start in range(len(words)):
            for count in range(min(len(words) - start, 5), 0, -1):
                street = known.get(_normalise(" ".join(words[start : start + count])))
                if street is not None:
                    return street, " ".join(words[start + count :])
        return None


def _normalise(text: str) -> str:
    folded = fold(text).replace("-", " ")
    return re.sub(r"str\b", "strasse", folded).replace(" strasse", "strasse")


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
    """Codes: ``empty``, ``unknown_street``, ``no_number``, ``other_postcode``."""
    text = " ".join(value.replace(",", " , ").split()).replace(" ,", ",")
    if not text:
        raise InputError("no address", code="empty")
    streets = load_streets()
    found = streets.match(text)
    if found is None:
        raise InputError(f"unknown street: {text!r}", code="unknown_street")
    street, rest = found
    number = _HOUSE_NUMBER.match(rest.lstrip(", "))
    if number is None:
        raise InputError("no house number", code="no_number")
    postcode = _POSTCODE.search(rest)
    if postcode and postcode[1] not in streets.postcodes:
        raise InputError(f"postcode {postcode[1]}", code="other_postcode")
    tail = rest.lstrip(", ")[number.end() :].strip()
    return f"{street} {number[1].replace(' ', '')}" + (
        f"{tail}" if tail.startswith(",") else (f" {tail}" if tail else "")
    )
