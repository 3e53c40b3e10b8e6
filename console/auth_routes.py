"""Login and logout. The login form carries its own CSRF token (a double-submit cookie),
since there is no session yet to hold one.
"""

from __future__ import annotations

import re
import secrets

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, redirect

from console import accounts, audit, guard, reveal, sessions
from console.pages import render

bp = Blueprint("auth")
LOGIN_CSRF_MAX_AGE = 3600
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def set_cookie(response: HTTPResponse, name: str, value: str, max_age: int) -> None:
    response.cookies[name] = value
    cookie = response.cookies[name]
    cookie["path"] = "/"
    cookie["httponly"] = True
    cookie["secure"] = True
    cookie["samesite"] = "Strict"
    cookie["max-age"] = max_age


def login_page(request: Request, error: str = "", status: int = 200) -> HTTPResponse:
    # Kept while it lasts: a second tab (or the browser's favicon request) must not make
    # the token of an open form stale.
    token = request.cookies.get(sessions.LOGIN_CSRF_COOKIE) or ""
    if not TOKEN_SHAPE.fullmatch(token):
        token = secrets.token_urlsafe(32)
    response = render(request, "login.html", code=status, login_csrf=token, error=error)
    set_cookie(response, sessions.LOGIN_CSRF_COOKIE, token, LOGIN_CSRF_MAX_AGE)
    return response


@bp.get("/")
@guard.public
async def index(request: Request) -> HTTPResponse:
    if request.ctx.session is not None:
        return redirect("/conversations")
    return login_page(request)


def _genuine_login(request: Request, given: str | None) -> bool:
    """The login form's CSRF token when the browser has one; else no foreign Origin.

    The contract lets a client log in with `username` and `password` alone (scripts, checks).
    A cross-site login forgery comes from a browser, which sends its Origin with the POST and,
    with SameSite=Strict, not our cookie: refused either way.
    """
    cookie = request.cookies.get(sessions.LOGIN_CSRF_COOKIE)
    if cookie or given:
        return sessions.same_token(cookie, given)
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.scheme}://{request.host}"


@bp.post("/login")
@guard.public
async def login(request: Request) -> HTTPResponse:
    form = request.form or {}
    if not _genuine_login(request, form.get("csrf")):
        return login_page(request, "Die Anmeldeseite war veraltet. Bitte erneut versuchen.", 403)
    ctx = request.app.ctx
    name = str(form.get("username") or "")[:200]
    account, outcome = accounts.attempt(ctx.console_db, name, str(form.get("password") or ""))
    now = ctx.clock.now().timestamp()
    if account is None:
        # An unknown name is not written down: it may be a password typed into the wrong field.
        logged_name = name if outcome != "unknown" else "(unbekannt)"
        what = {"lockout": "lockout", "locked": "login_locked"}.get(outcome, "login_failed")
        audit.append(ctx.console_db, now, logged_name, what, detail=outcome)
        return login_page(
            request,
            "Anmeldung fehlgeschlagen (nach 5 Fehlversuchen 15 Minuten gesperrt). / Login failed.",
            401,
        )
    # A fresh id at every login: an id set before (session fixation) is dropped.
    sessions.end(ctx.console_db, ctx.config.session_secret, request.cookies.get(sessions.COOKIE))
    session_id = sessions.start(
        ctx.console_db, ctx.config.session_secret, account, ctx.config.session_hours
    )
    audit.append(ctx.console_db, now, account.username, "login")
    response = redirect("/conversations")
    set_cookie(response, sessions.COOKIE, session_id, int(ctx.config.session_hours * 3600))
    set_cookie(response, sessions.LOGIN_CSRF_COOKIE, "", 0)
    return response


@bp.post("/logout")
@guard.reviewer
async def logout(request: Request) -> HTTPResponse:
    ctx = request.app.ctx
    audit.record(request, "logout")
    if request.ctx.session is not None:
        reveal.end_for_session(ctx.console_db, request.ctx.session.id_hash)
    sessions.end(ctx.console_db, ctx.config.session_secret, request.cookies.get(sessions.COOKIE))
    response = redirect("/")
    set_cookie(response, sessions.COOKIE, "", 0)
    return response
