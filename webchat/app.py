"""The web chat service: a demo city page with the chat open, the embeddable widget, the privacy
notice, the relay of the widget's socket.io connection to Rasa (see `relay.py` for why and how
it is guarded), and the sessions: `POST /api/sessions` issues a signed one (the only way to
get one), `POST /api/sessions/bot-messages` gives back the replies a page missed.

The widget's sources live in `src/`; `scripts/build-webchat.sh` bundles them into `dist/`
(git-ignored), which `/static/<name>` serves.
"""

from __future__ import annotations

import html
import json as jsonlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, file, json
from sanic.response import html as html_response

from bot.channels.limits import RATE_LIMITED, ClientLimits
from bot.settings import data_dir
from bot.web import add_security_headers
from bot.webchat_session import new_session, sign, verify
from webchat.history import RasaUnavailable, bot_messages
from webchat.relay import MAX_FRAME, Gate, PageFrames, Socket, relay, upstream_url

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


# The widget sends {"token": "…"}: one level. Deeper JSON is refused before anything walks it
# (json.loads itself overflows Python's stack at about a thousand levels).
MAX_JSON_DEPTH = 8
TOO_DEEP = (
    f"Das JSON ist tiefer als {MAX_JSON_DEPTH} Ebenen verschachtelt."
    f" / The JSON is nested deeper than {MAX_JSON_DEPTH} levels."
)


def json_body(raw: bytes) -> tuple[Any, bool]:
    """The body as JSON (None when it is none) and whether it nests deeper than allowed.

    >>> json_body(b'{"token": "t"}'), json_body(b"nonsense")
    (({'token': 't'}, False), (None, False))
    >>> json_body(b"[" * 9 + b"]" * 9)[1], json_body(b"[" * 5000 + b"]" * 5000)[1]
    (True, True)
    """
    try:
        data = jsonlib.loads(raw.decode("utf-8"))
    except RecursionError:
        return None, True
    except (UnicodeDecodeError, ValueError):
        return None, False
    deepest, pending = 0, [(data, 1)]
    while pending:  # iterative: no recursion on hostile input
        item, level = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            pending.extend(
                (child, level + 1) for child in (item.values() if isinstance(item, dict) else item)
            )
    return (None, True) if deepest > MAX_JSON_DEPTH else (data, False)


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins(env: Mapping[str, str]) -> set[str]:
    """The pages that may talk to the web chat: its own public URL, and `WEBCHAT_ALLOWED_ORIGINS`
    (comma-separated; the city's sites that embed the widget). A loopback public URL (development)
    allows both of its spellings, so that http://localhost:8000 works as well as 127.0.0.1.

    >>> sorted(allowed_origins({"WEBCHAT_PUBLIC_URL": "https://chat.example.de/",
    ...                         "WEBCHAT_ALLOWED_ORIGINS": "https://www.example.de, "}))
    ['https://chat.example.de', 'https://www.example.de']
    >>> sorted(allowed_origins({"WEBCHAT_PORT": "8000"}))
    ['http://127.0.0.1:8000', 'http://localhost:8000']
    """
    public = env.get("WEBCHAT_PUBLIC_URL") or f"http://127.0.0.1:{env.get('WEBCHAT_PORT', '8000')}"
    origins = {_origin(public)}
    origins |= {_origin(o) for o in env.get("WEBCHAT_ALLOWED_ORIGINS", "").split(",") if o.strip()}
    for origin in list(origins):
        for a, b in (("://127.0.0.1", "://localhost"), ("://localhost", "://127.0.0.1")):
            if a in origin:
                origins.add(origin.replace(a, b))
    return origins


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name) or str(default)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


def create_app() -> Sanic:
    app = Sanic("buergerbot_webchat")
    app.config.REQUEST_MAX_SIZE = 16 * 1024
    app.config.WEBSOCKET_MAX_SIZE = MAX_FRAME
    add_security_headers(app)
    env = os.environ
    rasa_url = env.get("RASA_URL", "http://127.0.0.1:5005")
    jwt_secret = env.get("RASA_JWT_SECRET", "")
    session_secret = env.get("WEBCHAT_SESSION_SECRET", "")
    if not session_secret:
        logger.warning("WEBCHAT_SESSION_SECRET is unset: the web chat cannot issue sessions")
    limits = ClientLimits.from_env(env)
    origins = allowed_origins(env)
    gate = Gate(
        origins,
        max_total=_count(env, "WEBCHAT_MAX_CONNECTIONS", 1000),
        max_per_address=_count(env, "WEBCHAT_MAX_CONNECTIONS_PER_ADDRESS", 20),
        exempt=limits.is_exempt,
    )
    city = city_name()

    def address_of(request: Request) -> str:
        return limits.address(request.ip, request.headers.get("x-forwarded-for"))

    def cors(request: Request) -> dict[str, str]:
        # Only pages on the allowlist may read the answers (a city site embedding the widget).
        headers = {"Cache-Control": "no-store", "Vary": "Origin"}
        origin = request.headers.get("origin")
        if origin and origin.rstrip("/") in origins:
            headers["Access-Control-Allow-Origin"] = origin
        return headers

    def refused(request: Request) -> HTTPResponse | None:
        """403 for a page not on the allowlist, 429 over the address's limit, else None."""
        origin = request.headers.get("origin")
        if origin is not None and origin.rstrip("/") not in origins:
            detail = "Diese Seite darf den Chat nicht nutzen. / This page may not use the chat."
            return json({"error": "forbidden", "detail": detail}, status=403)
        if not limits.allow_address(address_of(request)):
            headers = {**cors(request), "Retry-After": "10"}
            body = {"error": "too_many_requests", "detail": RATE_LIMITED}
            return json(body, status=429, headers=headers)
        return None

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

    @app.post("/api/sessions")
    async def issue_session(request: Request) -> HTTPResponse:
        # The only way to a web chat session: a client never chooses its id (docs/security.md).
        problem = refused(request)
        if problem is not None:
            return problem
        session = new_session()
        return json({"session": session, "token": sign(session_secret, session)}, status=201,
                    headers=cors(request))  # fmt: skip

    @app.post("/api/sessions/bot-messages")
    async def missed(request: Request) -> HTTPResponse:
        # The widget asks after a reconnect for replies Rasa sent while its socket was away. The
        # signed token comes in the body (a plain-text body needs no CORS preflight), never in
        # the URL, which access logs keep.
        problem = refused(request)
        if problem is not None:
            return problem
        body, too_deep = json_body(request.body)
        if too_deep:
            return json({"error": "json_too_deep", "detail": TOO_DEEP}, status=400,
                        headers=cors(request))  # fmt: skip
        token = body.get("token") if isinstance(body, dict) else None
        session = verify(session_secret, token)
        if session is None:
            detail = "Unbekannte Sitzung. / Unknown session."
            return json({"error": "unknown_session", "detail": detail}, status=404,
                        headers=cors(request))  # fmt: skip
        try:
            messages = await bot_messages(rasa_url, jwt_secret, session)
        except RasaUnavailable:
            return json({"error": "assistant unavailable"}, status=503, headers=cors(request))
        return json({"messages": messages}, headers=cors(request))

    @app.on_request
    async def guard_socket(request: Request) -> HTTPResponse | None:
        # Before the WebSocket handshake: a refused page or a full relay costs no socket.
        if request.path != "/socket.io/":
            return None
        status = gate.refusal(request.headers.get("origin"), address_of(request))
        if status is None:
            return None
        return json({"error": "forbidden" if status == 403 else "too_many_connections"},
                    status=status)  # fmt: skip

    @app.websocket("/socket.io/")
    async def socket(request: Request, page: Socket) -> None:
        url = upstream_url(rasa_url, dict(request.args))
        if url is None:
            await page.close(code=1008, reason="websocket transport only")
            return
        address = address_of(request)
        if not gate.enter(address):  # the check before the handshake may have raced
            await page.close(code=1013, reason="too many connections")
            return
        try:
            await relay(page, url, PageFrames(session_secret, limits, address))
        finally:
            gate.leave(address)

    return app
