"""Rasa's socketio channel, fixed so that replies reach a page that keeps its session.

With ``session_persistence`` Rasa 3.6 puts each socket in a room named after the session and
sends replies to that room. Its ``session_request`` handler calls ``sio.enter_room`` without
``await``; python-socketio 5.9 and newer made that a coroutine, so the socket never joins the
room and no reply reaches the page (RasaHQ/rasa#13027). This channel keeps the name
``socketio`` (same path ``/socket.io``, same events) and replaces two handlers: the session
request, which now joins the room, and the user message, which now ignores malformed data with
a log line instead of a traceback, and refuses a session's messages over the rate limit
(channels/limits.py) with a ``rate_limited`` event. It also turns the origin check back on
(channels/origins.py), and sends custom JSON as ``{"custom": ...}`` (Rasa's own output passes
its keys to ``sio.emit`` as arguments, which fails for anything but ``data``).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

# One limit for every text channel (re-exported here for the socketio tests).
from actions.environment import settings
from channels.limits import (
    MAX_MESSAGE_CHARS,
    RateSettings,
    retry_after_header,
    sender_is_valid,
    shared_limiter,
)
from channels.origins import origin_allowed
from channels.socket_rooms import share_rooms

__all__ = [
    "MAX_MESSAGE_CHARS",
    "RATE_LIMITED_EVENT",
    "CustomJsonSocketIOOutput",
    "SessionSocketIOInput",
    "message_problem",
    "session_id_from",
]

# Sent to the socket whose message went over the rate limit, with {"retry_after": seconds}; the
# page says so in its status line (the REST channel's 429 with Retry-After, for a socket).
RATE_LIMITED_EVENT = "rate_limited"

logger = logging.getLogger(__name__)


class CustomJsonSocketIOOutput(SocketIOOutput):
    """Rasa's socketio output, with custom JSON sent as one ``bot_uttered`` ``{"custom": ...}``.

    The page reads ``custom.conversation_deleted`` (sent when the person confirms "delete what
    I told you") to clear its screen and start a new conversation.
    """

    async def send_custom_json(
        self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any
    ) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


def session_id_from(data: Any) -> str:
    """The session id a page asked for, or a new one when it sent none or an unusable one."""
    if isinstance(data, dict):
        wanted = data.get("session_id")
        if isinstance(wanted, str) and sender_is_valid(wanted):
            return wanted
    return uuid.uuid4().hex


def message_problem(
    data: Any, needs_session: bool = True, metadata_key: str = "metadata"
) -> str | None:
    """Why a ``user_uttered`` payload can't be handled, or None when it can.

    The reason never quotes the message: logs must not hold what people tell the assistant.
    """
    if not isinstance(data, dict):
        return "not a JSON object"
    session_id = data.get("session_id")
    if needs_session and (not isinstance(session_id, str) or not sender_is_valid(session_id)):
        return "no usable session_id"
    text = data.get("message")
    if not isinstance(text, str) or not text.strip():
        return "no message text"
    if len(text) > MAX_MESSAGE_CHARS:
        return f"message longer than {MAX_MESSAGE_CHARS} characters"
    metadata = data.get(metadata_key)
    if metadata is not None and not isinstance(metadata, dict):
        return "metadata is not an object"
    return None


class SessionSocketIOInput(SocketIOInput):
    """The ``socketio`` channel with working session rooms and checked messages."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's blueprint with the session and message handlers replaced."""
        webhook = super().blueprint(on_new_message)
        sio = self.sio
        # Rasa passes cors_allowed_origins=[], which turns the origin check off: any web site
        # could open a socket. Only the page's own address and ALLOWED_ORIGINS may.
        sio.eio.cors_allowed_origins = origin_allowed
        # Several servers sharing Redis: a reply reaches the session's sockets on every server.
        if share_rooms(sio, settings()):
            logger.info("Web chat rooms are shared through Redis.")
        # The per-sender limit every channel shares (RATE_LIMIT_MESSAGES per ..._SECONDS): a
        # session's typed and spoken messages count together (see channels/limits.py).
        limiter = shared_limiter(RateSettings.from_env(settings()))

        # Registering an event again replaces Rasa's handler for it.
        @sio.on("session_request", namespace=self.namespace)
        # data defaults to None: a client that sends no payload at all gets a fresh session
        # instead of a TypeError in the server log and no answer.
        async def session_request(sid: str, data: Dict | None = None) -> None:
            session_id = session_id_from(data)
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            problem = message_problem(data, self.session_persistence, self.metadata_key)
            if problem:
                logger.info("Ignored a socketio message: %s.", problem)
                return
            sender_id = data["session_id"] if self.session_persistence else sid
            wait = limiter.allow(sender_id)
            if wait is not None:
                logger.info("Refused a socketio message: over the rate limit.")
                await sio.emit(
                    RATE_LIMITED_EVENT,
                    {"retry_after": int(retry_after_header(wait))},
                    room=sid,
                    namespace=self.namespace,
                )
                return
            metadata = data.get(self.metadata_key) or {}
            output_channel = CustomJsonSocketIOOutput(sio, self.bot_message_evt)
            await on_new_message(
                UserMessage(
                    data["message"],
                    output_channel,
                    sender_id,
                    input_channel=self.name(),
                    metadata=metadata,
                )
            )

        return webhook
