"""Request and response schemas (pydantic 1.10): one source for validation and the OpenAPI document.

Requests are strict: unknown fields are refused, types are not coerced (an amount is a string
such as ``"48.00"``, never a JSON number, since floats lose cents), no field accepts ``null``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Generator
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConstrainedInt, ConstrainedStr, Extra, Field, ValidationError

from rules import bic as bic_rules
from rules import kassenzeichen as kz

CHANNEL_PATTERN = r"^[a-z0-9_-]{1,32}$"
AMOUNT_PATTERN = r"^[0-9]{1,7}(\.[0-9]{1,2})?$"


def _clean_text(value: str, *, multiline: bool = False) -> str:
    """Refuse control characters, lone surrogates and blank text (they break databases, mail)."""
    allowed = {"\n", "\r", "\t"} if multiline else set()
    for char in value:
        category = unicodedata.category(char)
        if char not in allowed and category in {"Cc", "Cs", "Co", "Cn"}:
            raise ValueError(
                "enthält unzulässige Zeichen / contains characters that are not allowed"
            )
    if not value.strip():
        raise ValueError("darf nicht leer sein / must not be blank")
    return value


class Text(ConstrainedStr):
    """A single line of text, 1–100 characters."""

    strict = True
    min_length = 1
    max_length = 100
    multiline: ClassVar[bool] = False

    @classmethod
    def __get_validators__(cls) -> Generator[Callable[..., Any], None, None]:
        yield from super().__get_validators__()
        yield cls._clean

    @classmethod
    def _clean(cls, value: str) -> str:
        return _clean_text(value, multiline=cls.multiline)


class Line16(Text):
    max_length = 16


class Line35(Text):
    max_length = 35


class Line60(Text):
    max_length = 60


class Line70(Text):
    max_length = 70


class Line128(Text):
    max_length = 128


class Line200(Text):
    max_length = 200


class Line254(Text):
    max_length = 254


class Para300(Text):
    max_length = 300
    multiline = True


class Para500(Text):
    max_length = 500
    multiline = True


class Para2000(Text):
    max_length = 2000
    multiline = True


class Latitude(float):
    """A JSON number (not a string, not a boolean) within the range."""

    limit: ClassVar[float] = 90.0

    @classmethod
    def __get_validators__(cls) -> Generator[Callable[..., Any], None, None]:
        yield cls._number

    @classmethod
    def _number(cls, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError("muss eine Zahl sein / must be a number")
        if not -cls.limit <= value <= cls.limit:
            raise ValueError(f"muss zwischen -{cls.limit} und {cls.limit} liegen / out of range")
        return float(value)

    @classmethod
    def __modify_schema__(cls, schema: dict[str, Any]) -> None:
        schema.update(type="number", minimum=-cls.limit, maximum=cls.limit)


class Longitude(Latitude):
    limit = 180.0


class Copies(ConstrainedInt):
    strict = True
    ge = 1
    le = 10


class Patterned(ConstrainedStr):
    """A strict string matched by a pattern; also refuses a line break, which ``$`` would let in."""

    strict = True

    @classmethod
    def __get_validators__(cls) -> Generator[Callable[..., Any], None, None]:
        yield from super().__get_validators__()
        yield cls._one_line

    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value:
            raise ValueError("hat nicht das erwartete Format / has not the expected format")
        return value


class KassenzeichenStr(Patterned):
    strict = True
    regex = re.compile(kz.PATTERN)

    @classmethod
    def __modify_schema__(cls, schema: dict[str, Any]) -> None:
        super().__modify_schema__(schema)
        schema.update(
            description=kz.DESCRIPTION,
            example="4100.2026.0001",
        )


class AmountStr(Patterned):
    strict = True
    regex = re.compile(AMOUNT_PATTERN)

    @classmethod
    def __modify_schema__(cls, schema: dict[str, Any]) -> None:
        super().__modify_schema__(schema)
        schema.update(
            description='Euro amount as a decimal string ("48", "48.0", "48.00"); never a number',
            example="48.00",
        )


class DateStr(Patterned):
    strict = True
    regex = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

    @classmethod
    def __modify_schema__(cls, schema: dict[str, Any]) -> None:
        super().__modify_schema__(schema)
        schema.update(format="date")

    @classmethod
    def __get_validators__(cls) -> Generator[Callable[..., Any], None, None]:
        yield from super().__get_validators__()
        yield cls._real_date

    @classmethod
    def _real_date(cls, value: str) -> str:
        try:
            dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError("kein gültiges Datum / not a valid date") from exc
        return value


class ChannelStr(Patterned):
    strict = True
    regex = re.compile(CHANNEL_PATTERN)

    @classmethod
    def __modify_schema__(cls, schema: dict[str, Any]) -> None:
        super().__modify_schema__(schema)
        schema.update(
            description="rest, socketio, telegram, whatsapp, web, test, or another [a-z0-9_-]{1,32}"
        )


class IbanStr(Patterned):
    min_length = 1
    max_length = 42


class EmailStr(Patterned):
    min_length = 3
    max_length = 254


class VersionStr(Patterned):
    min_length = 1
    max_length = 64


class BicStr(Patterned):
    min_length = 8
    max_length = 11
    regex = re.compile(bic_rules.PATTERN)


class CountryStr(Patterned):
    min_length = 2
    max_length = 2
    regex = re.compile(r"^[A-Z]{2}$")


class CodeStr(Patterned):
    min_length = 6
    max_length = 6
    regex = re.compile(r"^[0-9]{6}$")


class CategoryStr(Patterned):
    min_length = 1
    max_length = 40
    regex = re.compile(r"^[a-z_]{1,40}$")


class SlotIdStr(Patterned):
    min_length = 1
    max_length = 64


class SessionIdStr(Patterned):
    """The id of a signing session (POST /api/v1/signing-sessions)."""

    min_length = 32
    max_length = 32
    regex = re.compile(r"^[0-9a-f]{32}$")


class Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = False


# ---------------------------------------------------------------- invoices


class InvoiceLookup(Strict):
    kassenzeichen: KassenzeichenStr
    amount: AmountStr


class Invoice(BaseModel):
    kassenzeichen: str = Field(..., example="4100.2026.0001")
    amount: str = Field(..., example="48.00")
    currency: Literal["EUR"]
    purpose: str
    due_date: dt.date
    payment_state: Literal["open", "paid", "direct_debit"]
    active_mandate_id: str | None = Field(..., nullable=True)


# ---------------------------------------------------------------- mandates


class DebtorAddress(Strict):
    street: Line70
    postcode: Line16
    city: Line35
    country: CountryStr


class MandateCreate(Strict):
    kassenzeichen: KassenzeichenStr
    amount: AmountStr
    account_holder: Line70
    iban: IbanStr = Field(..., example="DE89 3704 0044 0532 0130 00")
    email: EmailStr = Field(..., example="erika@example.org")
    consent_text_version: VersionStr = Field(..., example="sepa-mandate-2026-1")
    channel: ChannelStr
    bic: BicStr | None = Field(
        None,
        description="required when the IBAN is from a SEPA country outside the EEA (CH, GB, …)",
    )
    debtor_address: DebtorAddress | None = Field(
        None, description="required when the IBAN is from a SEPA country outside the EEA"
    )
    language: Literal["de", "en"] = Field(
        "de", description="language of the later mails about this mandate (notices, returns)"
    )


class SignRequest(Strict):
    code: CodeStr = Field(..., example="123456")


class MandateCreated(BaseModel):
    id: str
    status: Literal["pending_signature"]
    iban_masked: str = Field(..., example="DE89 **** **** **** **30 00")
    code_expires_at: dt.datetime


class MandateSigned(BaseModel):
    id: str
    status: Literal["active"]
    mandate_reference: str = Field(..., example="410020260001-001")
    creditor_id: str
    creditor_name: str
    signed_at: dt.datetime
    document_url: str
    first_collection_date: dt.date | None = Field(
        ..., nullable=True, description="null when every due date is already with the bank"
    )
    sequence_type: Literal["FRST"]


class Mandate(BaseModel):
    id: str
    kassenzeichen: str
    status: Literal["pending_signature", "active", "rejected", "revoked", "superseded", "lapsed"]
    account_holder: str
    iban_masked: str
    email_masked: str
    mandate_reference: str | None = Field(..., nullable=True)
    signed_at: dt.datetime | None = Field(..., nullable=True)
    revoked_at: dt.datetime | None = Field(..., nullable=True)
    first_collection_date: dt.date | None = Field(..., nullable=True)
    created_at: dt.datetime
    channel: str
    consent_text_version: str
    evidence: dict[str, Any] | None = Field(
        ...,
        nullable=True,
        description="Signing evidence: times, channel, consent text version and its SHA-256, "
        "code check or, under `signature`, the login (level_of_assurance, idp_entity_id, "
        "assertion_id and times, pseudonym_hmac, signer_name; never the assertion), creditor "
        "id, mandate reference (null until signed)",
    )
    document_url: str | None = Field(
        None, nullable=True, description="the sealed mandate for the citizen (once signed)"
    )


class MandateList(BaseModel):
    items: list[Mandate]


class CodeResent(BaseModel):
    id: str
    status: Literal["pending_signature"]
    code_expires_at: dt.datetime


class MandateCreatedAnswer(MandateCreated):
    """The answer to a mandate's creation: how the city lets this mandate be signed."""

    signing_methods: list[Literal["bundid", "email_code"]] = Field(
        ...,
        description="bundid: a login (POST /api/v1/signing-sessions, purpose sign_mandate);"
        " email_code: the mailed code (POST /api/v1/mandates/{id}/sign), only up to the"
        " amount the city's policy allows (data/signing.yml); above it no code is mailed",
    )
    required_level: Literal["substantial", "high"] = Field(
        ..., description="the level of assurance a login must reach to sign it"
    )


class RevokeRequest(Strict):
    signing_session_id: SessionIdStr | None = Field(
        None,
        description="a completed signing session (purpose revoke_mandate, this mandate) of the"
        " signer or the account holder; required where the city's policy asks for a login",
    )


# ---------------------------------------------------------------- signing sessions


class SubjectStr(Patterned):
    min_length = 1
    max_length = 64
    regex = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


Purpose = Literal["sign_mandate", "revoke_mandate", "order_certificate"]


class SigningSessionCreate(Strict):
    purpose: Purpose
    subject_id: SubjectStr = Field(
        ..., description="the mandate's id (sign_mandate, revoke_mandate); any id for a certificate"
    )
    conversation_id: Line128 = Field(..., description="the conversation told when it ends")
    output_channel: ChannelStr = Field(..., description="the conversation's channel")
    language: Literal["de", "en"] = "de"


class SigningSessionCreated(BaseModel):
    id: str = Field(..., example="3f2c0d4e9a8b4c7d8e9f0a1b2c3d4e5f")
    url: str = Field(
        ..., description="the single-use link for the citizen: {PORTAL_PUBLIC_URL}/signing/<token>"
    )
    expires_at: dt.datetime
    required_level: Literal["substantial", "high"]


class SigningSession(BaseModel):
    id: str
    status: Literal["pending", "completed", "failed", "expired"]
    purpose: Purpose
    subject_id: str
    conversation_id: str
    required_level: Literal["substantial", "high"]
    level: Literal["low", "substantial", "high"] | None = Field(..., nullable=True)
    signer_name: str | None = Field(..., nullable=True)
    failure: str | None = Field(
        ...,
        nullable=True,
        description="cancelled, level_too_low, name_mismatch, invalid_response, expired,"
        " not_pending",
    )
    expires_at: dt.datetime
    finished_at: dt.datetime | None = Field(..., nullable=True)
    consumed: bool = Field(..., description="used up by a revocation or a certificate order")


# ---------------------------------------------------------------- service requests


class _RequestBase(Strict):
    conversation_id: Line128 | None = None
    channel: ChannelStr | None = None


class CertificateRequest(_RequestBase):
    type: Literal["certificate"]
    certificate_type: Literal["geburtsurkunde", "eheurkunde", "sterbeurkunde"]
    person_name: Text
    event_date: DateStr
    event_place: Text
    copies: Copies
    delivery_address: Para300
    fee: AmountStr
    signing_session_id: SessionIdStr | None = Field(
        None,
        description="a completed signing session (purpose order_certificate, this conversation)"
        " at the level of the city's policy; required where the policy asks for a login",
    )


class BulkyWasteRequest(_RequestBase):
    type: Literal["bulky_waste"]
    address: Line200
    items: list[Text] = Field(..., min_items=1, max_items=30)
    pickup_date: DateStr


class IssueReport(_RequestBase):
    type: Literal["issue_report"]
    category: CategoryStr = Field(..., example="pothole")
    location: Line200
    description: Para2000
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class DogRegistration(_RequestBase):
    type: Literal["dog_registration"]
    owner_name: Text
    address: Line200
    dog_name: Line60
    breed: Text
    acquired_on: DateStr


class CallbackRequest(_RequestBase):
    type: Literal["callback"]
    name: Text
    contact: Line254
    topic: Para500
    conversation_id: Line128


AnyServiceRequest = Annotated[
    CertificateRequest | BulkyWasteRequest | IssueReport | DogRegistration | CallbackRequest,
    Field(discriminator="type"),
]


class ServiceRequestCreate(BaseModel):
    __root__: AnyServiceRequest


class ServiceRequestCreated(BaseModel):
    reference: str = Field(
        ...,
        example="SR-2026-7KQM-4XDX",
        description="random: SR, the year, seven Crockford base-32 symbols and a check symbol",
    )
    status: str


class StatusLookup(Strict):
    """A status lookup on behalf of a citizen (header X-Client-Id names the conversation)."""

    reference: Line35 = Field(..., example="SR-2026-7KQM-4XDX")
    second_fact: Line254 | None = Field(
        None,
        description="given at filing: e-mail, phone, postcode, or street and house number;"
        " not needed from the conversation that filed the request",
    )


class HistoryEntry(BaseModel):
    status: str
    at: dt.datetime
    note: str


class ServiceRequest(BaseModel):
    reference: str
    type: str
    status: str
    created_at: dt.datetime
    history: list[HistoryEntry]


class PickupDate(BaseModel):
    date: dt.date
    free: int


class PickupDates(BaseModel):
    items: list[PickupDate]


# ---------------------------------------------------------------- appointments


class Slot(BaseModel):
    id: str
    start: dt.datetime
    end: dt.datetime
    service: str


class SlotList(BaseModel):
    items: list[Slot]


class AppointmentCreate(Strict):
    slot_id: SlotIdStr
    service: Literal["id_card", "passport", "registration"]
    name: Text
    email: EmailStr


class Appointment(BaseModel):
    id: str
    slot_id: str
    service: str
    start: dt.datetime
    end: dt.datetime
    status: Literal["booked"]


class Health(BaseModel):
    status: Literal["ok"]


RESPONSE_MODELS: tuple[type[BaseModel], ...] = (
    Invoice,
    MandateCreated,
    MandateCreatedAnswer,
    MandateSigned,
    Mandate,
    MandateList,
    CodeResent,
    ServiceRequestCreated,
    ServiceRequest,
    PickupDates,
    SlotList,
    Appointment,
    Health,
    SigningSessionCreated,
    SigningSession,
)
REQUEST_MODELS: tuple[type[BaseModel], ...] = (
    InvoiceLookup,
    MandateCreate,
    SignRequest,
    RevokeRequest,
    SigningSessionCreate,
    ServiceRequestCreate,
    StatusLookup,
    AppointmentCreate,
)


def field_errors(error: ValidationError) -> dict[str, str]:
    """Map pydantic's errors to ``{field: message}``, German first."""
    errors: dict[str, str] = {}
    for item in error.errors():
        # drop the wrapper and the union member's class name from the location
        loc = [str(p) for p in item["loc"] if p != "__root__" and not str(p)[:1].isupper()]
        if str(item["type"]).startswith("value_error.discriminated_union"):
            loc = ["type"]
        field = ".".join(loc) or "body"
        errors.setdefault(field, _message(item))
    return errors


_MESSAGES = {
    "value_error.missing": "fehlt / is required",
    "value_error.extra": "unbekanntes Feld / unknown field",
    "type_error.str": "muss eine Zeichenkette sein / must be a string",
    "type_error.integer": "muss eine ganze Zahl sein / must be an integer",
    "type_error.float": "muss eine Zahl sein / must be a number",
    "value_error.any_str.max_length": "ist zu lang / is too long",
    "value_error.any_str.min_length": "ist zu kurz / is too short",
    "value_error.str.regex": "hat nicht das erwartete Format / has not the expected format",
    "value_error.discriminated_union.missing_discriminator": "fehlt / is required",
    "value_error.discriminated_union.invalid_discriminator": (
        "unbekannte Art: certificate, bulky_waste, issue_report, dog_registration, callback"
        " / unknown type"
    ),
}


def _message(item: Any) -> str:
    kind = str(item["type"])
    if kind == "type_error.str" and item["loc"] and item["loc"][-1] == "amount":
        return (
            'Betrag als Zeichenkette wie "48.00" angeben / give the amount as a string like "48.00"'
        )
    return _MESSAGES.get(kind, str(item["msg"]))
