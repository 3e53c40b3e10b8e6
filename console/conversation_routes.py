"""The conversation list, one conversation, review status, tags, exports, handoff, deletion."""

from __future__ import annotations

import json as jsonlib
import time
from urllib.parse import quote, unquote

from sanic import Blueprint
from sanic.exceptions import NotFound
from sanic.request import Request
from sanic.response import HTTPResponse, raw, redirect

from console import conversation, dashboard, export, reviews, tracker, treasury
from console.charts import bar_chart, column_chart
from console.filters import PAGE_SIZE, Filters, matches
from console.handoff import HandoffError
from console.pages import render

bp = Blueprint("conversations")


def _back(sender_id: str, note: str = "") -> HTTPResponse:
    suffix = f"?note={quote(note)}" if note else ""
    return redirect(f"/conversations/{quote(sender_id, safe='')}{suffix}")


def _events_or_404(request: Request, sender_id: str) -> list[dict[str, object]]:
    events = tracker.conversation_events(request.app.ctx.tracker_db, sender_id)
    if not events:
        raise NotFound("Keine solche Unterhaltung / no such conversation")
    return events


@bp.get("/conversations")
async def conversation_list(request: Request) -> HTTPResponse:
    ctx = request.app.ctx
    filters = Filters.from_args(request.args)
    found = ctx.summaries.summaries(ctx.tracker_db, filters.since, filters.until)
    status = reviews.statuses(ctx.console_db)
    tags = reviews.all_tags(ctx.console_db)
    rows = [
        (s, status.get(s.sender_id, "new"), sorted(tags.get(s.sender_id, set())))
        for s in found
        if matches(filters, s, status.get(s.sender_id, "new"), tags.get(s.sender_id, set()))
    ]
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(filters.page, pages)
    return render(
        request,
        "list.html",
        rows=rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        total=len(rows),
        page=page,
        pages=pages,
        filters=filters,
        statuses=reviews.STATUSES,
        intents=sorted({i for s in found for i in s.intents}),
        channels=sorted({s.channel for s in found if s.channel}),
        all_tags=sorted({t for ts in tags.values() for t in ts}),
    )


@bp.get("/conversations/<sender_id:str>")
async def conversation_view(request: Request, sender_id: str) -> HTTPResponse:
    sender_id = unquote(sender_id)  # sanic leaves route parameters percent-encoded
    ctx = request.app.ctx
    events = _events_or_404(request, sender_id)
    account = request.ctx.session.account
    reviews.log_access(ctx.console_db, account.username, sender_id, "view")
    return render(
        request,
        "conversation.html",
        sender_id=sender_id,
        summary=conversation.summarize(sender_id, events),
        turns=conversation.turns(events),
        status=reviews.statuses(ctx.console_db, [sender_id]).get(sender_id, "new"),
        statuses=reviews.STATUSES,
        tags=reviews.tags_of(ctx.console_db, sender_id),
        handoff_owner=reviews.handoff_owner(ctx.console_db, sender_id),
        note=str(request.args.get("note") or "")[:200],
        low_confidence=conversation.LOW_CONFIDENCE,
    )


@bp.post("/conversations/<sender_id:str>/status")
async def set_status(request: Request, sender_id: str) -> HTTPResponse:
    sender_id = unquote(sender_id)  # sanic leaves route parameters percent-encoded
    _events_or_404(request, sender_id)
    status = str(request.form.get("status") or "")
    if status not in reviews.STATUSES:
        return _back(sender_id, "Unbekannter Status / unknown status")
    reviews.set_status(
        request.app.ctx.console_db, sender_id, status, request.ctx.session.account.username
    )
    return _back(sender_id)


@bp.post("/conversations/<sender_id:str>/tags")
async def add_tag(request: Request, sender_id: str) -> HTTPResponse:
    sender_id = unquote(sender_id)  # sanic leaves route parameters percent-encoded
    _events_or_404(request, sender_id)
    reviews.add_tag(request.app.ctx.console_db, sender_id, str(request.form.get("tag") or ""))
    return _back(sender_id)


@bp.post("/conversations/<sender_id:str>/tags/remove")
async def remove_tag(request: Request, sender_id: str) -> HTTPResponse:
    sender_id = unquote(sender_id)  # sanic leaves route parameters percent-encoded
    reviews.remove_tag(request.app.ctx.console_db, sender_id, str(request.form.get("tag") or ""))
    return _back(sender_id)


def _download(request: Request, sender_id: str, body: str, name: str, mime: str) -> HTTPResponse:
    reviews.log_access(
        request.app.ctx.console_db,
        request.ctx.session.account.username,
        sender_id,
        f"export {name}",
    )
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in sender_id)[:80]
    return raw(
        body.encode("utf-8"),
        content_type=f"{mime}; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{safe}-{name}"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/conversations/<sender_id:str>/export/story.yml")
async def export_story(request: Request, sender_id: str) -> HTTPResponse:
    sender_id = unquote(sender_id)  # sanic leaves route parameters percent-encoded
    events = _events_or_404(request, sender_id)
    body = export.test_story(sender_id, events)
    return _download(request, sender_id, body, "story.yml", "application/yaml")


@bp.get("/conversations/<sender_id:str>/export/nlu.yml")
async def export_nlu(request: Request, sender_id: str) -> HTTPResponse:
    sender_id = unquote(sender_id)  # sanic leaves route parameters percent-encoded
    body = export.nlu_examples(_events_or_404(request, sender_id))
    return _download(request, sender_id, body, "nlu.yml", "application/yaml")


@bp.get("/conversations/<sender_id:str>/export/raw.json")
async def export_raw(request: Request, sender_id: str) -> HTTPResponse:
    sender_id = unquote(sender_id)  # sanic leaves route parameters percent-encoded
    events = _events_or_404(request, sender_id)
    body = jsonlib.dumps({"sender_id": sender_id, "events": events}, ensure_ascii=False, indent=1)
    return _download(request, sender_id, body, "raw.json", "application/json")


@bp.post("/conversations/<sender_id:str>/delete")
async def delete(request: Request, sender_id: str) -> HTTPResponse:
    sender_id = unquote(sender_id)  # sanic leaves route parameters percent-encoded
    ctx = request.app.ctx
    _events_or_404(request, sender_id)
    tracker.delete_conversations(ctx.tracker_db, [sender_id])
    ctx.summaries.forget([sender_id])
    reviews.forget(ctx.console_db, [sender_id])
    reviews.log_access(ctx.console_db, request.ctx.session.account.username, sender_id, "delete")
    return redirect("/conversations")


@bp.post("/conversations/<sender_id:str>/handoff/<step:str>")
async def handoff(request: Request, sender_id: str, step: str) -> HTTPResponse:
    sender_id = unquote(sender_id)  # sanic leaves route parameters percent-encoded
    ctx = request.app.ctx
    _events_or_404(request, sender_id)
    username = request.ctx.session.account.username
    try:
        if step == "take":
            await ctx.rasa.pause(sender_id)
            reviews.take(ctx.console_db, sender_id, username)
        elif step == "send":
            await ctx.rasa.say(sender_id, str(request.form.get("text") or ""), username)
        elif step == "release":
            await ctx.rasa.resume(sender_id)
            reviews.release(ctx.console_db, sender_id)
        else:
            raise NotFound("unknown handoff step")
    except HandoffError as exc:
        return _back(sender_id, str(exc))
    reviews.log_access(ctx.console_db, username, sender_id, f"handoff {step}")
    return _back(sender_id)


@bp.get("/dashboard")
async def dashboard_page(request: Request) -> HTTPResponse:
    now = time.time()
    since = now - dashboard.DAYS * 86400
    found = request.app.ctx.summaries.summaries(request.app.ctx.tracker_db, since=since)
    stats = dashboard.compute(found, now)
    charts = {
        "per_day": column_chart(stats.per_day, "Unterhaltungen pro Tag / conversations per day"),
        "fallback": column_chart(
            stats.fallback_rate_per_day, "Fallback-Quote / fallback rate", "%"
        ),
        "intents": bar_chart(stats.top_intents, "Häufigste Intents / top intents"),
    }
    portal: treasury.PortalReader = request.app.ctx.portal
    follow_up = await portal.follow_up()
    return render(request, "dashboard.html", stats=stats, charts=charts, follow_up=follow_up)
