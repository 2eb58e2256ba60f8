"""Rasa input channel for offline speech: ``POST /webhooks/voice/webhook?sender=ID``.

A WAV body (or a browser's WebM, Ogg or MP4 recording) in; JSON out with what was heard
(``transcript``), the assistant's ``messages`` (the ``channel: voice`` variants) and the reply
as WAV audio (``audio``, base64). Speech to text and text to speech both run on this machine:
nothing the person says leaves it.

Thin web layer: the audio checks live in ``audio.py``, the models in ``transcriber.py`` and
``synthesizer.py``, and the "Did you mean ...?" logic in ``hearing.py``.

``POST /webhooks/voice/speak`` with ``{"text": ..., "rate": ...}`` reads one message aloud (the web
chat's "Play" button), with the same local voice.

Both are rate limited (``channels/limits.py``), with a 429 and ``Retry-After`` over the limit. The
webhook counts per sender, together with the sender's messages on every other channel. ``/speak``
has no sender, and the sender a body could name would be the client's free choice, so it counts
per client address (as a trusted proxy forwards it when Sanic is told about the proxy with
``SANIC_PROXIES_COUNT`` or ``SANIC_REAL_IP_HEADER``; else the connection's own address), with
``SPEAK_CLIPS_PER_MESSAGE`` clips per message allowed.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import threading
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.content import wording
from actions.environment import settings as environment
from channels.alexa_request import ends_session
from channels.audio import AudioError, read_audio
from channels.hearing import PendingChecks, Step, judge, next_step
from channels.limits import (
    RateSettings,
    SlidingWindowLimiter,
    retry_after_header,
    sender_is_valid,
    shared_limiter,
    speak_settings,
)
from channels.speech import spoken_turn
from channels.speech_settings import SpeechSettings
from channels.synthesizer import make_synthesizer
from channels.transcriber import Transcriber, prompt_for
from channels.voice_output import VoiceOutput, speech_rate
from stores.tracker_store import retrieve_or_none

logger = logging.getLogger(__name__)

# Answers the assistant reads back for a yes or no itself: no "Did you mean ...?" before them.
READ_BACK = frozenset({"email_address"})
# Longest text /speak reads: a long assistant message is about 1,500 characters.
MAX_SPEAK_CHARS = 4000
RATES = range(50, 151)


def rate_from(value: Any) -> int | None:
    """A speech rate in percent from a query or JSON value; None when it is not one."""
    try:
        rate = int(value)
    # OverflowError: JSON's 1e999 arrives as float infinity, which has no integer.
    except (TypeError, ValueError, OverflowError):
        return None
    return rate if rate in RATES else None


def too_many(wait: float, what: str) -> HTTPResponse:
    """429 with ``Retry-After``; the web chat shows the reason in its status line as it is."""
    seconds = retry_after_header(wait)
    return response.json(
        {"error": f"That was too many {what} at once. Please wait {seconds} seconds."},
        status=429,
        headers={"Retry-After": seconds},
    )


def client_address(request: Request) -> str:
    """Who asks, for the read-aloud limit: the client a trusted proxy names, else the peer.

    Sanic reads forwarding headers only when configured to trust a proxy, so a client can't
    pick a fresh address per request by sending its own ``X-Forwarded-For``.
    """
    return request.remote_addr or request.ip


class VoiceInput(InputChannel):
    """Speech in, speech out, all on this machine."""

    @classmethod
    def name(cls) -> str:
        return "voice"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        return cls(SpeechSettings.from_env(credentials), RateSettings.from_env(environment()))

    def __init__(
        self, settings: SpeechSettings | None = None, rate: RateSettings | None = None
    ) -> None:
        self.settings = settings or SpeechSettings.from_env()
        rate = rate or RateSettings()
        self.limiter = shared_limiter(rate)
        # Its own counter: addresses, not senders, and more clips than messages.
        self.speak_limiter = SlidingWindowLimiter(speak_settings(rate))
        self.transcriber = Transcriber(
            self.settings.model_path, self.settings.domain_prompt, self.settings.cpu_threads
        )
        self.synthesizer = make_synthesizer(
            self.settings.tts_engine, self.settings.voice_path, self.settings.voice_config()
        )
        self.pending = PendingChecks()
        self._warming = False
        self._warm = threading.Event()

    @property
    def loaded(self) -> bool:
        """Whether the speech models are loaded."""
        return self._warm.is_set()

    def warm_up(self) -> None:
        """Load both models in the background (once) so the first person doesn't wait for them."""
        if self._warming:
            return
        self._warming = True

        def load() -> None:
            try:
                self.transcriber.load()
                primary = self.synthesizer.primary
                if primary is not None and hasattr(primary, "load"):
                    primary.load()
                self._warm.set()
                logger.info("Speech models loaded; the speech channel is ready.")
            except Exception:  # noqa: BLE001 - a broken model shows on the first request instead
                logger.exception("Could not load the speech models in advance.")

        threading.Thread(target=load, name="speech-warm-up", daemon=True).start()

    def own_turn(self, sender: str, step: Step) -> list[dict[str, Any]]:
        """The channel's own line (a check or a request to say it again) as a message."""
        voice = wording()["voice"]
        if step.say == "did_you_mean":
            # The wording adds its own question mark.
            question = voice["did_you_mean"].format(text=step.checking.rstrip("?.!,"))
            text = f"{question} {voice['did_you_mean_hint']}"
        else:
            text = voice[step.say or "not_caught"]
        return [{"recipient_id": sender, "text": text}]

    async def speak(self, text: str, rate: int) -> bytes | None:
        """The reply as WAV; None when no voice works (the text still goes back)."""
        try:
            return await asyncio.get_running_loop().run_in_executor(
                None, self.synthesizer.speak, text, rate
            )
        except Exception:  # noqa: BLE001 - the words matter more than the sound
            logger.exception("No voice could say the reply; sending the text only.")
            return None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        voice_webhook = Blueprint("voice_webhook", __name__)

        @voice_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            # A speech client checks this before it listens: load the models now, in the
            # background, rather than at server start (where they would slow the first answer
            # of every channel) or on the first utterance (where the person would wait).
            self.warm_up()
            return response.json({"status": "ok", "models_loaded": self.loaded})

        @voice_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            sender = request.args.get("sender", "")
            if not sender_is_valid(sender):
                return response.json(
                    {"error": "Add ?sender=ID to the address (letters, digits, . _ - : @)."},
                    status=400,
                )
            asked_rate = request.args.get("rate")
            if asked_rate is not None and rate_from(asked_rate) is None:
                return response.json(
                    {"error": "The rate must be a whole number from 50 to 150 (percent)."},
                    status=400,
                )
            try:
                clip = read_audio(request.body)
            except AudioError as error:
                logger.info("Refused a speech request: %s", error.reason)
                return response.json({"error": error.reason}, status=error.status)
            # Counted like a REST message: once the request is one the assistant would answer
            # (malformed ones are refused above, uncounted), before any speech model runs.
            wait = self.limiter.allow(sender)
            if wait is not None:
                logger.info("Refused a speech request: over the sender's rate limit.")
                return too_many(wait, "messages")

            loop = asyncio.get_running_loop()
            store = request.app.ctx.agent.tracker_store
            # A store that is down: heard without context, then the turn says so (not a 500).
            before = await retrieve_or_none(store, sender)
            waiting_for = before.get_slot("pending") if before is not None else None
            prompt = prompt_for(waiting_for) if self.settings.domain_prompt else False
            transcript = await loop.run_in_executor(
                None, self.transcriber.transcribe, clip.samples, prompt
            )
            hearing = judge(transcript, self.settings.min_logprob, waiting_for in READ_BACK)
            step = next_step(sender, hearing, self.pending)

            if step.send is None:
                messages = self.own_turn(sender, step)
            else:
                collector = VoiceOutput()
                await on_new_message(
                    UserMessage(
                        step.send,
                        collector,
                        sender,
                        input_channel=self.name(),
                        metadata={"speech_confidence": transcript.confidence},
                    )
                )
                messages = collector.messages
            tracker = await retrieve_or_none(store, sender)
            # A page's own speed setting wins over the conversation's "slower"/"faster".
            rate = rate_from(asked_rate) or speech_rate(tracker)
            ending = False
            if step.send is not None and tracker is not None:
                ending = ends_session((tracker.latest_message.intent or {}).get("name"))
            turn = spoken_turn(messages, rate)
            audio = await self.speak(turn.text, rate)
            return response.json(
                {
                    "sender": sender,
                    "transcript": transcript.text,
                    "confidence": transcript.confidence,
                    "understood_as": step.send,
                    "checking": step.checking or None,
                    "messages": messages,
                    "text": turn.text,
                    "audio": base64.b64encode(audio).decode("ascii") if audio else None,
                    "audio_format": "audio/wav" if audio else None,
                    "voice": self.synthesizer.last_used,
                    "end": ending,
                }
            )

        @voice_webhook.route("/speak", methods=["POST"])
        async def speak(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:  # noqa: BLE001 - Sanic raises its own error types for bad JSON
                body = None
            if not isinstance(body, dict) or not isinstance(body.get("text"), str):
                return response.json(
                    {"error": 'Send JSON like {"text": "words to say", "rate": 100}.'}, status=400
                )
            text = body["text"].strip()
            if not text:
                return response.json({"error": "There is no text to say."}, status=400)
            if len(text) > MAX_SPEAK_CHARS:
                return response.json(
                    {"error": f"The text is too long; send at most {MAX_SPEAK_CHARS} characters."},
                    status=413,
                )
            rate = rate_from(body.get("rate", 100))
            if rate is None:
                return response.json(
                    {"error": "The rate must be a whole number from 50 to 150 (percent)."},
                    status=400,
                )
            wait = self.speak_limiter.allow(client_address(request))
            if wait is not None:
                logger.info("Refused a read-aloud request: over the client's rate limit.")
                return too_many(wait, "read-aloud requests")
            self.warm_up()
            audio = await self.speak(text, rate)
            if audio is None:
                return response.json({"error": "No voice could say this just now."}, status=503)
            return response.raw(audio, content_type="audio/wav")

        return voice_webhook
