"""The dialogue corpus (issue 17, point 5): conversations written from the citizen's side,
run on the whole stack over REST, each judged by its outcome rather than by wording.

Every message must get a reply; ``<button>`` presses the last question's first button and
``<login:user>`` logs in at the development IdP through the last link button. At the end, the
outcome a dialogue names in ``expect`` must hold: ``language`` and ``slots`` (the tracker's
values; null for "not set"), ``active_loop`` (the form still open, or null), ``filed`` (the
portal holds a service request of that type under the reference the assistant told) and
``mandate`` (the portal holds a mandate for that Kassenzeichen). The share of dialogues that
reached their outcome is printed.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import localhttp
from tests.support.idp import (
    link_buttons,
    said_after_login,
    sign_in,
    tracker_events,
    without_active_mandates,
)
from tests.support.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
REFERENCE = re.compile(r"SR-[0-9]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")  # rules/request_reference.py
KASSENZEICHEN = re.compile(r"(?<![0-9])[0-9]{4}[ .]?[0-9]{4}[ .]?[0-9]{4}(?![0-9])")


def mandate_ids(stack: Stack, kassenzeichen: str) -> dict[str, str]:
    with stack.portal_client() as api:
        found = api.get("/api/v1/mandates", params={"kassenzeichen": kassenzeichen})
    found.raise_for_status()
    return {item["id"]: item["status"] for item in found.json()["items"]}


def cleared_invoices(stack: Stack, dialogue: dict[str, Any]) -> dict[str, set[str]]:
    """Each dialogue is written for invoices without an active mandate, but the session's
    stack is shared: other tests sign mandates on the demo invoices. So the invoices a
    dialogue names lose their active mandate first; returns the mandates each already had."""
    numbers = {n for turn in dialogue["turns"] for n in KASSENZEICHEN.findall(str(turn))}
    if "mandate" in dialogue["expect"]:
        numbers.add(dialogue["expect"]["mandate"])
    before = {re.sub(r"[ .]", "", number): set(mandate_ids(stack, number)) for number in numbers}
    without_active_mandates(stack, *numbers)
    return before


def corpus() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted(HERE.glob("*.yml")):
        for dialogue in yaml.safe_load(path.read_text(encoding="utf-8")):
            found.append({**dialogue, "file": path.name})
    return found


def run(stack: Stack, dialogue: dict[str, Any]) -> list[str]:
    """The dialogue's messages; returns what went wrong (empty: the outcome was reached)."""
    sender = "dialogue-" + uuid.uuid4().hex[:10]
    before = cleared_invoices(stack, dialogue)
    problems: list[str] = []
    said: list[str] = []
    buttons: list[dict[str, Any]] = []
    for message in dialogue["turns"]:
        if message.startswith("<login:"):
            # the citizen follows the link button through the development IdP as that test
            # identity; the chat goes on by itself (the portal triggers signing_finished)
            links = link_buttons([{"buttons": buttons}])
            if len(links) != 1:
                return [f"no login link to follow after {said[-1:]!r}"]
            rasa, token = stack.url("RASA_PORT"), stack.env["RASA_JWT_SECRET"]
            known = len(tracker_events(rasa, token, sender))
            sign_in(links[0], message[len("<login:") : -1])
            said.append("\n".join(said_after_login(rasa, token, sender, known)))
            buttons = []
            continue
        if message == "<button>":
            if not buttons:
                return [f"no button to press after {said[-1:]!r}"]
            message = str(buttons[0]["payload"])
        replies = stack.say(sender, message)
        if not replies:
            problems.append(f"no reply to {message!r}")
        said.append("\n".join(str(reply.get("text", "")) for reply in replies))
        offered = [reply.get("buttons") for reply in replies if reply.get("buttons")]
        buttons = list(offered[-1]) if offered else []  # type: ignore[call-overload]
    problems += judge(stack, sender, dialogue["expect"], said, before)
    return problems


def judge(
    stack: Stack,
    sender: str,
    expect: dict[str, Any],
    said: list[str],
    before: dict[str, set[str]],
) -> list[str]:
    tracker = localhttp.get(
        f"{stack.url('RASA_PORT')}/conversations/{sender}/tracker",
        params={"token": stack.env["RASA_AUTH_TOKEN"]},
        timeout=30,
    ).json()
    slots = tracker.get("slots") or {}
    problems: list[str] = []
    if "language" in expect and slots.get("language") != expect["language"]:
        problems.append(f"language {slots.get('language')!r}")
    if "active_loop" in expect:
        active = (tracker.get("active_loop") or {}).get("name")
        if active != expect["active_loop"]:
            problems.append(f"active form {active!r}")
    for name, value in (expect.get("slots") or {}).items():
        if slots.get(name) != value:
            problems.append(f"slot {name} = {slots.get(name)!r}, not {value!r}")
    portal = stack.url("PORTAL_PORT")
    headers = {"Authorization": f"Bearer {stack.env['PORTAL_API_TOKEN']}"}
    if "filed" in expect:
        references = REFERENCE.findall("\n".join(said))
        if not references:
            problems.append("no reference told")
        else:
            found = localhttp.get(
                f"{portal}/api/v1/service-requests/{references[-1]}", headers=headers, timeout=30
            )
            kind = found.json().get("type") if found.status_code == 200 else found.status_code
            if kind != expect["filed"]:
                problems.append(f"portal holds {kind!r}")
    if "mandate" in expect:
        number = expect["mandate"]
        made = set(mandate_ids(stack, number)) - before.get(re.sub(r"[ .]", "", number), set())
        if not made:
            problems.append(f"no new mandate for {number}")
    return problems


def test_the_corpus_reaches_its_outcomes(stack: Stack) -> None:
    dialogues = corpus()
    assert len(dialogues) >= 60
    failed: dict[str, list[str]] = {}
    for dialogue in dialogues:
        problems = run(stack, dialogue)
        if problems:
            failed[f"{dialogue['file']}: {dialogue['name']}"] = problems
    reached = len(dialogues) - len(failed)
    print(
        f"\ndialogue corpus: {reached}/{len(dialogues)} reached their outcome "
        f"({reached / len(dialogues):.0%})"
    )
    for name, problems in failed.items():
        print(f"  FAILED {name}: {'; '.join(problems)}")
    assert not failed, failed
