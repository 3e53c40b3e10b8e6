"""What the small web services (web chat page, staff console) share: headers and start-up."""

from __future__ import annotations

import os

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse

# Nothing is loaded from another host: the CSP forbids it, so a mistake shows at once.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def add_security_headers(app: Sanic) -> None:
    @app.on_response
    async def _headers(request: Request, response: HTTPResponse) -> None:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)


def serve(app: Sanic, port_variable: str, default_port: int) -> None:
    app.run(
        host=os.environ.get("BIND_HOST", "127.0.0.1"),
        port=int(os.environ.get(port_variable, default_port)),
        access_log=False,
        motd=False,
    )
