"""Admin only (the guard checks the role): accounts and the access log."""

from __future__ import annotations

from urllib.parse import quote

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, redirect

from console import accounts, reviews
from console.pages import render

bp = Blueprint("admin")


@bp.get("/admin/users")
async def users_page(request: Request) -> HTTPResponse:
    return render(
        request,
        "users.html",
        users=accounts.list_accounts(request.app.ctx.console_db),
        roles=accounts.ROLES,
        note=str(request.args.get("note") or "")[:200],
    )


@bp.post("/admin/users")
async def save_user(request: Request) -> HTTPResponse:
    form = request.form
    try:
        accounts.upsert(
            request.app.ctx.console_db,
            str(form.get("username") or ""),
            str(form.get("password") or ""),
            str(form.get("role") or ""),
        )
    except accounts.AccountError as exc:
        return redirect(f"/admin/users?note={quote(str(exc))}")
    return redirect("/admin/users?note=" + quote("Gespeichert / saved"))


@bp.post("/admin/users/delete")
async def delete_user(request: Request) -> HTTPResponse:
    username = str(request.form.get("username") or "")
    if username == request.ctx.session.account.username:
        return redirect("/admin/users?note=" + quote("Das eigene Konto bleibt. / Not your own."))
    accounts.delete(request.app.ctx.console_db, username)
    return redirect("/admin/users?note=" + quote("Gelöscht / deleted"))


@bp.get("/admin/access-log")
async def access_log_page(request: Request) -> HTTPResponse:
    return render(
        request, "access_log.html", entries=reviews.access_entries(request.app.ctx.console_db)
    )
