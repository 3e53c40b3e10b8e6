"""Trackers and a fake portal for unit tests of the service actions (one module each)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.portal_client import PortalClient, set_portal_client

ROOT = Path(__file__).resolve().parents[3]


def domain() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load((ROOT / "bot/domain/services.yml").read_text("utf-8"))
    return raw


def tracker(
    text: str = "",
    intent: str = "inform",
    *,
    slots: dict[str, Any] | None = None,
    active_loop: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
    language: str = "de",
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.99},
        "entities": entities or [],
    }
    return Tracker(
        "citizen-7",
        {"language": language, **(slots or {})},
        latest,
        [*(events or []), {"event": "user", "text": text, "parse_data": latest}],
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


def run(action: Action, given: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(messages sent, events returned)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, given, domain()))
    return dispatcher.messages, list(events)


def slot_values(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [str(m.get("response")) for m in messages]


class FakePortal:
    """Answers the portal routes the service actions use; records what it was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Any]] = []
        self.pickup_dates = ["2026-12-08", "2026-12-10"]
        self.slots = [{"id": "id_card-20261201T0815", "start": "2026-12-01T07:15:00Z", "end": None}]
        self.status = 201
        self.requests: dict[str, dict[str, Any]] = {}
        # the status lookup: SR-2026-000042 was filed by this conversation, at "Markt 9"
        self.owner = "citizen-7"
        self.throttled: str | None = None  # the portal's `limit` when it answers 429
        self.clients: list[str | None] = []  # X-Client-Id of every request

    def _status(self, reference: str, client: str | None, fact: str | None) -> httpx.Response:
        if self.throttled:
            problem = {"title": "too many", "limit": self.throttled}
            return httpx.Response(429, json=problem, headers={"Retry-After": "600"})
        if reference != "SR-2026-000042" or (client != self.owner and fact != "Markt 9"):
            return httpx.Response(404, json={"title": "not found"})
        return httpx.Response(
            200,
            json={
                "reference": reference,
                "type": "bulky_waste",
                "status": "received",
                "history": [
                    {"status": "received", "at": "2026-11-28T10:00:00Z", "note": "eingegangen"}
                ],
            },
        )

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        path = request.url.path
        self.sent.append((request.method, path, body))
        client = request.headers.get("X-Client-Id")
        self.clients.append(client)
        if path == "/api/v1/service-requests/lookup":
            return self._status(body["reference"], client, body.get("second_fact"))
        if path == "/api/v1/bulky-waste/dates":
            return httpx.Response(
                200, json={"items": [{"date": d, "free": 3} for d in self.pickup_dates]}
            )
        if path == "/api/v1/appointments/slots":
            return httpx.Response(200, json={"items": self.slots})
        if path == "/api/v1/appointments":
            if self.status != 201:
                return httpx.Response(self.status, json={"title": "no"})
            return httpx.Response(
                201, json={"id": "a1", "start": "2026-12-01T07:15:00Z", "status": "booked"}
            )
        if path == "/api/v1/service-requests" and request.method == "POST":
            if self.status != 201:
                return httpx.Response(self.status, json={"title": "no"})
            return httpx.Response(201, json={"reference": "SR-2026-000042", "status": "received"})
        if path.startswith("/api/v1/service-requests/"):
            reference = path.rsplit("/", 1)[1]
            if reference != "SR-2026-000042":
                return httpx.Response(404, json={"title": "not found"})
            return httpx.Response(
                200,
                json={
                    "reference": reference,
                    "type": "bulky_waste",
                    "status": "received",
                    "history": [
                        {
                            "status": "received",
                            "at": "2026-11-28T10:00:00Z",
                            "note": "eingegangen über rest",
                        }
                    ],
                },
            )
        return httpx.Response(404)

    def install(self) -> Callable[[], None]:
        client = PortalClient(
            "http://portal.test", "t", transport=httpx.MockTransport(self.handler), backoff=(0,)
        )
        set_portal_client(client)
        return lambda: set_portal_client(None)
