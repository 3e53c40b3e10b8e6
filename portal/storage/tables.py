"""Table definitions (SQLAlchemy Core). Migrations in ``portal/migrations`` create them.

Times are stored as naive UTC; the API layer adds the zone when it answers.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

invoices = sa.Table(
    "invoices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kassenzeichen", sa.String(12), nullable=False, unique=True),
    sa.Column("amount_cents", sa.Integer, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("purpose", sa.String(140), nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    # further due dates of a recurring invoice (instalments), ISO dates separated by commas
    sa.Column("further_due_dates", sa.String(400), nullable=False),
    sa.Column("payer_name", sa.String(140), nullable=False),
    sa.Column("payment_state", sa.String(16), nullable=False),
    # last sequence number used for a mandate reference: only grows, so none is reused
    sa.Column("mandate_sequence", sa.Integer, nullable=False),
)

lookup_failures = sa.Table(
    "lookup_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kassenzeichen", sa.String(12), nullable=False, index=True),
    # keyed hash of the client (conversation) that failed, when the action server named one
    sa.Column("client", sa.String(64), nullable=True, index=True),
    sa.Column("failed_at", sa.DateTime, nullable=False),
)

# A status lookup of a service request that was refused (unknown reference, or neither the
# filing conversation nor the second fact given at filing): counted like invoice lookups.
status_lookup_failures = sa.Table(
    "status_lookup_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("reference", sa.String(32), nullable=False, index=True),
    sa.Column("client", sa.String(64), nullable=True, index=True),
    sa.Column("failed_at", sa.DateTime, nullable=False),
)

mandates = sa.Table(
    "mandates",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("invoice_id", sa.Integer, sa.ForeignKey("invoices.id"), nullable=False),
    sa.Column("kassenzeichen", sa.String(12), nullable=False, index=True),
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
    sa.Column("lapsed_at", sa.DateTime, nullable=True),
    # the language the citizen used when signing (de/en): later mails about the mandate use it
    sa.Column("language", sa.String(2), nullable=False, server_default="de"),
    sa.Column("evidence", sa.Text, nullable=True),
    sa.Column("document", sa.LargeBinary, nullable=True),
    sa.Index(
        "one_active_mandate_per_kassenzeichen",
        "kassenzeichen",
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    ),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("mandate_id", sa.String(32), sa.ForeignKey("mandates.id"), nullable=False),
    sa.Column("response", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# One row per attempt to collect one due date of an invoice through one mandate. A due date has
# at most one row that is not cancelled (planned, notified, exported or returned), whatever
# happens to the invoice's mandates: the partial unique index enforces it.
collections = sa.Table(
    "collections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("mandate_id", sa.String(32), sa.ForeignKey("mandates.id"), nullable=False),
    sa.Column("invoice_id", sa.Integer, sa.ForeignKey("invoices.id"), nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("collection_date", sa.Date, nullable=False),
    # planned -> notified (pre-notification mailed) -> exported (in a batch) -> returned;
    # planned or notified -> cancelled (mandate revoked, superseded or lapsed before export)
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("sequence_type", sa.String(4), nullable=True),  # FRST/RCUR, fixed at export
    sa.Column("amount_cents", sa.Integer, nullable=False),
    sa.Column("end_to_end_id", sa.String(35), nullable=False, unique=True),
    sa.Column("planned_at", sa.DateTime, nullable=False),
    sa.Column("prenotified_at", sa.DateTime, nullable=True),
    sa.Column("batch_id", sa.String(40), sa.ForeignKey("export_batches.id"), nullable=True),
    sa.Column("exported_at", sa.DateTime, nullable=True),
    sa.Column("cancelled_at", sa.DateTime, nullable=True),
    sa.Column("returned_at", sa.DateTime, nullable=True),
    sa.Column("return_reason", sa.String(4), nullable=True),
    sa.Column("return_source", sa.String(16), nullable=True),
    sa.Index(
        "one_collection_per_due_date",
        "invoice_id",
        "due_date",
        unique=True,
        sqlite_where=sa.text("status <> 'cancelled'"),
        postgresql_where=sa.text("status <> 'cancelled'"),
    ),
    sa.Index("ix_collections_mandate_id", "mandate_id"),
)

# A pain.008 file as it was handed to the bank: kept so that a second download is the same file.
export_batches = sa.Table(
    "export_batches",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("collection_date", sa.Date, nullable=False, index=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("transactions", sa.Integer, nullable=False),
    sa.Column("total_cents", sa.Integer, nullable=False),
    sa.Column("xml", sa.LargeBinary, nullable=False),
)

# Mail leaves through here: written in the transaction of the state change it tells about,
# sent by a worker with retries. Rows are never deleted: a sent or failed mail stays on record.
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("mandate_id", sa.String(32), nullable=True, index=True),
    sa.Column("to_address", sa.String(254), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("attachment_name", sa.String(120), nullable=True),
    sa.Column("attachment", sa.LargeBinary, nullable=True),
    # pending -> sending (claimed by one worker until claimed_until) -> sent | failed
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime, nullable=False),
    sa.Column("claimed_until", sa.DateTime, nullable=True),
    sa.Column("last_error", sa.String(300), nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("sent_at", sa.DateTime, nullable=True),
    sa.Index("ix_outbox_status_next", "status", "next_attempt_at"),
)

service_requests = sa.Table(
    "service_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("reference", sa.String(32), nullable=True, unique=True),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("pickup_date", sa.Date, nullable=True, index=True),
    sa.Column("conversation_id", sa.String(128), nullable=True),
    sa.Column("channel", sa.String(32), nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

service_request_events = sa.Table(
    "service_request_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "request_id", sa.Integer, sa.ForeignKey("service_requests.id"), nullable=False, index=True
    ),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("note", sa.String(500), nullable=False),
)

appointments = sa.Table(
    "appointments",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    # the unique slot is what prevents double booking, whatever the timing of requests
    sa.Column("slot_id", sa.String(64), nullable=False, unique=True),
    sa.Column("service", sa.String(32), nullable=False),
    sa.Column("start", sa.DateTime, nullable=False),
    sa.Column("end", sa.DateTime, nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
