"""End-to-end: the socketio channel the web chat uses, with a real socket.io client.

What a page would notice: its replies arrive, a second tab (or a reload) that asks for the same
session hears the same conversation, and a malformed message gets nothing back but breaks
nothing for the next one.
"""

from __future__ import annotations

import queue
import time
import uuid
from typing import Any

import pytest

from channels.limits import DEFAULT_RATE_LIMIT, DEFAULT_RATE_WINDOW
from channels.socketio_session import (
    MAX_MESSAGE_CHARS,
    RATE_LIMITED_EVENT,
    message_problem,
    session_id_from,
)
from tests.servers import MODEL

socketio = pytest.importorskip("socketio")

WAIT = 30  # seconds: one turn of the real servers on a busy 2-core machine


class Page:
    """One socket.io connection that keeps a session, as the web chat page does."""

    def __init__(self, url: str, session_id: str) -> None:
        self.replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self.confirmed: queue.Queue[str] = queue.Queue()
        self.session_id = session_id
        self.client = socketio.Client(reconnection=False)
        self.client.on("bot_uttered", self.replies.put)
        self.client.on("session_confirm", self.confirmed.put)
        self.limited: queue.Queue[dict[str, Any]] = queue.Queue()
        self.client.on(RATE_LIMITED_EVENT, self.limited.put)
        self.client.connect(url, transports=["polling"], socketio_path="socket.io")
        self.client.emit("session_request", {"session_id": session_id})
        assert self.confirmed.get(timeout=WAIT) == session_id

    def say(self, text: str) -> None:
        self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})

    def next_reply(self) -> str:
        return self.replies.get(timeout=WAIT).get("text", "")

    def close(self) -> None:
        self.client.disconnect()


@pytest.mark.e2e
@pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: run `make train`")
def test_replies_reach_every_page_of_the_session(assistant):
    session_id = f"socket-{uuid.uuid4().hex[:12]}"
    first = Page(assistant.url, session_id)
    second = Page(assistant.url, session_id)
    try:
        first.say("hello")
        assert "welcome" in first.next_reply().lower()
        # The other tab of the same conversation hears the same answer.
        assert "welcome" in second.next_reply().lower()
    finally:
        first.close()
        second.close()


@pytest.mark.e2e
@pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: run `make train`")
def test_malformed_messages_are_ignored_and_the_session_carries_on(assistant):
    page = Page(assistant.url, f"socket-{uuid.uuid4().hex[:12]}")
    try:
        page.client.emit("user_uttered", "not an object")
        page.client.emit("user_uttered")  # no payload at all
        page.client.emit("user_uttered", {"message": ["a", "list"], "session_id": page.session_id})
        page.client.emit("user_uttered", {"message": "hello"})
        page.client.emit("user_uttered", {"message": "x" * 5000, "session_id": page.session_id})
        # None of them is answered (an over-long message would otherwise get a fallback)...
        with pytest.raises(queue.Empty):
            page.replies.get(timeout=5)
        # ...and the same connection still has its conversation.
        page.say("hello")
        assert "welcome" in page.next_reply().lower()
    finally:
        page.close()


def test_a_page_keeps_its_own_session_id_or_gets_a_new_one():
    assert session_id_from({"session_id": "abc-123"}) == "abc-123"
    for asked in (None, {}, {"session_id": None}, {"session_id": "<script>"}, "abc", []):
        new = session_id_from(asked)
        assert len(new) == 32 and new != session_id_from(asked)


def test_message_problems_are_named_without_quoting_the_message():
    good = {"message": "hello", "session_id": "abc"}
    assert message_problem(good) is None
    assert message_problem({"message": "hi"}, needs_session=False) is None
    secret = "my email is jane@example.com"
    cases = [
        "text",
        {"message": secret},
        {"message": "", "session_id": "abc"},
        {"message": 3, "session_id": "abc"},
        {"message": secret * 200, "session_id": "abc"},
        {"message": secret, "session_id": "abc", "metadata": "x"},
    ]
    for data in cases:
        problem = message_problem(data)
        assert problem and "jane" not in problem
    assert str(MAX_MESSAGE_CHARS) in message_problem({"message": "x" * 5000, "session_id": "a"})


@pytest.mark.e2e
@pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: run `make train`")
@pytest.mark.parametrize(
    "request_data",
    [
        None,
        "text",
        ["a", "list"],
        {"session_id": 5},
        {"session_id": "has spaces"},
        {"session_id": "x" * 200},
        {"session_id": "../etc"},
    ],
    ids=["none", "text", "list", "number", "spaces", "long", "path"],
)
def test_an_unusable_session_request_gets_a_fresh_session(assistant, request_data):
    client = socketio.Client(reconnection=False)
    confirmed: queue.Queue[str] = queue.Queue()
    client.on("session_confirm", confirmed.put)
    client.connect(assistant.url, transports=["polling"], socketio_path="socket.io")
    try:
        client.emit("session_request", request_data)
        session_id = confirmed.get(timeout=WAIT)
        assert len(session_id) == 32 and int(session_id, 16) >= 0  # a new uuid4 hex
    finally:
        client.disconnect()


@pytest.mark.e2e
@pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: run `make train`")
def test_a_flood_from_one_session_is_refused_and_others_carry_on(assistant):
    flood = Page(assistant.url, f"socket-{uuid.uuid4().hex[:12]}")
    other = Page(assistant.url, f"socket-{uuid.uuid4().hex[:12]}")
    try:
        for _ in range(DEFAULT_RATE_LIMIT + 1):
            flood.say("hello")
            # Spaced a little: over HTTP polling the client would otherwise pack them into one
            # request, more packets than engine.io takes at once (a browser uses a WebSocket).
            time.sleep(0.1)
        # The page is told to wait, and for how long.
        refused = flood.limited.get(timeout=WAIT)
        assert 1 <= refused["retry_after"] <= DEFAULT_RATE_WINDOW
        assert flood.limited.empty()
        # Another conversation is not slowed down by it.
        other.say("hello")
        assert "welcome" in other.next_reply().lower()
    finally:
        flood.close()
        other.close()
