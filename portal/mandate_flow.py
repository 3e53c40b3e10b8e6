"""The life of a SEPA mandate: create (idempotent), sign with the mailed code, resend, revoke.

Each step runs in a worker thread with its own transaction. A step that must both record
something and refuse (a wrong code) commits first and raises the problem afterwards. Every
mail a step sends is written to the outbox in the step's own transaction (`portal.outbox`):
no step waits for the mail server, and no mail tells of a change that was rolled back.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from portal import collection_mails, invoice_check, mandate_text, outbox, schedule
from portal.consent import ConsentText
from portal.context import Portal
from portal.mail import Attachment
from portal.problems import Problem, validation_problem
from portal.schemas import Mandate, MandateCreated
from portal.storage import collections as collection_store
from portal.storage import invoices
from portal.storage import mandates as store
from rules import iban as iban_rules
from rules import kassenzeichen as kz
from rules import mandate_reference

MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Draft:
    """A validated creation request."""

    key: str
    request_hash: str
    kassenzeichen: str
    amount_cents: int
    account_holder: str
    iban: str
    iban_masked: str
    email: str
    channel: str
    consent: ConsentText
    bic: str | None
    debtor_address: dict[str, str] | None
    language: str = "de"
    # whether the city's policy lets the e-mail code sign this amount (data/signing.yml):
    # when not, no code is mailed (it could not be used; the citizen signs with a login)
    email_code: bool = True


@dataclass(frozen=True)
class Created:
    response: dict[str, Any]
    code: str | None  # None for a replay: nothing new was created, nothing is mailed


@dataclass(frozen=True)
class Signed:
    row: Row
    invoice: invoices.Invoice


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def create(portal: Portal, draft: Draft) -> Created:
    with portal.engine.begin() as conn:
        stored = store.stored_response(conn, draft.key)
        if stored is not None:
            return _replay(stored, draft.request_hash)
        found = invoice_check.match(
            conn, draft.kassenzeichen, draft.amount_cents, portal.now(), portal.lookup_limits
        )
    invoice = found.require()
    if invoice.payment_state == "paid":
        raise Problem(409, "Diese Rechnung ist bereits bezahlt. / This invoice is already paid.")
    row, code = _new_row(portal, draft, invoice)
    response = json.loads(
        MandateCreated(
            id=row["id"],
            status="pending_signature",
            iban_masked=draft.iban_masked,
            code_expires_at=row["code_expires_at"].replace(tzinfo=dt.timezone.utc),
        ).json()
    )
    try:
        with portal.engine.begin() as conn:
            store.insert(conn, row, draft.key, draft.request_hash, response)
            if draft.email_code:
                _queue_code(portal, conn, row["id"], draft.kassenzeichen, draft.email, code)
    except IntegrityError:
        # the same key was used by a concurrent request that committed first
        with portal.engine.begin() as conn:
            stored = store.stored_response(conn, draft.key)
        if stored is None:
            raise
        return _replay(stored, draft.request_hash)
    return Created(response, code)


def _queue_code(
    portal: Portal, conn: Connection, mandate_id: str, kassenzeichen: str, email: str, code: str
) -> None:
    minutes = max(1, portal.settings.code_ttl_seconds // 60)
    subject, text = mandate_text.code_mail(kassenzeichen, code, minutes)
    outbox.enqueue(
        conn,
        kind="signing_code",
        to=email,
        subject=subject,
        body=text,
        now=portal.now(),
        mandate_id=mandate_id,
    )


def _replay(stored: tuple[str, dict[str, Any]], request_hash: str) -> Created:
    if stored[0] != request_hash:
        raise Problem(
            422,
            "Dieser Idempotency-Key wurde schon für eine andere Anfrage verwendet."
            " / This Idempotency-Key was already used for another request.",
            slug="idempotency-key-reused",
        )
    return Created(stored[1], None)


def _new_row(portal: Portal, draft: Draft, invoice: invoices.Invoice) -> tuple[dict[str, Any], str]:
    settings = portal.settings
    now = portal.now()
    mandate_id = uuid.uuid4().hex
    code = new_code()
    row = {
        "id": mandate_id,
        "invoice_id": invoice.id,
        "kassenzeichen": draft.kassenzeichen,
        "status": "pending_signature",
        "account_holder": draft.account_holder,
        "iban_encrypted": portal.vault.encrypt(draft.iban),
        "iban_masked": draft.iban_masked,
        "bic": draft.bic,
        "debtor_address": json.dumps(draft.debtor_address) if draft.debtor_address else None,
        "email": draft.email,
        "channel": draft.channel,
        "consent_text_version": draft.consent.version,
        "consent_sha256": draft.consent.sha256(settings.creditor_name, settings.creditor_id),
        "code_hash": portal.vault.code_hash(mandate_id, code),
        "code_sent_at": now,
        "code_expires_at": now + dt.timedelta(seconds=settings.code_ttl_seconds),
        "failed_attempts": 0,
        "created_at": now,
        "language": draft.language,
    }
    return row, code


def sign(portal: Portal, mandate_id: str, code: str) -> Signed:
    with portal.engine.begin() as conn:
        outcome = _sign(portal, conn, mandate_id, code)
    if isinstance(outcome, Problem):
        raise outcome
    return outcome


def _sign(portal: Portal, conn: Connection, mandate_id: str, code: str) -> Signed | Problem:
    row = store.get(conn, mandate_id, lock=True)
    if row is None:
        return Problem(404, "Dieses Mandat gibt es nicht. / No such mandate.")
    if row.status != "pending_signature":
        return _not_pending(row.status)
    now = portal.now()
    # times are whole seconds: ">=" lets a code live at most its lifetime, never a second more
    if now >= row.code_expires_at:
        return Problem(
            422,
            "Der Code ist abgelaufen; bitte einen neuen anfordern. / The code has expired;"
            " request a new one (POST /api/v1/mandates/{id}/resend-code).",
            slug="code-expired",
            errors={"code": "abgelaufen / expired"},
            code_expired=True,
            mandate_status=row.status,
        )
    if not portal.vault.code_matches(mandate_id, code, row.code_hash):
        return _wrong_code(conn, row)
    _activate(portal, conn, row, now)
    signed = store.get(conn, mandate_id)
    invoice = invoices.find(conn, row.kassenzeichen)
    assert signed is not None and invoice is not None
    return Signed(signed, invoice)


def _not_pending(status: str) -> Problem:
    return Problem(
        409,
        f"Das Mandat ist nicht (mehr) zur Unterschrift offen (Status {status})."
        f" / The mandate is not pending signature (status {status}).",
        mandate_status=status,
    )


def _wrong_code(conn: Connection, row: Row) -> Problem:
    attempts = int(row.failed_attempts) + 1
    status = "rejected" if attempts >= MAX_ATTEMPTS else "pending_signature"
    store.update(conn, row.id, failed_attempts=attempts, status=status)
    left = max(0, MAX_ATTEMPTS - attempts)
    detail = (
        "Der Code ist falsch; das Mandat wurde abgelehnt. / Wrong code; the mandate was rejected."
        if left == 0
        else f"Der Code ist falsch; noch {left} Versuch(e). / Wrong code; {left} attempt(s) left."
    )
    return Problem(
        422,
        detail,
        slug="wrong-code",
        errors={"code": "falsch / wrong"},
        attempts_left=left,
        mandate_status=status,
    )


def activate_signed(portal: Portal, conn: Connection, row: Row, signature: dict[str, Any]) -> None:
    """Activate a mandate signed by a login with BundID / the Servicekonto (`portal.signing`):
    the same effect as the code (reference, schedule, sealed PDF, confirmation mail), with
    what the login proved as the evidence instead of the code check."""
    _activate(portal, conn, row, portal.now(), signature=signature)


def _activate(
    portal: Portal,
    conn: Connection,
    row: Row,
    now: dt.datetime,
    signature: dict[str, Any] | None = None,
) -> None:
    settings = portal.settings
    invoice = invoices.find(conn, row.kassenzeichen)
    assert invoice is not None
    # taking the sequence number first locks the invoice row, so two signers of one invoice
    # run one after the other and the second supersedes the first
    reference = mandate_reference.build(row.kassenzeichen, store.next_sequence(conn, invoice.id))
    store.supersede_active(conn, row.kassenzeichen, now)
    notice = settings.prenotification_days
    planned = schedule.take_over(
        conn,
        mandate_id=row.id,
        mandate_reference=reference,
        invoice=invoice,
        now=now,
        today=portal.today(),
        notice_days=notice,
    )
    # with nothing left to collect (every due date already with the bank) the mandate still
    # stands, but no debit is announced: there is none
    first = planned[0].collection_date if planned else None
    evidence = {
        "created_at": row.created_at.isoformat() + "Z",
        "code_sent_at": row.code_sent_at.isoformat() + "Z",
        "signed_at": now.isoformat() + "Z",
        "channel": row.channel,
        "consent_text_version": row.consent_text_version,
        "consent_sha256": row.consent_sha256,
        "code_check": {
            "method": "one-time code by e-mail",
            "result": "matched",
            "failed_attempts_before": int(row.failed_attempts),
        },
        "creditor_id": settings.creditor_id,
        "mandate_reference": reference,
    }
    if signature is not None:
        # signed by a login: what it proved replaces the code check (no code was entered)
        del evidence["code_check"]
        evidence["signature"] = signature
    consent = portal.consents[row.consent_text_version]
    pdf = mandate_text.pdf(portal, row, invoice, reference, first, evidence, consent)
    sealed = portal.sealer.seal(pdf)
    store.update(
        conn,
        row.id,
        status="active",
        mandate_reference=reference,
        signed_at=now,
        first_collection_date=first,
        evidence=store.evidence_json(evidence),
        document=sealed,
    )
    signed = store.get(conn, row.id)
    assert signed is not None
    # the confirmation announces the first collection: it is that collection's pre-notification
    if planned:
        collection_store.prenotified(conn, row.id, planned[0].due_date, now)
    subject, text = mandate_text.confirmation_mail(portal, signed, invoice)
    outbox.enqueue(
        conn,
        kind="confirmation",
        to=row.email,
        subject=subject,
        body=text,
        now=now,
        mandate_id=row.id,
        attachment=Attachment(f"SEPA-Mandat-{reference}.pdf", sealed),
    )


# A new code is mailed at most once a minute while the last one still works: each resend
# sends a mail to the citizen's address, and nobody should be able to flood it.
RESEND_COOLDOWN_SECONDS = 60


def resend_wait(
    sent_at: dt.datetime | None, expires_at: dt.datetime | None, now: dt.datetime
) -> int:
    """Seconds until a new code may be mailed; 0 when it may be mailed now.

    >>> t = dt.datetime(2026, 11, 28, 9, 0, 0)
    >>> resend_wait(t, t + dt.timedelta(minutes=15), t + dt.timedelta(seconds=20))
    40
    >>> resend_wait(t, t + dt.timedelta(minutes=15), t + dt.timedelta(seconds=60))
    0
    >>> resend_wait(t, t + dt.timedelta(seconds=5), t + dt.timedelta(seconds=6))  # expired
    0
    """
    if sent_at is None or (expires_at is not None and expires_at <= now):
        return 0
    waited = (now - sent_at).total_seconds()
    return max(0, math.ceil(RESEND_COOLDOWN_SECONDS - waited))


def resend(portal: Portal, mandate_id: str) -> tuple[Row, str]:
    with portal.engine.begin() as conn:
        row = store.get(conn, mandate_id, lock=True)
        now = portal.now()
        wait = 0 if row is None else resend_wait(row.code_sent_at, row.code_expires_at, now)
        if row is None:
            outcome: Problem | str = Problem(404, "Dieses Mandat gibt es nicht. / No such mandate.")
        elif row.status != "pending_signature":
            outcome = _not_pending(row.status)
        elif wait:
            outcome = Problem(
                429,
                f"Ein neuer Code wurde eben erst versandt; bitte in {wait} Sekunden erneut"
                f" versuchen. / A new code was sent moments ago; try again in {wait} seconds.",
                headers={"Retry-After": str(wait)},
                retry_after=wait,
            )
        else:
            outcome = new_code()
            store.update(
                conn,
                mandate_id,
                code_hash=portal.vault.code_hash(mandate_id, outcome),
                code_sent_at=now,
                code_expires_at=now + dt.timedelta(seconds=portal.settings.code_ttl_seconds),
            )
            row = store.get(conn, mandate_id)
            assert row is not None
            _queue_code(portal, conn, mandate_id, row.kassenzeichen, row.email, outcome)
    if isinstance(outcome, Problem):
        raise outcome
    assert row is not None
    return row, outcome


def revoke(portal: Portal, mandate_id: str) -> Row:
    with portal.engine.begin() as conn:
        row = store.get(conn, mandate_id, lock=True)
        problem: Problem | None = None
        if row is None:
            problem = Problem(404, "Dieses Mandat gibt es nicht. / No such mandate.")
        elif row.status not in ("active", "pending_signature"):
            problem = Problem(
                409,
                f"Das Mandat kann nicht widerrufen werden (Status {row.status})."
                f" / The mandate cannot be revoked (status {row.status}).",
                mandate_status=row.status,
            )
        else:
            now = portal.now()
            store.update(conn, mandate_id, status="revoked", revoked_at=now)
            collection_store.cancel_open(conn, now, mandate_id=mandate_id)
            row = store.get(conn, mandate_id)
            assert row is not None
            # every revocation, by whoever and in whatever state, is mailed to the holder in
            # this transaction: a revocation by someone who found the invoice does not go unseen
            _queue_revocation(portal, conn, row)
    if problem is not None:
        raise problem
    assert row is not None
    return row


def about(portal: Portal, row: Any, purpose: str) -> collection_mails.About:
    settings = portal.settings
    return collection_mails.About(
        language=str(row.language or "de"),
        creditor_name=settings.creditor_name,
        creditor_id=settings.creditor_id,
        mandate_reference=str(row.mandate_reference),
        kassenzeichen=kz.format(row.kassenzeichen),
        purpose=purpose,
        iban_masked=row.iban_masked,
    )


def _queue_revocation(portal: Portal, conn: Connection, row: Row) -> None:
    invoice = invoices.find(conn, row.kassenzeichen)
    assert invoice is not None
    subject, text = collection_mails.revocation(
        about(portal, row, invoice.purpose),
        collection_mails.treasury_contact(portal.settings.data_dir),
        signed=row.mandate_reference is not None,
    )
    outbox.enqueue(
        conn,
        kind="revocation",
        to=row.email,
        subject=subject,
        body=text,
        now=portal.now(),
        mandate_id=row.id,
    )


def view(row: Row) -> Mandate:
    def utc(value: dt.datetime | None) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.timezone.utc)

    created: dt.datetime = row.created_at

    return Mandate(
        id=row.id,
        kassenzeichen=kz.format(row.kassenzeichen),
        status=row.status,
        account_holder=row.account_holder,
        iban_masked=row.iban_masked,
        email_masked=mask_email(row.email),
        mandate_reference=row.mandate_reference,
        signed_at=utc(row.signed_at),
        revoked_at=utc(row.revoked_at),
        first_collection_date=row.first_collection_date,
        created_at=created.replace(tzinfo=dt.timezone.utc),
        channel=row.channel,
        consent_text_version=row.consent_text_version,
        evidence=json.loads(row.evidence) if row.evidence else None,
        document_url=None,
    )


def mask_email(email: str) -> str:
    """
    >>> mask_email('erika.mustermann@example.org')
    'e***@example.org'
    """
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}"


def check_required_for_country(country: str, bic: str | None, address: Any) -> None:
    if not iban_rules.needs_bic_and_address(country):
        return
    missing = {}
    if bic is None:
        missing["bic"] = "für IBANs aus diesem Land nötig / required for IBANs from this country"
    if address is None:
        missing["debtor_address"] = (
            "für IBANs aus diesem Land nötig / required for IBANs from this country"
        )
    if missing:
        raise validation_problem(missing)
