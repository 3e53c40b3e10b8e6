"""The development IdP as a process beside the portal harness, and a login without a browser
(httpx plays the browser's part: the forms are posted as a browser would post them)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import httpx

from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class IdpProcess:
    url: str
    port: int
    var_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def idp_process(
    var_dir: Path, port: int, portal_url: str, sp_metadata: str | None = None
) -> Iterator[IdpProcess]:
    """The IdP on `port`; it reads the SP's metadata from the portal, or from `sp_metadata`
    (a file or URL) when given."""
    var_dir.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "IDP_PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "VAR_DIR": str(var_dir),
        "IDP_SP_METADATA": sp_metadata or f"{portal_url}/saml/metadata",
    }
    log_path = var_dir / "idp.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "devtools.idp"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    try:
        wait_until(lambda: _up(url) or process.poll() is not None, 60, "dev IdP start")
        assert process.poll() is None, log_path.read_text()
        yield IdpProcess(url, port, var_dir, process, log_path)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=15)


def form_fields(page: str) -> tuple[str, dict[str, str]]:
    """The action and the hidden fields of the first form of a page."""
    action = unescape(re.search(r'<form[^>]*action="([^"]*)"', page).group(1))  # type: ignore[union-attr]
    fields = {
        unescape(name): unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', page)
    }
    return action, fields


def login(
    link: str, username: str, password: str, action: str = "login"
) -> tuple[str, dict[str, str]]:
    """Open the signing link, post to the IdP, log in (or cancel); return the ACS address and
    the fields the IdP's page would post there (SAMLResponse, RelayState)."""
    with httpx.Client(timeout=30) as browser:
        page = browser.get(link)
        assert page.status_code == 200, page.text
        idp_sso, fields = form_fields(page.text)
        login_page = browser.post(idp_sso, data=fields)
        assert login_page.status_code == 200, login_page.text
        login_action, hidden = form_fields(login_page.text)
        idp_base = idp_sso.rsplit("/", 1)[0]
        answer = browser.post(
            idp_base + login_action,
            data={**hidden, "username": username, "password": password, "action": action},
        )
        assert answer.status_code == 200, answer.text
        return form_fields(answer.text)
