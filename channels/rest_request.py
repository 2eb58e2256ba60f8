"""What a REST channel request must look like, checked before the assistant sees it.

Plain module (no Rasa or Sanic imports). ``{"sender": ID, "message": TEXT}`` with optional
``metadata`` (an object) and ``input_channel`` (a name), as Rasa's stock REST channel takes.
Anything else is refused with a 4xx status and a short reason that never quotes the message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from channels.limits import MAX_MESSAGE_CHARS, sender_is_valid

# A 4,000-character message escaped as JSON (\uXXXX for every character) is 24 kB; metadata
# from a chat widget is small. Anything bigger is not a chat message.
MAX_BODY_BYTES = 64 * 1024
_CHANNEL_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class RestRefusal(Exception):
    """A request the REST channel refuses: the HTTP status and a reason safe to log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class RestMessage:
    """A checked REST message."""

    sender: str
    text: str
    metadata: dict[str, Any] | None = None
    input_channel: str | None = None


def read_rest_body(body: bytes | None) -> RestMessage:
    """Check a request body; raises RestRefusal (400 or 413) when it can't be used.

    400: empty, not UTF-8 JSON, not an object, sender or message missing or not a string, a
    sender id that can't key a conversation, metadata not an object, an odd input_channel.
    413: a body over 64 kB or a message over ``MAX_MESSAGE_CHARS`` characters.
    """
    if not body:
        raise RestRefusal(400, 'empty body; send JSON like {"sender": "me", "message": "hi"}')
    if len(body) > MAX_BODY_BYTES:
        raise RestRefusal(413, f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(body)
    # RecursionError: "[[[[..." nested thousands deep exhausts the parser's stack.
    except (ValueError, RecursionError):
        raise RestRefusal(400, "body is not valid UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise RestRefusal(400, "body is not a JSON object")
    sender = data.get("sender")
    if not isinstance(sender, str):
        raise RestRefusal(400, "sender is missing or not a string")
    if not sender_is_valid(sender):
        raise RestRefusal(400, "sender must be 1 to 128 letters, digits or . _ - : @")
    text = data.get("message")
    if not isinstance(text, str):
        raise RestRefusal(400, "message is missing or not a string")
    if len(text) > MAX_MESSAGE_CHARS:
        raise RestRefusal(413, f"message longer than {MAX_MESSAGE_CHARS} characters")
    if not _is_unicode(text):
        raise RestRefusal(400, "message holds a lone surrogate (\\ud800 to \\udfff)")
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise RestRefusal(400, "metadata is not a JSON object")
    channel = data.get("input_channel")
    if channel is not None and not (isinstance(channel, str) and _CHANNEL_NAME.match(channel)):
        raise RestRefusal(400, "input_channel is not a channel name")
    return RestMessage(sender=sender, text=text, metadata=metadata, input_channel=channel)


def _is_unicode(text: str) -> bool:
    """False for text with a lone surrogate, which JSON allows but UTF-8 can't store."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
