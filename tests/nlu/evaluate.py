"""NLU evaluation on the held-out examples in tests/nlu (never used for training).

Prints intent macro-F1 per language and overall, and exits 1 when the overall score is below
`--min-f1` or that of one language is below `--min-f1-language`. A message that falls back
(`nlu_fallback`) counts as wrong: that is what the citizen experiences.

    python -m tests.nlu.evaluate --model models/buergerbot-….tar.gz --min-f1 0.90
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from rasa.utils.log_utils import configure_structlog
from sklearn.metrics import f1_score

HERE = Path(__file__).parent
LANGUAGES = ("de", "en")


def examples(language: str) -> list[tuple[str, str]]:
    data = RasaYAMLReader().read(HERE / f"{language}.yml")
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


async def predict(agent: Agent, texts: list[str]) -> list[str]:
    predictions = []
    for text in texts:
        parsed: dict[str, Any] = await agent.parse_message(text)
        predictions.append(str(parsed["intent"]["name"]))
    return predictions


def macro_f1(truth: list[str], predicted: list[str]) -> float:
    labels = sorted(set(truth))  # nlu_fallback is never a true label, only a wrong answer
    return float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--min-f1", type=float, default=0.90)
    parser.add_argument("--min-f1-language", type=float, default=0.85)
    parser.add_argument("--report", type=Path, default=Path("var/results/nlu-evaluation.json"))
    args = parser.parse_args()

    configure_structlog(logging.WARNING)  # one line per parsed message would bury the result
    agent = Agent.load(str(args.model))
    report: dict[str, Any] = {}
    all_truth: list[str] = []
    all_predicted: list[str] = []
    failed = False
    for language in LANGUAGES:
        pairs = examples(language)
        truth = [intent for _, intent in pairs]
        predicted = asyncio.run(predict(agent, [text for text, _ in pairs]))
        score = macro_f1(truth, predicted)
        errors = [
            {"text": text, "intent": want, "predicted": got}
            for (text, want), got in zip(pairs, predicted, strict=True)
            if want != got
        ]
        report[language] = {"examples": len(pairs), "macro_f1": score, "errors": errors}
        print(f"{language}: {len(pairs)} examples, intent macro-F1 {score:.3f}")
        for intent, count in Counter(e["intent"] for e in errors).most_common(5):
            print(f"    most missed: {intent} ({count})")
        failed |= score < args.min_f1_language
        all_truth += truth
        all_predicted += predicted
    overall = macro_f1(all_truth, all_predicted)
    report["overall_macro_f1"] = overall
    print(
        f"overall: intent macro-F1 {overall:.3f} (minimum {args.min_f1:.2f}; "
        f"per language {args.min_f1_language:.2f})"
    )
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 1 if failed or overall < args.min_f1 else 0


if __name__ == "__main__":
    sys.exit(main())
