"""How our own services call Rasa's HTTP API: a short-lived JWT in the `Authorization` header.

Rasa's `--auth-token` travels as `?token=…` in the URL, and URLs end up in access logs (the
reverse proxy's, Rasa's own, a browser's history when an operator pastes one). Rasa 3.6 also
accepts a JWT in `Authorization: Bearer …` when started with `--jwt-secret` and `--jwt-method`
(rasa/server.py, `requires_auth`): the Procfile, the compose file and the Helm values start it
with `RASA_JWT_SECRET` and HS256. Every caller in this repository (the health check, the staff
console's handoff, the web chat's missed replies, the tests) signs a JWT with that secret per
request, so neither the secret nor a lasting token is ever sent, in a URL or anywhere else.

A token lives for a minute (a replayed one from a log is worthless soon), and it names the
least it needs: `role: admin` for staff and health checks, `role: user` with the conversation's
id for the web chat, which Rasa then lets read that one conversation only.

>>> headers = bearer("a-secret-of-at-least-32-bytes-....", conversation="web:42", now=1000)
>>> token = headers["Authorization"].removeprefix("Bearer ")
>>> claims = jwt.decode(token, "a-secret-of-at-least-32-bytes-....", algorithms=["HS256"],
...                     options={"verify_exp": False})
>>> claims["user"], claims["exp"] - claims["iat"]
({'username': 'web:42', 'role': 'user'}, 60)
"""

from __future__ import annotations

import time

import jwt

SETTING = "RASA_JWT_SECRET"
METHOD = "HS256"
LIFETIME_SECONDS = 60


def bearer(
    secret: str,
    username: str = "buergerbot",
    conversation: str | None = None,
    now: float | None = None,
) -> dict[str, str]:
    """The `Authorization` header for one call to Rasa's HTTP API.

    Without `conversation` the token may do everything the API offers (`role: admin`); with
    it, Rasa allows only routes of that conversation (`role: user`, `username` = its id).
    """
    issued = int(time.time() if now is None else now)
    user = (
        {"username": conversation, "role": "user"}
        if conversation is not None
        else {"username": username, "role": "admin"}
    )
    token = jwt.encode(
        {"user": user, "iat": issued, "exp": issued + LIFETIME_SECONDS}, secret, algorithm=METHOD
    )
    return {"Authorization": f"Bearer {token}"}
