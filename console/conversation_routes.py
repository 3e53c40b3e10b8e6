"""The conversation list, one conversation, review status, tags, exports, reveal, handoff,
deletion. What staff see is pseudonymised (console/pseudonym.py) unless an admin revealed the
conversation; conversations are named by their pseudonym in links and redirects."""

from __future__ import annotations

import json as jsonlib
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from sanic import Blueprint
from sanic.exceptions import NotFound
from sanic.request import Request
from sanic.response import HTTPResponse, raw, redirect

from console import (
    audit,
    conversation,
    dashboard,
    export,
    guard,
    reveal,
    reviews,
    tracker,
    treasury,
)
from console.charts import bar_chart, column_chart
from console.filters import PAGE_SIZE, Filters, matches
from console.handoff import HandoffError
from console.pages import render
from console.pseudonym import HANDLE_SHAPE

bp = Blueprint("conversations")


def _back(request: Request, sender_id: str, note: str = "") -> HTTPResponse:
    suffix = f"?note={quote(note)}" if note else ""
    handle = request.app.ctx.pseudonyms.handle(sender_id)
    return redirect(f"/conversations/{handle}{suffix}")


def _sender(request: Request, key: str) -> str:
    """The conversation a path names: its pseudonym (what the pages link to) or its id."""
    key = unquote(key)  # sanic leaves route parameters percent-encoded
    if HANDLE_SHAPE.fullmatch(key):
        ctx = request.app.ctx
        found = ctx.summaries.sender_of(ctx.tracker_db, key)
        if found is not None:
            return str(found)
    return key


def _events_or_404(request: Request, sender_id: str) -> list[dict[str, Any]]:
    events = tracker.conversation_events(request.app.ctx.tracker_db, sender_id)
    if not events:
        raise NotFound("Keine solche Unterhaltung / no such conversation")
    return events


@dataclass
class Shown:
    """A conversation as this request may see it."""

    sender_id: str
    handle: str
    events: list[dict[str, Any]]
    revealed_until: float | None

    @property
    def name(self) -> str:
        """How the page names the conversation: its id only while revealed."""
        return self.sender_id if self.revealed_until else self.handle


def _shown(request: Request, key: str) -> Shown:
    ctx = request.app.ctx
    sender_id = _sender(request, key)
    events = _events_or_404(request, sender_id)
    now = ctx.clock.now().timestamp()
    until = reveal.active(ctx.console_db, request.ctx.session, sender_id, now)
    if until is None:
        events = ctx.pseudonyms.pseudonymise(sender_id, events)
    return Shown(sender_id, ctx.pseudonyms.handle(sender_id), events, until)


@bp.get("/conversations")
@guard.reviewer
async def conversation_list(request: Request) -> HTTPResponse:
    ctx = request.app.ctx
    filters = Filters.from_args(request.args)
    audit.record(request, "search" if filters.q else "list", detail=filters.query(filters.page))
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
@guard.reviewer
async def conversation_view(request: Request, sender_id: str) -> HTTPResponse:
    ctx = request.app.ctx
    shown = _shown(request, sender_id)
    audit.record(request, "view", shown.sender_id, "revealed" if shown.revealed_until else "")
    return render(
        request,
        "conversation.html",
        shown=shown,
        summary=conversation.summarize(shown.sender_id, shown.events),
        turns=conversation.turns(shown.events, clear=shown.revealed_until is not None),
        status=reviews.statuses(ctx.console_db, [shown.sender_id]).get(shown.sender_id, "new"),
        statuses=reviews.STATUSES,
        tags=reviews.tags_of(ctx.console_db, shown.sender_id),
        handoff_owner=reviews.handoff_owner(ctx.console_db, shown.sender_id),
        note=str(request.args.get("note") or "")[:200],
        low_confidence=conversation.LOW_CONFIDENCE,
        min_reason=reveal.MIN_REASON,
        reveal_minutes=ctx.config.reveal_minutes,
    )


@bp.post("/conversations/<sender_id:str>/reveal")
@guard.admin
async def reveal_conversation(request: Request, sender_id: str) -> HTTPResponse:
    ctx = request.app.ctx
    sender_id = _sender(request, sender_id)
    _events_or_404(request, sender_id)
    try:
        reason = reveal.check_reason(str(request.form.get("reason") or ""))
    except reveal.RevealRefused as exc:
        return _back(request, sender_id, str(exc))
    now = ctx.clock.now().timestamp()
    reveal.grant(ctx.console_db, request.ctx.session, sender_id, now, ctx.config.reveal_minutes)
    audit.record(request, "reveal", sender_id, reason)
    return _back(request, sender_id)


@bp.post("/conversations/<sender_id:str>/status")
@guard.reviewer
async def set_status(request: Request, sender_id: str) -> HTTPResponse:
    sender_id = _sender(request, sender_id)
    _events_or_404(request, sender_id)
    status = str(request.form.get("status") or "")
    if status not in reviews.STATUSES:
        return _back(request, sender_id, "Unbekannter Status / unknown status")
    reviews.set_status(
        request.app.ctx.console_db, sender_id, status, request.ctx.session.account.username
    )
    audit.record(request, "status", sender_id, status)
    return _back(request, sender_id)


@bp.post("/conversations/<sender_id:str>/tags")
@guard.reviewer
async def add_tag(request: Request, sender_id: str) -> HTTPResponse:
    sender_id = _sender(request, sender_id)
    _events_or_404(request, sender_id)
    tag = str(request.form.get("tag") or "")
    reviews.add_tag(request.app.ctx.console_db, sender_id, tag)
    audit.record(request, "tag_add", sender_id, reviews.clean_tag(tag) or "")
    return _back(request, sender_id)


@bp.post("/conversations/<sender_id:str>/tags/remove")
@guard.reviewer
async def remove_tag(request: Request, sender_id: str) -> HTTPResponse:
    sender_id = _sender(request, sender_id)
    tag = str(request.form.get("tag") or "")
    reviews.remove_tag(request.app.ctx.console_db, sender_id, tag)
    audit.record(request, "tag_remove", sender_id, tag)
    return _back(request, sender_id)


def _download(request: Request, shown: Shown, body: str, name: str, mime: str) -> HTTPResponse:
    detail = "revealed" if shown.revealed_until else "pseudonymised"
    audit.record(request, f"export {name}", shown.sender_id, detail)
    return raw(
        body.encode("utf-8"),
        content_type=f"{mime}; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{shown.handle}-{name}"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/conversations/<sender_id:str>/export/story.yml")
@guard.reviewer
async def export_story(request: Request, sender_id: str) -> HTTPResponse:
    shown = _shown(request, sender_id)
    body = export.test_story(shown.name, shown.events)
    return _download(request, shown, body, "story.yml", "application/yaml")


@bp.get("/conversations/<sender_id:str>/export/nlu.yml")
@guard.reviewer
async def export_nlu(request: Request, sender_id: str) -> HTTPResponse:
    shown = _shown(request, sender_id)
    body = export.nlu_examples(shown.events)
    return _download(request, shown, body, "nlu.yml", "application/yaml")


@bp.get("/conversations/<sender_id:str>/export/raw.json")
@guard.admin
async def export_raw(request: Request, sender_id: str) -> HTTPResponse:
    shown = _shown(request, sender_id)
    document = {"conversation": shown.name, "events": shown.events}
    body = jsonlib.dumps(document, ensure_ascii=False, indent=1)
    return _download(request, shown, body, "raw.json", "application/json")


@bp.post("/conversations/<sender_id:str>/delete")
@guard.admin
async def delete(request: Request, sender_id: str) -> HTTPResponse:
    sender_id = _sender(request, sender_id)
    ctx = request.app.ctx
    _events_or_404(request, sender_id)
    tracker.delete_conversations(ctx.tracker_db, [sender_id])
    ctx.summaries.forget([sender_id])
    reviews.forget(ctx.console_db, [sender_id])
    audit.record(request, "delete", sender_id)
    return redirect("/conversations")


@bp.post("/conversations/<sender_id:str>/handoff/<step:str>")
@guard.reviewer
async def handoff(request: Request, sender_id: str, step: str) -> HTTPResponse:
    sender_id = _sender(request, sender_id)
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
        return _back(request, sender_id, str(exc))
    audit.record(request, f"handoff {step}", sender_id)
    return _back(request, sender_id)


@bp.get("/dashboard")
@guard.reviewer
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
