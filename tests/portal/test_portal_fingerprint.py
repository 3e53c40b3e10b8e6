"""The idempotency record's request fingerprint: keyed, and blind to how the request is written.

A replay of a mandate creation with the same Idempotency-Key but the IBAN, amount or
Kassenzeichen written differently is the same request (same answer, one mail). The stored
fingerprint is an HMAC under a key derived from PORTAL_ENCRYPTION_KEY: it is no SHA-256 of
anything in the body, so a copy of the database cannot be searched for the IBAN.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import psycopg2
import pytest
from portal_harness import MailSink, PortalProcess
from test_portal_api import assert_problem
from test_portal_mandates import create, mandate_body, new_key

pytestmark = pytest.mark.integration  # starts the real portal process


def _stored_fingerprint(portal: PortalProcess, key: str) -> str:
    query = "SELECT request_hash FROM idempotency_keys WHERE key = "
    if portal.db_url.startswith("sqlite:///"):
        path = Path(portal.db_url.removeprefix("sqlite:///"))
        with sqlite3.connect(path) as conn:
            return str(conn.execute(query + "?", (key,)).fetchone()[0])
    with psycopg2.connect(portal.db_url, connect_timeout=5) as conn, conn.cursor() as cursor:
        cursor.execute(query + "%s", (key,))
        return str(cursor.fetchone()[0])


def test_a_reformatted_request_replays_as_the_same_request(
    portal: PortalProcess, sink: MailSink
) -> None:
    body, key = mandate_body(kassenzeichen="4100.2026.0004", amount="36.20"), new_key()
    first = create(portal, body, key)
    assert first.status_code == 201, first.text
    reformatted = {
        **body,
        "iban": "de89\u00a03704-0044/0532 0130.00",
        "amount": "36.2",
        "kassenzeichen": "4100 2026 0004",
        "account_holder": "  Erika   Mustermann ",
    }
    again = create(portal, reformatted, key)
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    sink.wait_for(body["email"])
    assert len(sink.to(body["email"])) == 1
    # another account under the same key is another request
    other = create(portal, {**body, "iban": "AT61 1904 3002 3457 3201"}, key)
    assert_problem(other, 422)


def test_the_stored_fingerprint_is_no_plain_hash_of_the_body(portal: PortalProcess) -> None:
    body, key = mandate_body(kassenzeichen="4100.2026.0003", amount="123.45"), new_key()
    assert create(portal, body, key).status_code == 201
    stored = _stored_fingerprint(portal, key)
    assert len(stored) == 64 and int(stored, 16) >= 0
    normalised = {
        **body,
        "iban": "DE89370400440532013000",
        "kassenzeichen": "410020260003",
        "amount": 12345,
        "bic": None,
        "debtor_address": None,
        "language": "de",
    }
    as_parsed = {**body, "bic": None, "debtor_address": None, "language": "de"}
    candidates = [
        json.dumps(as_parsed, sort_keys=True, ensure_ascii=False),  # what was stored before
        json.dumps(body),
        json.dumps(body, sort_keys=True),
        json.dumps(body, sort_keys=True, ensure_ascii=False),
        json.dumps(normalised, sort_keys=True, ensure_ascii=False),
        *(str(value) for value in body.values()),
        *(str(value) for value in normalised.values()),
    ]
    plain = {hashlib.sha256(c.encode()).hexdigest() for c in candidates}
    assert stored not in plain
