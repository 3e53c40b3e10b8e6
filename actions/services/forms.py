"""The request forms: certificate, bulky waste, issue report, dog registration, appointment.

Each field's check is a small function over the text; the form base (``actions/forms.py``)
asks, corrects and reports. The words that name a choice are in ``data/keywords/``. Values that
need the portal (free pickup days, free slots) are checked against what the portal offers at
that moment.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from actions import keywords, signing
from actions.forms import Unconfirmed
from actions.portal_client import (
    AppointmentSlot,
    PortalError,
    SigningSession,
    get_portal_client,
)
from actions.services import checks, dates, streets
from actions.services.catalogue import load_catalogue
from actions.services.form_base import (
    CONTROL_INTENTS,
    TIMEZONE,
    Field,
    ServiceForm,
    Turn,
    confirmed,
)
from actions.services.text import contains_words
from actions.signing import LoginForm
from rules import email as email_validator
from rules.errors import InputError

CERTIFICATE_PURPOSE = "order_certificate"
_TIME = re.compile(r"\b([01]?[0-9]|2[0-3])[:.]([0-5][0-9])\b(?!\.)")


def _choice(text: str, table: str, code: str = "unknown") -> str:
    """The option of a keyword table (``data/keywords``) that the text names, or its key."""
    options = keywords.table(table)
    lowered = text.strip().lower()
    if lowered in options:
        return lowered
    for key, words in options.items():
        if any(contains_words(text, str(word)) for word in words or ()):
            return key
    raise InputError(f"no option in {text!r}", code=code)


# ---------------------------------------------------------------- shared checks


async def past_date(text: str, turn: Turn) -> str:
    day = dates.parse(text, turn.today, "past")
    if day > turn.today:
        raise InputError("in the future", code="future")
    if day.year < 1875:  # civil registers in Germany start in 1876
        raise InputError("too early", code="too_early")
    return day.isoformat()


async def address(text: str, turn: Turn) -> str:
    """A known street is completed and corrected; an unknown one in the city is read back."""
    try:
        return streets.check(text)
    except streets.UnknownStreet as unknown:
        raise Unconfirmed(unknown.address) from unknown


async def name(text: str, turn: Turn) -> str:
    return checks.person_name(text)


async def place(text: str, turn: Turn) -> str:
    return checks.short_text(text, 100)


async def postal_address(text: str, turn: Turn) -> str:
    """A delivery address anywhere (certificates are also mailed outside the city)."""
    value = checks.short_text(text, 300)
    if not any(char.isdigit() for char in value):
        raise InputError("no house number or postcode", code="incomplete")
    return value


# ---------------------------------------------------------------- certificate


async def certificate_type(text: str, turn: Turn) -> str:
    return _choice(text, "certificate_types")


async def copies(text: str, turn: Turn) -> float:
    return float(checks.copies(text))


def certificate_fee(kind: str, number: int) -> Decimal:
    """Fee from the catalogue: the first copy, and each further one issued at the same time."""
    service = load_catalogue().by_field("certificate", kind)
    if service is None:
        raise KeyError(kind)
    first, further = Decimal(service.raw["fee_first"]), Decimal(service.raw["fee_further"])
    return first + further * (number - 1)


class ValidateCertificateForm(LoginForm, ServiceForm):
    """A civil-status certificate holds personal data: after the summary's yes the citizen logs
    in at the city's level, and the order names that login (``actions/signing.py``)."""

    form = "certificate_form"
    fields = (
        Field("certificate_type", certificate_type, "certificate_type"),
        Field("certificate_person", name),
        Field("certificate_event_date", past_date),
        Field("certificate_event_place", place),
        Field("certificate_copies", copies),
        Field("certificate_address", postal_address),
        Field("certificate_confirm", confirmed, confirm=True),
        signing.LOGIN_FIELD,
    )
    ignored_intents = CONTROL_INTENTS | signing.SIGNING_INTENTS
    state_slots = signing.SIGNING_SLOTS
    login_purpose = CERTIFICATE_PURPOSE
    login_after = "certificate_confirm"
    login_link = "utter_login_link_certificate"
    no_summary_after = signing.OUTCOME_RESPONSES

    def login_subject(self, turn: Turn) -> str | None:
        # The order does not exist before the login; the portal binds the login to the kind
        # of certificate and this conversation, and the order names the login.
        kind = turn.slot("certificate_type")
        return f"certificate:{kind}" if kind else None

    def login_name_mismatch(self, turn: Turn) -> dict[str, Any]:
        return {"certificate_confirm": None}

    async def login_completed(self, session: SigningSession, turn: Turn) -> dict[str, Any]:
        # The session id stays for action_submit_service_request, which files the order.
        return {signing.LOGIN_SLOT: "done"}


# ---------------------------------------------------------------- bulky waste


async def waste_items(text: str, turn: Turn) -> list[str]:
    return checks.items(text)


async def pickup_date(text: str, turn: Turn) -> str:
    day = dates.parse(text, turn.today, "future")
    if day <= turn.today:
        raise InputError("not in the future", code="past")
    try:
        free = await get_portal_client().pickup_dates()
    except PortalError as exc:
        raise InputError("portal unavailable", code="unavailable") from exc
    if day not in free:
        raise InputError(f"{day} not offered", code="not_offered")
    return day.isoformat()


class ValidateBulkyWasteForm(ServiceForm):
    form = "bulky_waste_form"
    fields = (
        Field("waste_address", address),
        Field("waste_items", waste_items),
        Field("waste_pickup_date", pickup_date),
    )


# ---------------------------------------------------------------- issue report


async def issue_category(text: str, turn: Turn) -> str:
    return _choice(text, "issue_categories")


async def issue_description(text: str, turn: Turn) -> str:
    return checks.description(text)


async def issue_location(text: str, turn: Turn) -> str:
    """Street and house number, or a location shared from a messenger (its coordinates come
    in the message's metadata ``location`` or as text "50.80970, 8.77000")."""
    shared = (turn.tracker.latest_message.get("metadata") or {}).get("location")
    if isinstance(shared, dict) and {"latitude", "longitude"} <= shared.keys():
        return streets.check_coordinates(float(shared["latitude"]), float(shared["longitude"]))
    found = streets.find_coordinates(text)
    if found is not None:
        return streets.check_coordinates(*found)
    return await address(text, turn)


class ValidateReportIssueForm(ServiceForm):
    form = "report_issue_form"
    fields = (
        Field("issue_category", issue_category),
        Field("issue_location", issue_location),
        Field("issue_description", issue_description),
    )


# ---------------------------------------------------------------- dog registration


async def dog_name(text: str, turn: Turn) -> str:
    return checks.short_text(text, 60)


async def breed(text: str, turn: Turn) -> str:
    return checks.short_text(text, 100)


async def acquired_on(text: str, turn: Turn) -> str:
    day = dates.parse(text, turn.today, "past")
    if day > turn.today:
        raise InputError("in the future", code="future")
    if (turn.today - day).days > 30 * 365:
        raise InputError("too early", code="too_early")
    return day.isoformat()


class ValidateRegisterDogForm(ServiceForm):
    form = "register_dog_form"
    fields = (
        Field("dog_owner", name, "person_name"),
        Field("dog_address", address),
        Field("dog_name", dog_name),
        Field("dog_breed", breed),
        Field("dog_acquired_on", acquired_on),
        Field("dog_confirm", confirmed, confirm=True),
    )


# ---------------------------------------------------------------- appointment


async def appointment_service(text: str, turn: Turn) -> str:
    return _choice(text, "appointment_services")


def service_label(service: str, language: str) -> str:
    return str(keywords.labels(language, "appointment_services").get(service, service))


def when_label(start: datetime | None, language: str) -> str:
    """A slot's local start: "01.12.2026 08:15" (German, also the button's payload)."""
    if start is None:
        return ""
    local = start.astimezone(TIMEZONE) if start.tzinfo else start
    return (
        local.strftime("%d.%m.%Y %H:%M") if language == "de" else local.strftime("%d %b %Y, %H:%M")
    )


def slot_label(slot: AppointmentSlot, language: str) -> str:
    return when_label(slot.start, language)


def slot_start(value: str) -> datetime | None:
    """The start of a booked appointment as the portal writes it (ISO, maybe with "Z")."""
    if not value:
        return None
    return datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)


def slot_id_start(slot_id: str) -> datetime | None:
    """The local start named in a portal slot id (``id_card-20261130T0815``)."""
    try:
        return datetime.strptime(slot_id.rsplit("-", 1)[1], "%Y%m%dT%H%M")
    except (IndexError, ValueError):
        return None


async def free_slots(service: str) -> list[AppointmentSlot]:
    try:
        return await get_portal_client().appointment_slots(service)
    except PortalError as exc:
        raise InputError("portal unavailable", code="unavailable") from exc


async def appointment_slot(text: str, turn: Turn) -> str:
    """The slot whose start the citizen chose (a button sends "01.12.2026 08:15")."""
    offered = await free_slots(str(turn.slot("appointment_service")))
    chosen = _when(text, turn)
    for slot in offered:
        start = slot.start.astimezone(TIMEZONE)
        if start.replace(tzinfo=None) == chosen:
            return slot.id
    raise InputError(f"{chosen} not offered", code="not_offered")


def _when(text: str, turn: Turn) -> datetime:
    time = next(iter(_TIME.findall(text)), None)
    if time is None:
        raise InputError("no time of day", code="no_time")
    day: date = dates.parse(_TIME.sub(" ", text), turn.today, "future")
    return datetime(day.year, day.month, day.day, int(time[0]), int(time[1]))


async def email(text: str, turn: Turn) -> str:
    return email_validator.validate(text)


class ValidateBookAppointmentForm(ServiceForm):
    form = "book_appointment_form"
    fields = (
        Field("appointment_service", appointment_service),
        Field("appointment_slot", appointment_slot),
        Field("appointment_name", name, "person_name"),
        Field("appointment_email", email, "email"),
        Field("appointment_confirm", confirmed, confirm=True),
    )
