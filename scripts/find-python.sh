#!/usr/bin/env bash
# Prints the path of a working Python 3.10 interpreter, which Rasa Open Source 3.6 requires.
# Order: $PYTHON, a python3.10 on PATH that really runs (pyenv's shim fails unless pyenv selects
# 3.10), then pyenv's versions folder. Exits 1 with install advice when none is found.
set -u

works() {
    [ -n "$1" ] && "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' \
        >/dev/null 2>&1
}

candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
for dir in $(ls -d "$pyenv_root"/versions/3.10* 2>/dev/null | sort -rV); do
    candidates+=("$dir/bin/python3.10")
done
candidates+=(/usr/bin/python3.10 /usr/local/bin/python3.10)

for candidate in "${candidates[@]}"; do
    if works "$candidate"; then
        echo "$candidate"
        exit 0
    fi
done

cat >&2 <<'MSG'
Python 3.10 was not found, and Rasa Open Source 3.6 runs only on Python 3.10.
Install it, then run the command again, for example:
  pyenv:   pyenv install 3.10          (found automatically in pyenv's versions folder)
  Debian:  apt-get install python3.10 python3.10-venv   (where the release offers it)
  other:   set PYTHON=/path/to/python3.10
MSG
exit 1
