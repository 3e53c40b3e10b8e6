"""A city is data: rename the demo city in a copy of `data/` and no answer names the old one.

The copy gets another name, other postcodes, another area code, other hostnames and another name
for the citizens' office. The test
then runs the real actions through rasa-sdk's executor on the call Rasa would send, renders
their responses with Rasa's own code (`RemoteAction._utter_responses`, the templated NLG) on a
tracker that holds the slots the session start set, renders every response of the domain in
both languages, and looks for any trace of the old city. The settings' defaults (CREDITOR_NAME
of the launcher and the portal) and the web chat's page come from the same copy.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import string
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor

from actions import city
from actions.payment import consent
from actions.services import catalogue, handoff, streets
from bot.settings import resolve
from portal.settings import Settings
from webchat.app import city_name, render_page

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = Domain.load(str(ROOT / "bot" / "domain"))
NEW_TOWN = "Musterstadt"
NEW_AREA_CODE = "09999"
NEW_OFFICE = "Bürgerbüro"
CITY_SLOTS = {slot.name for slot in DOMAIN.slots if slot.name.startswith("city_")}
_URL_HOST = re.compile(r"https?://([A-Za-z0-9.-]+)")
_MAIL_HOST = re.compile(r"@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_EXAMPLE_HOST = re.compile(r"(^|\.)example(\.(org|com|net))?$")


def data_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in {".yml", ".txt"})


def old_city() -> dict[str, str]:
    """Each trace of the demo city in `data/` and what the copy says instead."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in data_files(ROOT / "data"))
    # The domains reserved for examples (RFC 2606: the test identities' e-mail addresses, the
    # answers' "name@example.org") belong to no city.
    found = set(_URL_HOST.findall(text)) | set(_MAIL_HOST.findall(text))
    hosts = sorted((h for h in found if not _EXAMPLE_HOST.search(h)), key=len)
    renames = {
        host: f"site{number}.{NEW_TOWN.lower()}.example"
        for number, host in enumerate(reversed(hosts))  # the longest first: digital.x before x
    }
    town = str(streets.load_streets.__wrapped__().city)
    postcodes = streets.load_streets.__wrapped__().postcodes
    demo = city.load_city.__wrapped__()
    area_code = demo.switchboard_phone.split()[0]
    renames |= {town: NEW_TOWN, town.lower(): NEW_TOWN.lower(), area_code: NEW_AREA_CODE}
    renames[demo.citizens_office] = NEW_OFFICE
    renames |= {code: f"9910{number}" for number, code in enumerate(postcodes)}
    return renames


@pytest.fixture(scope="module")
def renames() -> dict[str, str]:
    found = old_city()
    assert {"Marburg", "35037", "06421", "Stadtbüro"} <= set(found)  # the demo city
    assert any(host.endswith("marburg.de") for host in found)
    return found


def clear_caches() -> None:
    for loader in (
        city.load_city,
        city.intent_labels,
        streets.load_streets,
        catalogue.load_catalogue,
        handoff.load_hours,
        consent._template,
    ):
        loader.cache_clear()


@pytest.fixture
def musterstadt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, renames: dict[str, str]
) -> Iterator[Path]:
    """A copy of data/ for another city, set as DATA_DIR of every loader."""
    copy = tmp_path / "data"
    shutil.copytree(ROOT / "data", copy, ignore=shutil.ignore_patterns("nlu", "stories", "rules"))
    for path in data_files(copy):
        text = path.read_text(encoding="utf-8")
        for old, new in renames.items():
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    assert not traces(" ".join(p.read_text("utf-8") for p in data_files(copy)), renames)
    monkeypatch.setenv("DATA_DIR", str(copy))
    monkeypatch.delenv("CREDITOR_NAME", raising=False)
    clear_caches()
    yield copy
    clear_caches()


def traces(text: str, renames: dict[str, str]) -> list[str]:
    return [old for old in renames if old in text]


def shown(message: dict[str, Any]) -> str:
    """Everything a citizen could read of a message: text, buttons, custom payloads."""
    return json.dumps(message, ensure_ascii=False)


async def run_action(
    name: str, tracker: DialogueStateTracker
) -> tuple[list[dict[str, Any]], list[Event]]:
    """The action as Rasa runs it: Rasa's call format, the SDK's executor, Rasa's rendering."""
    executor = ActionExecutor()
    executor.register_package("actions")
    remote = RemoteAction(name, EndpointConfig("http://127.0.0.1:1/webhook"))
    result = await executor.run(remote._action_call_format(tracker, DOMAIN))
    assert result is not None
    nlg = TemplatedNaturalLanguageGenerator(DOMAIN.responses)
    uttered = await RemoteAction._utter_responses(
        result["responses"], CollectingOutputChannel(), nlg, tracker
    )
    events = [Event.from_parameters(event) for event in result["events"]]
    return [bot.message() for bot in uttered], events


def started(language: str) -> tuple[DialogueStateTracker, list[dict[str, Any]]]:
    """A tracker after the session start (its slots applied), and the welcome it said."""
    tracker = DialogueStateTracker.from_events("musterstadt", [], slots=DOMAIN.slots)
    tracker.update(SlotSet("language", language))
    welcome, events = asyncio.run(run_action("action_session_start", tracker))
    tracker.update_with_events(events, DOMAIN)
    return tracker, welcome


def asked(tracker: DialogueStateTracker, text: str, intent: str) -> DialogueStateTracker:
    tracker.update(UserUttered(text, {"name": intent, "confidence": 1.0}))
    tracker.update(ActionExecuted("action_listen"))
    return tracker


def placeholders(variation: dict[str, Any]) -> set[str]:
    """The `{name}`s of a response variation (text and buttons)."""
    names = set()
    for piece in [variation.get("text") or "", *(b["title"] for b in variation.get("buttons", []))]:
        names |= {field for _, field, _, _ in string.Formatter().parse(piece) if field}
    return names


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_response_of_the_domain_names_the_city_of_the_data(
    musterstadt: Path, renames: dict[str, str], language: str
) -> None:
    tracker, _ = started(language)
    slots = tracker.current_slot_values()
    assert {name: slots[name] for name in CITY_SLOTS} == {
        "city_name": f"Universitätsstadt {NEW_TOWN}",
        "city_town": NEW_TOWN,
        "city_postcodes": "99100, 99101, 99102, 99103",
        "city_citizens_office": NEW_OFFICE,
        "city_example_address": "Markt 9",
        "city_example_phone": f"{NEW_AREA_CODE} 123456",
    }
    rendered: dict[str, str] = {}
    for name, variations in DOMAIN.responses.items():
        for variation in variations:
            english = any(c.get("value") == "en" for c in variation.get("condition") or [])
            if english != (language == "en"):
                continue
            # What an action passes along; the city's facts come from the slots only.
            given = {key: f"<{key}>" for key in placeholders(variation) - CITY_SLOTS}
            nlg = TemplatedNaturalLanguageGenerator({name: [variation]})
            message = asyncio.run(nlg.generate(name, tracker, "rest", **given))
            assert message is not None, name
            rendered[name] = shown(message)
            assert not traces(rendered[name], renames), (name, rendered[name])
            assert "{" not in str(message.get("text")), (name, message["text"])
    assert {"utter_ask_waste_address", "utter_invalid_dog_address_no_number"} <= set(rendered)
    assert NEW_TOWN in rendered["utter_ask_waste_address"]
    assert (
        f"im {NEW_OFFICE}" in rendered["utter_help"]
        or f"the {NEW_OFFICE}" in rendered["utter_help"]
    )
    assert "99103" in rendered["utter_invalid_issue_location_other_postcode"]
    assert "Markt 9" in rendered["utter_invalid_dog_address_no_number"]
    assert f"{NEW_AREA_CODE} 123456" in rendered["utter_invalid_callback_contact"]


@pytest.mark.parametrize("language", ["de", "en"])
def test_what_the_actions_say_names_the_city_of_the_data(
    musterstadt: Path, renames: dict[str, str], language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker, said = started(language)
    assert NEW_TOWN in shown(said[0]) and NEW_OFFICE in shown(said[0])  # the welcome
    questions = ["wie ist die telefonnummer", "wie wird das wetter"]  # the switchboard; unknown
    entries = [*catalogue.load_catalogue().services(), *catalogue.load_catalogue().offices()]
    for entry in entries:  # every answer, with its office's address, phone and hours
        questions.append(f"{entry.raw['names'][0]} gebühr unterlagen adresse telefon wann")
    for question in questions:
        messages, _ = asyncio.run(run_action("action_answer_faq", asked(tracker, question, "faq")))
        said += messages
    assert sum(NEW_TOWN in shown(m) for m in said) >= len(entries) // 2  # not vacuous
    missed = [{"event": "user", "parse_data": {"intent": {"name": "nlu_fallback"}}}] * 2
    tracker.update_with_events([Event.from_parameters(e) for e in missed], DOMAIN)
    messages, _ = asyncio.run(run_action("action_fallback", asked(tracker, "??", "nlu_fallback")))
    said += messages
    sunday = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)  # staff are off: phone numbers
    monkeypatch.setattr(handoff, "now", lambda: sunday)
    messages, _ = asyncio.run(
        run_action("action_human_handoff", asked(tracker, "mensch", "human_handoff"))
    )
    said += messages
    assert any(NEW_AREA_CODE in shown(m) for m in messages)
    for message in said:
        assert not traces(shown(message), renames), shown(message)
        assert "{" not in str(message.get("text")), message


def test_the_mandate_names_the_creditor_of_the_data(
    musterstadt: Path, renames: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    launcher = resolve({"DATA_DIR": str(musterstadt)}, dotenv=Path(os.devnull)).env
    portal = Settings.from_env({"PORTAL_API_TOKEN": "t", "DATA_DIR": str(musterstadt)})
    assert launcher["CREDITOR_NAME"] == portal.creditor_name == f"Universitätsstadt {NEW_TOWN}"
    assert portal.data_dir == musterstadt
    monkeypatch.setenv("CREDITOR_NAME", launcher["CREDITOR_NAME"])
    monkeypatch.setenv("CREDITOR_ID", launcher["CREDITOR_ID"])
    for language in ("de", "en"):
        text = consent.mandate_text(language)
        assert NEW_TOWN in text and not traces(text, renames)


def test_the_web_chat_page_names_the_city_of_the_data(
    musterstadt: Path, renames: dict[str, str]
) -> None:
    for page in ("index.html", "datenschutz.html"):
        html = render_page(page, city_name())
        assert NEW_TOWN in html and not traces(html, renames)


def test_the_demo_city_is_the_default_of_the_settings() -> None:
    # Unset DATA_DIR: the demo city's data/ (in a test environment that sets no DATA_DIR).
    env = {key: value for key, value in os.environ.items() if key not in {"DATA_DIR"}}
    env.pop("CREDITOR_NAME", None)
    launcher = resolve(env, dotenv=Path(os.devnull)).env
    assert launcher["DATA_DIR"] == "data"
    portal = Settings.from_env({"PORTAL_API_TOKEN": "t"})
    assert launcher["CREDITOR_NAME"] == portal.creditor_name
    assert Settings(api_token="t", db_url="sqlite://").creditor_name == portal.creditor_name
    assert portal.creditor_name == city.load_city.__wrapped__().raw["creditor_name"]
