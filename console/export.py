"""A conversation as training material: a Rasa test story and NLU examples (YAML).

Texts are the tracker store's (IBANs already masked); entity annotations are left out, since
their values are personal and a reviewer adds them by hand where the example needs them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

SKIPPED_ACTIONS = {"action_listen", "action_session_start"}


def _steps(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    for data in events:
        kind = data.get("event")
        if kind == "user":
            intent = ((data.get("parse_data") or {}).get("intent") or {}).get("name")
            steps.append({"user": str(data.get("text") or ""), "intent": intent or "nlu_fallback"})
        elif kind == "action" and data.get("name") not in SKIPPED_ACTIONS:
            steps.append({"action": str(data.get("name"))})
        elif kind == "active_loop":
            steps.append({"active_loop": data.get("name")})
    return steps


def test_story(sender_id: str, events: Iterable[dict[str, Any]]) -> str:
    story = {
        "version": "3.1",
        "stories": [{"story": f"conversation {sender_id}", "steps": _steps(events)}],
    }
    return yaml.safe_dump(story, allow_unicode=True, sort_keys=False)


def nlu_examples(events: Iterable[dict[str, Any]]) -> str:
    by_intent: dict[str, list[str]] = {}
    for data in events:
        if data.get("event") != "user":
            continue
        text = str(data.get("text") or "").strip()
        intent = ((data.get("parse_data") or {}).get("intent") or {}).get("name") or "nlu_fallback"
        if text and not text.startswith("/") and text not in by_intent.get(intent, []):
            by_intent.setdefault(intent, []).append(text)
    nlu = [
        {"intent": intent, "examples": "".join(f"- {text}\n" for text in texts)}
        for intent, texts in by_intent.items()
    ]
    return yaml.dump(
        {"version": "3.1", "nlu": nlu}, Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False
    )


class _LiteralDumper(yaml.SafeDumper):
    """Writes multi-line strings as `|` blocks, the way Rasa's NLU files show examples."""


def _literal(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _literal)
