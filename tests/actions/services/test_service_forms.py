"""The service forms' validation actions, turn by turn, with a fake portal."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from services_harness import FakePortal, responses, run, slot_values, tracker

from actions.services import form_base, forms
from actions.services.status import ValidateCheckStatusForm

TODAY = date(2026, 11, 28)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(form_base, "today", lambda: TODAY)


def answer(
    form: Any, text: str, requested: str, intent: str = "inform", **slots: Any
) -> tuple[list[str], dict[str, Any]]:
    given = tracker(
        text, intent, slots={"requested_slot": requested, **slots}, active_loop=form.form
    )
    messages, events = run(form, given)
    return responses(messages), slot_values(events)


def test_activation_takes_the_certificate_named_and_asks_the_next_slot() -> None:
    given = tracker(
        "ich brauche eine geburtsurkunde",
        "request_certificate",
        entities=[{"entity": "certificate_type", "value": "geburtsurkunde"}],
        slots={"certificate_person": "stale from an earlier run"},
    )
    _, events = run(forms.ValidateCertificateForm(), given)
    values = slot_values(events)
    assert values["certificate_type"] == "geburtsurkunde"
    assert values["certificate_person"] is None  # an earlier run's value is forgotten
    assert values["requested_slot"] == "certificate_person"


def test_impossible_event_date_has_its_own_message() -> None:
    said, values = answer(
        forms.ValidateCertificateForm(),
        "31.02.",
        "certificate_event_date",
        certificate_type="geburtsurkunde",
        certificate_person="Erika Mustermann",
    )
    assert said == ["utter_invalid_certificate_event_date_impossible"]
    assert values["certificate_event_date"] is None
    assert values["requested_slot"] == "certificate_event_date"


def test_event_in_the_future_is_refused() -> None:
    said, _ = answer(forms.ValidateCertificateForm(), "12.3.2030", "certificate_event_date")
    assert said == ["utter_invalid_certificate_event_date_future"]


def test_a_good_event_date_moves_on() -> None:
    said, values = answer(
        forms.ValidateCertificateForm(),
        "12.3.1985",
        "certificate_event_date",
        certificate_type="geburtsurkunde",
        certificate_person="Erika Mustermann",
    )
    assert said == []
    assert values == {
        "certificate_event_date": "1985-03-12",
        "requested_slot": "certificate_event_place",
    }


def test_fee_from_the_catalogue() -> None:
    assert str(forms.certificate_fee("geburtsurkunde", 1)) == "12.00"
    assert str(forms.certificate_fee("sterbeurkunde", 3)) == "24.00"


def test_correction_clears_the_named_value_and_the_confirmation() -> None:
    filled = {
        "certificate_type": "geburtsurkunde",
        "certificate_person": "Erika Mustermann",
        "certificate_event_date": "1985-03-12",
        "certificate_event_place": "Marburg",
        "certificate_copies": 2.0,
        "certificate_address": "Markt 9, 35037 Marburg",
    }
    said, values = answer(
        forms.ValidateCertificateForm(), "das datum ist falsch", "certificate_confirm", **filled
    )
    assert said == ["utter_service_correction"]
    assert values["certificate_event_date"] is None
    assert values["requested_slot"] == "certificate_event_date"


def test_deny_at_the_confirmation_asks_what_to_change() -> None:
    said, values = answer(forms.ValidateCertificateForm(), "nein", "certificate_confirm", "deny")
    assert said == ["utter_service_what_to_change"]
    assert values["certificate_confirm"] is None


def test_help_inside_a_form_is_left_to_its_rule() -> None:
    said, values = answer(forms.ValidateBulkyWasteForm(), "hilfe", "waste_address", "help")
    assert (said, values) == ([], {})


@pytest.mark.parametrize(
    ("text", "response"),
    [
        ("Hauptstraße 1", "utter_invalid_waste_address_unknown_street"),
        ("Ketzerbach", "utter_invalid_waste_address_no_number"),
    ],
)
def test_unknown_streets(text: str, response: str) -> None:
    said, values = answer(forms.ValidateBulkyWasteForm(), text, "waste_address")
    assert said == [response]
    assert values["waste_address"] is None


def test_pickup_date_must_be_offered_by_the_portal(portal: FakePortal) -> None:
    said, values = answer(forms.ValidateBulkyWasteForm(), "08.12.2026", "waste_pickup_date")
    assert said == [] and values["waste_pickup_date"] == "2026-12-08"
    said, _ = answer(forms.ValidateBulkyWasteForm(), "09.12.2026", "waste_pickup_date")
    assert said == ["utter_invalid_waste_pickup_date_not_offered"]


def test_pickup_date_in_the_past(portal: FakePortal) -> None:
    said, _ = answer(forms.ValidateBulkyWasteForm(), "1.11.2026", "waste_pickup_date")
    assert said == ["utter_invalid_waste_pickup_date_past"]


def test_long_issue_description_is_refused() -> None:
    said, _ = answer(forms.ValidateReportIssueForm(), "Loch " * 400, "issue_description")
    assert said == ["utter_invalid_issue_description_too_long"]


def test_issue_category_from_a_button_or_words() -> None:
    _, values = answer(forms.ValidateReportIssueForm(), "street_light", "issue_category")
    assert values["issue_category"] == "street_light"
    _, values = answer(forms.ValidateReportIssueForm(), "ein schlagloch", "issue_category")
    assert values["issue_category"] == "pothole"


def test_dog_acquired_in_the_future() -> None:
    said, _ = answer(forms.ValidateRegisterDogForm(), "1.1.2027", "dog_acquired_on")
    assert said == ["utter_invalid_dog_acquired_on_future"]


def test_appointment_slot_from_the_button(portal: FakePortal) -> None:
    said, values = answer(
        forms.ValidateBookAppointmentForm(),
        "01.12.2026 08:15",
        "appointment_slot",
        appointment_service="id_card",
    )
    assert said == [] and values["appointment_slot"] == "id_card-20261201T0815"
    said, _ = answer(
        forms.ValidateBookAppointmentForm(),
        "01.12.2026 09:00",
        "appointment_slot",
        appointment_service="id_card",
    )
    assert said == ["utter_invalid_appointment_slot_not_offered"]


def test_reference_format_is_checked(portal: FakePortal) -> None:
    said, values = answer(ValidateCheckStatusForm(), "4711", "request_reference")
    assert said == ["utter_invalid_request_reference_format"]
    said, values = answer(ValidateCheckStatusForm(), "SR-2026-7KQM-4XD9", "request_reference")
    assert said == ["utter_invalid_request_reference_checksum"]  # a typo, said at once
    _, values = answer(ValidateCheckStatusForm(), "sr-2026-000042", "request_reference")
    # this conversation filed it: nothing more to ask
    assert values == {
        "request_reference": "SR-2026-000042",
        "request_needs_fact": False,
        "requested_slot": None,
    }
    assert portal.clients[-1] == "citizen-7"


def test_another_conversation_is_asked_for_the_second_fact(portal: FakePortal) -> None:
    portal.owner = "someone-else"
    _, values = answer(ValidateCheckStatusForm(), "SR-2026-000042", "request_reference")
    assert values["request_needs_fact"] is True
    assert values["requested_slot"] == "request_second_fact"
    _, values = answer(
        ValidateCheckStatusForm(),
        "Markt 9",
        "request_second_fact",
        request_reference="SR-2026-000042",
        request_needs_fact=True,
    )
    assert values == {"request_second_fact": "Markt 9", "requested_slot": None}


def test_a_throttled_status_lookup_ends_the_form_with_its_reason(portal: FakePortal) -> None:
    portal.throttled = "client"
    said, values = answer(ValidateCheckStatusForm(), "SR-2026-000042", "request_reference")
    assert said == ["utter_lookup_throttled_client"]
    assert values["requested_slot"] is None and values["request_reference"] is None


def test_every_message_a_form_can_send_exists() -> None:
    from services_harness import domain

    known = set(domain()["responses"])
    for form in (
        forms.ValidateCertificateForm,
        forms.ValidateBulkyWasteForm,
        forms.ValidateReportIssueForm,
        forms.ValidateRegisterDogForm,
        forms.ValidateBookAppointmentForm,
    ):
        for item in form.fields:
            if item.slot == "online_id_login":
                continue  # the login step: asked by action_ask_online_id_login, never typed
            asked = (
                f"utter_ask_{item.slot}" in known
                or item.confirm
                or item.slot in ("waste_pickup_date", "appointment_slot")
            )
            assert asked, item.slot
            assert item.confirm or f"utter_invalid_{item.slot}" in known, item.slot


def test_location_shared_from_a_messenger() -> None:
    given = tracker("", slots={"requested_slot": "issue_location"}, active_loop="report_issue_form")
    given.latest_message["metadata"] = {"location": {"latitude": 50.8097, "longitude": 8.77}}
    _, events = run(forms.ValidateReportIssueForm(), given)
    assert slot_values(events)["issue_location"] == "Standort 50.80970, 8.77000"


def test_location_outside_the_city_is_refused() -> None:
    said, values = answer(forms.ValidateReportIssueForm(), "52.5200, 13.4050", "issue_location")
    assert said == ["utter_invalid_issue_location"]
    assert values["issue_location"] is None


# ---------------------------------------------------------------- a street the register lacks

READ_BACK = "Xyz-Straße 5, 35039 Marburg"


def test_an_unknown_street_in_the_city_is_read_back() -> None:
    said, values = answer(forms.ValidateBulkyWasteForm(), "Xyz-Str. 5, 35039", "waste_address")
    assert said == []  # the question utter_ask_readback_confirm reads the value back
    assert values == {
        "waste_address": None,
        "readback_value": READ_BACK,
        "requested_slot": "readback_confirm",
    }


def test_yes_takes_the_read_back_address() -> None:
    said, values = answer(
        forms.ValidateBulkyWasteForm(),
        "ja",
        "readback_confirm",
        "affirm",
        readback_value=READ_BACK,
    )
    assert said == []
    assert values == {
        "waste_address": READ_BACK,
        "readback_value": None,
        "requested_slot": "waste_items",
    }


def test_no_asks_for_the_address_again() -> None:
    said, values = answer(
        forms.ValidateRegisterDogForm(),
        "nein",
        "readback_confirm",
        "deny",
        readback_value=READ_BACK,
        dog_owner="Erika Mustermann",
    )
    assert said == []
    assert values == {"readback_value": None, "requested_slot": "dog_address"}


def test_another_address_instead_of_yes_or_no_is_the_answer() -> None:
    _, values = answer(
        forms.ValidateReportIssueForm(),
        "nein, Markt 9",
        "readback_confirm",
        readback_value=READ_BACK,
        issue_category="pothole",
    )
    assert values == {
        "readback_value": None,
        "issue_location": "Markt 9",
        "requested_slot": "issue_description",
    }


def test_help_while_an_address_waits_is_left_to_its_rule() -> None:
    said, values = answer(
        forms.ValidateBulkyWasteForm(),
        "hilfe",
        "readback_confirm",
        "help",
        readback_value=READ_BACK,
    )
    assert (said, values) == ([], {})


def test_an_address_in_another_town_is_refused_with_the_reason() -> None:
    said, values = answer(
        forms.ValidateBulkyWasteForm(), "Hauptstraße 1, 10115 Berlin", "waste_address"
    )
    assert said == ["utter_invalid_waste_address_other_postcode"]
    assert values == {"waste_address": None, "requested_slot": "waste_address"}


def test_a_new_run_forgets_an_address_that_waited() -> None:
    given = tracker(
        "ich will sperrmuell anmelden", "bulky_waste", slots={"readback_value": READ_BACK}
    )
    _, events = run(forms.ValidateBulkyWasteForm(), given)
    assert slot_values(events) == {"readback_value": None, "requested_slot": "waste_address"}
