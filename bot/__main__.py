"""Command line of the assistant: `python -m bot run | serve | train | model-path`.

`make run` calls `run`: train when the inputs changed, then start every service.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot import launcher, training
from bot.settings import ROOT, resolve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="train if needed, then start every service")
    train = commands.add_parser("train", help="train the model if its inputs changed")
    train.add_argument("--force", action="store_true", help="train even if up to date")
    serve = commands.add_parser("serve", help="start every service with an existing model")
    serve.add_argument("--model", type=Path, help="model file (default: the current one)")
    commands.add_parser("model-path", help="print the path of the model for the current inputs")
    args = parser.parse_args(argv)

    if args.command == "train":
        training.ensure_model(force=args.force)
        return 0
    if args.command == "model-path":
        print(training.model_path().relative_to(ROOT))
        return 0
    if args.command == "serve":
        model = args.model or training.model_path()
        if not model.is_file():
            print(f"No model at {model}: run `make train` first.", file=sys.stderr)
            return 2
        return launcher.run(resolve(), model)
    settings = resolve()
    model = training.ensure_model()
    return launcher.run(settings, model)


if __name__ == "__main__":
    sys.exit(main())
