"""Collection schedule per invoice, export batches, the mail outbox, lapse and language.

Every due date of an invoice gets at most one collection that is not cancelled (a partial
unique index), whichever mandate collects it. Collections recorded by the old export become
``exported`` collections of their day's due date.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_NOT_CANCELLED = "status <> 'cancelled'"


def upgrade() -> None:
    op.create_table(
        "export_batches",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("collection_date", sa.Date, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("transactions", sa.Integer, nullable=False),
        sa.Column("total_cents", sa.Integer, nullable=False),
        sa.Column("xml", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_export_batches_collection_date", "export_batches", ["collection_date"])
    _outbox()
    _collections()
    with op.batch_alter_table("mandates") as batch:
        batch.add_column(sa.Column("lapsed_at", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("language", sa.String(2), nullable=False, server_default="de"))


def _outbox() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("mandate_id", sa.String(32), nullable=True),
        sa.Column("to_address", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attachment_name", sa.String(120), nullable=True),
        sa.Column("attachment", sa.LargeBinary, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("claimed_until", sa.DateTime, nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_outbox_mandate_id", "outbox", ["mandate_id"])
    op.create_index("ix_outbox_status_next", "outbox", ["status", "next_attempt_at"])


def _collections() -> None:
    with op.batch_alter_table("collections") as batch:
        batch.drop_constraint("one_collection_per_mandate_and_day", type_="unique")
        batch.add_column(sa.Column("invoice_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("due_date", sa.Date, nullable=True))
        batch.add_column(sa.Column("status", sa.String(16), nullable=True))
        batch.add_column(sa.Column("planned_at", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("prenotified_at", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("batch_id", sa.String(40), nullable=True))
        batch.add_column(sa.Column("cancelled_at", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("returned_at", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("return_reason", sa.String(4), nullable=True))
        batch.add_column(sa.Column("return_source", sa.String(16), nullable=True))
        batch.alter_column("sequence_type", existing_type=sa.String(4), nullable=True)
        batch.alter_column("exported_at", existing_type=sa.DateTime, nullable=True)
    op.execute(
        "UPDATE collections SET"
        " invoice_id = (SELECT mandates.invoice_id FROM mandates"
        " WHERE mandates.id = collections.mandate_id),"
        " due_date = collection_date, status = 'exported',"
        " planned_at = exported_at, prenotified_at = exported_at"
    )
    with op.batch_alter_table("collections") as batch:
        batch.alter_column("invoice_id", existing_type=sa.Integer, nullable=False)
        batch.alter_column("due_date", existing_type=sa.Date, nullable=False)
        batch.alter_column("status", existing_type=sa.String(16), nullable=False)
        batch.alter_column("planned_at", existing_type=sa.DateTime, nullable=False)
        batch.create_foreign_key("fk_collections_invoice", "invoices", ["invoice_id"], ["id"])
        batch.create_foreign_key("fk_collections_batch", "export_batches", ["batch_id"], ["id"])
    op.create_index("ix_collections_mandate_id", "collections", ["mandate_id"])
    op.create_index(
        "one_collection_per_due_date",
        "collections",
        ["invoice_id", "due_date"],
        unique=True,
        sqlite_where=sa.text(_NOT_CANCELLED),
        postgresql_where=sa.text(_NOT_CANCELLED),
    )


def downgrade() -> None:
    raise NotImplementedError("the collection schedule cannot be folded back into 0001")
