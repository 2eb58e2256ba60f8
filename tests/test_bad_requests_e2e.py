"""End-to-end: malformed requests to every channel of the real server get a 4xx, never a 5xx.

One table of bad requests per channel (REST, the smart speaker, the speech channel and its
read-aloud address, the web chat's views), then a good message that must still be answered;
the REST channel's size and rate limits; and a hypothesis fuzz of JSON bodies against REST and
Alexa. socketio's malformed messages are in test_socketio_e2e.py.
"""

from __future__ import annotations

import json
import string
import uuid
from typing import Any, Callable

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.limits import DEFAULT_RATE_LIMIT, MAX_MESSAGE_CHARS
from tests import alexa_fixtures as fx
from tests.servers import MODEL, TEST_SKILL_ID, Assistant

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: run `make train`"),
]

JSON = {"Content-Type": "application/json"}
# A fuzz example is one real request: a few dozen keep the module near a minute.
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def new_sender() -> str:
    return f"bad-{uuid.uuid4().hex[:10]}"


def still_answers(assistant: Assistant) -> None:
    """After the bad requests, a good message gets a real answer."""
    reply = assistant.text(new_sender(), "hello")
    assert "welcome" in reply, reply


def post(assistant: Assistant, path: str, body: bytes, **kwargs: Any) -> requests.Response:
    headers = kwargs.pop("headers", JSON)
    return requests.post(f"{assistant.url}{path}", data=body, headers=headers, timeout=60, **kwargs)


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def short(value: Any) -> str:
    """A readable test id for a long body."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}...({len(text)})"


# ---------------------------------------------------------------------------------------------
# REST

REST_BAD = [
    (b"", 400),
    (b"{not json", 400),
    (b"\xff\xfe\xfd", 400),
    (b"[" * 50_000, 400),
    (dumps([]), 400),
    (dumps(None), 400),
    (dumps("hello"), 400),
    (dumps({}), 400),
    (dumps({"message": "hello"}), 400),
    (dumps({"sender": "me"}), 400),
    (dumps({"sender": 7, "message": "hello"}), 400),
    (dumps({"sender": ["me"], "message": "hello"}), 400),
    (dumps({"sender": "me", "message": 7}), 400),
    (dumps({"sender": "me", "message": {"text": "hello"}}), 400),
    (dumps({"sender": "has spaces", "message": "hello"}), 400),
    (dumps({"sender": "../../etc/passwd", "message": "hello"}), 400),
    (dumps({"sender": "x" * 129, "message": "hello"}), 400),
    (dumps({"sender": "me", "message": "hello", "metadata": "x"}), 400),
    (dumps({"sender": "me", "message": "hello", "input_channel": ["x"]}), 400),
    (b'{"sender": "me", "message": "\\udc00"}', 400),
    (dumps({"sender": "me", "message": "x" * (MAX_MESSAGE_CHARS + 1)}), 413),
    (b" " * (70 * 1024), 413),
]


@pytest.mark.parametrize(("body", "status"), REST_BAD, ids=[short(b) for b, _ in REST_BAD])
def test_rest_refuses_malformed_bodies(assistant, body: bytes, status: int):
    response = post(assistant, "/webhooks/rest/webhook", body)
    assert response.status_code == status, response.text
    assert response.json()["error"]
    # The streaming variant checks the same way.
    streamed = post(assistant, "/webhooks/rest/webhook?stream=true", body)
    assert streamed.status_code == status


def test_rest_refuses_the_wrong_method_and_content_types(assistant):
    url = f"{assistant.url}/webhooks/rest/webhook"
    assert 400 <= requests.get(url, timeout=10).status_code < 500
    form = requests.post(url, data={"sender": "me", "message": "hi"}, timeout=10)
    assert form.status_code == 400
    still_answers(assistant)


def test_a_message_at_the_limit_is_answered_and_one_more_character_is_not(assistant):
    me = new_sender()
    url = f"{assistant.url}/webhooks/rest/webhook"
    at_limit = requests.post(
        url, json={"sender": me, "message": "x" * MAX_MESSAGE_CHARS}, timeout=60
    )
    assert at_limit.status_code == 200 and at_limit.json()
    over = requests.post(
        url, json={"sender": me, "message": "x" * (MAX_MESSAGE_CHARS + 1)}, timeout=60
    )
    assert over.status_code == 413
    assert str(MAX_MESSAGE_CHARS) in over.json()["error"]


def test_one_sender_over_the_rate_limit_waits_and_others_carry_on(assistant):
    me = new_sender()
    url = f"{assistant.url}/webhooks/rest/webhook"
    # Payload messages skip the NLU model: the limit counts messages, not what they say.
    for _ in range(DEFAULT_RATE_LIMIT):
        assert requests.post(url, json={"sender": me, "message": "/greet"}, timeout=30).ok
    refused = requests.post(url, json={"sender": me, "message": "/greet"}, timeout=30)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    still_answers(assistant)


def test_a_good_message_is_answered_after_all_that(assistant):
    still_answers(assistant)


# ---------------------------------------------------------------------------------------------
# The smart speaker (Alexa)


def _launch() -> dict[str, Any]:
    return fx.launch(TEST_SKILL_ID, f"amzn1.ask.account.{uuid.uuid4().hex}", "session-1")


def _with(path: list[str], value: Any) -> Callable[[], bytes]:
    """A good launch request with one part replaced, made when sent (its timestamp is fresh)."""

    def make() -> bytes:
        envelope = _launch()
        target = envelope
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return dumps(envelope)

    make.__name__ = f"{'.'.join(path)}={short(value)}"
    return make


def _list_slots() -> bytes:
    envelope = fx.intent(TEST_SKILL_ID, "amzn1.ask.account.x", "s", "CatchAllIntent")
    envelope["request"]["intent"]["slots"] = ["not", "an", "object"]
    return dumps(envelope)


ALEXA_BAD = [
    (b"", 400),
    (b"{not json", 400),
    (b"\xff\xfe\xfd", 400),
    (b"[" * 50_000, 400),
    (dumps([]), 400),
    (dumps({}), 400),
    (_with(["request"], []), 400),
    (_with(["request", "type"], 5), 400),
    (_with(["request", "timestamp"], "yesterday"), 400),
    (_with(["request", "timestamp"], "0001-01-01T00:00:00+14:00"), 400),
    (_with(["session"], "x"), 400),
    # An empty application falls back to context.System's, as Amazon sends both: not a 400.
    (_with(["session", "application"], "x"), 400),
    (_with(["session", "user", "userId"], None), 400),
    (_with(["context"], 5), 400),
    (_list_slots, 400),
    (_with(["session", "application", "applicationId"], "amzn1.ask.skill.other"), 403),
    (b" " * (70 * 1024), 413),
]


@pytest.mark.parametrize(
    ("body", "status"),
    ALEXA_BAD,
    ids=[b.__name__ if callable(b) else short(b) for b, _ in ALEXA_BAD],
)
def test_the_smart_speaker_refuses_malformed_requests(assistant, body: Any, status: int):
    response = post(assistant, "/webhooks/alexa/webhook", body() if callable(body) else body)
    assert response.status_code == status, response.text


# ---------------------------------------------------------------------------------------------
# The speech channel and its read-aloud address


def _wav_header(size: int) -> bytes:
    return b"RIFF" + size.to_bytes(4, "little") + b"WAVE"


VOICE_BAD = [
    ("sender=me", b"", 400),
    ("", b"RIFF", 400),
    ("sender=has%20spaces", b"RIFF", 400),
    ("sender=" + "x" * 200, b"RIFF", 400),
    ("sender=me&rate=fast", b"RIFF", 400),
    ("sender=me&rate=1e999", b"RIFF", 400),
    ("sender=me&rate=9999999999999999999999", b"RIFF", 400),
    ("sender=me", b"hello", 415),
    ("sender=me", b'{"message": "hello"}', 415),
    # A chunk size that points past the end of the file (was a RuntimeError: 500).
    ("sender=me", _wav_header(4) + b"\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01", 415),
    ("sender=me", _wav_header(36) + b"fmt \x10\x00\x00\x00" + b"\x00" * 16, 415),
    ("sender=me", b"\x1a\x45\xdf\xa3" + b"\x00" * 64, 415),
    ("sender=me", b"OggS" + b"\xff" * 64, 415),
    ("sender=me", b"\x00\x00\x00\x20ftypisom" + b"\x00" * 64, 415),
]


@pytest.mark.parametrize(
    ("query", "body", "status"), VOICE_BAD, ids=[f"{q[:20]}|{short(b)}" for q, b, _ in VOICE_BAD]
)
def test_the_speech_channel_refuses_malformed_requests(assistant, query, body, status):
    response = post(
        assistant,
        f"/webhooks/voice/webhook?{query}",
        body,
        headers={"Content-Type": "audio/wav"},
    )
    assert response.status_code == status, response.text


SPEAK_BAD = [
    (b"", 400),
    (b"{not json", 400),
    (dumps([]), 400),
    (dumps({"text": 5}), 400),
    (dumps({"text": "   "}), 400),
    (dumps({"text": "hello", "rate": "fast"}), 400),
    (dumps({"text": "hello", "rate": 20}), 400),
    (b'{"text": "hello", "rate": 1e999}', 400),  # infinity: was an OverflowError, a 500
    (b'{"text": "hello", "rate": NaN}', 400),
    (dumps({"text": "x" * 5000}), 413),
]


@pytest.mark.parametrize(("body", "status"), SPEAK_BAD, ids=[short(b) for b, _ in SPEAK_BAD])
def test_read_aloud_refuses_malformed_requests(assistant, body: bytes, status: int):
    response = post(assistant, "/webhooks/voice/speak", body)
    assert response.status_code == status, response.text


# ---------------------------------------------------------------------------------------------
# The web chat's read-only views

BAD_SESSIONS = [
    None,
    "",
    "has spaces",
    "x" * 129,
    "../../etc/passwd",
    "a/b",
    "%00",
    "é",
    "<script>",
    "a\nb",
]


@pytest.mark.parametrize("view", ["conversation", "guide"])
@pytest.mark.parametrize("session_id", BAD_SESSIONS, ids=[repr(s)[:20] for s in BAD_SESSIONS])
def test_the_web_chat_views_refuse_bad_session_ids(assistant, view, session_id):
    params = {} if session_id is None else {"session_id": session_id}
    response = requests.get(f"{assistant.url}/webhooks/webchat/{view}", params=params, timeout=10)
    assert response.status_code == 400, response.text


@pytest.mark.parametrize(
    "path",
    [
        "/webhooks/webchat/static/../../credentials.yml",
        "/webhooks/webchat/static/%2e%2e/%2e%2e/credentials.yml",
        "/webhooks/webchat/static/.hidden",
        "/webhooks/webchat/static/missing.js",
        "/webhooks/webchat/static/",
        "/webhooks/webchat/nothing-here",
    ],
)
def test_the_web_chat_files_outside_its_folder_are_not_found(assistant, path):
    response = requests.get(f"{assistant.url}{path}", timeout=10)
    assert 400 <= response.status_code < 500
    assert "CheckedRestInput" not in response.text  # credentials.yml never comes back


def test_a_session_with_a_valid_but_unknown_id_is_empty_not_an_error(assistant):
    response = requests.get(
        f"{assistant.url}/webhooks/webchat/conversation",
        params={"session_id": new_sender()},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json()["messages"] == []
    still_answers(assistant)


# ---------------------------------------------------------------------------------------------
# Fuzz: any JSON body to REST and Alexa is a 2xx or a 4xx

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=40),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids),
    max_leaves=15,
)
_sender = st.one_of(
    st.text(string.ascii_letters + string.digits + "_.:@-", min_size=1, max_size=20),
    st.text(max_size=20),
    _json,
)


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "sender": _sender,
            "message": st.one_of(st.text(max_size=300), _json),
            "metadata": _json,
            "input_channel": st.one_of(st.sampled_from(["rest", "voice", "webchat"]), _json),
        },
    )
    | _json
)
@FUZZ
def test_fuzzed_json_bodies_never_get_a_5xx_from_rest(assistant, value):
    response = post(assistant, "/webhooks/rest/webhook", dumps(value))
    assert response.status_code < 500, (value, response.text)


def _alexa_parts() -> st.SearchStrategy[dict[str, Any]]:
    """A real request envelope with parts replaced by anything."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        text = draw(st.text(max_size=200))
        envelope = fx.utterance(TEST_SKILL_ID, f"amzn1.ask.account.{uuid.uuid4().hex}", "s", text)
        for path in draw(
            st.lists(
                st.sampled_from(
                    [
                        ("request", "intent", "slots"),
                        ("request", "intent", "name"),
                        ("request", "type"),
                        ("request", "timestamp"),
                        ("session", "new"),
                        ("session", "sessionId"),
                        ("session", "user"),
                        ("context", "System"),
                    ]
                ),
                max_size=2,
            )
        ):
            target = envelope
            for key in path[:-1]:
                target = target.setdefault(key, {}) if isinstance(target, dict) else {}
            if isinstance(target, dict):
                target[path[-1]] = draw(_json)
        return envelope

    return build()


@given(st.one_of(_alexa_parts(), _json))
@FUZZ
def test_fuzzed_json_bodies_never_get_a_5xx_from_the_smart_speaker(assistant, value):
    response = post(assistant, "/webhooks/alexa/webhook", dumps(value))
    assert response.status_code < 500, (value, response.text)


def test_the_server_still_answers_after_the_fuzz(assistant):
    still_answers(assistant)


def test_the_server_logs_hold_no_message_text_and_no_email_address(assistant):
    marker = f"zebra{uuid.uuid4().hex[:12]}"
    address = f"{marker}@example.org"
    me = new_sender()
    assistant.text(me, f"tell me about {marker}")
    assistant.text(me, "save the radiation questions")
    assistant.text(me, "email my guide")
    assert address in assistant.text(me, address)  # read back for a yes or no
    assistant.text(me, "no")
    url = f"{assistant.url}/webhooks/rest/webhook"
    refused = [
        {"sender": me, "message": marker * 500},
        {"sender": me, "message": marker, "metadata": marker},
        {"sender": address, "message": 5},
    ]
    for body in refused:
        assert 400 <= requests.post(url, json=body, timeout=30).status_code < 500
    for log in ("rasa.log", "actions.log"):
        text = (assistant.workdir / log).read_text(errors="replace")
        assert marker not in text, f"{log} holds what the person said"
