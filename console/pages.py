"""HTML rendering: Jinja2 with autoescaping always on, so every text from a conversation,
an account or a tag reaches the page as text, never as markup.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sanic.request import Request
from sanic.response import HTTPResponse, html

TEMPLATES = Path(__file__).parent / "templates"


def _time(timestamp: float | None) -> str:
    if not timestamp:
        return ""
    moment = dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _path_part(value: str) -> str:
    return quote(value, safe="")


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its name
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["time"] = _time
    env.filters["pathpart"] = _path_part
    return env


def render(request: Request, template: str, code: int = 200, **context: Any) -> HTTPResponse:
    session = getattr(request.ctx, "session", None)
    page = request.app.ctx.pages.get_template(template).render(
        session=session, csrf=session.csrf if session else "", **context
    )
    return html(page, status=code, headers={"Cache-Control": "no-store"})
