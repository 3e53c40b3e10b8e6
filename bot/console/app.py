"""The staff console's first stage: the login page and the health check.

The console issue builds accounts (argon2), roles, the conversation list and views; until
then the login form says plainly that staff access is not open yet.
"""

from __future__ import annotations

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, html, json

from bot.web import add_security_headers

LOGIN_PAGE = """<!doctype html>
<html lang="de"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mitarbeiterkonsole – Anmeldung</title></head>
<body><main><h1>Mitarbeiterkonsole</h1>
<form method="post" action="/login">
<label>Benutzername <input name="username" autocomplete="username" required></label>
<label>Passwort
<input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Anmelden</button></form></main></body></html>"""

NOT_OPEN = (
    "Die Mitarbeiterkonsole ist noch nicht freigeschaltet: Konten, Rollen und die Ansicht der "
    "Unterhaltungen folgen. / The staff console is not open yet."
)


def create_app() -> Sanic:
    app = Sanic("buergerbot_console")
    app.config.REQUEST_MAX_SIZE = 16 * 1024
    add_security_headers(app)

    @app.get("/health")
    async def health(request: Request) -> HTTPResponse:
        return json({"status": "ok"})

    @app.get("/")
    async def login_form(request: Request) -> HTTPResponse:
        return html(LOGIN_PAGE)

    @app.post("/login")
    async def login(request: Request) -> HTTPResponse:
        return json({"detail": NOT_OPEN}, status=503)

    return app
