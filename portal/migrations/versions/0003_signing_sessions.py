"""Signing sessions (BundID / Servicekonto login over SAML), the accepted assertion ids and
the notifications to the conversation.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_sessions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("output_channel", sa.String(32), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("required_level", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("opened_at", sa.DateTime, nullable=True),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True, unique=True),
        sa.Column("level", sa.String(16), nullable=True),
        sa.Column("signer_name", sa.String(200), nullable=True),
        sa.Column("failure", sa.String(32), nullable=True),
        sa.Column("evidence", sa.Text, nullable=True),
        sa.Column("identity_encrypted", sa.Text, nullable=True),
        sa.Column("consumed_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_signing_sessions_subject", "signing_sessions", ["purpose", "subject_id"])
    op.create_table(
        "saml_assertions",
        sa.Column("assertion_id", sa.String(200), primary_key=True),
        sa.Column("idp_entity_id", sa.String(300), nullable=False),
        sa.Column("session_id", sa.String(32), nullable=True),
        sa.Column("received_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "rasa_notifications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("output_channel", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("claimed_until", sa.DateTime, nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_rasa_notifications_session_id", "rasa_notifications", ["session_id"])
    op.create_index(
        "ix_rasa_notifications_status_next", "rasa_notifications", ["status", "next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_table("rasa_notifications")
    op.drop_table("saml_assertions")
    op.drop_index("ix_signing_sessions_subject", "signing_sessions")
    op.drop_table("signing_sessions")
