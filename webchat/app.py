"""The web chat service: a demo city page with the chat open, the embeddable widget, the privacy
notice, and the relay of the widget's socket.io connection to Rasa (see `relay.py` for why).

The widget's sources live in `src/`; `scripts/build-webchat.sh` bundles them into `dist/`
(git-ignored), which `/static/<name>` serves.
"""

from __future__ import annotations

import html
import logging
import os
from pathlib import Path

import yaml
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, file, json
from sanic.response import html as html_response

from bot.settings import data_dir
from bot.web import add_security_headers
from webchat.history import RasaUnavailable, bot_messages, valid_session
from webchat.relay import MAX_FRAME, Socket, relay, upstream_url

HERE = Path(__file__).parent
PAGES = HERE / "pages"
DIST = HERE / "dist"
STATIC_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}

logger = logging.getLogger(__name__)


def city_name(path: Path | None = None) -> str:
    """The city's name for the demo page's heading (city facts stay in `DATA_DIR`)."""
    path = path or data_dir(os.environ) / "city.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return str(data.get("city_name", ""))


def render_page(name: str, city: str) -> str:
    template = (PAGES / name).read_text(encoding="utf-8")
    return template.replace("{{city_name}}", html.escape(city))


def static_path(name: str, root: Path = DIST) -> Path | None:
    """A built file by name, never a path outside `root` and never a type we do not serve."""
    path = (root / name).resolve()
    if path.parent != root.resolve() or path.suffix not in STATIC_TYPES or not path.is_file():
        return None
    return path


def create_app() -> Sanic:
    app = Sanic("buergerbot_webchat")
    app.config.REQUEST_MAX_SIZE = 16 * 1024
    app.config.WEBSOCKET_MAX_SIZE = MAX_FRAME
    add_security_headers(app)
    rasa_url = os.environ.get("RASA_URL", "http://127.0.0.1:5005")
    rasa_token = os.environ.get("RASA_AUTH_TOKEN", "")
    city = city_name()
    if not (DIST / "widget.js").is_file():
        logger.warning("web chat widget not built: run scripts/build-webchat.sh")

    @app.get("/health")
    async def health(request: Request) -> HTTPResponse:
        return json({"status": "ok"})

    @app.get("/")
    async def index(request: Request) -> HTTPResponse:
        return html_response(render_page("index.html", city))

    @app.get("/datenschutz")
    async def privacy(request: Request) -> HTTPResponse:
        return html_response(render_page("datenschutz.html", city))

    @app.get("/static/<name:str>")
    async def static(request: Request, name: str) -> HTTPResponse:
        path = static_path(name)
        if path is None:
            return json({"error": "not found"}, status=404)
        # Revalidate on every load: a rebuilt widget must reach citizens at once.
        headers = {"Cache-Control": "no-cache"}
        return await file(path, mime_type=STATIC_TYPES[path.suffix], headers=headers)

    @app.get("/api/sessions/<session:str>/bot-messages")
    async def missed(request: Request, session: str) -> HTTPResponse:
        # The widget asks after a reconnect for replies Rasa sent while its socket was away.
        # The session id (128 random bits, known only to the widget) is the key, as for the
        # socket.io room; any origin may ask, since city sites embed the widget.
        headers = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"}
        if not valid_session(session):
            return json({"error": "unknown session"}, status=404, headers=headers)
        try:
            messages = await bot_messages(rasa_url, rasa_token, session)
        except RasaUnavailable:
            return json({"error": "assistant unavailable"}, status=503, headers=headers)
        return json({"messages": messages}, headers=headers)

    @app.websocket("/socket.io/")
    async def socket(request: Request, page: Socket) -> None:
        url = upstream_url(rasa_url, dict(request.args))
        if url is None:
            await page.close(code=1008, reason="websocket transport only")
            return
        await relay(page, url)

    return app
