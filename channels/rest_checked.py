"""Rasa's REST channel with its requests checked: ``POST /webhooks/rest/webhook``.

Same name (``rest``), same address, same ``{"sender", "message"}`` in and list of messages out as
Rasa's stock ``RestInput``. What changes is what a bad request gets. The stock channel answers
500 for a body that is JSON but not an object, files a message with no sender under the shared
conversation "default", and logs the message text when processing fails. This one answers:

- 400 for a body that is not a JSON object, a missing or non-string sender or message, a sender
  id that can't key a conversation, metadata that is not an object;
- 413 for a message over ``MAX_MESSAGE_CHARS`` characters (or a body over 64 kB);
- 429 with ``Retry-After`` when one sender sends more than ``RATE_LIMIT_MESSAGES`` messages in
  ``RATE_LIMIT_SECONDS`` seconds (counted per server process, one count per sender for every
  channel: see ``limits.py``).

Refusals are logged at INFO with the reason only: never the message, never the sender id (which
may be an email address).
"""

from __future__ import annotations

import logging
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, Union

import rasa.utils.endpoints
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from actions.environment import settings as environment
from channels.limits import RateSettings, retry_after_header, shared_limiter
from channels.rest_request import RestRefusal, read_rest_body

logger = logging.getLogger(__name__)


class CheckedRestInput(RestInput):
    """The ``rest`` channel: checked bodies, a message size limit and a per-sender rate limit."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        return cls(RateSettings.from_env(environment()))

    def __init__(self, rate: RateSettings | None = None) -> None:
        self.limiter = shared_limiter(rate or RateSettings())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The stock routes (health and webhook) with the checks in front of the webhook."""
        rest_webhook = Blueprint("custom_webhook_CheckedRestInput", __name__)

        @rest_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Union[ResponseStream, HTTPResponse]:
            try:
                message = read_rest_body(request.body)
            except RestRefusal as refusal:
                logger.info("Refused a REST message: %s.", refusal.reason)
                return response.json({"error": refusal.reason}, status=refusal.status)
            wait = self.limiter.allow(message.sender)
            if wait is not None:
                logger.info("Refused a REST message: over the sender's rate limit.")
                return response.json(
                    {"error": "too many messages; wait and try again"},
                    status=429,
                    headers={"Retry-After": retry_after_header(wait)},
                )
            input_channel = message.input_channel or self.name()
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                return response.stream(
                    self.stream_response(
                        on_new_message,
                        message.text,
                        message.sender,
                        input_channel,
                        message.metadata,
                    ),
                    content_type="text/event-stream",
                )
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        message.text,
                        collector,
                        message.sender,
                        input_channel=input_channel,
                        metadata=message.metadata,
                    )
                )
            except CancelledError:
                # As the stock channel does, answer with what was said so far; but log no text.
                logger.error("A REST message timed out before the assistant answered.")
            except Exception:  # noqa: BLE001 - one failed turn must not become a 500
                logger.exception("A REST message could not be handled.")
            return response.json(collector.messages)

        return rest_webhook
