"""The end of a service form: the request filed in the portal, or a cancellation; and the
questions whose buttons come from the portal (pickup days, free slots) or show a summary.

Every form's values are cleared at the end, so no personal value outlives its request in the
conversation's state; only the reference stays (``last_reference``) for the feedback.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import signing
from actions.city import load_city
from actions.forms import READBACK_VALUE
from actions.language import current_language
from actions.payment.common import format_amount, format_date
from actions.portal_client import Conflict, PortalError, get_portal_client
from actions.services import forms, streets
from actions.services.catalogue import load_catalogue
from rules.errors import InputError

FORM_FIELDS: dict[str, tuple[str, ...]] = {
    form.form: tuple(item.slot for item in form.fields)
    for form in (
        forms.ValidateCertificateForm,
        forms.ValidateBulkyWasteForm,
        forms.ValidateReportIssueForm,
        forms.ValidateRegisterDogForm,
        forms.ValidateBookAppointmentForm,
    )
}
# The forms' values, an address waiting to be confirmed (READBACK_VALUE) and the login of a
# certificate order: forgotten at the end.
ALL_SLOTS = (
    *(slot for slots in FORM_FIELDS.values() for slot in slots),
    READBACK_VALUE,
    *signing.SIGNING_SLOTS,
)
MAX_BUTTONS = 6


def _channel(tracker: Tracker) -> str:
    channel = str(tracker.get_latest_input_channel() or "rest")
    return channel if channel.replace("_", "").replace("-", "").isalnum() else "rest"


def ended_form(tracker: Tracker) -> str | None:
    """The service form that just ended (the latest of ours that ran)."""
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") in FORM_FIELDS:
            return str(event["name"])
    return None


def certificate_fee(slots: Mapping[str, Any]) -> Decimal:
    return forms.certificate_fee(
        str(slots["certificate_type"]), int(slots.get("certificate_copies") or 1)
    )


def payload(form: str, slots: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The portal's request type and fields for a completed form."""
    if form == "certificate_form":
        return "certificate", {
            "certificate_type": slots["certificate_type"],
            "person_name": slots["certificate_person"],
            "event_date": slots["certificate_event_date"],
            "event_place": slots["certificate_event_place"],
            "copies": int(slots["certificate_copies"]),
            "delivery_address": slots["certificate_address"],
            "fee": f"{certificate_fee(slots):.2f}",
        }
    if form == "bulky_waste_form":
        return "bulky_waste", {
            "address": slots["waste_address"],
            "items": list(slots["waste_items"]),
            "pickup_date": slots["waste_pickup_date"],
        }
    if form == "report_issue_form":
        report = {
            "category": slots["issue_category"],
            "location": slots["issue_location"],
            "description": slots["issue_description"],
        }
        shared = streets.find_coordinates(str(slots["issue_location"]))
        if shared is not None:
            report.update(latitude=shared[0], longitude=shared[1])
        return "issue_report", report
    return "dog_registration", {
        "owner_name": slots["dog_owner"],
        "address": slots["dog_address"],
        "dog_name": slots["dog_name"],
        "breed": slots["dog_breed"],
        "acquired_on": slots["dog_acquired_on"],
    }


class ActionSubmitServiceRequest(Action):
    def name(self) -> str:
        return "action_submit_service_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        form = ended_form(tracker)
        reset: list[EventType] = [SlotSet(slot, None) for slot in ALL_SLOTS]
        slots = {slot: tracker.get_slot(slot) for slot in FORM_FIELDS.get(form or "", ())}
        if form is None or any(value is None for value in slots.values()):
            return [*reset, SlotSet("request_filed", False)]  # stopped: already explained
        if form == "book_appointment_form":
            reference = await self._book(slots, dispatcher, tracker)
        else:
            reference = await self._file(form, slots, dispatcher, tracker)
        if reference is None:
            return [*reset, SlotSet("request_filed", False)]
        return [*reset, SlotSet("request_filed", True), SlotSet("last_reference", reference)]

    async def _file(
        self, form: str, slots: dict[str, Any], dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> str | None:
        kind, fields = payload(form, slots)
        fields.update(conversation_id=tracker.sender_id[:128], channel=_channel(tracker))
        login = signing.pending(tracker)
        if form == "certificate_form" and login:
            fields["signing_session_id"] = login  # the login that allows this order
        try:
            created = await get_portal_client().create_service_request(kind, fields)
        except Conflict:
            dispatcher.utter_message(response="utter_pickup_date_taken")
            return None
        except PortalError:
            dispatcher.utter_message(response="utter_service_unavailable")
            return None
        language = current_language(tracker)
        extra = {}
        if kind == "bulky_waste":
            extra["pickup_date"] = format_date(fields["pickup_date"], language)
        if kind == "certificate":
            extra["fee"] = format_amount(fields["fee"], language)
        dispatcher.utter_message(
            response=f"utter_filed_{kind}", reference=created.reference, **extra
        )
        return created.reference

    async def _book(
        self, slots: dict[str, Any], dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> str | None:
        booking = {
            "slot_id": slots["appointment_slot"],
            "service": slots["appointment_service"],
            "name": slots["appointment_name"],
            "email": slots["appointment_email"],
        }
        try:
            booked = await get_portal_client().book_appointment(booking)
        except Conflict:
            dispatcher.utter_message(response="utter_appointment_taken")
            return None
        except PortalError:
            dispatcher.utter_message(response="utter_service_unavailable")
            return None
        language = current_language(tracker)
        start = forms.slot_start(str(booked.get("start") or ""))
        dispatcher.utter_message(
            response="utter_appointment_booked",
            when=forms.when_label(start, language),
            email=booking["email"],
            office=office_address("stadtbuero", language),
        )
        return str(booked.get("id") or "")


def office_address(key: str, language: str) -> str:
    office = load_city().office(key)
    return f"{office.text('name', language)}, {office.text('address', language)}"


class ActionServiceCancel(Action):
    """``cancel`` inside a service form: stop, nothing filed, all values forgotten."""

    def name(self) -> str:
        return "action_service_cancel"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_cancelled")
        callback = ("callback_name", "callback_contact", "callback_topic", "request_reference")
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            *(SlotSet(slot, None) for slot in (*ALL_SLOTS, *callback)),
        ]


# ---------------------------------------------------------------- questions with buttons


class ActionAskWastePickupDate(Action):
    def name(self) -> str:
        return "action_ask_waste_pickup_date"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        try:
            days = await get_portal_client().pickup_dates()
        except PortalError:
            dispatcher.utter_message(response="utter_service_unavailable")
            return [ActiveLoop(None), SlotSet("requested_slot", None)]
        language = current_language(tracker)
        buttons = [_day_button(day, language) for day in days[:MAX_BUTTONS]]
        dispatcher.utter_message(response="utter_ask_waste_pickup_date", buttons=buttons)
        return []


def _day_button(day: date, language: str) -> dict[str, str]:
    title = format_date(day, language)
    return {"title": title, "payload": day.strftime("%d.%m.%Y")}


class ActionAskAppointmentSlot(Action):
    def name(self) -> str:
        return "action_ask_appointment_slot"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        try:
            offered = await forms.free_slots(str(tracker.get_slot("appointment_service")))
        except InputError:
            dispatcher.utter_message(response="utter_service_unavailable")
            return [ActiveLoop(None), SlotSet("requested_slot", None)]
        if not offered:
            dispatcher.utter_message(response="utter_appointment_none_free")
            return [ActiveLoop(None), SlotSet("requested_slot", None)]
        language = current_language(tracker)
        buttons = [
            {
                "title": forms.slot_label(slot, language),
                "payload": forms.slot_label(slot, "de"),
            }
            for slot in offered[:MAX_BUTTONS]
        ]
        dispatcher.utter_message(response="utter_ask_appointment_slot", buttons=buttons)
        return []


class ActionAskCertificateConfirm(Action):
    def name(self) -> str:
        return "action_ask_certificate_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = current_language(tracker)
        slots = dict(tracker.slots)
        kind = load_catalogue().by_field("certificate", str(slots["certificate_type"]))
        dispatcher.utter_message(
            response="utter_ask_certificate_confirm",
            certificate=kind.text("title", language) if kind else slots["certificate_type"],
            person=slots["certificate_person"],
            event_date=format_date(slots["certificate_event_date"], language),
            event_place=slots["certificate_event_place"],
            copies=int(slots["certificate_copies"] or 1),
            address=slots["certificate_address"],
            fee=format_amount(certificate_fee(slots), language),
        )
        return []


class ActionAskDogConfirm(Action):
    def name(self) -> str:
        return "action_ask_dog_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = current_language(tracker)
        tax = load_catalogue().service("hundesteuer")
        dispatcher.utter_message(
            response="utter_ask_dog_confirm",
            owner=tracker.get_slot("dog_owner"),
            address=tracker.get_slot("dog_address"),
            dog_name=tracker.get_slot("dog_name"),
            breed=tracker.get_slot("dog_breed"),
            acquired_on=format_date(tracker.get_slot("dog_acquired_on"), language),
            fee=tax.text("fee", language),
            source_url=tax.source_url,
        )
        return []


class ActionAskAppointmentConfirm(Action):
    def name(self) -> str:
        return "action_ask_appointment_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = current_language(tracker)
        slot_id = str(tracker.get_slot("appointment_slot") or "")
        dispatcher.utter_message(
            response="utter_ask_appointment_confirm",
            service=forms.service_label(str(tracker.get_slot("appointment_service")), language),
            when=forms.when_label(forms.slot_id_start(slot_id), language),
            name=tracker.get_slot("appointment_name"),
            email=tracker.get_slot("appointment_email"),
        )
        return []
