"""Admin only (each route declares it; console/guard.py enforces it): accounts and the access
log, read on a page and exported as CSV."""

from __future__ import annotations

from urllib.parse import quote

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, raw, redirect

from console import accounts, audit, guard
from console.pages import render

bp = Blueprint("admin")


@bp.get("/admin/users")
@guard.admin
async def users_page(request: Request) -> HTTPResponse:
    return render(
        request,
        "users.html",
        users=accounts.list_accounts(request.app.ctx.console_db),
        roles=accounts.ROLES,
        note=str(request.args.get("note") or "")[:200],
    )


@bp.post("/admin/users")
@guard.admin
async def save_user(request: Request) -> HTTPResponse:
    form = request.form
    username = str(form.get("username") or "")
    role = str(form.get("role") or "")
    try:
        accounts.upsert(request.app.ctx.console_db, username, str(form.get("password") or ""), role)
    except accounts.AccountError as exc:
        return redirect(f"/admin/users?note={quote(str(exc))}")
    audit.record(request, "account_saved", detail=f"{username} role={role}")
    return redirect("/admin/users?note=" + quote("Gespeichert / saved"))


@bp.post("/admin/users/delete")
@guard.admin
async def delete_user(request: Request) -> HTTPResponse:
    username = str(request.form.get("username") or "")
    if username == request.ctx.session.account.username:
        return redirect("/admin/users?note=" + quote("Das eigene Konto bleibt. / Not your own."))
    accounts.delete(request.app.ctx.console_db, username)
    audit.record(request, "account_deleted", detail=username[:64])
    return redirect("/admin/users?note=" + quote("Gelöscht / deleted"))


def _handles(request: Request, sender_ids: set[str]) -> dict[str, str]:
    pseudonyms = request.app.ctx.pseudonyms
    return {sender: pseudonyms.handle(sender) for sender in sender_ids if sender}


@bp.get("/admin/access-log")
@guard.admin
async def access_log_page(request: Request) -> HTTPResponse:
    entries = audit.entries(request.app.ctx.console_db)
    audit.record(request, "access_log_view")
    return render(
        request,
        "access_log.html",
        entries=entries,
        handles=_handles(request, {e.sender_id for e in entries}),
    )


@bp.get("/admin/access-log.csv")
@guard.admin
async def access_log_export(request: Request) -> HTTPResponse:
    entries = audit.entries(request.app.ctx.console_db, limit=None)
    body = audit.as_csv(entries, _handles(request, {e.sender_id for e in entries}))
    audit.record(request, "access_log_export", detail=f"{len(entries)} rows")
    return raw(
        body.encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="access-log.csv"',
            "Cache-Control": "no-store",
        },
    )
