"""Rasa input channel that serves the web chat page: ``GET /webhooks/webchat/``.

The page talks to the assistant over Rasa's own socketio channel and sends recordings to the
speech channel; this channel only serves its files and lets it redraw a conversation after a
reload (``conversation``) and refresh the guide panel (``guide``). Everything is same-origin and
local: no CDN, and the socket.io client comes from ``webchat/node_modules`` (``npm ci``).

When the conversation store can't be read (PostgreSQL down), those two views answer 503 with
``Retry-After`` rather than a 500, and the page says so in its status line.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict

import sqlalchemy.exc
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.voice import sender_is_valid
from channels.webchat_history import conversation_view, guide_view
from stores.tracker_store import StoreUnavailable

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent / "webchat"
STATIC = ROOT / "static"
SOCKET_IO_CLIENT = ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
SERVED_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
}
# Nothing but this server: no inline script (what a message could smuggle in), no other origin.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "microphone=(self), camera=(), geolocation=()",
    # The page is small; "no-cache" revalidates so a new version shows at once.
    "Cache-Control": "no-cache",
}
# How long the page is told to wait when the conversation store is down: about what a database
# restart takes, and what the page's message says ("reload in a minute").
STORE_RETRY_SECONDS = 60
STORE_DOWN = {"error": "The saved conversation can't be read right now. Try again in a minute."}


def static_path(name: str) -> Path | None:
    """The file under ``webchat/static`` that ``name`` names, or None (missing, hidden, outside)."""
    if not name or name.startswith("/") or "\\" in name:
        return None
    path = (STATIC / name).resolve()
    if STATIC.resolve() not in path.parents or not path.is_file():
        return None
    if any(part.startswith(".") for part in path.relative_to(STATIC.resolve()).parts):
        return None
    if path.suffix not in SERVED_TYPES:
        return None
    return path


def store_down() -> HTTPResponse:
    """503 with ``Retry-After``: the conversation is kept, it just can't be read now."""
    return response.json(
        STORE_DOWN,
        status=503,
        headers={"Retry-After": str(STORE_RETRY_SECONDS), "Cache-Control": "no-store"},
    )


async def _file(path: Path) -> HTTPResponse:
    content_type = SERVED_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    return await response.file(path, mime_type=content_type, headers=SECURITY_HEADERS)


class WebChatInput(InputChannel):
    """The web chat page and the two read-only views it needs."""

    @classmethod
    def name(cls) -> str:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webchat = Blueprint("webchat", __name__)

        @webchat.route("/", methods=["GET"])
        async def page(_: Request) -> HTTPResponse:
            index = STATIC / "index.html"
            if not index.is_file():
                return response.text("The web chat page is missing.", status=404)
            return await _file(index)

        @webchat.route("/static/<name:path>", methods=["GET"])
        async def static(_: Request, name: str) -> HTTPResponse:
            path = static_path(name)
            if path is None:
                return response.text("Not found.", status=404)
            return await _file(path)

        @webchat.route("/vendor/socket.io.min.js", methods=["GET"])
        async def socket_client(_: Request) -> HTTPResponse:
            if not SOCKET_IO_CLIENT.is_file():
                logger.error(
                    "%s is missing: run `npm ci` in webchat/ (make run does).", SOCKET_IO_CLIENT
                )
                return response.text("The socket.io client is not installed.", status=503)
            return await _file(SOCKET_IO_CLIENT)

        async def tracker_for(request: Request) -> tuple[str, Any] | HTTPResponse:
            session_id = request.args.get("session_id", "")
            if not sender_is_valid(session_id):
                return response.json(
                    {"error": "Add ?session_id=ID (letters, digits, . _ - : @)."}, status=400
                )
            store = request.app.ctx.agent.tracker_store
            try:
                # The full tracker: the welcome comes before the session's start event.
                tracker = await store.retrieve_full_tracker(session_id)
            except StoreUnavailable:
                # DurableSQLTrackerStore has logged the database's reason at ERROR: once is enough.
                return store_down()
            except sqlalchemy.exc.SQLAlchemyError as error:
                # Another SQL store raised. Its message may quote the query's parameters (the
                # session id), so only the driver's own reason is logged.
                logger.error(
                    "The web chat could not read a conversation: %s",
                    getattr(error, "orig", None) or type(error).__name__,
                )
                return store_down()
            return session_id, tracker

        @webchat.route("/conversation", methods=["GET"])
        async def conversation(request: Request) -> HTTPResponse:
            found = await tracker_for(request)
            if isinstance(found, HTTPResponse):
                return found
            session_id, tracker = found
            events = [event.as_dict() for event in tracker.events] if tracker else []
            guide = tracker.get_slot("guide") if tracker else None
            return response.json(
                conversation_view(session_id, events, guide), headers={"Cache-Control": "no-store"}
            )

        @webchat.route("/guide", methods=["GET"])
        async def guide(request: Request) -> HTTPResponse:
            found = await tracker_for(request)
            if isinstance(found, HTTPResponse):
                return found
            _, tracker = found
            return response.json(
                guide_view(tracker.get_slot("guide") if tracker else None),
                headers={"Cache-Control": "no-store"},
            )

        return webchat
