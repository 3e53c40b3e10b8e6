"""Logging in at the development identity provider (devtools/idp, standing in for BundID) the
way a citizen's browser does, without a browser: httpx follows the signing link, posts the
portal's signed AuthnRequest to the IdP, fills in the IdP's login form (or cancels) and posts
the IdP's SAMLResponse to the portal's ACS.

Also the IdP as a process beside a portal of its own (the portal's and the actions' harnesses),
the test identities of `data/demo/identities.yml`, and, for a conversation on the whole stack,
waiting for what the chat said by itself after the portal told it the login ended.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin

import httpx
import yaml

from bot.rasa_auth import bearer
from portal.signing import names_match
from tests.support import localhttp
from tests.support.waiting import wait_until

if TYPE_CHECKING:
    from tests.support.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
IDENTITIES = ROOT / "data" / "demo" / "identities.yml"
TIMEOUT = 30.0
SIGNING_LINK = re.compile(r"^https?://[^ ]+/signing/[^ ]+$")


# ---------------------------------------------------------------- the test identities


@dataclass(frozen=True)
class Identity:
    username: str
    password: str
    given_name: str
    family_name: str
    level: str  # substantial | high

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


def identities() -> list[Identity]:
    raw = yaml.safe_load(IDENTITIES.read_text(encoding="utf-8")) or []
    return [
        Identity(
            str(e["username"]),
            str(e["password"]),
            str(e["given_name"]),
            str(e["family_name"]),
            str(e["level"]),
        )
        for e in raw
    ]


def identity(username: str) -> Identity:
    found = [i for i in identities() if i.username == username]
    assert found, f"no test identity {username!r} in {IDENTITIES}"
    return found[0]


def holder_identity(account_holder: str) -> Identity:
    """A test identity the portal takes for this account holder (the strongest first)."""
    matching = [i for i in identities() if names_match(i.given_name, i.family_name, account_holder)]
    assert matching, (
        f"no test identity in {IDENTITIES} is the account holder {account_holder!r}: tests that"
        " sign on a shared system use the name of a test identity, so its mandate can be revoked"
    )
    return sorted(matching, key=lambda i: i.level != "high")[0]


# ---------------------------------------------------------------- the browser's part


def form_fields(page: str) -> tuple[str, dict[str, str]]:
    """The action and the hidden fields of the first form of a page."""
    found = re.search(r'<form[^>]*action="([^"]*)"', page)
    assert found, f"no form in the page: {page[:500]}"
    fields = {
        unescape(name): unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', page)
    }
    return unescape(found.group(1)), fields


def login(
    link: str, username: str, password: str, action: str = "login"
) -> tuple[str, dict[str, str]]:
    """Open the signing link, post to the IdP, log in (or cancel); return the ACS address and
    the fields the IdP's page would post there (SAMLResponse, RelayState)."""
    with localhttp.Client(timeout=TIMEOUT) as browser:
        page = browser.get(link)
        assert page.status_code == 200, page.text
        idp_sso, fields = form_fields(page.text)
        login_page = browser.post(idp_sso, data=fields)
        assert login_page.status_code == 200, login_page.text
        login_action, hidden = form_fields(login_page.text)
        answer = browser.post(
            urljoin(idp_sso, login_action),
            data={**hidden, "username": username, "password": password, "action": action},
        )
        assert answer.status_code == 200, answer.text
        return form_fields(answer.text)


def sign_in(link: str, username: str, action: str = "login") -> httpx.Response:
    """The whole login as the citizen's browser runs it: link, IdP, login form (or the cancel
    button with `action="cancel"`), back to the portal's ACS; returns the ACS's page."""
    password = identity(username).password if action == "login" else ""
    acs, fields = login(link, username if action == "login" else "", password, action)
    return localhttp.post(acs, data=fields, timeout=TIMEOUT)


# ---------------------------------------------------------------- the IdP as a process


@dataclass
class IdpProcess:
    url: str
    port: int
    var_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _up(url: str) -> bool:
    try:
        return localhttp.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def idp_process(
    var_dir: Path, port: int, portal_url: str, sp_metadata: str | None = None
) -> Iterator[IdpProcess]:
    """The IdP on `port`; it reads the SP's metadata from the portal, or from `sp_metadata`
    (a file or URL) when given."""
    var_dir.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "IDP_PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "VAR_DIR": str(var_dir),
        "IDP_SP_METADATA": sp_metadata or f"{portal_url}/saml/metadata",
    }
    log_path = var_dir / "idp.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "devtools.idp"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    try:
        wait_until(lambda: _up(url) or process.poll() is not None, 60, "dev IdP start")
        assert process.poll() is None, log_path.read_text()
        yield IdpProcess(url, port, var_dir, process, log_path)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=15)


# ---------------------------------------------------------------- the conversation's side


def link_buttons(replies: Sequence[dict[str, Any]]) -> list[str]:
    """The signing links among the buttons of the chat's replies (REST channel's shape)."""
    links = []
    for reply in replies:
        for button in reply.get("buttons") or []:
            url = str(button.get("url") or button.get("payload") or "")
            if SIGNING_LINK.match(url):
                links.append(url)
    return links


def tracker_events(rasa_url: str, jwt_secret: str, sender: str) -> list[dict[str, Any]]:
    """The conversation's events from Rasa's HTTP API, asked with a JWT in the header
    (`RASA_JWT_SECRET`, bot/rasa_auth.py), never a token in the URL."""
    answer = localhttp.get(
        f"{rasa_url}/conversations/{quote(sender, safe=':')}/tracker",
        headers=bearer(jwt_secret, "tests"),
        timeout=TIMEOUT,
    )
    answer.raise_for_status()
    events: list[dict[str, Any]] = answer.json().get("events") or []
    return events


def _intent(event: dict[str, Any]) -> str:
    """A user event's intent; Rasa stores an intent triggered over its API as the text
    "EXTERNAL: <intent>" (what the tracker store keeps of its parse data varies)."""
    named = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
    text = str(event.get("text") or "")
    return str(named or (text.removeprefix("EXTERNAL: ") if text.startswith("EXTERNAL: ") else ""))


def said_after_login(
    rasa_url: str, jwt_secret: str, sender: str, known: int, timeout: float = 90.0
) -> list[str]:
    """What the chat said by itself after the portal triggered `signing_finished` in this
    conversation (Rasa's trigger_intent), once that turn is over; `known`: how many events the
    tracker had before the login."""

    def finished() -> list[dict[str, Any]] | None:
        events = tracker_events(rasa_url, jwt_secret, sender)[known:]
        starts = [
            n
            for n, e in enumerate(events)
            if e.get("event") == "user" and _intent(e) == "signing_finished"
        ]
        if not starts or len(events) <= starts[0] + 1:
            return None
        if (events[-1].get("event"), events[-1].get("name")) != ("action", "action_listen"):
            return None  # the turn is still being stored
        return events[starts[0] :]

    try:
        events = wait_until(
            finished, timeout, f"the chat of {sender} going on after the login", interval=0.3
        )
    except AssertionError as late:
        tail = [
            (e.get("event"), e.get("name") or e.get("text"))
            for e in tracker_events(rasa_url, jwt_secret, sender)[known - 2 :]
        ]
        raise AssertionError(f"{late}; the tracker goes on with {tail}") from None
    assert isinstance(events, list)
    return [str(e.get("text") or "") for e in events if e.get("event") == "bot"]


# ---------------------------------------------------------------- the portal's side


def without_active_mandates(stack: Stack, *kassenzeichen: str) -> None:
    """For a test that pays these invoices in the chat: the session's stack is shared, and
    another test on it may have signed a mandate for one of them (which tests share a stack
    depends on how xdist hands out the files); the form would then ask about that mandate."""
    with stack.portal_client() as portal:
        for number in kassenzeichen:
            revoke_active_mandates(portal, number)


def revoke_active_mandates(portal: httpx.Client, kassenzeichen: str) -> list[str]:
    """Revoke every active mandate of an invoice as the city's policy demands, with a login of
    its account holder at the development IdP (tests on a shared system first clear what
    others signed); `portal` carries the API token. Returns the revoked mandates' ids."""
    listed = portal.get("/api/v1/mandates", params={"kassenzeichen": kassenzeichen})
    listed.raise_for_status()
    revoked = []
    for item in listed.json()["items"]:
        if item["status"] != "active":
            continue
        mandate = portal.get(f"/api/v1/mandates/{item['id']}")
        mandate.raise_for_status()
        holder = holder_identity(str(mandate.json()["account_holder"]))
        session = portal.post(
            "/api/v1/signing-sessions",
            json={
                "purpose": "revoke_mandate",
                "subject_id": item["id"],
                "conversation_id": f"tests-clean-{item['id'][:8]}",
                "output_channel": "rest",
                "language": "de",
            },
        )
        assert session.status_code == 201, session.text
        page = sign_in(str(session.json()["url"]), holder.username)
        assert page.status_code == 200, page.text
        done = portal.post(
            f"/api/v1/mandates/{item['id']}/revoke",
            json={"signing_session_id": session.json()["id"]},
        )
        assert done.status_code == 200, done.text
        revoked.append(str(item["id"]))
    return revoked
