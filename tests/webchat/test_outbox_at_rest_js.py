"""The web chat keeps no clear IBAN at rest: webchat/src/store.js, run in Node over a stand-in
sessionStorage, masks the IBANs of unsent messages when it saves, keeps the clear text only in
the page's memory, and after a reload marks such a message "not sent" instead of sending it
masked. (The browser test tests/e2e/browser/test_webchat_iban_at_rest.py does the same in
Chromium, offline.)"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from rules import iban

ROOT = Path(__file__).resolve().parents[2]
STORE_JS = ROOT / "webchat" / "src" / "store.js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(
    NODE is None, reason="Node.js is installed by scripts/system-deps.sh"
)
WITH_IBAN = "Meine IBAN:\nde89.3704.0044.0532.0130.00, die alte war AT61-1904-3002-3457-3201"
WITHOUT = "Danke schön"

_RUN = """
const items = new Map();
globalThis.sessionStorage = {
  getItem: (key) => (items.has(key) ? items.get(key) : null),
  setItem: (key, value) => items.set(key, String(value)),
};
const store = await import(%s);
const [withIban, without] = JSON.parse(%s);
const state = store.load("de");
Object.assign(state, { session: "s1", token: "t1", greeted: true });
state.history.push({ who: "user", text: "shown", time: 1, queued: true });
state.outbox.push({ message: withIban, id: 1 });
state.history.push({ who: "user", text: without, time: 2, queued: true });
state.outbox.push({ message: without, id: 2 });
store.save(state);
const raw = sessionStorage.getItem("buergerbot-webchat");
const reloaded = store.load("de");
process.stdout.write(JSON.stringify({ raw, memory: state.outbox, reloaded }));
"""


def _run() -> dict[str, Any]:
    assert NODE is not None
    script = _RUN % (json.dumps(STORE_JS.as_uri()), json.dumps(json.dumps([WITH_IBAN, WITHOUT])))
    result = subprocess.run(
        [NODE, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def test_the_outbox_at_rest_holds_no_clear_iban_and_a_reload_sends_nothing_masked() -> None:
    answer = _run()
    raw = answer["raw"]
    stored = json.loads(raw)
    for number in ("DE89370400440532013000", "AT611904300234573201"):
        assert number not in raw.upper().replace(".", "").replace("-", "")
    assert iban.find_all(raw) == [] and iban.find_all(stored["outbox"][0]["message"]) == []
    assert stored["outbox"][0]["message"] == iban.mask_all(WITH_IBAN)
    assert stored["outbox"][0]["masked"] is True
    assert stored["outbox"][1] == {"message": WITHOUT, "id": 2}  # nothing to mask: as typed
    # the page's memory still holds what must be sent
    assert [item["message"] for item in answer["memory"]] == [WITH_IBAN, WITHOUT]
    # after a reload the masked message is not sent; the citizen sees it was not
    reloaded = answer["reloaded"]
    assert reloaded["outbox"] == [{"message": WITHOUT, "id": 2}]
    assert reloaded["history"][0].get("unsent") is True and "queued" not in reloaded["history"][0]
    assert reloaded["history"][1].get("queued") is True
