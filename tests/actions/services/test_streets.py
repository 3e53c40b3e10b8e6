"""The street check: known streets completed and corrected, unknown ones read back, other
places refused; city, postcodes and streets from the data folder."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from actions import city, keywords
from actions.services import streets
from rules.errors import InputError

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("written", "clean"),
    [
        ("MARKT 9", "Markt 9"),  # case
        ("Ketzerbch 12", "Ketzerbach 12"),  # a letter missing
        ("Schuberstraße 8b", "Schubertstraße 8b"),  # a letter missing
        ("Robert Koch Str. 3", "Robert-Koch-Straße 3"),  # hyphens missing, "Str."
        ("RobertKochstr 3", "Robert-Koch-Straße 3"),
        ("weidenhaeuser str 12, 35037", "Weidenhäuser Straße 12, 35037"),
        ("die Adresse ist Am Grün 3", "Am Grün 3"),
    ],
)
def test_a_known_street_is_completed_and_corrected(written: str, clean: str) -> None:
    assert streets.check(written) == clean


@pytest.mark.parametrize(
    ("written", "read_back"),
    [
        ("Xyz-Str. 5, 35039", "Xyz-Straße 5, 35039 Marburg"),
        ("die Adresse ist Am Rain 4b, 35041 Marburg", "Am Rain 4b, 35041 Marburg"),
        ("my address is gisselberger straße 33 35037", "Gisselberger straße 33, 35037 Marburg"),
        ("Bahnhofweg 2, 35037", "Bahnhofweg 2, 35037 Marburg"),  # not a typo of Bahnhofstraße
    ],
)
def test_an_unknown_street_in_the_city_is_read_back(written: str, read_back: str) -> None:
    with pytest.raises(streets.UnknownStreet) as caught:
        streets.check(written)
    assert caught.value.address == read_back


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Xyzweg 5", "unknown_street"),  # no postcode: nothing says it is in the city
        ("Xyzweg 5, 10115 Berlin", "other_postcode"),
        ("Markt 9, 60311 Frankfurt", "other_postcode"),
        ("Xyzweg, 35039", "no_number"),
        ("35039", "unknown_street"),
    ],
)
def test_what_is_refused_and_why(written: str, code: str) -> None:
    with pytest.raises(InputError) as caught:
        streets.check(written)
    assert caught.value.code == code
    assert not isinstance(caught.value, streets.UnknownStreet)


@pytest.fixture
def other_city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of data/ for another city: its name, postcodes and one street."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    register = yaml.safe_load((data / "streets.yml").read_text(encoding="utf-8"))
    register.update(city="Gießen", postcodes=["35390", "35392"], streets=["Seltersweg"])
    (data / "streets.yml").write_text(yaml.safe_dump(register), encoding="utf-8")
    monkeypatch.delenv("DATA_DIR", raising=False)
    monkeypatch.setenv("DATA_DIR", str(data))
    caches = (streets.load_streets, keywords.keywords, keywords.pattern, city.load_city)
    for cache in caches:
        cache.cache_clear()
    yield data
    for cache in caches:
        cache.cache_clear()


def test_the_city_and_its_postcodes_come_from_the_data(other_city: Path) -> None:
    assert streets.check("seltersweg 12") == "Seltersweg 12"
    with pytest.raises(streets.UnknownStreet) as caught:
        streets.check("Marktplatz 1, 35390")
    assert caught.value.address == "Marktplatz 1, 35390 Gießen"
    with pytest.raises(InputError) as refused:
        streets.check("Ketzerbach 12, 35037")
    assert refused.value.code == "other_postcode"
