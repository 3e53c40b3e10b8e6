"""The development IdP's web side (sanic): metadata, the login page, the answer to the SP.

Routes: `GET /metadata` (the IdP's SAML metadata), `POST /sso` (HTTP-POST binding: a signed
AuthnRequest from a known SP), `POST /login` (log in or cancel), `GET /health`.

Logins waiting for the citizen are kept in memory for ten minutes; a restart forgets them (the
citizen starts again from the chat's link), which is all a development stand-in needs.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from sanic import Request, Sanic
from sanic.response import HTTPResponse

from devtools.idp import core
from devtools.idp.identities import Identity, check_login, load
from portal.saml.keys import ensure_pair

log = logging.getLogger("devtools.idp")
PENDING_SECONDS = 600
FETCH_TIMEOUT = httpx.Timeout(5.0)
_names = itertools.count(1)


@dataclass(frozen=True)
class IdpSettings:
    host: str
    port: int
    public_url: str
    sp_metadata: str  # URL or file of the SP's (the portal's) metadata
    key_file: Path
    cert_file: Path
    identities_file: Path
    encrypt: bool = True

    @classmethod
    def from_env(cls, env: dict[str, str]) -> IdpSettings:
        port = int(env.get("IDP_PORT") or 8090)
        var = Path(env.get("VAR_DIR") or "var")
        data = Path(env.get("DATA_DIR") or "data")
        if not data.is_absolute():
            data = Path(__file__).resolve().parents[2] / data
        portal_port = env.get("PORTAL_PORT") or "8080"
        portal = (env.get("PORTAL_URL") or f"http://127.0.0.1:{portal_port}").rstrip("/")
        return cls(
            host=env.get("BIND_HOST") or "127.0.0.1",
            port=port,
            public_url=(env.get("IDP_PUBLIC_URL") or f"http://127.0.0.1:{port}").rstrip("/"),
            sp_metadata=env.get("IDP_SP_METADATA") or f"{portal}/saml/metadata",
            key_file=var / "keys" / "dev-idp-key.pem",
            cert_file=var / "keys" / "dev-idp-cert.pem",
            identities_file=data / "demo" / "identities.yml",
            encrypt=(env.get("IDP_ENCRYPT_ASSERTIONS") or "on") != "off",
        )


@dataclass
class Waiting:
    pending: core.PendingRequest
    relay_state: str
    since: float


def read_sp_metadata(source: str) -> str:
    if source.startswith(("http://", "https://")):
        response = httpx.get(source, timeout=FETCH_TIMEOUT)
        response.raise_for_status()
        return response.text
    return Path(source).read_text(encoding="utf-8")


def _page(title: str, body: str, nonce: str | None = None, status: int = 200) -> HTTPResponse:
    script = f"'nonce-{nonce}'" if nonce else "'none'"
    csp = (
        f"default-src 'none'; style-src 'unsafe-inline'; script-src {script}; "
        "form-action *; frame-ancestors 'none'; base-uri 'none'"
    )
    document = (
        '<!doctype html><html lang="de"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;max-width:32rem;"
        "margin:2rem auto;padding:0 1rem}label,input,button{display:block;margin:.4rem 0}"
        "input{width:100%;padding:.4rem}button{padding:.5rem 1rem}.note{color:#555}"
        f".error{{color:#a00}}</style></head><body>{body}</body></html>"
    )
    return HTTPResponse(
        document,
        status=status,
        content_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": csp, "Cache-Control": "no-store"},
    )


def _login_form(key: str, error: str = "") -> str:
    message = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return (
        "<h1>Entwicklungs-IdP (statt BundID)</h1>"
        '<p class="note">Nur für Entwicklung und Tests. Testkonten: data/demo/identities.yml.'
        " / Development only; test accounts in data/demo/identities.yml.</p>"
        f'{message}<form method="post" action="/login">'
        f'<input type="hidden" name="pending" value="{html.escape(key)}">'
        '<label for="username">Benutzername / User name</label>'
        '<input id="username" name="username" autocomplete="username">'
        '<label for="password">Passwort / Password</label>'
        '<input id="password" name="password" type="password" autocomplete="current-password">'
        '<button type="submit" name="action" value="login">Anmelden / Log in</button>'
        '<button type="submit" name="action" value="cancel">Abbrechen / Cancel</button>'
        "</form>"
    )


def _post_back(acs: str, saml_response: str, relay_state: str) -> HTTPResponse:
    nonce = secrets.token_urlsafe(16)
    body = (
        "<h1>Weiter zur Stadt / Back to the city</h1>"
        f'<form id="back" method="post" action="{html.escape(acs)}">'
        f'<input type="hidden" name="SAMLResponse" value="{html.escape(saml_response)}">'
        f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}">'
        '<button type="submit">Weiter / Continue</button></form>'
        f'<script nonce="{nonce}">document.getElementById("back").submit();</script>'
    )
    return _page("Weiter / Continue", body, nonce)


def create_app(settings: IdpSettings) -> Sanic:
    app = Sanic(f"devidp{next(_names)}")
    ensure_pair(settings.key_file, settings.cert_file, "buergerbot development IdP")
    identities: list[Identity] = load(settings.identities_file)
    waiting: dict[str, Waiting] = {}

    def idp() -> core.DevIdp:
        sp_xml = read_sp_metadata(settings.sp_metadata)
        conf = core.idp_config(settings.public_url, settings.key_file, settings.cert_file, sp_xml)
        return core.DevIdp(conf)

    @app.get("/health")
    async def health(_request: Request) -> HTTPResponse:
        return HTTPResponse('{"status": "ok"}', content_type="application/json")

    @app.get("/metadata")
    async def metadata(_request: Request) -> HTTPResponse:
        xml = core.metadata_xml(settings.public_url, settings.key_file, settings.cert_file)
        return HTTPResponse(xml, content_type="application/samlmetadata+xml")

    @app.post("/sso")
    async def sso(request: Request) -> HTTPResponse:
        saml_request = request.form.get("SAMLRequest") or ""
        relay_state = request.form.get("RelayState") or ""
        try:
            server = await asyncio.to_thread(idp)
            pending = await asyncio.to_thread(server.read_request, saml_request)
        except (httpx.HTTPError, OSError) as exc:
            log.warning("SP metadata unreadable: %s", type(exc).__name__)
            return _page(
                "Fehler", "<h1>SP-Metadaten nicht lesbar / SP metadata unreadable</h1>", status=502
            )
        except ValueError as exc:
            log.info("request refused: %s", exc)
            return _page(
                "Abgelehnt",
                f"<h1>Anfrage abgelehnt / Request refused</h1><p>{html.escape(str(exc))}</p>",
                status=400,
            )
        now = time.monotonic()
        for key in [k for k, w in waiting.items() if now - w.since > PENDING_SECONDS]:
            del waiting[key]
        key = secrets.token_urlsafe(24)
        waiting[key] = Waiting(pending, relay_state, now)
        return _page("Anmelden / Log in", _login_form(key))

    @app.post("/login")
    async def login(request: Request) -> HTTPResponse:
        key = request.form.get("pending") or ""
        entry = waiting.get(key)
        if entry is None:
            return _page("Abgelaufen", "<h1>Anmeldung abgelaufen / Login expired</h1>", status=400)
        server = await asyncio.to_thread(idp)
        if request.form.get("action") == "cancel":
            del waiting[key]
            response = await asyncio.to_thread(server.cancel_response, entry.pending)
            return _post_back(entry.pending.acs_url, response, entry.relay_state)
        who = check_login(
            identities, request.form.get("username") or "", request.form.get("password") or ""
        )
        if who is None:
            page = _login_form(
                key, "Benutzername oder Passwort falsch. / Wrong user name or password."
            )
            return _page("Anmelden / Log in", page, status=401)
        del waiting[key]
        response = await asyncio.to_thread(
            server.login_response, who, entry.pending, encrypt=settings.encrypt
        )
        log.info("login of a test identity at level %s", who.level)
        return _post_back(entry.pending.acs_url, response, entry.relay_state)

    return app
