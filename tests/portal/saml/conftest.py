"""One mail sink, one portal (SQLite) and the development IdP for the SAML tests.

The portal reads a copy of the city's data whose signing policy is stricter than the demo
city's (data/signing.yml): the online ID (high) to sign, the e-mail code only up to 50.00 EUR
and a login for revocations,
so that both sides of the policy can be seen. Its clock follows a file the tests may set.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from portal_harness import MailSink, PortalProcess, mail_sink, portal_process

from devtools.processes import free_port
from tests.portal.saml.saml_harness import IdpProcess, idp_process

ROOT = Path(__file__).resolve().parents[3]
POLICY = """
sign_mandate:
  level: high
  email_code_max_amount: "50.00"
revoke_mandate:
  level: substantial
order_certificate:
  level: substantial
"""


@dataclass
class SamlSystem:
    portal: PortalProcess
    idp: IdpProcess
    sink: MailSink
    clock_file: Path


@pytest.fixture(scope="module")
def saml_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamlSystem]:
    folder = tmp_path_factory.mktemp("saml")
    data = folder / "data"
    shutil.copytree(ROOT / "data", data)
    (data / "signing.yml").write_text(POLICY, encoding="utf-8")
    idp_port = free_port()
    clock_file = folder / "clock"
    with (
        mail_sink(folder / "mail") as sink,
        portal_process(
            f"sqlite:///{folder / 'portal.db'}",
            folder / "var",
            sink.port,
            DATA_DIR=str(data),
            IDP_METADATA=f"http://127.0.0.1:{idp_port}/metadata",
            # nobody listens there: the notifications stay queued and are retried
            RASA_URL=f"http://127.0.0.1:{free_port()}",
            BUERGERBOT_CLOCK_FILE=str(clock_file),
        ) as portal,
        idp_process(folder / "idp", idp_port, portal.url) as idp,
    ):
        yield SamlSystem(portal, idp, sink, clock_file)
