#!/usr/bin/env bash
# Creates .venv with Python 3.10 and installs exactly the locked dependencies (uv.lock): the
# project's and those of the default groups of pyproject.toml ([tool.uv] default-groups: dev,
# which includes demo, the mail sink's; and bench).
set -euo pipefail
cd "$(dirname "$0")/.."

python=$(scripts/find-python.sh)
uv_version=$(sed -n 's/^ *"uv==\([0-9.]*\)",*$/\1/p' pyproject.toml)

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
    echo "setup: creating .venv with $python"
    rm -rf .venv
    "$python" -m venv .venv
fi
if ! .venv/bin/uv --version 2>/dev/null | grep -q " $uv_version"; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$uv_version"
fi
echo "setup: installing the locked dependencies (the first time takes a few minutes)"
# --compile-bytecode: every service imports Rasa, TensorFlow & co. at start; without .pyc files
# (e.g. where PYTHONDONTWRITEBYTECODE is set) each start compiles them again, which cost more
# than half of the time from `make run` to ready on a 2-core machine.
UV_PROJECT_ENVIRONMENT=.venv .venv/bin/uv sync --frozen --python .venv/bin/python --quiet \
    --compile-bytecode
