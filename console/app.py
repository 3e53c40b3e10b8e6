"""The staff console (CONSOLE_PORT): review conversations, learn where the assistant fails.

An app factory in the flaskr manner: blueprints per resource, storage in modules of its own,
databases opened in `before_server_start`.
"""

from __future__ import annotations

from pathlib import Path

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, empty, file, json

import clock
from bot.web import add_security_headers
from console import accounts, admin_routes, auth_routes, conversation_routes, guard
from console.config import ConsoleConfig, from_env
from console.db import engine_for, open_console_db
from console.handoff import RasaClient
from console.pages import environment
from console.pseudonym import Pseudonyms
from console.tracker import SummaryCache
from console.treasury import PortalReader

STATIC = Path(__file__).parent / "static"


def create_app(config: ConsoleConfig | None = None) -> Sanic:
    app = Sanic("buergerbot_console")
    app.config.REQUEST_MAX_SIZE = 64 * 1024
    app.ctx.config = config or from_env()
    app.ctx.pages = environment()
    app.ctx.clock = clock.from_env()
    app.ctx.pseudonyms = Pseudonyms.from_data(
        app.ctx.config.session_secret, app.ctx.config.data_dir
    )
    add_security_headers(app)
    guard.install(app)

    @app.before_server_start
    async def _open(app: Sanic, _loop: object) -> None:
        cfg: ConsoleConfig = app.ctx.config
        app.ctx.console_db = open_console_db(cfg.console_db_url)
        app.ctx.tracker_db = engine_for(cfg.tracker_db_url)
        app.ctx.rasa = RasaClient(cfg.rasa_url, cfg.rasa_jwt_secret)
        app.ctx.portal = PortalReader(cfg.portal_url, cfg.portal_token)
        app.ctx.summaries = SummaryCache(app.ctx.pseudonyms)
        accounts.upsert(app.ctx.console_db, cfg.admin_user, cfg.admin_password, "admin")

    @app.get("/health")
    @guard.public
    async def health(request: Request) -> HTTPResponse:
        return json({"status": "ok"})

    @app.get("/favicon.ico")
    @guard.public
    async def favicon(request: Request) -> HTTPResponse:
        return empty()

    @app.get("/static/console.css")
    @guard.public
    async def stylesheet(request: Request) -> HTTPResponse:
        return await file(STATIC / "console.css", mime_type="text/css; charset=utf-8")

    app.blueprint(auth_routes.bp)
    app.blueprint(conversation_routes.bp)
    app.blueprint(admin_routes.bp)
    return app
