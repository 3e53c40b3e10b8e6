"""Who may do what, decided on the route the router matched, never on the spelling of the path.

Every handler declares its role with one of the decorators below (`public`, `reviewer`,
`admin`); the guard runs as request middleware after routing, reads the role from the matched
route's handler and refuses before the handler runs. Whatever spelling of a path the router
accepts (a trailing slash, an encoded character), it reaches a handler only through its route,
and so only with that route's role. A route without a declared role is refused to everybody
(and `tests/console/test_console_routes.py` fails), so a forgotten declaration cannot open one.

CSRF: every POST with a session carries the session's token (the login form has its own).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json, redirect, text

from console import sessions

PUBLIC, REVIEWER, ADMIN = "public", "reviewer", "admin"
ROLES = (PUBLIC, REVIEWER, ADMIN)
ROLE_ATTRIBUTE = "console_role"

log = logging.getLogger(__name__)
Handler = TypeVar("Handler", bound=Callable[..., Any])


def _declare(role: str) -> Callable[[Handler], Handler]:
    def mark(handler: Handler) -> Handler:
        setattr(handler, ROLE_ATTRIBUTE, role)
        return handler

    return mark


public = _declare(PUBLIC)
reviewer = _declare(REVIEWER)  # any signed-in account: reviewers and admins
admin = _declare(ADMIN)


def role_of(handler: Any) -> str | None:
    role = getattr(handler, ROLE_ATTRIBUTE, None)
    return role if role in ROLES else None


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
        session = request.ctx.session
        route = getattr(request, "route", None)
        if route is None:
            # nothing matched: the 404 that follows shows nothing, but only to a session
            return None if session is not None else _denied(request)
        role = role_of(route.handler)
        if role is None:
            log.error("console route %s has no declared role: refused", route.name)
            return text("Nicht freigegeben / not allowed", status=403)
        if role == PUBLIC:
            return None
        if session is None:
            return _denied(request)
        if request.method == "POST" and not sessions.same_token(
            session.csrf, (request.form or {}).get("csrf")
        ):
            return text("CSRF-Token fehlt oder ist falsch / bad CSRF token", status=403)
        if role == ADMIN and not session.account.is_admin:
            return text("Nur für Administratoren / admins only", status=403)
        return None
