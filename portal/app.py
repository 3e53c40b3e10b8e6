"""The app factory: ``create_app(settings)`` builds the Sanic app; nothing is created at import."""

from __future__ import annotations

import functools
import hmac
import itertools
import logging
import re

from sanic import Request, Sanic
from sanic.response import HTTPResponse

from portal import background, context, openapi, outbox, rasa_notify, signing
from portal.http import answer, portal
from portal.problems import Problem, ProblemErrorHandler, problem_response
from portal.routes import (
    appointments,
    collections,
    documents,
    exports,
    invoices,
    mandates,
    saml,
    service_requests,
    signing_sessions,
)
from portal.schemas import Health
from portal.settings import Settings

_names = itertools.count(1)
# How long an idle connection stays open (Sanic's default is 5 s). Longer than any client of
# the portal keeps one in its pool (the action server's: actions.portal_client.LIMITS, 5 s), so
# the client lets go first: a server that closes a connection at the moment a request is sent
# on it loses that request to a reset, and the action server does not retry a lookup or a
# signature. 75 s is also above nginx's default upstream keep-alive of 60 s.
KEEP_ALIVE_SECONDS = 75
# /signing/<token>: the token opens a citizen's login until it is used, so it is a secret in
# a log (read by operators, shipped to log stores); the rest of the path stays readable
_SIGNING_TOKEN = re.compile(r"(/signing/)[^/?#\s]+")


class MaskSigningTokens(logging.Filter):
    """Replaces the token of a signing link in sanic's access log line (and any message)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if isinstance(request, str) and "/signing/" in request:
            record.request = _SIGNING_TOKEN.sub(r"\1***", request)
        if isinstance(record.msg, str) and "/signing/" in record.msg:
            record.msg = _SIGNING_TOKEN.sub(r"\1***", record.msg)
        return True


MASK_SIGNING_TOKENS = MaskSigningTokens()


def create_app(settings: Settings) -> Sanic:
    # Sanic keeps a registry of app names; a fresh name lets tests build several apps
    app = Sanic(f"portal{next(_names)}", error_handler=ProblemErrorHandler())
    app.config.REQUEST_MAX_SIZE = settings.request_max_size
    app.config.KEEP_ALIVE_TIMEOUT = KEEP_ALIVE_SECONDS
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.ctx.settings = settings
    # on the loggers (not their handlers, which sanic replaces): every line they write
    for name in ("sanic.access", "sanic.error", "sanic.root"):
        logging.getLogger(name).addFilter(MASK_SIGNING_TOKENS)

    @app.before_server_start
    async def _start(app: Sanic, _loop: object) -> None:
        ctx = context.build(settings)
        app.ctx.portal = ctx
        # mail leaves through the outbox: this worker sends it, with retries, after commit
        policy = ctx.outbox_policy()
        send_mail = functools.partial(outbox.deliver_due, ctx.engine, ctx.mailer, ctx.clock, policy)
        worker = background.Worker("outbox", send_mail)
        ctx.wake_outbox = worker.wake
        app.ctx.outbox_worker = worker
        worker.start()
        # BundID / Servicekonto logins (portal/signing.py); the conversation is told through
        # its own queue when one ends
        app.ctx.signing = signing.Signing(signing.SigningConfig.for_settings(settings))
        target = app.ctx.signing.config.rasa
        notifier = background.Worker(
            "rasa-notify",
            functools.partial(rasa_notify.deliver_due, ctx.engine, target, ctx.clock, policy),
        )
        app.ctx.rasa_worker = notifier
        notifier.start()

    @app.after_server_stop
    async def _stop(app: Sanic, _loop: object) -> None:
        await app.ctx.outbox_worker.stop()
        await app.ctx.rasa_worker.stop()
        app.ctx.portal.engine.dispose()

    app.register_middleware(_authenticate, "request")
    app.add_route(_health, "/health", methods=["GET"], name="health")
    app.add_route(_openapi, "/openapi.json", methods=["GET"], name="openapi")
    for blueprint in (
        invoices.bp,
        mandates.bp,
        service_requests.bp,
        appointments.bp,
        exports.bp,
        collections.bp,
        documents.bp,
        saml.bp,
        signing_sessions.bp,
    ):
        app.blueprint(blueprint)
    return app


async def _authenticate(request: Request) -> HTTPResponse | None:
    if not request.path.startswith("/api/"):
        return None
    expected = f"Bearer {request.app.ctx.settings.api_token}".encode()
    given = request.headers.get("authorization", "").encode("utf-8", "replace")
    if hmac.compare_digest(given, expected):
        return None
    return problem_response(
        Problem(
            401,
            "Anmeldung fehlt oder ist ungültig. / Missing or invalid bearer token.",
            headers={"WWW-Authenticate": 'Bearer realm="portal"'},
        )
    )


async def _health(request: Request) -> HTTPResponse:
    if not await portal(request).db_ping():
        raise Problem(503, "Die Datenbank antwortet nicht. / The database does not answer.")
    return answer(Health(status="ok"))


async def _openapi(request: Request) -> HTTPResponse:
    return HTTPResponse(openapi.document_json(), content_type="application/json")
