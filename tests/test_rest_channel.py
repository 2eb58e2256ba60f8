"""The REST channel's checks without a server: body shapes, the size limit and the rate limit."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.limits import (
    DEFAULT_RATE_LIMIT,
    DEFAULT_RATE_WINDOW,
    MAX_MESSAGE_CHARS,
    RateSettings,
    SlidingWindowLimiter,
    retry_after_header,
)
from channels.rest_request import MAX_BODY_BYTES, RestRefusal, read_rest_body
from channels.socketio_session import MAX_MESSAGE_CHARS as SOCKETIO_MAX

QUICK = settings(max_examples=150, deadline=None)


def body(value: object) -> bytes:
    return json.dumps(value).encode()


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"", 400),
        (b"{not json", 400),
        (b"\xff\xfe\x00", 400),
        (b"[" * 50_000, 400),  # deeper than the JSON parser's stack
        (body([]), 400),
        (body(None), 400),
        (body("hi"), 400),
        (body(42), 400),
        (body({}), 400),
        (body({"message": "hi"}), 400),
        (body({"sender": "me"}), 400),
        (body({"sender": 42, "message": "hi"}), 400),
        (body({"sender": None, "message": "hi"}), 400),
        (body({"sender": "me", "message": None}), 400),
        (body({"sender": "me", "message": ["hi"]}), 400),
        (body({"sender": "me", "message": {"text": "hi"}}), 400),
        (body({"sender": "", "message": "hi"}), 400),
        (body({"sender": "a b", "message": "hi"}), 400),
        (body({"sender": "../etc/passwd", "message": "hi"}), 400),
        (body({"sender": "x" * 129, "message": "hi"}), 400),
        (body({"sender": "me", "message": "hi", "metadata": "x"}), 400),
        (body({"sender": "me", "message": "hi", "metadata": [1]}), 400),
        (body({"sender": "me", "message": "hi", "input_channel": 5}), 400),
        (body({"sender": "me", "message": "hi", "input_channel": "a b"}), 400),
        (b'{"sender": "me", "message": "\\ud800"}', 400),
        (body({"sender": "me", "message": "x" * (MAX_MESSAGE_CHARS + 1)}), 413),
        (b" " * (MAX_BODY_BYTES + 1), 413),
    ],
    ids=lambda value: repr(value)[:40] if isinstance(value, bytes) else str(value),
)
def test_bad_bodies_are_refused_with_a_reason(raw: bytes, status: int) -> None:
    with pytest.raises(RestRefusal) as refused:
        read_rest_body(raw)
    assert refused.value.status == status
    assert refused.value.reason


def test_a_good_body_is_read_with_its_metadata() -> None:
    message = read_rest_body(
        body({"sender": "jo@x.org", "message": "hi", "metadata": {"a": 1}, "input_channel": "web"})
    )
    assert (message.sender, message.text, message.metadata) == ("jo@x.org", "hi", {"a": 1})
    assert message.input_channel == "web"


def test_the_limit_is_the_same_on_every_text_channel() -> None:
    assert SOCKETIO_MAX == MAX_MESSAGE_CHARS
    text = "é" * MAX_MESSAGE_CHARS  # characters, not bytes
    assert read_rest_body(body({"sender": "me", "message": text})).text == text


def test_a_refusal_never_quotes_the_message() -> None:
    secret = "my tumour is ER positive " * 200
    with pytest.raises(RestRefusal) as refused:
        read_rest_body(body({"sender": "me", "message": secret, "metadata": "x"}))
    assert "tumour" not in refused.value.reason


@given(st.binary(max_size=400))
@QUICK
def test_any_bytes_are_read_or_refused_with_a_4xx(raw: bytes) -> None:
    try:
        read_rest_body(raw)
    except RestRefusal as refusal:
        assert 400 <= refusal.status < 500


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids),
    max_leaves=10,
)


@given(
    st.dictionaries(
        st.sampled_from(["sender", "message", "metadata", "input_channel", "stream"]), _json
    )
)
@QUICK
def test_any_json_object_is_read_or_refused_with_a_4xx(value: dict) -> None:
    try:
        message = read_rest_body(body(value))
    except RestRefusal as refusal:
        assert 400 <= refusal.status < 500
    else:
        assert message.text == value["message"] and message.sender == value["sender"]


@given(st.text(max_size=MAX_MESSAGE_CHARS))
@QUICK
def test_every_message_within_the_limit_arrives_unchanged(text: str) -> None:
    assert read_rest_body(body({"sender": "me", "message": text})).text == text


# ---------------------------------------------------------------------------------------------
# The rate limit


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(limit: int = 3, window: float = 60.0) -> tuple[SlidingWindowLimiter, Clock]:
    clock = Clock()
    return SlidingWindowLimiter(RateSettings(limit, window), clock=clock), clock


def test_the_message_after_the_limit_waits_until_the_oldest_leaves_the_window() -> None:
    limits, clock = limiter(limit=3, window=60)
    for _ in range(3):
        assert limits.allow("me") is None
        clock.now += 10
    # Sent at 1000, 1010, 1020; now 1030: the first leaves the window at 1060.
    assert limits.allow("me") == pytest.approx(30)
    assert limits.allow("someone-else") is None
    clock.now = 1060
    assert limits.allow("me") is None


def test_refused_messages_are_not_counted() -> None:
    limits, clock = limiter(limit=1, window=10)
    assert limits.allow("me") is None
    for _ in range(50):
        clock.now += 0.1
        assert limits.allow("me") is not None
    clock.now = 1010
    assert limits.allow("me") is None


def test_quiet_senders_are_forgotten() -> None:
    limits, clock = limiter(limit=2, window=60)
    for number in range(100):
        limits.allow(f"sender-{number}")
    assert limits.tracked() == 100
    clock.now += 61
    limits.allow("new")
    assert limits.tracked() == 1


def test_a_limit_of_zero_turns_the_check_off() -> None:
    limits, _ = limiter(limit=0)
    assert not limits.enabled
    assert all(limits.allow("me") is None for _ in range(1000))


@given(
    st.integers(1, 5),
    st.floats(1, 100),
    st.lists(st.tuples(st.sampled_from("abc"), st.floats(0, 30)), max_size=60),
)
@QUICK
def test_no_window_ever_holds_more_than_the_limit(
    limit: int, window: float, events: list[tuple[str, float]]
) -> None:
    limits, clock = limiter(limit, window)
    accepted: dict[str, list[float]] = {}
    for sender, pause in events:
        clock.now += pause
        wait = limits.allow(sender)
        if wait is None:
            accepted.setdefault(sender, []).append(clock.now)
        else:
            assert 0 < wait <= window
            # Waiting as told is enough (a microsecond more for float rounding; real clients
            # wait whole seconds, rounded up).
            clock.now += wait + 1e-6
            assert limits.allow(sender) is None
            accepted.setdefault(sender, []).append(clock.now)
    for times in accepted.values():
        for start in times:
            assert sum(start <= t < start + window for t in times) <= limit


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, RateSettings(DEFAULT_RATE_LIMIT, DEFAULT_RATE_WINDOW)),
        ({"RATE_LIMIT_MESSAGES": "5", "RATE_LIMIT_SECONDS": "10"}, RateSettings(5, 10.0)),
        ({"RATE_LIMIT_MESSAGES": "0"}, RateSettings(0, DEFAULT_RATE_WINDOW)),
        ({"RATE_LIMIT_MESSAGES": "lots", "RATE_LIMIT_SECONDS": "-1"}, RateSettings()),
        ({"RATE_LIMIT_MESSAGES": "inf", "RATE_LIMIT_SECONDS": "0"}, RateSettings()),
    ],
)
def test_rate_settings_from_the_environment(env: dict, expected: RateSettings) -> None:
    assert RateSettings.from_env(env) == expected


@pytest.mark.parametrize(("seconds", "header"), [(0.001, "1"), (1.0, "1"), (29.2, "30")])
def test_retry_after_is_whole_seconds_rounded_up(seconds: float, header: str) -> None:
    assert retry_after_header(seconds) == header


def test_the_channel_reads_its_rate_from_the_environment(monkeypatch) -> None:
    from channels.rest_checked import CheckedRestInput

    monkeypatch.setenv("RATE_LIMIT_MESSAGES", "7")
    channel = CheckedRestInput.from_credentials(None)
    assert channel.name() == "rest"
    assert channel.limiter.settings == RateSettings(7, DEFAULT_RATE_WINDOW)
