"""The dialogue corpus (issue 17, point 5): conversations written from the citizen's side,
run on the whole stack over REST, each judged by its outcome rather than by wording.

Every message must get a reply. At the end, the outcome a dialogue names in ``expect`` must
hold: ``language`` and ``slots`` (the tracker's values; null for "not set"), ``active_loop``
(the form still open, or null), ``filed`` (the portal holds a service request of that type
under the reference the assistant told) and ``mandate`` (the portal holds a mandate for that
Kassenzeichen). The share of dialogues that reached their outcome is printed.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
REFERENCE = re.compile(r"SR-[0-9]{4}-[0-9]{6}")


def corpus() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted(HERE.glob("*.yml")):
        for dialogue in yaml.safe_load(path.read_text(encoding="utf-8")):
            found.append({**dialogue, "file": path.name})
    return found


def run(stack: Stack, dialogue: dict[str, Any]) -> list[str]:
    """The dialogue's messages; returns what went wrong (empty: the outcome was reached)."""
    sender = "dialogue-" + uuid.uuid4().hex[:10]
    problems: list[str] = []
    said: list[str] = []
    buttons: list[dict[str, Any]] = []
    for message in dialogue["turns"]:
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
    problems += judge(stack, sender, dialogue["expect"], said)
    return problems


def judge(stack: Stack, sender: str, expect: dict[str, Any], said: list[str]) -> list[str]:
    tracker = httpx.get(
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
            found = httpx.get(
                f"{portal}/api/v1/service-requests/{references[-1]}", headers=headers, timeout=30
            )
            kind = found.json().get("type") if found.status_code == 200 else found.status_code
            if kind != expect["filed"]:
                problems.append(f"portal holds {kind!r}")
    if "mandate" in expect:
        found = httpx.get(
            f"{portal}/api/v1/mandates",
            params={"kassenzeichen": expect["mandate"]},
            headers=headers,
            timeout=30,
        )
        if found.status_code != 200 or not found.json().get("items"):
            problems.append(f"no mandate for {expect['mandate']}")
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
