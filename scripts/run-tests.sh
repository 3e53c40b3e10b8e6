#!/usr/bin/env bash
# The whole suite: lint, data validation, the conversation tests and the NLU evaluation on the
# held-out set (these four side by side), then unit and integration tests (pytest, on both cores).
# Fails when any stage fails; a stage's output is printed whole, in this order, when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
bin=.venv/bin
model=$($bin/python -m bot model-path)
logs=var/results/stages
mkdir -p "$logs"

# Each check is one process on one core, and most of their time is spent importing Rasa and
# loading the model: on a 2-core machine two at a time take half the wall time of one by one.
stages=(lint validate conversations nlu)
lint() { $bin/ruff check . && $bin/ruff format --check . && $bin/mypy; }
validate() {
    $bin/rasa data validate --fail-on-warnings --config config.yml --domain bot/domain \
        --data data/nlu data/rules data/stories
}
conversations() { $bin/python -m tests.conversations.run --model "$model"; }
nlu() { $bin/python -m tests.nlu.evaluate --model "$model" --min-f1 0.90; }
declare -A titles=([lint]="lint (ruff, mypy)" [validate]="rasa data validate"
    [conversations]="conversation tests (tests/conversations)"
    [nlu]="NLU evaluation on the held-out set (tests/nlu)")

declare -A pids
for stage in "${stages[@]}"; do
    "$stage" >"$logs/$stage.log" 2>&1 &
    pids[$stage]=$!
done
failed=()
for stage in "${stages[@]}"; do
    status=0
    wait "${pids[$stage]}" || status=$?
    echo "== ${titles[$stage]}"
    cat "$logs/$stage.log"
    [ "$status" -eq 0 ] || failed+=("$stage")
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "== failed: ${failed[*]} (pytest not started)"
    exit 1
fi

echo "== pytest (two workers, one test file each at a time)"
$bin/pytest -n 2 --dist loadfile
