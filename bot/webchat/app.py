"""The web chat service: the chat page, the privacy notice, and a same-origin relay to Rasa.

The relay keeps the page free of cross-origin requests (the CSP allows `connect-src 'self'`).
The mobile-first socket.io chat replaces the relay with the web chat issue.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, file, json

from bot.web import add_security_headers

STATIC = Path(__file__).parent / "static"
MAX_MESSAGE = 2000
RASA_TIMEOUT = httpx.Timeout(30.0, connect=2.0)


def create_app() -> Sanic:
    app = Sanic("buergerbot_webchat")
    app.config.REQUEST_MAX_SIZE = 16 * 1024
    add_security_headers(app)
    rasa_url = os.environ.get("RASA_URL", "http://127.0.0.1:5005")

    @app.get("/health")
    async def health(request: Request) -> HTTPResponse:
        return json({"status": "ok"})

    @app.get("/")
    async def index(request: Request) -> HTTPResponse:
        return await file(STATIC / "index.html", mime_type="text/html; charset=utf-8")

    @app.get("/datenschutz")
    async def privacy(request: Request) -> HTTPResponse:
        return await file(STATIC / "datenschutz.html", mime_type="text/html; charset=utf-8")

    @app.get("/static/<name:str>")
    async def static(request: Request, name: str) -> HTTPResponse:
        path = (STATIC / name).resolve()
        if path.parent != STATIC.resolve() or not path.is_file():
            return json({"error": "not found"}, status=404)
        return await file(path)

    @app.post("/api/messages")
    async def relay(request: Request) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else {}
        sender, message = body.get("sender"), body.get("message")
        if not isinstance(sender, str) or not isinstance(message, str) or len(sender) > 64:
            return json({"error": "sender und message (Text) sind nötig."}, status=400)
        payload = {"sender": f"web-{sender}", "message": message[:MAX_MESSAGE]}
        try:
            async with httpx.AsyncClient(timeout=RASA_TIMEOUT) as client:
                reply = await client.post(f"{rasa_url}/webhooks/rest/webhook", json=payload)
                reply.raise_for_status()
        except httpx.HTTPError:
            return json({"error": "Der Assistent ist gerade nicht erreichbar."}, status=503)
        return json(reply.json())

    return app
