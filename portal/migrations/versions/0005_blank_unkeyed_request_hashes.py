"""Blank the idempotency records' unkeyed request fingerprints.

Until the fingerprint became an HMAC under a key derived from ``PORTAL_ENCRYPTION_KEY``
(``portal/crypto.py``), ``idempotency_keys.request_hash`` was a plain SHA-256 of the request body,
which holds the IBAN: with the bank code known, a German IBAN falls to brute force over it in
seconds, from a copy of the database alone. Old and keyed fingerprints look alike (64 hex
digits), so every fingerprint written before this revision is replaced by a marker that no
fingerprint can equal. What that costs: a retry, with an Idempotency-Key used before the
upgrade, of a request made before it is answered 422 (idempotency-key-reused) instead of the
stored answer; it never creates a second mandate. Nothing else reads the column.

Revision ID: 0005
Revises: 0004 (lookup limits)
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Not hexadecimal, so never the hex digest of an HMAC; fits the column's 64 characters.
BLANKED = "blanked:unkeyed-sha256"


def upgrade() -> None:
    op.execute(
        sa.text("UPDATE idempotency_keys SET request_hash = :blank").bindparams(blank=BLANKED)
    )


def downgrade() -> None:
    # The old hashes are gone for good, which is the point.
    pass
