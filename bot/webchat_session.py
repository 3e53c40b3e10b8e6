"""The web chat's session ids: issued and signed by the server, never chosen by a client.

A conversation belongs to the channel that issued its sender id. Rasa's own socket.io channel
takes whatever `session_id` a client sends, so a client could continue anybody's conversation
(a messenger's `whatsapp:<number>`, a REST sender, another citizen's web chat) by naming it.
Here only the web chat service issues sessions (`POST /api/sessions`): a random id in the web
chat's own namespace, `web:<32 hex digits>`, and a token `<id>.<HMAC-SHA256 of the id>` keyed
with `WEBCHAT_SESSION_SECRET`. The widget keeps the token (sessionStorage) to resume after a
reload; the relay (webchat/relay.py) and the Rasa channel (bot/channels/webchat.py) refuse
any session id without a valid signature. The `web:` prefix is a channel prefix, so the REST
channel refuses it too.

>>> secret = "s" * 32
>>> session = new_session()
>>> session.startswith("web:"), len(session)
(True, 36)
>>> verify(secret, sign(secret, session)) == session
True
>>> verify(secret, session), verify("x" * 32, sign(secret, session))
(None, None)
>>> verify(secret, "whatsapp:4915112345678." + sign(secret, session).split(".")[1])
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

SETTING = "WEBCHAT_SESSION_SECRET"
PREFIX = "web:"
SESSION = re.compile(r"web:[0-9a-f]{32}")
MAX_TOKEN_CHARS = 128


def new_session() -> str:
    """A fresh session id: 128 random bits in the web chat's namespace."""
    return PREFIX + secrets.token_hex(16)


def _signature(secret: str, session: str) -> str:
    digest = hmac.new(secret.encode(), session.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(secret: str, session: str) -> str:
    """The token the widget keeps: the session id and its signature."""
    return f"{session}.{_signature(secret, session)}"


def verify(secret: str, token: object) -> str | None:
    """The session id of a token this server signed, else None (whatever the input)."""
    if not secret or not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        return None
    session, _, signature = token.rpartition(".")
    if not SESSION.fullmatch(session):
        return None
    if not hmac.compare_digest(signature, _signature(secret, session)):
        return None
    return session
