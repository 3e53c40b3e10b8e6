"""Signing sessions: the short-lived, single-use link to a login with BundID / the Servicekonto
for one action on one subject in one conversation, and what the ACS does with the login.

- `create` (API): a session and its link `{PORTAL_PUBLIC_URL}/signing/<token>`; the token is
  stored only as a keyed hash.
- `open_link` (the citizen's browser): once only, before it expires, a signed AuthnRequest at
  the level the city's policy asks for, bound to the session by its ID.
- `finish` (the ACS): the response pysaml2 accepted, for the one request this session sent,
  not seen before, at the level required; then per purpose: sign the mandate (name must match
  the account holder), allow a revocation (the signer or the account holder), or record the
  verified identity for a certificate order. The conversation is told in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import importlib.util
import json
import logging
import os
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy.engine import Connection, Row
from text_unidecode import unidecode

from portal import mandate_flow, rasa_notify, signing_policy
from portal.context import Portal
from portal.problems import Problem, validation_problem
from portal.saml import bundid, sp
from portal.saml.keys import ensure_pair
from portal.settings import Settings
from portal.storage import mandates as mandate_store
from portal.storage import signing as store

if TYPE_CHECKING:
    from saml2.config import SPConfig  # pysaml2 is imported when first used (saml/sp.py)

log = logging.getLogger("portal.signing")
METADATA_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
METADATA_MAX_AGE = 3600.0
_CHANNEL = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_SUBJECT = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_TITLES = {"dr", "prof", "med", "herr", "frau", "mr", "mrs", "ms"}


@dataclass(frozen=True)
class SigningConfig:
    idp_metadata: str
    sp: sp.SpSettings
    session_minutes: int
    pseudonym_key: bytes
    rasa: rasa_notify.RasaTarget
    policy: signing_policy.Policy
    # the certificate the IdP signs its metadata with (BundID's metadata signing certificate):
    # when set, metadata without a valid signature by it is refused
    idp_metadata_cert: Path | None = None

    @classmethod
    def for_settings(cls, settings: Settings) -> SigningConfig:
        """The portal's settings plus the SAML ones of the process's environment."""
        return cls.from_env(
            dict(os.environ),
            settings.public_url,
            settings.var_dir,
            settings.data_dir,
            settings.creditor_name,
        )

    @classmethod
    def from_env(cls, env: dict[str, str], public_url: str, var_dir: Path, data_dir: Path,
                 organisation: str) -> SigningConfig:  # fmt: skip
        keys = var_dir / "keys"
        key = Path(env["SAML_SP_KEY"]) if env.get("SAML_SP_KEY") else keys / "saml-sp-key.pem"
        cert = Path(env["SAML_SP_CERT"]) if env.get("SAML_SP_CERT") else keys / "saml-sp-cert.pem"
        if not (env.get("SAML_SP_KEY") and env.get("SAML_SP_CERT")):
            ensure_pair(key, cert, f"{organisation} (Entwicklung)")
        metadata = idp_metadata_source(env)
        metadata_cert = env.get("IDP_METADATA_CERT") or None
        if metadata_cert is not None and not Path(metadata_cert).is_file():
            raise ValueError(f"IDP_METADATA_CERT names no file: {metadata_cert}")
        minutes = env.get("SIGNING_SESSION_MINUTES") or "15"
        if not minutes.isdigit() or not 1 <= int(minutes) <= 120:
            raise ValueError("SIGNING_SESSION_MINUTES must be a whole number from 1 to 120")
        rasa_port = env.get("RASA_PORT") or "5005"
        return cls(
            idp_metadata=metadata,
            idp_metadata_cert=Path(metadata_cert) if metadata_cert else None,
            sp=sp.SpSettings(
                entity_id=env.get("SAML_SP_ENTITY_ID") or f"{public_url}/saml/metadata",
                acs_url=f"{public_url}/saml/acs",
                key_file=key,
                cert_file=cert,
                organisation=organisation,
            ),
            session_minutes=int(minutes),
            pseudonym_key=_pseudonym_key(env.get("SIGNING_PSEUDONYM_KEY"), keys),
            rasa=rasa_notify.RasaTarget(
                url=env.get("RASA_URL") or f"http://127.0.0.1:{rasa_port}",
                jwt_secret=env.get("RASA_JWT_SECRET") or None,
            ),
            policy=signing_policy.load(data_dir),
        )


def _development_idp_present() -> bool:
    """Whether this installation has the development IdP (`devtools/`, absent from the
    production image)."""
    try:
        return importlib.util.find_spec("devtools.idp") is not None
    except ModuleNotFoundError:
        return False


def idp_metadata_source(env: dict[str, str]) -> str:
    """`IDP_METADATA`: an http(s) URL or an existing file. Unset, it is the development IdP's
    on `IDP_PORT` where that IdP exists; without it (production) the portal refuses to start
    rather than send citizens to an IdP that is not there."""
    value = (env.get("IDP_METADATA") or "").strip()
    if not value:
        if not _development_idp_present():
            raise ValueError(
                "IDP_METADATA is not set: set it to the URL of BundID's SAML metadata (or a"
                " file holding it); the development IdP does not exist in production"
            )
        return f"http://127.0.0.1:{env.get('IDP_PORT') or '8090'}/metadata"
    if value.startswith(("http://", "https://")):
        return value
    if not Path(value).is_file():
        raise ValueError(
            f"IDP_METADATA must be an http(s) URL or an existing file, not {value[:80]!r}"
            " (set it to BundID's metadata URL)"
        )
    return value


def _pseudonym_key(configured: str | None, keys: Path) -> bytes:
    """The HMAC key of pseudonyms; kept under VAR_DIR when unset, since a revocation compares
    the HMAC of today's login with the one stored at signing."""
    if configured:
        if len(configured) < 32:
            raise ValueError("SIGNING_PSEUDONYM_KEY must have 32 or more characters")
        return configured.encode("utf-8")
    path = keys / "signing-pseudonym.key"
    if not path.exists():
        keys.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_urlsafe(48).encode())
    return path.read_bytes().strip()


class Signing:
    """The SP's configuration with the IdP's metadata, read when first needed and kept an hour
    (BundID may be unreachable while the portal starts; the link page then says so)."""

    def __init__(self, config: SigningConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._sp_config: SPConfig | None = None
        self._loaded = 0.0

    def sp_config(self) -> SPConfig:
        with self._lock:
            if self._sp_config is None or time.monotonic() - self._loaded > METADATA_MAX_AGE:
                xml = _read_metadata(self.config.idp_metadata)
                if self.config.idp_metadata_cert is not None:
                    sp.check_metadata_signature(xml, self.config.idp_metadata_cert)
                self._sp_config = sp.config(self.config.sp, xml)
                sp.idp_entity_id(self._sp_config)  # exactly one IdP, or a clear error
                self._loaded = time.monotonic()
            return self._sp_config

    def token_hash(self, token: str) -> str:
        return hmac.new(self.config.pseudonym_key, b"link:" + token.encode(), "sha256").hexdigest()

    def pseudonym_hmac(self, pseudonym: str) -> str:
        return hmac.new(self.config.pseudonym_key, pseudonym.encode(), hashlib.sha256).hexdigest()


def _read_metadata(source: str) -> str:
    try:
        if source.startswith(("http://", "https://")):
            response = httpx.get(source, timeout=METADATA_TIMEOUT)
            response.raise_for_status()
            return response.text
        return Path(source).read_text(encoding="utf-8")
    except (httpx.HTTPError, OSError) as exc:
        raise sp.MetadataUnavailable(f"IDP_METADATA unreadable: {type(exc).__name__}") from exc


# --- the API ---------------------------------------------------------------------------------


def create(portal: Portal, signing: Signing, body: dict[str, Any]) -> dict[str, Any]:
    purpose = body.get("purpose")
    errors: dict[str, str] = {}
    if purpose not in signing_policy.PURPOSES:
        errors["purpose"] = "sign_mandate, revoke_mandate oder/or order_certificate"
    subject = str(body.get("subject_id") or "")
    if not _SUBJECT.fullmatch(subject):
        errors["subject_id"] = "fehlt oder ungültig / missing or invalid"
    conversation = str(body.get("conversation_id") or "")
    if not conversation or len(conversation) > 128:
        errors["conversation_id"] = "fehlt oder zu lang / missing or too long"
    channel = str(body.get("output_channel") or "")
    if not _CHANNEL.fullmatch(channel):
        errors["output_channel"] = "Name eines Rasa-Kanals / name of a Rasa channel"
    language = body.get("language", "de")
    if language not in ("de", "en"):
        errors["language"] = "de oder/or en"
    unknown = set(body) - {"purpose", "subject_id", "conversation_id", "output_channel", "language"}
    for name in unknown:
        errors[name] = "unbekanntes Feld / unknown field"
    if errors:
        raise validation_problem(errors)
    now = portal.now()
    token = secrets.token_urlsafe(32)
    row = {
        "id": uuid.uuid4().hex,
        "token_hash": signing.token_hash(token),
        "purpose": purpose,
        "subject_id": subject,
        "conversation_id": conversation,
        "output_channel": channel,
        "language": language,
        "required_level": signing.config.policy.login_level(str(purpose)),
        "status": "pending",
        "created_at": now,
        "expires_at": now + dt.timedelta(minutes=signing.config.session_minutes),
    }
    with portal.engine.begin() as conn:
        if purpose in ("sign_mandate", "revoke_mandate"):
            _check_mandate(conn, str(purpose), subject)
        store.insert(conn, row)
    return {
        "id": row["id"],
        "url": f"{portal.settings.public_url}/signing/{token}",
        "expires_at": _iso(row["expires_at"]),
        "required_level": row["required_level"],
    }


def _check_mandate(conn: Connection, purpose: str, mandate_id: str) -> None:
    mandate = mandate_store.get(conn, mandate_id)
    if mandate is None:
        raise Problem(404, "Dieses Mandat gibt es nicht. / No such mandate.")
    wanted = (
        ("pending_signature",) if purpose == "sign_mandate" else ("active", "pending_signature")
    )
    if mandate.status not in wanted:
        raise Problem(
            409,
            f"Das Mandat ist im Status {mandate.status}. / The mandate is {mandate.status}.",
            mandate_status=mandate.status,
        )


def view(row: Row, now: dt.datetime) -> dict[str, Any]:
    status = row.status
    failure = row.failure
    if status == "pending" and now >= row.expires_at:
        status, failure = "expired", "expired"
    return {
        "id": row.id,
        "status": status,
        "purpose": row.purpose,
        "subject_id": row.subject_id,
        "conversation_id": row.conversation_id,
        "required_level": row.required_level,
        "level": row.level,
        "signer_name": row.signer_name,
        "failure": failure,
        "expires_at": _iso(row.expires_at),
        "finished_at": _iso(row.finished_at) if row.finished_at else None,
        "consumed": row.consumed_at is not None,
    }


def _iso(value: dt.datetime) -> str:
    return value.replace(tzinfo=dt.timezone.utc).isoformat().replace("+00:00", "Z")


# --- the link ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkOutcome:
    kind: str  # "post" or a page of signing_pages.MESSAGES
    request: sp.OutgoingRequest | None = None
    session_id: str | None = None


def open_link(portal: Portal, signing: Signing, token: str) -> LinkOutcome:
    if not re.fullmatch(r"[A-Za-z0-9_-]{20,64}", token):
        return LinkOutcome("link_unknown")
    token_hash = signing.token_hash(token)
    with portal.engine.begin() as conn:
        row = store.by_token_hash(conn, token_hash)
        refused = _link_refusal(row, portal.now())
    if refused or row is None:
        return LinkOutcome(refused or "link_unknown")
    try:
        conf = signing.sp_config()
        request = sp.authn_request(
            conf, row.required_level, row.language, signing.config.sp.organisation
        )
    except sp.MetadataUnavailable as exc:
        log.error("signing link of session %s: %s", row.id, exc)
        return LinkOutcome("unavailable")  # the link was not used up: it works again later
    with portal.engine.begin() as conn:
        row = store.by_token_hash(conn, token_hash)
        refused = _link_refusal(row, portal.now())
        if refused or row is None:
            return LinkOutcome(refused or "link_unknown")
        store.update(conn, row.id, opened_at=portal.now(), request_id=request.request_id)
    log.info("signing session %s: AuthnRequest sent at level %s", row.id, row.required_level)
    return LinkOutcome("post", request, row.id)


def _link_refusal(row: Row | None, now: dt.datetime) -> str | None:
    if row is None:
        return "link_unknown"
    if row.opened_at is not None or row.status != "pending":
        return "link_used"
    if now >= row.expires_at:
        return "link_expired"
    return None


# --- the ACS -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AcsOutcome:
    kind: str
    session_id: str | None
    reason: str  # for the log line: never assertion content


_FAILURE = {  # refusal reason -> the session's `failure`
    "cancelled": "cancelled",
    "idp_error": "cancelled",
    "level_too_low": "level_too_low",
    "name_mismatch": "name_mismatch",
    "expired": "invalid_response",
    "signature": "invalid_response",
    "audience": "invalid_response",
    "recipient": "invalid_response",
    "invalid": "invalid_response",
    "session_expired": "expired",
}
_PAGE = {
    "cancelled": "cancelled",
    "idp_error": "cancelled",
    "level_too_low": "level_too_low",
    "name_mismatch": "name_mismatch",
    "expired": "expired",
    "session_expired": "link_expired",
    "replayed": "replayed",
    "not_pending": "not_pending",
}


def finish(portal: Portal, signing: Signing, saml_response: str) -> AcsOutcome:
    try:
        seen = sp.envelope(sp.decode(saml_response))
    except Exception:  # anything unreadable is one refusal, whatever the parser said
        return AcsOutcome("invalid", None, "unreadable")
    if not seen.in_response_to:
        return AcsOutcome("invalid", None, "unsolicited")
    with portal.engine.begin() as conn:
        row = store.by_request_id(conn, seen.in_response_to[:64])
    if row is None:
        return AcsOutcome("invalid", None, "unsolicited")
    try:
        verified = sp.verify(signing.sp_config(), saml_response, row.request_id)
    except sp.Refused as refused:
        return _fail(portal, row.id, refused.reason)
    except sp.MetadataUnavailable:
        return AcsOutcome("unavailable", row.id, "metadata")
    with portal.engine.begin() as conn:
        outcome = _finish(portal, signing, conn, row.id, verified)
    if outcome.kind in ("signed", "verified"):
        portal.wake_outbox()
    return outcome


def _fail(portal: Portal, session_id: str, reason: str) -> AcsOutcome:
    """A refused response: the session fails (when still pending) and the chat is told."""
    with portal.engine.begin() as conn:
        row = store.get(conn, session_id, lock=True)
        if row is not None and row.status == "pending":
            _end(portal, conn, row, "failed", failure=_FAILURE.get(reason, "invalid_response"))
    return AcsOutcome(_PAGE.get(reason, "invalid"), session_id, reason)


def _end(portal: Portal, conn: Connection, row: Row, status: str, **values: Any) -> None:
    now = portal.now()
    store.update(conn, row.id, status=status, finished_at=now, **values)
    rasa_notify.enqueue(conn, row.id, row.conversation_id, row.output_channel, now)


def _finish(
    portal: Portal, signing: Signing, conn: Connection, session_id: str, verified: sp.Verified
) -> AcsOutcome:
    row = store.get(conn, session_id, lock=True)
    assert row is not None
    now = portal.now()
    if not store.remember_assertion(
        conn, verified.assertion_id, verified.idp_entity_id, row.id, now
    ):
        return AcsOutcome("replayed", row.id, "replayed")
    if row.status != "pending":
        return AcsOutcome("not_pending", row.id, f"session {row.status}")
    if now >= row.expires_at:
        _end(portal, conn, row, "failed", failure="expired")
        return AcsOutcome("link_expired", row.id, "session_expired")
    if not bundid.at_least(verified.level, row.required_level):
        _end(portal, conn, row, "failed", failure="level_too_low", level=verified.level)
        return AcsOutcome("level_too_low", row.id, f"level {verified.level}")
    given = verified.first(bundid.GIVEN_NAME)
    family = verified.first(bundid.SURNAME)
    signer = f"{given} {family}".strip()
    pseudonym = signing.pseudonym_hmac(verified.pseudonym)
    evidence = {
        "method": "bundid-saml",
        "level_of_assurance": verified.level,
        "authn_context_class_ref": verified.class_ref,
        "idp_entity_id": verified.idp_entity_id,
        "assertion_id": verified.assertion_id,
        "assertion_issue_instant": verified.issued_at,
        "authn_instant": verified.authn_instant,
        "pseudonym_hmac": pseudonym,
        "signer_name": signer,
        "signing_session_id": row.id,
        "verified_at": _iso(now),
    }
    common = {"level": verified.level, "signer_name": signer[:200]}
    if row.purpose == "sign_mandate":
        return _sign_mandate(portal, conn, row, evidence, given, family, common)
    if row.purpose == "revoke_mandate":
        mandate = mandate_store.get(conn, row.subject_id)
        signed_by = _signer_hmac(mandate)
        if mandate is None or not (
            (signed_by and hmac.compare_digest(signed_by, pseudonym))
            or names_match(given, family, mandate.account_holder)
        ):
            _end(portal, conn, row, "failed", failure="name_mismatch", **common)
            return AcsOutcome("name_mismatch", row.id, "not the signer nor the holder")
    identity = {
        "given_name": given,
        "family_name": family,
        "birth_date": verified.first(bundid.BIRTH_DATE),
        "street": verified.first(bundid.POSTAL_ADDRESS),
        "postal_code": verified.first(bundid.POSTAL_CODE),
        "locality": verified.first(bundid.LOCALITY),
        "email": verified.first(bundid.MAIL),
    }
    _end(
        portal,
        conn,
        row,
        "completed",
        evidence=json.dumps(evidence),
        identity_encrypted=portal.vault.encrypt(json.dumps(identity)),
        **common,
    )
    return AcsOutcome("verified", row.id, f"{row.purpose} verified at {verified.level}")


def _sign_mandate(
    portal: Portal,
    conn: Connection,
    row: Row,
    evidence: dict[str, Any],
    given: str,
    family: str,
    common: dict[str, Any],
) -> AcsOutcome:
    mandate = mandate_store.get(conn, row.subject_id, lock=True)
    if mandate is None or mandate.status != "pending_signature":
        _end(portal, conn, row, "failed", failure="not_pending", **common)
        return AcsOutcome("not_pending", row.id, "mandate not pending")
    if not names_match(given, family, mandate.account_holder):
        _end(portal, conn, row, "failed", failure="name_mismatch", **common)
        return AcsOutcome("name_mismatch", row.id, "name does not match the account holder")
    mandate_flow.activate_signed(portal, conn, mandate, evidence)
    _end(portal, conn, row, "completed", evidence=json.dumps(evidence), **common)
    return AcsOutcome("signed", row.id, f"mandate signed at {evidence['level_of_assurance']}")


def _signer_hmac(mandate: Row | None) -> str | None:
    if mandate is None or not mandate.evidence:
        return None
    signature = json.loads(mandate.evidence).get("signature") or {}
    value = signature.get("pseudonym_hmac")
    return str(value) if value else None


def _tokens(text: str) -> list[str]:
    plain = unidecode(text).lower()
    return [t for t in re.split(r"[^a-z0-9]+", plain) if t and t not in _TITLES]


def names_match(given: str, family: str, account_holder: str) -> bool:
    """Whether the login's person is the account holder the citizen entered: case, accents,
    order, hyphens and titles aside, every part of the holder's name must be one of the
    signer's, the family name included (a second given name may be left out).

    >>> names_match("Erika", "Mustermann", "erika mustermann")
    True
    >>> names_match("Aylin", "Yılmaz", "Yilmaz, Aylin")
    True
    >>> names_match("Erika Maria", "Mustermann", "Dr. Erika Mustermann")
    True
    >>> names_match("Malte", "Fremd", "Erika Mustermann")
    False
    >>> names_match("Erika", "Mustermann", "Mustermann")
    False
    >>> names_match("Max", "Mustermann", "Erika Mustermann")
    False
    """
    signer_given, signer_family = set(_tokens(given)), set(_tokens(family))
    holder = set(_tokens(account_holder))
    if not signer_family or not holder:
        return False
    return (
        holder <= signer_given | signer_family
        and signer_family <= holder
        and bool(holder & signer_given)
    )


# --- what other routes ask -----------------------------------------------------------------


def require_session(
    portal: Portal,
    conn: Connection,
    signing: Signing,
    session_id: str | None,
    purpose: str,
    subject_id: str | None = None,
    conversation_id: str | None = None,
) -> Row | None:
    """The completed session that allows `purpose` (consumed now), or a `Problem`; None when
    the city's policy needs no login for it."""
    policy = signing.config.policy
    if not policy.login_required(purpose) and not session_id:
        return None
    if not session_id or not re.fullmatch(r"[0-9a-f]{32}", session_id):
        raise Problem(
            403,
            "Dafür ist eine Anmeldung mit BundID / Online-Ausweis nötig (signing_session_id)."
            " / This needs a login with BundID / the online ID (signing_session_id).",
            slug="signing-session-required",
            required_level=policy.login_level(purpose),
        )
    row = store.get(conn, session_id, lock=True)
    wrong = (
        row is None
        or row.purpose != purpose
        or (subject_id is not None and row.subject_id != subject_id)
        or (conversation_id is not None and row.conversation_id != conversation_id)
    )
    if wrong or row is None:
        raise Problem(
            403,
            "Diese Anmeldung gehört nicht zu diesem Vorgang. / This login is for another request.",
            slug="signing-session-mismatch",
        )
    if row.status != "completed" or not bundid.at_least(row.level, policy.login_level(purpose)):
        raise Problem(
            403,
            "Die Anmeldung ist nicht abgeschlossen oder ihr Vertrauensniveau reicht nicht."
            " / The login is not completed or its level is too low.",
            slug="signing-session-not-completed",
        )
    if not store.consume(conn, row.id, portal.now()):
        raise Problem(
            409,
            "Diese Anmeldung wurde schon verwendet. / This login was used already.",
            slug="signing-session-used",
        )
    return row
