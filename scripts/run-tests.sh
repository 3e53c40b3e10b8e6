#!/usr/bin/env bash
# The whole suite: lint, data validation, unit and integration tests (pytest), the NLU
# evaluation on the held-out set, and the conversation tests. Stops at the first failing stage.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
bin=.venv/bin
model=$($bin/python -m bot model-path)

echo "== lint (ruff, mypy)"
$bin/ruff check .
$bin/ruff format --check .
$bin/mypy

echo "== rasa data validate"
$bin/rasa data validate --fail-on-warnings --config config.yml --domain bot/domain \
    --data data/nlu data/rules data/stories

echo "== conversation tests (tests/conversations)"
$bin/python -m tests.conversations.run --model "$model"

echo "== NLU evaluation on the held-out set (tests/nlu)"
$bin/python -m tests.nlu.evaluate --model "$model" --min-f1 0.90

echo "== pytest"
$bin/pytest
