"""FAQ answers with sources, filing in the portal, status, handoff and feedback."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from services_harness import ROOT, FakePortal, responses, run, slot_values, tracker

from actions import city
from actions.services import catalogue, handoff
from actions.services.faq import ActionAnswerFaq
from actions.services.feedback import ActionFeedbackDone
from actions.services.status import ActionCheckStatus
from actions.services.submit import ActionSubmitServiceRequest
from actions.signing import encode

BULKY = {
    "waste_address": "Ketzerbach 12",
    "waste_items": ["Sofa", "Schrank"],
    "waste_pickup_date": "2026-12-08",
}


def test_faq_answer_carries_its_source() -> None:
    messages, _ = run(ActionAnswerFaq(), tracker("was kostet eine heiratsurkunde", "faq"))
    assert messages[0]["response"] == "utter_faq_answer"
    assert "12 €" in messages[0]["answer"]
    assert messages[0]["source_url"].startswith("https://")


def test_faq_unknown_topic_offers_people() -> None:
    messages, _ = run(ActionAnswerFaq(), tracker("wie wird das wetter", "faq"))
    assert responses(messages) == ["utter_faq_unknown"]


def test_changing_a_fee_in_the_catalogue_changes_the_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "data", tmp_path / "data", ignore=shutil.ignore_patterns("nlu", "demo"))
    path = tmp_path / "data" / "catalogue" / "services.yml"
    path.write_text(path.read_text("utf-8").replace("0,80 € pro Sack", "0,95 € pro Sack"), "utf-8")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    catalogue.load_catalogue.cache_clear()
    city.load_city.cache_clear()
    try:
        messages, _ = run(ActionAnswerFaq(), tracker("was kosten laubsäcke", "faq"))
    finally:
        catalogue.load_catalogue.cache_clear()
        city.load_city.cache_clear()
    assert "0,95 € pro Sack" in messages[0]["answer"]


def test_english_answer() -> None:
    messages, _ = run(ActionAnswerFaq(), tracker("how much is the dog tax", "faq", language="en"))
    assert "€60 a year" in messages[0]["answer"]


def ended(form: str) -> list[dict[str, object]]:
    return [{"event": "action", "name": form}, {"event": "active_loop", "name": None}]


def test_bulky_waste_is_filed_with_the_conversation_id(portal: FakePortal) -> None:
    given = tracker(slots=BULKY, events=ended("bulky_waste_form"))
    messages, events = run(ActionSubmitServiceRequest(), given)
    assert responses(messages) == ["utter_filed_bulky_waste"]
    method, path, body = portal.sent[-1]
    assert (method, path) == ("POST", "/api/v1/service-requests")
    assert body["type"] == "bulky_waste" and body["conversation_id"] == "citizen-7"
    values = slot_values(events)
    assert values["request_filed"] is True and values["last_reference"] == "SR-2026-000042"
    assert values["waste_address"] is None  # nothing personal outlives the request


def test_certificate_payload_carries_the_fee(portal: FakePortal) -> None:
    slots = {
        "certificate_type": "eheurkunde",
        "certificate_person": "Erika Mustermann",
        "certificate_event_date": "1999-05-01",
        "certificate_event_place": "Marburg",
        "certificate_copies": 2.0,
        "certificate_address": "Markt 9, 35037 Marburg",
        "certificate_confirm": True,
        "online_id_login": "done",
        "signing_session_id": encode("s-42"),
    }
    run(ActionSubmitServiceRequest(), tracker(slots=slots, events=ended("certificate_form")))
    body = portal.sent[-1][2]
    assert body["fee"] == "18.00" and body["copies"] == 2
    assert body["signing_session_id"] == "s-42"  # the login that allows the order (issue 15)


def test_no_certificate_is_ordered_without_the_login(portal: FakePortal) -> None:
    slots = {
        "certificate_type": "eheurkunde",
        "certificate_person": "Erika Mustermann",
        "certificate_event_date": "1999-05-01",
        "certificate_event_place": "Marburg",
        "certificate_copies": 1.0,
        "certificate_address": "Markt 9, 35037 Marburg",
        "certificate_confirm": True,
    }
    run(ActionSubmitServiceRequest(), tracker(slots=slots, events=ended("certificate_form")))
    assert portal.sent == []


def test_portal_down_files_nothing_and_asks_no_feedback(portal: FakePortal) -> None:
    portal.status = 503
    messages, events = run(
        ActionSubmitServiceRequest(), tracker(slots=BULKY, events=ended("bulky_waste_form"))
    )
    assert responses(messages) == ["utter_service_unavailable"]
    assert slot_values(events)["request_filed"] is False


def test_status_from_the_portal(portal: FakePortal) -> None:
    messages, _ = run(ActionCheckStatus(), tracker(slots={"request_reference": "SR-2026-000042"}))
    assert messages[0]["response"] == "utter_status" and messages[0]["status"] == "eingegangen"
    messages, _ = run(ActionCheckStatus(), tracker(slots={"request_reference": "SR-2026-000099"}))
    assert responses(messages) == ["utter_status_not_found"]
    # every status lookup names the conversation it is made for
    assert set(portal.clients) == {"citizen-7"}


def test_status_for_another_conversation_only_with_the_second_fact(portal: FakePortal) -> None:
    portal.owner = "the-filer"
    asked = {"request_reference": "SR-2026-000042", "request_needs_fact": True}
    messages, events = run(ActionCheckStatus(), tracker(slots=asked))
    assert responses(messages) == ["utter_status_not_found"]  # as for an unknown reference
    assert all(value is None for value in slot_values(events).values())
    given = {**asked, "request_second_fact": "Markt 9"}
    messages, _ = run(ActionCheckStatus(), tracker(slots=given))
    assert responses(messages) == ["utter_status"]
    assert portal.sent[-1][2] == {"reference": "SR-2026-000042", "second_fact": "Markt 9"}


@pytest.mark.parametrize(
    ("limit", "response"),
    [("client", "utter_lookup_throttled_client"), ("reference", "utter_status_throttled")],
)
def test_a_throttled_status_says_which_limit(portal: FakePortal, limit: str, response: str) -> None:
    portal.throttled = limit
    messages, _ = run(ActionCheckStatus(), tracker(slots={"request_reference": "SR-2026-000042"}))
    assert responses(messages) == [response] and messages[0]["minutes"] == 10


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc), True),  # Monday 10:00 in Marburg
        (datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc), False),  # Saturday
    ],
)
def test_handoff_depends_on_service_hours(
    moment: datetime, is_open: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handoff, "now", lambda: moment)
    messages, events = run(handoff.ActionHumanHandoff(), tracker("mensch bitte", "human_handoff"))
    assert slot_values(events) == {"handoff_open": is_open}
    if not is_open:
        assert messages[0]["response"] == "utter_handoff_closed"
        assert messages[0]["next_opening"] == "Montag, 30.11.2026, 08:00 Uhr"
        assert messages[0]["service_number"] == "115"


def test_callback_is_filed_and_the_conversation_paused(portal: FakePortal) -> None:
    slots = {
        "callback_name": "Erika Mustermann",
        "callback_contact": "0176 98765432",
        "callback_topic": "Grundsteuer",
    }
    messages, events = run(handoff.ActionHandoffSubmit(), tracker(slots=slots))
    assert responses(messages) == ["utter_handoff_filed"]
    assert portal.sent[-1][2]["type"] == "callback"
    assert portal.sent[-1][2]["conversation_id"] == "citizen-7"
    assert any(e["event"] == "pause" for e in events)


def test_feedback_is_kept_on_the_conversation() -> None:
    given = tracker(
        slots={"feedback_rating": "up", "feedback_comment": "-", "last_reference": "SR-2026-000042"}
    )
    messages, events = run(ActionFeedbackDone(), given)
    assert responses(messages) == ["utter_feedback_thanks"]
    log = slot_values(events)["feedback_log"]
    assert log[0]["rating"] == "up" and log[0]["reference"] == "SR-2026-000042"


def test_issue_report_sends_shared_coordinates(portal: FakePortal) -> None:
    slots = {
        "issue_category": "litter",
        "issue_location": "Standort 50.80970, 8.77000",
        "issue_description": "Glasscherben auf dem Gehweg",
    }
    run(ActionSubmitServiceRequest(), tracker(slots=slots, events=ended("report_issue_form")))
    body = portal.sent[-1][2]
    assert (body["latitude"], body["longitude"]) == (50.8097, 8.77)
