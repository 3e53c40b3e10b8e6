"""The web chat's socket.io channel in Rasa: only sessions the web chat service signed.

Rasa's own socket.io channel takes whatever `session_id` a client sends, so a client could step
into anybody's conversation (`whatsapp:<number>`, a REST sender, another citizen's web chat)
by naming it. This channel refuses any session id without the signature of
`bot/webchat_session.py` (`WEBCHAT_SESSION_SECRET`); the sender id Rasa stores is the bare
`web:<32 hex digits>`, never the token.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from bot.webchat_session import SETTING, verify

logger = logging.getLogger(__name__)


class SignedSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel (same name, events and rooms) that accepts signed sessions only.

    The web chat relay checks the same signature before a frame reaches Rasa; this check holds
    where a client reaches Rasa's socket.io directly (Rasa's port in development). A refused
    `session_request` or message gets `session_refused` and the socket is closed.
    """

    @classmethod
    def name(cls) -> str:
        return "socketio"  # the tracker's input_channel stays what the console filters on

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint: Blueprint = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None  # set by super().blueprint
        secret = os.environ.get(SETTING, "")
        if not secret:
            logger.warning("%s is unset: every web chat session is refused", SETTING)

        async def refuse(sid: str) -> None:
            await sio.emit("session_refused", {}, room=sid)
            await sio.disconnect(sid)

        async def session_request(sid: str, data: Any) -> None:
            token = data.get("session_id") if isinstance(data, dict) else None
            session = verify(secret, token)
            if session is None:
                await refuse(sid)
                return
            sio.enter_room(sid, session)
            await sio.emit("session_confirm", session, room=sid)

        async def handle_message(sid: str, data: Any) -> None:
            token = data.get("session_id") if isinstance(data, dict) else None
            session = verify(secret, token)
            message = data.get("message") if isinstance(data, dict) else None
            if session is None or not isinstance(message, str):
                await refuse(sid)
                return
            await on_new_message(
                UserMessage(
                    message,
                    SocketIOOutput(sio, self.bot_message_evt),
                    session,
                    input_channel=self.name(),
                    metadata={},  # nothing a client says about itself is trusted
                )
            )

        # python-socketio keeps one handler per event: these replace Rasa's own.
        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        return blueprint
