"""Rasa input channel for an Alexa custom skill: ``POST /webhooks/alexa/webhook``.

Thin web layer: request checks (signature, timestamp, skill id), then the messages go to the
assistant, and its answers come back as SSML. The logic lives in ``alexa_request.py``,
``alexa_verify.py`` and ``speech.py``.

Over the per-sender rate limit (``channels/limits.py``, shared with every channel) a request gets
a 200 with a short spoken "please wait" and the session kept open, not a 429: a device that gets
an HTTP error says a generic "there was a problem" and closes the skill.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.environment import settings as environment
from channels.alexa_request import (
    AlexaRequest,
    AlexaSettings,
    RequestError,
    check_application,
    ends_session,
    messages_for,
    parse_request,
    sender_id,
    silent_response,
    spoken_response,
    wait_response,
)
from channels.alexa_verify import SignatureError, SignatureVerifier, TimestampError, check_timestamp
from channels.limits import RateSettings, shared_limiter
from channels.speech import spoken_turn
from channels.voice_output import VoiceOutput, speech_rate
from stores.tracker_store import retrieve_or_none

logger = logging.getLogger(__name__)


class AlexaInput(InputChannel):
    """Speaks the Alexa Skills Kit custom-skill JSON."""

    @classmethod
    def name(cls) -> str:
        return "alexa"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        return cls(AlexaSettings.from_env(credentials), RateSettings.from_env(environment()))

    def __init__(
        self, settings: AlexaSettings | None = None, rate: RateSettings | None = None
    ) -> None:
        self.settings = settings or AlexaSettings.from_env()
        self.limiter = shared_limiter(rate or RateSettings())
        self.verifier = SignatureVerifier() if self.settings.verify_signature else None
        if not self.settings.skill_id:
            logger.warning("ALEXA_SKILL_ID is not set: the Alexa channel refuses every request.")
        if not self.settings.verify_signature:
            logger.warning("Alexa request signatures are NOT checked (ALEXA_VERIFY_SIGNATURE).")

    async def check(self, request: Request) -> AlexaRequest:
        """Amazon's checks, in its order: signature, then timestamp, then the skill id."""
        body = request.body or b""
        if self.verifier is not None:
            try:
                # The first request for a certificate downloads it: keep the server responsive.
                await asyncio.get_running_loop().run_in_executor(
                    None, self.verifier.verify, dict(request.headers), body
                )
            except SignatureError as error:
                raise RequestError(400, f"signature check failed: {error}") from None
        parsed = parse_request(body)
        try:
            check_timestamp(parsed.timestamp)
        except TimestampError as error:
            raise RequestError(400, f"timestamp check failed: {error}") from None
        check_application(parsed, self.settings)
        return parsed

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        alexa_webhook = Blueprint("alexa_webhook", __name__)

        @alexa_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @alexa_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                parsed = await self.check(request)
            except RequestError as error:
                logger.info("Refused an Alexa request: %s", error.reason)
                return response.json({"error": error.reason}, status=error.status)
            texts = messages_for(parsed)
            if not texts:
                return response.json(silent_response())
            sender = sender_id(parsed)
            # One request counts once, whatever it sends (a one-shot request sends the session
            # start and the words); session ends and system requests (above) never count.
            if self.limiter.allow(sender) is not None:
                logger.info("Refused an Alexa request: over the sender's rate limit.")
                return response.json(wait_response())
            collector = VoiceOutput()
            for text in texts:
                await on_new_message(
                    UserMessage(
                        text,
                        collector,
                        sender,
                        input_channel=self.name(),
                        metadata={"alexa_session": parsed.session_id},
                    )
                )
            tracker = await retrieve_or_none(request.app.ctx.agent.tracker_store, sender)
            latest_intent = None
            if tracker is not None:
                latest_intent = (tracker.latest_message.intent or {}).get("name")
            turn = spoken_turn(collector.messages, speech_rate(tracker))
            return response.json(spoken_response(turn, ends_session(latest_intent)))

        return alexa_webhook
