"""Who may do what: a session for every route but the login, CSRF on every form, admin-only
routes. Runs as request middleware, so a forgotten check in a handler cannot open a route.
"""

from __future__ import annotations

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json, redirect, text

from console import sessions

OPEN_ROUTES = {"/", "/login", "/health", "/static/console.css", "/favicon.ico"}
ADMIN_PREFIXES = ("/admin/",)
ADMIN_SUFFIXES = ("/delete", "/export/raw.json")


def needs_admin(path: str) -> bool:
    if path.startswith(ADMIN_PREFIXES):
        return True
    return path.startswith("/conversations/") and path.endswith(ADMIN_SUFFIXES)


def _denied(request: Request) -> HTTPResponse:
    if request.method == "GET":
        return redirect("/")
    return json({"detail": "Anmeldung nötig / login required"}, status=401)


def install(app: Sanic) -> None:
    @app.on_request
    async def _guard(request: Request) -> HTTPResponse | None:
        cfg = request.app.ctx.config
        session_id = request.cookies.get(sessions.COOKIE)
        request.ctx.session = sessions.find(
            request.app.ctx.console_db, cfg.session_secret, session_id
        )
        if request.path in OPEN_ROUTES:
            return None
        session = request.ctx.session
        if session is None:
            return _denied(request)
        if request.method == "POST" and not sessions.same_token(
            session.csrf, (request.form or {}).get("csrf")
        ):
            return text("CSRF-Token fehlt oder ist falsch / bad CSRF token", status=403)
        if needs_admin(request.path) and not session.account.is_admin:
            return text("Nur für Administratoren / admins only", status=403)
        return None
