# The two commands a newcomer needs: `make run` and `make test`. Both set everything up first.
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: help setup run train test test-fast lint bench system-deps

help:
	@echo "make run    set up, train if needed, start every service (Ctrl-C stops)"
	@echo "make test   set up, train if needed, run the whole test suite"
	@echo "make test-fast  unit tests and doctests only: no services, no browser, no model"
	@echo "make train  train the model if data, domain or config changed"
	@echo "make lint   ruff and mypy"
	@echo "make bench  load test against a stock Rasa assistant (BENCH_ARGS=--help)"

$(STAMP): pyproject.toml uv.lock scripts/setup-venv.sh
	@scripts/setup-venv.sh
	@touch $@

# Node.js and npm (Debian's, if missing) build the web chat.
setup: $(STAMP)
	@scripts/system-deps.sh run
	@scripts/build-webchat.sh

# What the tests need besides Python (Debian's, if missing): PostgreSQL's and Redis's server
# binaries (the tests start their own servers), Chromium (no test tool downloads a browser).
system-deps:
	@scripts/system-deps.sh test

train: setup
	@$(PY) -m bot train

run: setup train
	@$(PY) -m bot run

test: system-deps setup train
	@scripts/run-tests.sh

lint: setup
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy

# Ours under load beside a stock Rasa 3.6 moodbot; options: .venv/bin/python -m devtools.bench --help
bench: setup train
	@$(PY) -m devtools.bench $(BENCH_ARGS)

# The quick lane while working: tests that start no process (tests/support/lanes.py marks the
# others by the fixtures they use and fails a test here that leaves a process running).
test-fast: $(STAMP)
	@BUERGERBOT_NO_PROCESSES=1 $(VENV)/bin/pytest -q -n 2 -m "not integration and not slow" $(PYTEST_ARGS)
