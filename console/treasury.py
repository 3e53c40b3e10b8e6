"""What the treasury must follow up, read from the portal API for the dashboard: mails that
finally failed and collections the bank returned.

Only what staff need to act on reaches the page: the recipient masked, never a mail body or
an IBAN. The portal being down must not break the dashboard, so every failure of the call
(refused, slow, an error status, an unexpected answer) becomes a note instead of an error.

>>> mask_address("erika.m@example.de")
'e…@example.de'
>>> mask_address("kein-at-zeichen")
'…'
>>> reason_text("AM04"), reason_text("XY99"), reason_text(None)
('AM04 Deckung unzureichend', 'XY99', '–')
>>> error_kind("SMTP 127.0.0.1:2525 failed: ConnectionRefusedError")
'ConnectionRefusedError'
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from bot.tls import tls_context

TIMEOUT = httpx.Timeout(3.0)
UNREACHABLE = "Portal nicht erreichbar – diese Angaben fehlen gerade. / Portal unreachable."
Shown = TypeVar("Shown")
SHOWN = 50  # the newest; the portal keeps them all

# The SEPA reason codes a Sparkasse sends back most, as the treasury says them.
REASONS = {
    "AC01": "IBAN fehlerhaft",
    "AC04": "Konto erloschen",
    "AC06": "Konto gesperrt",
    "AG01": "Lastschrift auf diesem Konto nicht erlaubt",
    "AM04": "Deckung unzureichend",
    "BE05": "Gläubiger nicht erkannt",
    "FF01": "Dateiformat ungültig",
    "MD01": "kein Mandat",
    "MD06": "Erstattung durch Zahler",
    "MD07": "Kontoinhaber verstorben",
    "MS02": "Widerspruch durch Zahler",
    "MS03": "Grund nicht angegeben",
    "RR04": "regulatorische Gründe",
    "SL01": "Sonderdienst der Bank",
}


def mask_address(address: object) -> str:
    """First letter and domain: enough to recognise a mail, not to read the address."""
    local, at, domain = str(address or "").rpartition("@")
    if not at or not local or not domain:
        return "…"
    return f"{local[0]}…@{domain}"


def reason_text(code: object) -> str:
    if not code:
        return "–"
    text = str(code)[:8]
    return f"{text} {REASONS[text]}" if text in REASONS else text


def error_kind(error: object) -> str:
    """The portal records `SMTP host:port failed: ExceptionName`; the kind is the last part."""
    text = str(error or "").strip()
    return text.rpartition(": ")[2][:80] if text else "–"


def _moment(value: object) -> str:
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class FailedMail:
    recipient: str
    subject: str
    kind: str
    attempts: int
    error: str
    time: str


@dataclass(frozen=True)
class ReturnedCollection:
    kassenzeichen: str
    due_date: str
    amount: str
    reason: str
    time: str


@dataclass(frozen=True)
class FollowUp:
    """Each list is None when the portal did not answer for it (the page shows the note)."""

    failed_mails: list[FailedMail] | None
    returns: list[ReturnedCollection] | None
    note: str = UNREACHABLE


def _failed_mail(item: dict[str, Any]) -> FailedMail:
    return FailedMail(
        recipient=mask_address(item.get("to")),
        subject=str(item.get("subject") or ""),
        kind=str(item.get("kind") or ""),
        attempts=int(item.get("attempts") or 0),
        error=error_kind(item.get("last_error")),
        time=_moment(item.get("created_at")),
    )


def _returned(item: dict[str, Any]) -> ReturnedCollection:
    return ReturnedCollection(
        kassenzeichen=str(item.get("kassenzeichen") or ""),
        due_date=str(item.get("due_date") or ""),
        amount=str(item.get("amount") or ""),
        reason=reason_text(item.get("return_reason")),
        time=_moment(item.get("returned_at")),
    )


class PortalReader:
    def __init__(
        self, base_url: str, token: str, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.transport = transport

    async def _items(self, client: httpx.AsyncClient, path: str, **params: str) -> list[Any]:
        response = await client.get(path, params=params)
        response.raise_for_status()
        items = response.json()["items"]
        if not isinstance(items, list):
            raise ValueError("items is not a list")
        return items[:SHOWN]

    async def follow_up(self) -> FollowUp:
        if not self.base_url:
            return FollowUp(None, None)
        async with httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=TIMEOUT,
            verify=tls_context(),
            transport=self.transport,
        ) as client:
            answers = await asyncio.gather(
                self._items(client, "/api/v1/outbox", status="failed"),
                self._items(client, "/api/v1/collections/returns"),
                return_exceptions=True,
            )
        mails, returned = answers
        return FollowUp(
            failed_mails=_parsed(mails, _failed_mail),
            returns=_parsed(returned, _returned),
        )


def _parsed(
    answer: list[Any] | BaseException, make: Callable[[dict[str, Any]], Shown]
) -> list[Shown] | None:
    # anything the portal could answer wrongly (status, JSON, shape) means: not available now
    if isinstance(answer, BaseException):
        if not isinstance(answer, (httpx.HTTPError, ValueError, KeyError, TypeError)):
            raise answer
        return None
    try:
        return [make(item) for item in answer]
    except (AttributeError, ValueError, TypeError):
        return None
