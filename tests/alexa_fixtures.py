"""Request envelopes in the format Amazon sends to a custom skill's HTTPS endpoint.

Helpers for tests, no tests here. The shape follows the Alexa Skills Kit "Request and Response
JSON Reference" and "Request Types Reference": ``version``, ``session``, ``context.System`` and
``request``, with an ISO-8601 UTC timestamp ending in ``Z``. ``dialogState`` is left out, as
Amazon does for skills without a dialog model.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from channels.alexa_intents import CATCH_ALL_INTENT, UTTERANCE_SLOT

LOCALE = "en-US"
API_ENDPOINT = "https://api.amazonalexa.com"
DEVICE_ID = "amzn1.ask.device.TESTDEVICE0001"
API_ACCESS_TOKEN = "test-api-access-token"

Envelope = dict[str, Any]
Timestamp = str | datetime | None


def iso_timestamp(when: Timestamp = None) -> str:
    """Amazon's timestamp format, e.g. ``2024-05-01T12:34:56Z`` (UTC, no fraction); now by default.

    A string is passed through unchanged (to send a malformed or old one on purpose); a naive
    datetime is taken as UTC.
    """
    if isinstance(when, str):
        return when
    moment = when or datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def request_id() -> str:
    """A fresh request id in Amazon's style."""
    return f"amzn1.echo-api.request.{uuid.uuid4()}"


def _envelope(
    skill_id: str, user_id: str, session_id: str, new: bool, request: dict[str, Any]
) -> Envelope:
    application = {"applicationId": skill_id}
    user = {"userId": user_id}
    return {
        "version": "1.0",
        "session": {
            "new": new,
            "sessionId": session_id,
            "application": dict(application),
            "attributes": {},
            "user": dict(user),
        },
        "context": {
            "System": {
                "application": dict(application),
                "user": dict(user),
                "device": {
                    "deviceId": DEVICE_ID,
                    "supportedInterfaces": {"AudioPlayer": {}},
                },
                "apiEndpoint": API_ENDPOINT,
                "apiAccessToken": API_ACCESS_TOKEN,
            }
        },
        "request": request,
    }


def _request(request_type: str, timestamp: Timestamp) -> dict[str, Any]:
    return {
        "type": request_type,
        "requestId": request_id(),
        "timestamp": iso_timestamp(timestamp),
        "locale": LOCALE,
    }


def launch(
    skill_id: str, user_id: str, session_id: str, new: bool = True, timestamp: Timestamp = None
) -> Envelope:
    """A ``LaunchRequest``: "Alexa, open treatment guide"."""
    request = _request("LaunchRequest", timestamp)
    request["shouldLinkResultBeReturned"] = False
    return _envelope(skill_id, user_id, session_id, new, request)


def intent(
    skill_id: str,
    user_id: str,
    session_id: str,
    name: str,
    slots: dict[str, str] | None = None,
    new: bool = False,
    timestamp: Timestamp = None,
) -> Envelope:
    """An ``IntentRequest`` for intent ``name``, with the given slot values (name -> words).

    Without ``slots`` the intent carries no ``slots`` key, as for Amazon's built-in intents.
    """
    body: dict[str, Any] = {"name": name, "confirmationStatus": "NONE"}
    if slots is not None:
        body["slots"] = {
            slot: {"name": slot, "value": value, "confirmationStatus": "NONE"}
            for slot, value in slots.items()
        }
    request = _request("IntentRequest", timestamp)
    request["intent"] = body
    return _envelope(skill_id, user_id, session_id, new, request)


def utterance(
    skill_id: str,
    user_id: str,
    session_id: str,
    text: str,
    new: bool = False,
    timestamp: Timestamp = None,
) -> Envelope:
    """Free speech: the catch-all intent with the words in its ``utterance`` slot."""
    return intent(
        skill_id,
        user_id,
        session_id,
        CATCH_ALL_INTENT,
        slots={UTTERANCE_SLOT: text},
        new=new,
        timestamp=timestamp,
    )


def session_ended(
    skill_id: str,
    user_id: str,
    session_id: str,
    reason: str = "USER_INITIATED",
    timestamp: Timestamp = None,
) -> Envelope:
    """A ``SessionEndedRequest``; ``reason`` is USER_INITIATED, ERROR or EXCEEDED_MAX_REPROMPTS.

    With reason ERROR the request carries Amazon's ``error`` object.
    """
    request = _request("SessionEndedRequest", timestamp)
    request["reason"] = reason
    if reason == "ERROR":
        request["error"] = {
            "type": "INVALID_RESPONSE",
            "message": "The response is invalid.",
        }
    return _envelope(skill_id, user_id, session_id, False, request)
