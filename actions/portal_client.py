"""The one module that knows the portal's HTTP API (see ``portal/`` and its ``/openapi.json``).

Errors, all raised from the low-level cause in one place (``_check``)::

    PortalError                  anything that kept the portal from answering the request
     ├── PortalUnavailable       connection refused, timeout, 5xx: nothing is known to be done
     ├── PortalAuthError         401/403: the action server's token is wrong (an operator's job)
     ├── NotFound                404 (an unknown invoice and a wrong amount alike)
     ├── Conflict                409: the mandate is no longer in the state the request needs
     ├── Throttled               429, with ``retry_after`` seconds when the portal says
     └── PortalRejected          422, with the field ``errors``, ``attempts_left``, ``code_expired``

Only idempotent calls are retried (GETs, and the mandate creation, which carries an
Idempotency-Key); a retried POST without one could, say, burn a signing attempt.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_URL = "http://127.0.0.1:8080"
_CHANNEL = re.compile(r"[A-Za-z0-9_-]{1,32}")
TIMEOUT = httpx.Timeout(5.0, connect=2.0, read=5.0)
# httpx's own pool sizes, and idle connections let go after 5 s: the portal keeps them far
# longer (portal.app.KEEP_ALIVE_SECONDS), so it never closes one just as a request is sent on
# it; that request would be lost to a reset, and lookups and signatures are not retried.
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
RETRIES = 2
BACKOFF_SECONDS = (0.2, 0.5)


class PortalError(Exception):
    """The portal did not do what was asked; ``status`` is the HTTP status if there was one."""

    def __init__(
        self, message: str, *, status: int | None = None, detail: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class PortalUnavailable(PortalError):
    """The portal could not be reached or failed (timeouts, connection errors, 5xx)."""


class PortalAuthError(PortalError):
    """The portal refused the action server's token."""


class NotFound(PortalError):
    """No such invoice (or a wrong amount), mandate or request."""


class Conflict(PortalError):
    """The resource is not in a state that allows the request (e.g. a mandate not pending)."""


class Throttled(PortalError):
    """Too many failed attempts; try again after ``retry_after`` seconds (None: unknown).

    ``limit`` names the limit that refused: ``kassenzeichen`` or ``reference`` (the thing
    asked about was tried too often) or ``client`` (this conversation failed too often).
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: int | None = None,
        limit: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.limit = limit


@dataclass(frozen=True)
class ClientId:
    """The conversation a lookup is made for: the portal counts failed lookups per client as
    well as per Kassenzeichen or reference, and shows a request's status without a second fact
    only to the conversation that filed it (headers ``X-Client-Id`` and ``X-Client-Channel``)."""

    sender: str
    channel: str | None = None

    def headers(self) -> dict[str, str]:
        # percent-encoded: a sender id may hold any character, a header only visible ASCII
        headers = {"X-Client-Id": quote(self.sender, safe="")}
        if self.channel and _CHANNEL.fullmatch(self.channel):
            headers["X-Client-Channel"] = self.channel
        return headers


class PortalRejected(PortalError):
    """The request was understood but refused (422): wrong fields, a wrong signing code, …"""

    def __init__(
        self,
        message: str,
        *,
        errors: Mapping[str, str] | None = None,
        attempts_left: int | None = None,
        mandate_status: str | None = None,
        code_expired: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.errors: dict[str, str] = dict(errors or {})
        self.attempts_left = attempts_left
        self.mandate_status = mandate_status
        self.code_expired = code_expired


@dataclass(frozen=True)
class Invoice:
    kassenzeichen: str
    amount: Decimal
    currency: str
    purpose: str
    due_date: date
    payment_state: str  # "open" | "paid" | "direct_debit"
    active_mandate_id: str | None


@dataclass(frozen=True)
class DebtorAddress:
    street: str
    postcode: str
    city: str
    country: str


@dataclass(frozen=True)
class MandateRequest:
    """What the portal needs to create a mandate; ``bic`` and address only outside the EEA."""

    kassenzeichen: str
    amount: Decimal
    account_holder: str
    iban: str
    email: str
    consent_text_version: str
    channel: str
    bic: str | None = None
    debtor_address: DebtorAddress | None = None
    language: str = "de"  # of the portal's later mails (notices, returns); German by default

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kassenzeichen": self.kassenzeichen,
            "amount": _decimal_text(self.amount),
            "account_holder": self.account_holder,
            "iban": self.iban,
            "email": self.email,
            "consent_text_version": self.consent_text_version,
            "channel": self.channel,
        }
        if self.bic:
            body["bic"] = self.bic
        if self.debtor_address is not None:
            body["debtor_address"] = asdict(self.debtor_address)
        if self.language != "de":
            body["language"] = self.language
        return body

    def __repr__(self) -> str:
        # Never let the clear IBAN reach a log line through a repr.
        return f"MandateRequest(kassenzeichen={self.kassenzeichen!r}, iban=<hidden>)"


@dataclass(frozen=True)
class Mandate:
    id: str
    status: str  # "pending_signature" | "active" | "rejected" | "revoked" | …
    iban_masked: str | None = None
    kassenzeichen: str | None = None
    mandate_reference: str | None = None
    code_expires_at: str | None = None
    first_collection_date: date | None = None
    document_url: str | None = None
    # How the city's policy (the portal's data/signing.yml) lets this mandate be signed, and the
    # level of assurance a login must reach. A portal that does not say allows the e-mail code.
    signing_methods: tuple[str, ...] = ("email_code",)
    required_level: str | None = None


@dataclass(frozen=True)
class SigningSession:
    """A login at the citizen's user account (BundID / Servicekonto) that the portal runs.

    ``url`` is set only in the answer that created it: a short-lived, single-use page.
    """

    id: str
    status: str  # "pending" | "completed" | "failed" | "expired"
    purpose: str | None = None  # "sign_mandate" | "revoke_mandate" | "order_certificate"
    subject_id: str | None = None
    url: str | None = None
    expires_at: datetime | None = None
    required_level: str | None = None
    level: str | None = None  # the level the login reached ("substantial" | "high")
    signer_name: str | None = None
    failure: str | None = None  # "name_mismatch" | "level_too_low" | "cancelled" | …

    def __repr__(self) -> str:
        # The URL opens a login for this conversation's subject: never into a log line.
        return f"SigningSession(id={self.id!r}, status={self.status!r}, failure={self.failure!r})"


@dataclass(frozen=True)
class SignedMandate:
    id: str
    status: str
    mandate_reference: str
    creditor_id: str
    creditor_name: str | None
    signed_at: str
    document_url: str
    first_collection_date: date | None
    sequence_type: str | None


@dataclass(frozen=True)
class ServiceRequestCreated:
    reference: str
    status: str


@dataclass(frozen=True)
class ServiceRequest:
    reference: str
    type: str | None
    status: str
    history: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class AppointmentSlot:
    id: str
    start: datetime
    end: datetime | None


def _decimal_text(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')):f}"


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_BY_STATUS: dict[int, type[PortalError]] = {
    401: PortalAuthError,
    403: PortalAuthError,
    404: NotFound,
    409: Conflict,
}


def _translate(response: httpx.Response) -> PortalError:
    """The one place that turns an HTTP error answer into a typed error."""
    status = response.status_code
    problem = _problem(response)
    detail = problem.get("detail") if isinstance(problem.get("detail"), str) else None
    message = f"portal answered {status} to {response.request.method} {response.request.url.path}"
    if status == 429:
        retry_after = _int_or_none(response.headers.get("Retry-After"))
        limit = problem.get("limit") if isinstance(problem.get("limit"), str) else None
        return Throttled(
            message, retry_after=retry_after, limit=limit, status=status, detail=detail
        )
    if status == 422:
        errors = problem.get("errors")
        return PortalRejected(
            message,
            errors={str(k): str(v) for k, v in errors.items()} if isinstance(errors, dict) else {},
            attempts_left=_int_or_none(problem.get("attempts_left")),
            mandate_status=problem.get("mandate_status"),
            code_expired=problem.get("code_expired") is True,
            status=status,
            detail=detail,
        )
    if status >= 500:
        return PortalUnavailable(message, status=status, detail=detail)
    return _BY_STATUS.get(status, PortalError)(message, status=status, detail=detail)


def _check(response: httpx.Response) -> httpx.Response:
    try:
        response.raise_for_status()
    except httpx.HTTPStatusError as exc:
        raise _translate(exc.response) from exc
    return response


class PortalClient:
    """Async client of the portal API. Build it with ``from_env()`` or ``get_portal_client()``."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        token: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = TIMEOUT,
        backoff: tuple[float, ...] = BACKOFF_SECONDS,
    ) -> None:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=timeout,
            limits=LIMITS,
            transport=transport,
        )
        self._backoff = backoff

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> PortalClient:
        return cls(environ.get("PORTAL_URL") or DEFAULT_URL, environ.get("PORTAL_API_TOKEN"))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, method: str, path: str, *, retry: bool, **kwargs: Any) -> httpx.Response:
        attempts = 1 + (RETRIES if retry else 0)
        for attempt in range(attempts):
            try:
                return _check(await self._http.request(method, path, **kwargs))
            except (httpx.TransportError, PortalUnavailable) as exc:
                if attempt + 1 >= attempts:
                    if isinstance(exc, PortalUnavailable):
                        raise
                    raise PortalUnavailable(f"portal unreachable: {type(exc).__name__}") from exc
                log.warning("portal %s %s failed (%s), retrying", method, path, type(exc).__name__)
                await asyncio.sleep(self._backoff[min(attempt, len(self._backoff) - 1)])
        raise AssertionError("unreachable")  # pragma: no cover

    async def _json(self, method: str, path: str, *, retry: bool, **kwargs: Any) -> Any:
        response = await self._send(method, path, retry=retry, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise PortalUnavailable(f"portal sent no JSON for {method} {path}") from exc

    async def lookup_invoice(
        self, kassenzeichen: str, amount: Decimal, client: ClientId | None = None
    ) -> Invoice:
        """The invoice, if Kassenzeichen and amount match; a miss is ``NotFound`` either way.

        Not retried: each failed lookup counts towards the portal's throttle, per Kassenzeichen
        and, with ``client`` (the conversation; always given for a citizen), per client.
        """
        body = {"kassenzeichen": kassenzeichen, "amount": _decimal_text(amount)}
        headers = client.headers() if client else None
        data = await self._json(
            "POST", "/api/v1/invoices/lookup", json=body, headers=headers, retry=False
        )
        return _parse(_invoice, data)

    async def create_mandate(self, request: MandateRequest, idempotency_key: str) -> Mandate:
        """Create a mandate pending signature; the portal mails the signing code."""
        headers = {"Idempotency-Key": idempotency_key}
        data = await self._json(
            "POST", "/api/v1/mandates", json=request.body(), headers=headers, retry=True
        )
        return _parse(_mandate, data)

    async def sign_mandate(self, mandate_id: str, code: str) -> SignedMandate:
        data = await self._json(
            "POST", f"/api/v1/mandates/{mandate_id}/sign", json={"code": code}, retry=False
        )
        return _parse(_signed_mandate, data)

    async def resend_code(self, mandate_id: str) -> Mandate:
        """Mail a new signing code (the old one expired). Not retried: each call mails."""
        path = f"/api/v1/mandates/{mandate_id}/resend-code"
        return _parse(_mandate, await self._json("POST", path, retry=False))

    async def mandates_of(self, kassenzeichen: str) -> list[Mandate]:
        params = {"kassenzeichen": kassenzeichen}
        data = await self._json("GET", "/api/v1/mandates", params=params, retry=True)
        return [_parse(_mandate, item) for item in _items(data)]

    async def get_mandate(self, mandate_id: str) -> Mandate:
        return _parse(
            _mandate, await self._json("GET", f"/api/v1/mandates/{mandate_id}", retry=True)
        )

    async def revoke_mandate(
        self, mandate_id: str, signing_session_id: str | None = None
    ) -> Mandate:
        """Revoke; ``signing_session_id`` names the completed login the city's policy needs."""
        body = {"signing_session_id": signing_session_id} if signing_session_id else None
        path = f"/api/v1/mandates/{mandate_id}/revoke"
        return _parse(_mandate, await self._json("POST", path, json=body, retry=False))

    async def create_signing_session(
        self,
        purpose: str,
        subject_id: str,
        conversation_id: str,
        output_channel: str,
        language: str,
    ) -> SigningSession:
        """A login link for one subject (a mandate, a request) and this conversation; the portal
        tells the conversation through Rasa (intent ``signing_finished``) when it is over.
        Not retried: each call makes a new single-use link."""
        body = {
            "purpose": purpose,
            "subject_id": subject_id,
            "conversation_id": conversation_id,
            "output_channel": output_channel,
            "language": language,
        }
        data = await self._json("POST", "/api/v1/signing-sessions", json=body, retry=False)
        return _parse(_signing_session, data)

    async def get_signing_session(self, session_id: str) -> SigningSession:
        data = await self._json("GET", f"/api/v1/signing-sessions/{session_id}", retry=True)
        return _parse(_signing_session, data)

    async def mandate_document(self, mandate_id: str) -> bytes:
        path = f"/api/v1/mandates/{mandate_id}/document"
        response = await self._send("GET", path, retry=True, headers={"Accept": "application/pdf"})
        return response.content

    async def create_service_request(
        self, request_type: str, fields: Mapping[str, Any]
    ) -> ServiceRequestCreated:
        body = {**fields, "type": request_type}
        data = await self._json("POST", "/api/v1/service-requests", json=body, retry=False)
        return _parse(_service_request_created, data)

    async def get_service_request(
        self, reference: str, client: ClientId | None = None
    ) -> ServiceRequest:
        """A request by its reference; with ``client``, only the conversation that filed it
        gets it (anyone else ``NotFound``, counted toward the limits)."""
        headers = client.headers() if client else None
        path = f"/api/v1/service-requests/{reference}"
        data = await self._json("GET", path, headers=headers, retry=client is None)
        return _parse(_service_request, data)

    async def lookup_service_request(
        self, reference: str, client: ClientId, second_fact: str | None = None
    ) -> ServiceRequest:
        """The status for a citizen: the filing conversation, or ``second_fact`` (what was given
        at filing: e-mail, phone, postcode, street and number). A miss is ``NotFound`` whether
        or not the reference exists. Not retried: each miss counts toward the limits."""
        body: dict[str, Any] = {"reference": reference}
        if second_fact:
            body["second_fact"] = second_fact
        data = await self._json(
            "POST",
            "/api/v1/service-requests/lookup",
            json=body,
            headers=client.headers(),
            retry=False,
        )
        return _parse(_service_request, data)

    async def pickup_dates(self) -> list[date]:
        """The next bulky waste pickup days that still have room."""
        data = await self._json("GET", "/api/v1/bulky-waste/dates", retry=True)
        return [_parse(_pickup_date, item) for item in _items(data)]

    async def appointment_slots(self, service: str) -> list[AppointmentSlot]:
        params = {"service": service}
        data = await self._json("GET", "/api/v1/appointments/slots", params=params, retry=True)
        return [_parse(_slot, item) for item in _items(data)]

    async def book_appointment(self, booking: Mapping[str, Any]) -> dict[str, Any]:
        data = await self._json("POST", "/api/v1/appointments", json=dict(booking), retry=False)
        if not isinstance(data, dict):
            raise PortalUnavailable("portal sent an unexpected answer to the booking")
        return data


def _items(data: Any) -> list[Any]:
    items = data.get("items") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise PortalUnavailable("portal sent an unexpected list")
    return items


def _parse(parser: Callable[[Any], T], data: Any) -> T:
    """Run one of the parsers below; a malformed answer counts as an unavailable portal."""
    try:
        return parser(data)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise PortalUnavailable(f"portal sent an unexpected answer ({parser.__name__})") from exc


def _invoice(data: dict[str, Any]) -> Invoice:
    return Invoice(
        kassenzeichen=str(data["kassenzeichen"]),
        amount=Decimal(str(data["amount"])),
        currency=str(data.get("currency", "EUR")),
        purpose=str(data["purpose"]),
        due_date=date.fromisoformat(data["due_date"]),
        payment_state=str(data["payment_state"]),
        active_mandate_id=data.get("active_mandate_id"),
    )


def _mandate(data: dict[str, Any]) -> Mandate:
    return Mandate(
        id=str(data["id"]),
        status=str(data["status"]),
        iban_masked=data.get("iban_masked"),
        kassenzeichen=data.get("kassenzeichen"),
        mandate_reference=data.get("mandate_reference"),
        code_expires_at=data.get("code_expires_at"),
        first_collection_date=_date(data.get("first_collection_date")),
        document_url=data.get("document_url"),
        signing_methods=tuple(str(m) for m in data.get("signing_methods") or ("email_code",)),
        required_level=data.get("required_level"),
    )


def _signing_session(data: dict[str, Any]) -> SigningSession:
    expires = data.get("expires_at")
    return SigningSession(
        id=str(data["id"]),
        status=str(data.get("status") or "pending"),
        purpose=data.get("purpose"),
        subject_id=None if data.get("subject_id") is None else str(data["subject_id"]),
        url=data.get("url"),
        expires_at=_datetime(str(expires)) if expires else None,
        required_level=data.get("required_level"),
        level=data.get("level"),
        signer_name=data.get("signer_name"),
        failure=data.get("failure"),
    )


def _signed_mandate(data: dict[str, Any]) -> SignedMandate:
    return SignedMandate(
        id=str(data["id"]),
        status=str(data["status"]),
        mandate_reference=str(data["mandate_reference"]),
        creditor_id=str(data["creditor_id"]),
        creditor_name=data.get("creditor_name"),
        signed_at=str(data["signed_at"]),
        document_url=str(data["document_url"]),
        first_collection_date=_date(data.get("first_collection_date")),
        sequence_type=data.get("sequence_type"),
    )


def _service_request_created(data: dict[str, Any]) -> ServiceRequestCreated:
    return ServiceRequestCreated(reference=str(data["reference"]), status=str(data["status"]))


def _service_request(data: dict[str, Any]) -> ServiceRequest:
    history = data.get("history") or []
    return ServiceRequest(
        reference=str(data["reference"]),
        type=data.get("type"),
        status=str(data["status"]),
        history=tuple(dict(entry) for entry in history),
    )


def _pickup_date(data: dict[str, Any]) -> date:
    return date.fromisoformat(str(data["date"]))


def _datetime(value: str) -> datetime:
    # Python 3.10's fromisoformat does not read the "Z" that JSON encoders often write.
    return datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)


def _slot(data: dict[str, Any]) -> AppointmentSlot:
    end = data.get("end")
    return AppointmentSlot(
        id=str(data["id"]),
        start=_datetime(data["start"]),
        end=_datetime(end) if end else None,
    )


_client: PortalClient | None = None


def get_portal_client() -> PortalClient:
    """The action server's shared client, created on first use (never at import time)."""
    global _client  # one lazily built client per process
    if _client is None:
        _client = PortalClient.from_env()
    return _client


def set_portal_client(client: PortalClient | None) -> None:
    """Swap the shared client (tests point it at a mock transport or a test portal)."""
    global _client
    _client = client
