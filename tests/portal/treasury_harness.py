"""Helpers for the collection tests: the treasury command as a process, a mail sink on a
given port (a mail server that comes back), a portal of one's own for tests that move time."""

from __future__ import annotations

import os
import subprocess
import sys

from portal_harness import ROOT, TOKEN, PortalProcess


def run_collections(
    portal: PortalProcess, smtp_port: int, *args: str, now: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m portal collections ARGS` against the portal's database and keys."""
    env = {
        **os.environ,
        "PORTAL_API_TOKEN": TOKEN,
        "PORTAL_DB_URL": portal.db_url,
        "VAR_DIR": str(portal.var_dir),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
    }
    for name in ("PORTAL_ENCRYPTION_KEY", "SMTP_USER", "BUERGERBOT_CLOCK_FILE"):
        env.pop(name, None)
    if now is not None:
        env["BUERGERBOT_NOW"] = now
    return subprocess.run(
        [sys.executable, "-m", "portal", "collections", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
