"""Limits on guessing: failed lookups per client, status lookups, random request references.

``lookup_failures`` also records the (keyed hash of the) client that failed, so the portal
counts failures per client as well as per Kassenzeichen; ``status_lookup_failures`` does the
same for status lookups of service requests. References became ``SR-YYYY-XXXX-XXXX`` (random),
one character longer than the column allowed.

Revision ID: 0004
Revises: 0003 (signing sessions)
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lookup_failures") as batch:
        batch.add_column(sa.Column("client", sa.String(64), nullable=True))
    op.create_index("ix_lookup_failures_client", "lookup_failures", ["client"])
    op.create_table(
        "status_lookup_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("client", sa.String(64), nullable=True),
        sa.Column("failed_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_status_lookup_failures_reference", "status_lookup_failures", ["reference"])
    op.create_index("ix_status_lookup_failures_client", "status_lookup_failures", ["client"])
    with op.batch_alter_table("service_requests") as batch:
        batch.alter_column(
            "reference", existing_type=sa.String(16), type_=sa.String(32), existing_nullable=True
        )


def downgrade() -> None:
    with op.batch_alter_table("service_requests") as batch:
        batch.alter_column(
            "reference", existing_type=sa.String(32), type_=sa.String(16), existing_nullable=True
        )
    op.drop_table("status_lookup_failures")
    op.drop_index("ix_lookup_failures_client", "lookup_failures")
    with op.batch_alter_table("lookup_failures") as batch:
        batch.drop_column("client")
