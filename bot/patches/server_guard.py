"""The Rasa server's own guards, whatever route a request takes: a body-size limit, and a 401
instead of a 500 for a malformed JWT.

Sanic's default `REQUEST_MAX_SIZE` is 100 MB: any route of the Rasa server (the channels, the
token-protected API, the socket.io handshake) would read that much into memory before a
handler could refuse it. Rasa builds its Sanic app in `rasa.core.run.configure_app` and offers
no option for the limit, so the app it returns gets ours: `RASA_MAX_BODY_BYTES` (default
1 MiB: the messenger webhooks refuse bodies over 1 MB themselves, with their own message) for
an HTTP body, answered with 413 before it is read, and the same for one WebSocket message.

With `--jwt-secret` (how our services call the API, bot/rasa_auth.py), sanic-jwt turns some
invalid tokens (an `alg: none` token, a missing required claim) into an uncaught exception: a
500 for anyone on the internet who sends such a header. They get 401, as for any other
invalid token.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import wraps
from typing import Any

import jwt
import rasa.core.run
from sanic.request import Request
from sanic.response import HTTPResponse, json

SETTING = "RASA_MAX_BODY_BYTES"
DEFAULT = 1024 * 1024


def max_body_bytes(env: Mapping[str, str] | None = None) -> int:
    """The body-size limit from `RASA_MAX_BODY_BYTES`.

    >>> max_body_bytes({}), max_body_bytes({"RASA_MAX_BODY_BYTES": "2048"})
    (1048576, 2048)
    >>> max_body_bytes({"RASA_MAX_BODY_BYTES": "1 MB"})
    Traceback (most recent call last):
    ValueError: RASA_MAX_BODY_BYTES must be a whole number of bytes of at least 1024, not '1 MB'
    """
    value = (os.environ if env is None else env).get(SETTING) or str(DEFAULT)
    if not value.isdigit() or int(value) < 1024:
        raise ValueError(
            f"{SETTING} must be a whole number of bytes of at least 1024, not {value!r}"
        )
    return int(value)


def apply() -> None:
    original = rasa.core.run.configure_app
    if getattr(original, "_buergerbot_limits", False):
        return
    limit = max_body_bytes()  # a wrong setting stops the start here, not at the first request

    @wraps(original)
    def configure_app(*args: Any, **kwargs: Any) -> Any:
        app = original(*args, **kwargs)
        app.config.REQUEST_MAX_SIZE = limit
        app.config.WEBSOCKET_MAX_SIZE = limit

        @app.exception(jwt.exceptions.InvalidTokenError)
        async def invalid_token(request: Request, error: Exception) -> HTTPResponse:
            return json(
                {"status": "failure", "reason": "NotAuthenticated", "code": 401}, status=401
            )

        return app

    configure_app._buergerbot_limits = True  # type: ignore[attr-defined]
    rasa.core.run.configure_app = configure_app
