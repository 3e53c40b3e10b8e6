# The two commands a newcomer needs: `make run` and `make test`. Both set everything up first.
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: help setup run train test lint bench system-deps

help:
	@echo "make run    set up, train if needed, start every service (Ctrl-C stops)"
	@echo "make test   set up, train if needed, run the whole test suite"
	@echo "make train  train the model if data, domain or config changed"
	@echo "make lint   ruff and mypy"
	@echo "make bench  load test against a stock Rasa assistant (BENCH_ARGS=--help)"

$(STAMP): pyproject.toml uv.lock scripts/setup-venv.sh
	@scripts/setup-venv.sh
	@touch $@

setup: $(STAMP)
	@scripts/build-webchat.sh

# Debian's Chromium for the browser tests (no test tool downloads a browser of its own).
system-deps:
	@scripts/system-deps.sh

train: setup
	@$(PY) -m bot train

run: setup train
	@$(PY) -m bot run

test: setup system-deps train
	@scripts/run-tests.sh

lint: setup
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy

# Ours under load beside a stock Rasa 3.6 moodbot; options: .venv/bin/python -m devtools.bench --help
bench: setup train
	@$(PY) -m devtools.bench $(BENCH_ARGS)
