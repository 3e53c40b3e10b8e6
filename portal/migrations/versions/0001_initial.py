"""Initial schema: invoices, mandates, collections, service requests, appointments.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kassenzeichen", sa.String(12), nullable=False, unique=True),
        sa.Column("amount_cents", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("purpose", sa.String(140), nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("further_due_dates", sa.String(400), nullable=False),
        sa.Column("payer_name", sa.String(140), nullable=False),
        sa.Column("payment_state", sa.String(16), nullable=False),
        sa.Column("mandate_sequence", sa.Integer, nullable=False),
    )
    op.create_table(
        "lookup_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kassenzeichen", sa.String(12), nullable=False),
        sa.Column("failed_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_lookup_failures_kassenzeichen", "lookup_failures", ["kassenzeichen"])
    _mandates()
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("mandate_id", sa.String(32), sa.ForeignKey("mandates.id"), nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "collections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("mandate_id", sa.String(32), sa.ForeignKey("mandates.id"), nullable=False),
        sa.Column("collection_date", sa.Date, nullable=False),
        sa.Column("sequence_type", sa.String(4), nullable=False),
        sa.Column("amount_cents", sa.Integer, nullable=False),
        sa.Column("end_to_end_id", sa.String(35), nullable=False, unique=True),
        sa.Column("exported_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint(
            "mandate_id", "collection_date", name="one_collection_per_mandate_and_day"
        ),
    )
    _service_requests()
    op.create_table(
        "appointments",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("slot_id", sa.String(64), nullable=False, unique=True),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("start", sa.DateTime, nullable=False),
        sa.Column("end", sa.DateTime, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def _mandates() -> None:
    op.create_table(
        "mandates",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("invoice_id", sa.Integer, sa.ForeignKey("invoices.id"), nullable=False),
        sa.Column("kassenzeichen", sa.String(12), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("account_holder", sa.String(70), nullable=False),
        sa.Column("iban_encrypted", sa.Text, nullable=False),
        sa.Column("iban_masked", sa.String(48), nullable=False),
        sa.Column("bic", sa.String(11), nullable=True),
        sa.Column("debtor_address", sa.Text, nullable=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("consent_text_version", sa.String(64), nullable=False),
        sa.Column("consent_sha256", sa.String(64), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("code_sent_at", sa.DateTime, nullable=False),
        sa.Column("code_expires_at", sa.DateTime, nullable=False),
        sa.Column("failed_attempts", sa.Integer, nullable=False),
        sa.Column("mandate_reference", sa.String(35), nullable=True, unique=True),
        sa.Column("first_collection_date", sa.Date, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("signed_at", sa.DateTime, nullable=True),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
        sa.Column("superseded_at", sa.DateTime, nullable=True),
        sa.Column("evidence", sa.Text, nullable=True),
        sa.Column("document", sa.LargeBinary, nullable=True),
    )
    op.create_index("ix_mandates_kassenzeichen", "mandates", ["kassenzeichen"])
    op.create_index(
        "one_active_mandate_per_kassenzeichen",
        "mandates",
        ["kassenzeichen"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )


def _service_requests() -> None:
    op.create_table(
        "service_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(16), nullable=True, unique=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("pickup_date", sa.Date, nullable=True),
        sa.Column("conversation_id", sa.String(128), nullable=True),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_service_requests_pickup_date", "service_requests", ["pickup_date"])
    op.create_table(
        "service_request_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("service_requests.id"), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
    )
    op.create_index(
        "ix_service_request_events_request_id", "service_request_events", ["request_id"]
    )


def downgrade() -> None:
    for table in (
        "appointments",
        "service_request_events",
        "service_requests",
        "collections",
        "idempotency_keys",
        "mandates",
        "lookup_failures",
        "invoices",
    ):
        op.drop_table(table)
