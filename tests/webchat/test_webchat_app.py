"""The web chat service's pure parts: which built files it serves, the demo page's city name,
and which socket.io requests the relay passes on to Rasa."""

from __future__ import annotations

from pathlib import Path

from webchat.app import city_name, render_page, static_path
from webchat.relay import upstream_url


def test_static_files_are_served_by_name_only(tmp_path: Path) -> None:
    (tmp_path / "widget.js").write_text("x")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path.parent / "secret.js").write_text("x")
    assert static_path("widget.js", tmp_path) == (tmp_path / "widget.js").resolve()
    assert static_path("../secret.js", tmp_path) is None
    assert static_path("notes.txt", tmp_path) is None  # not a type the page needs
    assert static_path("missing.js", tmp_path) is None


def test_the_demo_page_names_the_city_from_the_data_and_escapes_it(tmp_path: Path) -> None:
    city = tmp_path / "city.yml"
    city.write_text("city_name: Universitätsstadt <Marburg>\n", encoding="utf-8")
    name = city_name(city)
    assert name == "Universitätsstadt <Marburg>"
    page = render_page("index.html", name)
    assert "Universitätsstadt &lt;Marburg&gt;" in page and "<Marburg>" not in page
    assert '<script src="/static/widget.js"' in page


def test_the_relay_passes_only_websocket_requests_on() -> None:
    query = {"EIO": ["4"], "transport": ["websocket"], "evil": ["x"]}
    assert upstream_url("https://rasa.internal/", query) == (
        "wss://rasa.internal/socket.io/?EIO=4&transport=websocket"
    )
    rasa = "http://127.0.0.1:5005"
    assert upstream_url(rasa, {"transport": ["websocket"]}) is None
    assert upstream_url(rasa, {"EIO": ["4&x=1"], "transport": ["websocket"]}) is None
