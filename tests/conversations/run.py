"""Runs the conversation tests (Rasa test stories in this folder) against a trained model.

Two checks, both must pass:
1. `rasa test core --fail-on-prediction-errors`: every next action must be the one the story
   names (the failed stories are written to `var/results/conversations/`).
2. Every `user:` text of a story must be understood as the story's `intent:`. Rasa's core test
   takes the story's intent as given, so without this check a story could pass on words the
   assistant would actually misunderstand.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

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


async def misunderstood(model: Path, turns: list[tuple[str, str, str]]) -> list[str]:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # one line per parsed message would bury the result
    agent = Agent.load(str(model))
    problems = []
    for story, text, intent in turns:
        parsed: dict[str, Any] = await agent.parse_message(text)
        got = parsed["intent"]["name"]
        if got != intent:
            problems.append(f"{story}: {text!r} was understood as {got}, the story says {intent}")
    return problems


def core_test(model: Path, out: Path) -> int:
    command = [
        sys.executable, "-m", "rasa", "test", "core",
        "--model", str(model),
        "--stories", str(HERE),
        "--out", str(out),
        "--fail-on-prediction-errors",
        "--no-plot",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, check=False)
    if result.returncode != 0:
        failed = out / "failed_test_stories.yml"
        if failed.is_file():
            print(failed.read_text(encoding="utf-8"))
    return result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "results" / "conversations")
    args = parser.parse_args()
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

    if core_test(args.model, args.out) != 0:
        print("conversation tests: a story's next action was predicted wrongly (see above)")
        return 1
    turns = user_turns(HERE)
    problems = asyncio.run(misunderstood(args.model, turns))
    for problem in problems:
        print(f"conversation tests: {problem}")
    print(f"conversation tests: {len(turns) - len(problems)} of {len(turns)} user turns understood")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
