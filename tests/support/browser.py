"""Debian's Chromium for every browser test (scripts/system-deps.sh installs it): no test tool
downloads a browser of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def launch(driver: Any) -> Any:
    """Chromium, headless, through a Playwright driver (`sync_playwright()`)."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/system-deps.sh (Debian's chromium)")
    return driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
