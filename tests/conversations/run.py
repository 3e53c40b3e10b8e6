"""Runs the conversation tests (Rasa test stories in this folder) against a trained model.

Two checks, both must pass:
1. Rasa's core test with `fail_on_prediction_errors` (what `rasa test core
   --fail-on-prediction-errors` runs): every next action must be the one the story names; the
   first wrong one is printed with its story.
2. Every `user:` text of a story must be understood as the story's `intent:`. Rasa's core test
   takes the story's intent as given, so without this check a story could pass on words the
   assistant would actually misunderstand.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from rasa.core.agent import Agent

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def user_turns(folder: Path) -> list[tuple[str, str, str]]:
    """(story name, user text, expected intent) of every story step that has a text."""
    turns = []
    for path in sorted(folder.glob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for story in content.get("stories", []):
            for step in story.get("steps", []):
                if "user" in step and "intent" in step:
                    turns.append((story["story"], str(step["user"]).strip(), step["intent"]))
    return turns


async def misunderstood(agent: Agent, turns: list[tuple[str, str, str]]) -> list[str]:
    problems = []
    for story, text, intent in turns:
        parsed: dict[str, Any] = await agent.parse_message(text)
        got = parsed["intent"]["name"]
        if got != intent:
            problems.append(f"{story}: {text!r} was understood as {got}, the story says {intent}")
    return problems


async def core_test(agent: Agent, out: Path) -> bool:
    """Rasa's core test on the model already loaded (the CLI would load it a second time)."""
    from rasa.core.test import WrongPredictionException
    from rasa.core.test import test as rasa_core_test

    out.mkdir(parents=True, exist_ok=True)
    try:
        await rasa_core_test(
            str(HERE),
            agent,
            out_directory=str(out),
            fail_on_prediction_errors=True,
            disable_plotting=True,
        )
    except WrongPredictionException as wrong:  # its message holds the failed story
        print(wrong)
        return False
    return True


async def run(model: Path, out: Path) -> int:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # one line per parsed message would bury the result
    agent = Agent.load(str(model))
    if not await core_test(agent, out):
        print("conversation tests: a story's next action was predicted wrongly (see above)")
        return 1
    turns = user_turns(HERE)
    problems = await misunderstood(agent, turns)
    for problem in problems:
        print(f"conversation tests: {problem}")
    print(f"conversation tests: {len(turns) - len(problems)} of {len(turns)} user turns understood")
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "results" / "conversations")
    args = parser.parse_args()
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    return asyncio.run(run(args.model, args.out))


if __name__ == "__main__":
    sys.exit(main())
