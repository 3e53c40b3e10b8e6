"""Health checks of every service, used by the launcher and the tests to wait for readiness."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from bot.rasa_auth import bearer
from bot.settings import Settings
from bot.tls import tls_context

TIMEOUT = httpx.Timeout(2.0)
# A check of a service that is not up yet fails at once (connection refused), so polling often
# costs next to nothing (given the shared TLS context: a new one per check took 30 ms of CPU)
# and tells `make run` it is ready within a fifth of a second.
POLL_INTERVAL = 0.2


@dataclass(frozen=True)
class Service:
    name: str
    title: str
    url: str
    check: Callable[[], bool]


def http_ok(url: str, headers: Callable[[], dict[str, str]] = dict) -> Callable[[], bool]:
    def check() -> bool:
        try:
            answer = httpx.get(url, headers=headers(), timeout=TIMEOUT, verify=tls_context())
            return answer.status_code == 200
        except httpx.HTTPError:
            return False

    return check


def smtp_ok(host: str, port: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with socket.create_connection((host, port), timeout=2.0) as conn:
                return conn.recv(64).startswith(b"220")
        except OSError:
            return False

    return check


def services(settings: Settings) -> list[Service]:
    """The services of the Procfile with the URL a person uses and the check that proves it."""
    env = settings.env
    rasa = settings.url("RASA_PORT")
    actions = settings.url("ACTIONS_PORT")
    portal = settings.url("PORTAL_PORT")
    webchat = settings.url("WEBCHAT_PORT")
    console = settings.url("CONSOLE_PORT")
    smtp_host = "127.0.0.1" if env["BIND_HOST"] in ("0.0.0.0", "::") else env["BIND_HOST"]  # noqa: S104
    return [
        Service("mailsink", "Mail sink (SMTP, mails in var/mail)",
                f"smtp://{smtp_host}:{settings.port('SMTP_PORT')}",
                smtp_ok(smtp_host, settings.port("SMTP_PORT"))),
        # stands in for BundID (devtools/idp); test logins in data/demo/identities.yml
        Service("idp", "Development IdP (test logins: data/demo/identities.yml)",
                settings.url("IDP_PORT"), http_ok(f"{settings.url('IDP_PORT')}/health")),
        Service("portal", "Portal API (OpenAPI at /openapi.json)", portal,
                http_ok(f"{portal}/health")),
        Service("actions", "Action server", actions, http_ok(f"{actions}/health")),
        Service("rasa", "Rasa server (REST: POST /webhooks/rest/webhook)", rasa,
                http_ok(f"{rasa}/status", lambda: bearer(env["RASA_JWT_SECRET"], "health"))),
        Service("webchat", "Citizen web chat", webchat, http_ok(f"{webchat}/health")),
        Service("console", "Staff console", console, http_ok(f"{console}/health")),
    ]  # fmt: skip


def wait_until_ready(
    checks: list[Service], timeout: float, stop: Callable[[], bool] = lambda: False
) -> list[Service]:
    """Polls until every service answers; returns those still down when time ran out."""
    deadline = time.monotonic() + timeout
    pending = list(checks)
    while pending and time.monotonic() < deadline and not stop():
        pending = [service for service in pending if not service.check()]
        if pending:
            time.sleep(POLL_INTERVAL)
    return pending
