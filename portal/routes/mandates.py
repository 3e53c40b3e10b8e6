"""SEPA mandates: create, list, read, sign, resend the code, revoke, the sealed document."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import re

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw

from portal import document_links, mandate_flow, schemas, signing
from portal.context import Portal
from portal.http import answer, parse_body, portal
from portal.invoice_check import cents
from portal.problems import Problem, validation_problem
from portal.signing_policy import Policy
from portal.storage import invoices
from portal.storage import mandates as store
from rules import email as email_rules
from rules import iban as iban_rules
from rules import kassenzeichen as kz

log = logging.getLogger("portal.mandates")
bp = Blueprint("mandates", url_prefix="/api/v1/mandates")

_ID = re.compile(r"[0-9a-f]{32}")
_KEY = re.compile(r"[!-~]{1,255}")


def _mandate_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise Problem(404, "Dieses Mandat gibt es nicht. / No such mandate.")
    return value


def _idempotency_key(request: Request) -> str:
    key = str(request.headers.get("idempotency-key", ""))
    if not _KEY.fullmatch(key):
        raise Problem(
            400,
            "Der Header Idempotency-Key fehlt oder ist ungültig (1–255 sichtbare ASCII-Zeichen)."
            " / The Idempotency-Key header is missing or invalid (1–255 visible ASCII characters).",
            slug="idempotency-key-required",
            errors={"Idempotency-Key": "fehlt oder ungültig / missing or invalid"},
        )
    return key


def _draft(request: Request, body: schemas.MandateCreate, key: str) -> mandate_flow.Draft:
    errors: dict[str, str] = {}
    iban = ""
    try:
        iban = iban_rules.validate(body.iban)
    except iban_rules.IbanError as exc:
        errors["iban"] = f"{exc} ({exc.code})"
    email = ""
    try:
        email = email_rules.validate(body.email)
    except ValueError as exc:
        errors["email"] = str(exc)
    consent = portal(request).consents.get(body.consent_text_version)
    if consent is None:
        errors["consent_text_version"] = "unbekannte Fassung / unknown version"
    if errors:
        raise validation_problem(errors)
    assert consent is not None
    mandate_flow.check_required_for_country(iban[:2], body.bic, body.debtor_address)
    kassenzeichen, amount_cents = kz.validate(body.kassenzeichen), cents(body.amount)
    # The same request however it is written: the IBAN compact, the amount in cents, white
    # space collapsed. Keyed (PORTAL_ENCRYPTION_KEY), so the record gives nothing away.
    normalised = {
        **body.dict(),
        "kassenzeichen": kassenzeichen,
        "amount": amount_cents,
        "account_holder": " ".join(body.account_holder.split()),
        "iban": iban,
        "email": email,
        "bic": body.bic.replace(" ", "").upper() if body.bic else None,
        "debtor_address": (
            {k: " ".join(str(v).split()) for k, v in body.debtor_address.dict().items()}
            if body.debtor_address
            else None
        ),
    }
    canonical = json.dumps(normalised, sort_keys=True, ensure_ascii=False, default=str)
    return mandate_flow.Draft(
        key=key,
        request_hash=portal(request).vault.request_fingerprint(canonical),
        kassenzeichen=kassenzeichen,
        amount_cents=amount_cents,
        account_holder=body.account_holder.strip(),
        iban=iban,
        iban_masked=iban_rules.mask(iban),
        email=email,
        channel=body.channel,
        consent=consent,
        bic=body.bic,
        debtor_address=body.debtor_address.dict() if body.debtor_address else None,
        language=body.language,
    )


@bp.post("")
async def create(request: Request) -> HTTPResponse:
    key = _idempotency_key(request)
    draft = _draft(request, parse_body(request, schemas.MandateCreate), key)
    ctx = portal(request)
    # how this mandate may be signed, by the city's policy (data/signing.yml) for its amount
    policy = _signing(request).config.policy
    draft = dataclasses.replace(draft, email_code=policy.email_code_allowed(draft.amount_cents))
    created = await asyncio.to_thread(mandate_flow.create, ctx, draft)
    if created.code is not None and draft.email_code:
        # the code mail was queued with the mandate; the outbox worker sends it
        ctx.wake_outbox()
        log.info("mandate %s created, code queued", created.response["id"])
    response = {
        **created.response,
        "signing_methods": policy.methods(draft.amount_cents),
        "required_level": policy.login_level("sign_mandate"),
    }
    return HTTPResponse(json.dumps(response), status=201, content_type="application/json")


def _signing(request: Request) -> signing.Signing:
    value: signing.Signing = request.app.ctx.signing
    return value


def _email_code_allowed(ctx: Portal, policy: Policy, mandate_id: str) -> None:
    with ctx.engine.begin() as conn:
        row = store.get(conn, mandate_id)
        invoice = invoices.find(conn, row.kassenzeichen) if row is not None else None
    if invoice is not None and not policy.email_code_allowed(invoice.amount_cents):
        raise Problem(
            403,
            "Für diesen Betrag lässt die Stadt die Unterschrift per E-Mail-Code nicht zu; bitte"
            " mit BundID / Online-Ausweis unterschreiben (POST /api/v1/signing-sessions)."
            " / The city does not allow the e-mail code for this amount; sign with BundID /"
            " the online ID instead.",
            slug="email-code-not-allowed",
            signing_methods=policy.methods(invoice.amount_cents),
            required_level=policy.login_level("sign_mandate"),
        )


@bp.get("")
async def list_for_invoice(request: Request) -> HTTPResponse:
    value = request.args.get("kassenzeichen", "")
    try:
        number = kz.validate(value)
    except ValueError as exc:
        raise validation_problem({"kassenzeichen": str(exc)}) from exc
    rows = await portal(request).db(store.for_kassenzeichen, number)
    return answer(schemas.MandateList(items=[mandate_flow.view(row) for row in rows]))


@bp.get("/<mandate_id:str>")
async def read(request: Request, mandate_id: str) -> HTTPResponse:
    ctx = portal(request)
    row = await ctx.db(store.get, _mandate_id(mandate_id))
    if row is None:
        raise Problem(404, "Dieses Mandat gibt es nicht. / No such mandate.")
    view = mandate_flow.view(row)
    if row.mandate_reference:
        # what the action server needs to tell a citizen whose signing request timed out
        view.document_url = document_links.url(
            ctx.settings.public_url, ctx.settings.api_token, row.id
        )
    return answer(view)


@bp.post("/<mandate_id:str>/sign")
async def sign(request: Request, mandate_id: str) -> HTTPResponse:
    mandate_id = _mandate_id(mandate_id)
    body = parse_body(request, schemas.SignRequest)
    ctx = portal(request)
    await asyncio.to_thread(_email_code_allowed, ctx, _signing(request).config.policy, mandate_id)
    signed = await asyncio.to_thread(mandate_flow.sign, ctx, mandate_id, body.code)
    row = signed.row
    log.info("mandate %s signed as %s", row.id, row.mandate_reference)
    ctx.wake_outbox()  # the confirmation was queued in the signing transaction
    return answer(
        schemas.MandateSigned(
            id=row.id,
            status="active",
            mandate_reference=row.mandate_reference,
            creditor_id=ctx.settings.creditor_id,
            creditor_name=ctx.settings.creditor_name,
            signed_at=row.signed_at.replace(tzinfo=dt.timezone.utc),
            # The citizen opens this link, so it needs no token (an HMAC in the path instead).
            document_url=document_links.url(
                ctx.settings.public_url, ctx.settings.api_token, row.id
            ),
            first_collection_date=row.first_collection_date,
            sequence_type="FRST",
        )
    )


@bp.post("/<mandate_id:str>/resend-code")
async def resend_code(request: Request, mandate_id: str) -> HTTPResponse:
    ctx = portal(request)
    mandate_id = _mandate_id(mandate_id)
    # no code for a mandate the code may not sign: the same 403 as its signing
    await asyncio.to_thread(_email_code_allowed, ctx, _signing(request).config.policy, mandate_id)
    row, _code = await asyncio.to_thread(mandate_flow.resend, ctx, mandate_id)
    ctx.wake_outbox()  # the new code was queued with its hash
    return answer(
        schemas.CodeResent(
            id=row.id,
            status="pending_signature",
            code_expires_at=row.code_expires_at.replace(tzinfo=dt.timezone.utc),
        )
    )


@bp.post("/<mandate_id:str>/revoke")
async def revoke(request: Request, mandate_id: str) -> HTTPResponse:
    ctx = portal(request)
    mandate_id = _mandate_id(mandate_id)
    session_id = _revoke_session(request)
    # the login that allows it (the signer or the account holder, checked at the ACS) is
    # used up here, in its own transaction: a failed revocation below leaves it used
    await asyncio.to_thread(
        _use_session, ctx, _signing(request), session_id, "revoke_mandate", mandate_id
    )
    row = await asyncio.to_thread(mandate_flow.revoke, ctx, mandate_id)
    ctx.wake_outbox()  # the holder's notice was queued with the revocation
    log.info("mandate %s revoked", row.id)
    return answer(mandate_flow.view(row))


def _revoke_session(request: Request) -> str | None:
    """The body is optional: without a login the city's policy decides (data/signing.yml)."""
    if not request.body:
        return None
    return parse_body(request, schemas.RevokeRequest).signing_session_id


def _use_session(
    ctx: Portal, sign: signing.Signing, session_id: str | None, purpose: str, subject: str
) -> None:
    with ctx.engine.begin() as conn:
        if store.get(conn, subject) is None:
            raise Problem(404, "Dieses Mandat gibt es nicht. / No such mandate.")
        signing.require_session(ctx, conn, sign, session_id, purpose, subject_id=subject)


@bp.get("/<mandate_id:str>/document")
async def document(request: Request, mandate_id: str) -> HTTPResponse:
    content = await portal(request).db(store.document, _mandate_id(mandate_id))
    if content is None:
        raise Problem(404, "Kein unterzeichnetes Mandat. / No signed mandate document.")
    return raw(
        content,
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="mandate-{mandate_id}.pdf"'},
    )
