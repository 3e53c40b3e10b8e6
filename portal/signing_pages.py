"""The citizen's pages of the signing link and the ACS: short, German first, then English.

No page loads anything from another host; the only script is the auto-submit of the form to
the IdP, allowed by a nonce in the page's Content-Security-Policy (a button does the same
without JavaScript).
"""

from __future__ import annotations

import html
import secrets

from sanic.response import HTTPResponse

# kind -> (status, German title, German text, English text)
MESSAGES: dict[str, tuple[int, str, str, str]] = {
    "link_unknown": (
        404,
        "Link ungültig",
        "Diesen Unterschriften-Link gibt es nicht. Bitte fordern Sie im Chat einen neuen an.",
        "This signing link does not exist. Please ask for a new one in the chat.",
    ),
    "link_used": (
        409,
        "Link schon benutzt",
        "Dieser Link wurde bereits benutzt; jeder Link gilt nur einmal. Bitte fordern Sie im"
        " Chat einen neuen an.",
        "This link has been used already; each link works once. Please ask for a new one in"
        " the chat.",
    ),
    "link_expired": (
        410,
        "Link abgelaufen",
        "Dieser Link ist abgelaufen. Bitte fordern Sie im Chat einen neuen an.",
        "This link has expired. Please ask for a new one in the chat.",
    ),
    "unavailable": (
        503,
        "Anmeldedienst nicht erreichbar",
        "Der Anmeldedienst (BundID) ist gerade nicht erreichbar. Bitte versuchen Sie es in"
        " einigen Minuten mit demselben Link noch einmal.",
        "The login service (BundID) cannot be reached right now. Please try the same link"
        " again in a few minutes.",
    ),
    "cancelled": (
        400,
        "Anmeldung abgebrochen",
        "Die Anmeldung wurde abgebrochen; es wurde nichts unterschrieben. Im Chat können Sie"
        " es noch einmal versuchen.",
        "The login was cancelled; nothing was signed. You can try again in the chat.",
    ),
    "level_too_low": (
        403,
        "Vertrauensniveau zu niedrig",
        "Für diese Unterschrift ist eine Anmeldung mit höherem Vertrauensniveau nötig (z. B."
        " mit dem Online-Ausweis). Es wurde nichts unterschrieben. Bitte versuchen Sie es im"
        " Chat noch einmal.",
        "This signature needs a login at a higher level of assurance (e.g. the online ID"
        " card). Nothing was signed. Please try again in the chat.",
    ),
    "name_mismatch": (
        403,
        "Name stimmt nicht überein",
        "Der Name Ihres Kontos stimmt nicht mit der Kontoinhaberin oder dem Kontoinhaber"
        " überein. Unterschreiben muss die Person, der das Konto gehört. Es wurde nichts"
        " unterschrieben.",
        "The name of your account does not match the account holder. The account holder must"
        " sign. Nothing was signed.",
    ),
    "not_pending": (
        409,
        "Nicht mehr offen",
        "Dieser Vorgang ist nicht mehr offen (schon unterschrieben, widerrufen oder"
        " abgelaufen). Es wurde nichts geändert.",
        "This request is no longer open (already signed, revoked or expired). Nothing changed.",
    ),
    "replayed": (
        409,
        "Anmeldung schon verwendet",
        "Diese Anmeldung wurde bereits verwendet und gilt nicht ein zweites Mal. Es wurde"
        " nichts geändert.",
        "This login has been used already and does not count twice. Nothing changed.",
    ),
    "expired": (
        400,
        "Anmeldung abgelaufen",
        "Die Anmeldung ist abgelaufen oder noch nicht gültig (bitte prüfen Sie auch die Uhrzeit"
        " Ihres Geräts). Es wurde nichts unterschrieben. Bitte fordern Sie im Chat einen neuen"
        " Link an.",
        "The login has expired or is not valid yet. Nothing was signed. Please ask for a new"
        " link in the chat.",
    ),
    "invalid": (
        400,
        "Anmeldung nicht gültig",
        "Die Antwort des Anmeldedienstes ist nicht gültig (nicht oder falsch signiert, nicht"
        " für diesen Dienst bestimmt oder nicht von uns angefragt). Es wurde nichts"
        " unterschrieben. Bitte starten Sie die Anmeldung über den Link im Chat neu.",
        "The login service's answer is not valid (unsigned or wrongly signed, meant for"
        " another service, or not asked for by us). Nothing was signed. Please start again"
        " from the link in the chat.",
    ),
    "signed": (
        200,
        "Unterschrieben",
        "Vielen Dank: Ihre Unterschrift ist erfasst. Sie können zum Chat zurückkehren; dort"
        " geht es weiter.",
        "Thank you: your signature is recorded. You can go back to the chat, where it continues.",
    ),
    "verified": (
        200,
        "Angemeldet",
        "Vielen Dank: Ihre Anmeldung ist bestätigt. Sie können zum Chat zurückkehren; dort"
        " geht es weiter.",
        "Thank you: your login is confirmed. You can go back to the chat, where it continues.",
    ),
}


def _document(title: str, body: str, csp: str, status: int) -> HTTPResponse:
    page = (
        '<!doctype html><html lang="de"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head><body>"
        '<main style="font-family:sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem">'
        f"{body}</main></body></html>"
    )
    return HTTPResponse(
        page,
        status=status,
        content_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": csp,
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )


STATIC_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
)


def message(kind: str) -> HTTPResponse:
    status, title, german, english = MESSAGES[kind]
    body = (
        f"<h1>{html.escape(title)}</h1><p>{html.escape(german)}</p>"
        f'<p lang="en">{html.escape(english)}</p>'
    )
    return _document(title, body, STATIC_CSP + "; form-action 'none'", status)


def post_to_idp(destination: str, saml_request: str, relay_state: str) -> HTTPResponse:
    """The page of the signing link: posts the signed AuthnRequest to the IdP."""
    nonce = secrets.token_urlsafe(16)
    body = (
        "<h1>Mit BundID / Online-Ausweis unterschreiben</h1>"
        "<p>Sie werden zur Anmeldung mit Ihrem Nutzerkonto (BundID) weitergeleitet."
        " Mit dem Online-Ausweis oder ELSTER bestätigen Sie, wer Sie sind.</p>"
        '<p lang="en">Sign with BundID / your online ID: you are taken to the login with your'
        " user account.</p>"
        f'<form id="saml" method="post" action="{html.escape(destination)}">'
        f'<input type="hidden" name="SAMLRequest" value="{html.escape(saml_request)}">'
        f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}">'
        '<button type="submit">Weiter zur Anmeldung / Continue to the login</button></form>'
        f'<script nonce="{nonce}">document.getElementById("saml").submit();</script>'
    )
    csp = (
        f"default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; "
        f"form-action {_origin(destination)}; frame-ancestors 'none'; base-uri 'none'"
    )
    return _document("Unterschreiben / Sign", body, csp, 200)


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
