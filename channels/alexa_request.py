"""Alexa Skills Kit custom-skill requests and responses (plain module, no Rasa imports).

Reads Amazon's request JSON into what the assistant needs, decides which messages a request
means, and builds the response JSON. The web layer is ``channels/alexa.py``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from actions.content import wording
from actions.environment import settings as environment
from channels.alexa_intents import (
    BUILT_IN_INTENTS,
    CATCH_ALL_INTENT,
    ENDING_INTENTS,
    UTTERANCE_SLOT,
)
from channels.speech import SpokenTurn, spoken_turn

MAX_BODY_BYTES = 64 * 1024  # Alexa requests are a few kilobytes
MAX_UTTERANCE_CHARS = 1000
SESSION_START = "/session_start"
SPEAKING_REQUESTS = frozenset({"LaunchRequest", "IntentRequest"})


class RequestError(Exception):
    """A request the skill refuses, with the HTTP status to answer and a short reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class AlexaSettings:
    """The channel's configuration: which skill may call it and whether signatures are checked."""

    skill_id: str = ""
    verify_signature: bool = True

    @classmethod
    def from_env(cls, credentials: Mapping[str, Any] | None = None) -> AlexaSettings:
        """Read ``ALEXA_SKILL_ID`` and ``ALEXA_VERIFY_SIGNATURE`` (credentials.yml may override)."""
        credentials = credentials or {}
        environ = environment()
        skill_id = str(credentials.get("skill_id") or environ.get("ALEXA_SKILL_ID", "")).strip()
        raw = credentials.get("verify_signature")
        if raw is None:
            raw = environ.get("ALEXA_VERIFY_SIGNATURE", "true")
        # Anything but an explicit "off" keeps the check on: failing closed is the safe default.
        verify = str(raw).strip().lower() not in ("false", "0", "no", "off")
        return cls(skill_id=skill_id, verify_signature=verify)


@dataclass(frozen=True)
class AlexaRequest:
    """The parts of an Alexa request envelope the assistant uses."""

    request_type: str
    application_id: str
    user_id: str
    session_id: str
    new_session: bool
    timestamp: str
    intent_name: str = ""
    slots: dict[str, str] = field(default_factory=dict)


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RequestError(400, f"{where} must be a JSON object")
    return value


def _text(value: Any, where: str, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise RequestError(400, f"{where} must be a non-empty string")
    return value


def parse_request(body: bytes) -> AlexaRequest:
    """Read and check the shape of a request body; raises RequestError (400) when malformed."""
    if not body:
        raise RequestError(400, "empty body")
    if len(body) > MAX_BODY_BYTES:
        raise RequestError(413, "request body too large")
    try:
        envelope = json.loads(body)
    # RecursionError: "[[[[..." nested thousands deep exhausts the parser's stack.
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise RequestError(400, "body is not valid JSON") from None
    envelope = _object(envelope, "the body")
    request = _object(envelope.get("request"), "request")
    context = envelope.get("context")
    system = _object(context, "context").get("System") if context is not None else None
    session = envelope.get("session")
    session = _object(session, "session") if session is not None else {}
    system = _object(system, "context.System") if system is not None else {}

    application = session.get("application") or system.get("application") or {}
    user = session.get("user") or system.get("user") or {}
    application_id = _text(
        _object(application, "application").get("applicationId"), "applicationId"
    )
    user_id = _text(_object(user, "user").get("userId"), "userId")
    request_type = _text(request.get("type"), "request.type")
    timestamp = _text(request.get("timestamp"), "request.timestamp")
    session_id = _text(session.get("sessionId"), "session.sessionId", required=False)
    new_session = session.get("new") is True

    intent_name, slots = "", {}
    if request_type == "IntentRequest":
        intent = _object(request.get("intent"), "request.intent")
        intent_name = _text(intent.get("name"), "request.intent.name")
        raw_slots = intent.get("slots") or {}
        for name, slot in _object(raw_slots, "request.intent.slots").items():
            value = _object(slot, f"slot {name}").get("value")
            if value is not None:
                slots[str(name)] = _text(value, f"slot {name} value", required=False)
    return AlexaRequest(
        request_type=request_type,
        application_id=application_id,
        user_id=user_id,
        session_id=session_id,
        new_session=new_session,
        timestamp=timestamp,
        intent_name=intent_name,
        slots=slots,
    )


def check_application(request: AlexaRequest, settings: AlexaSettings) -> None:
    """Only the configured skill may use the channel (403 otherwise, and when none is set)."""
    if not settings.skill_id:
        raise RequestError(403, "ALEXA_SKILL_ID is not set on this server")
    if request.application_id != settings.skill_id:
        raise RequestError(403, "this skill is not allowed to use this server")


def sender_id(request: AlexaRequest) -> str:
    """The conversation key: one conversation per Alexa user, so the profile and guide persist.

    Each new Alexa session starts a new Rasa session in that conversation (see ``messages_for``).
    The Amazon user id is hashed so the tracker store holds no Amazon identifier.
    """
    digest = hashlib.sha256(request.user_id.encode("utf-8")).hexdigest()[:40]
    return f"alexa-{digest}"


def user_text(request: AlexaRequest) -> str | None:
    """What the person said, as a message for the assistant's NLU (None if nothing to send)."""
    if request.request_type != "IntentRequest":
        return None
    if request.intent_name == CATCH_ALL_INTENT:
        return request.slots.get(UTTERANCE_SLOT, "")[:MAX_UTTERANCE_CHARS]
    intent = BUILT_IN_INTENTS.get(request.intent_name)
    return f"/{intent}" if intent else "/out_of_scope"


def messages_for(request: AlexaRequest) -> list[str]:
    """The messages a request sends to the assistant, in order.

    A launch, or the first request of a new session, starts a session (the disclaimer is said).
    Nothing is sent for SessionEndedRequest and other system requests.
    """
    if request.request_type not in SPEAKING_REQUESTS:
        return []
    messages = []
    if request.request_type == "LaunchRequest" or request.new_session:
        messages.append(SESSION_START)
    text = user_text(request)
    if text is not None:
        messages.append(text)
    return messages


def ends_session(latest_intent: str | None) -> bool:
    """Stop, cancel and goodbye (said any way) close the skill; everything else keeps listening."""
    return latest_intent in ENDING_INTENTS


def silent_response() -> dict[str, Any]:
    """The answer to SessionEndedRequest and system requests: 200 with no speech."""
    return {"version": "1.0", "response": {}}


def wait_response() -> dict[str, Any]:
    """The answer over the rate limit: "please wait a moment", said, with the session kept open.

    Said at the normal pace: reading the person's own pace would mean a database read for a
    request that is refused to spare the server work.
    """
    turn = spoken_turn([{"text": wording()["voice"]["wait_a_moment"]}])
    return spoken_response(turn, end_session=False)


def spoken_response(turn: SpokenTurn, end_session: bool) -> dict[str, Any]:
    """A custom-skill response: SSML speech, a simple card, and a reprompt unless ending."""
    response: dict[str, Any] = {
        "outputSpeech": {"type": "SSML", "ssml": turn.ssml},
        "card": {
            "type": "Simple",
            "title": wording()["voice"]["card_title"],
            "content": turn.text[:7900],
        },
        "shouldEndSession": bool(end_session),
    }
    if not end_session:
        response["reprompt"] = {"outputSpeech": {"type": "SSML", "ssml": turn.reprompt_ssml}}
    return {"version": "1.0", "sessionAttributes": {}, "response": response}
