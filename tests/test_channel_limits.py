"""The limits the smart speaker, the speech channel and the web chat's views add, without Rasa.

One per-sender counter for every channel, the read-aloud allowance, the smart speaker's spoken
"please wait", and the web chat's views answering 503 when the conversation store is really
down (a database port nobody listens on, served by a real Sanic server in this process).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
import sqlalchemy as sa
from rasa.core.agent import Agent
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic

from channels.alexa import AlexaInput
from channels.alexa_request import AlexaSettings, wait_response
from channels.limits import (
    SPEAK_CLIPS_PER_MESSAGE,
    RateSettings,
    shared_limiter,
    speak_settings,
)
from channels.rest_checked import CheckedRestInput
from channels.webchat import STORE_RETRY_SECONDS, WebChatInput
from stores.tracker_store import DurableSQLTrackerStore


def unique_rate() -> RateSettings:
    """Settings no other test uses, so this test's limiter starts with no counts."""
    return RateSettings(limit=2, window=1000 + uuid.uuid4().int % 10_000)


def spoken(ssml: str) -> str:
    return " ".join(" ".join(ET.fromstring(ssml).itertext()).split())


# --- One counter per sender, whatever the channel ---------------------------------------------


def test_a_senders_messages_count_together_on_every_channel():
    rate = unique_rate()
    rest = CheckedRestInput(rate)
    alexa = AlexaInput(AlexaSettings(skill_id="amzn1.ask.skill.test", verify_signature=False), rate)
    assert rest.limiter is alexa.limiter is shared_limiter(rate)
    # Two messages through one channel use up the sender's two; the third is refused on the
    # other channel, and another sender is not affected.
    assert rest.limiter.allow("me") is None and rest.limiter.allow("me") is None
    assert alexa.limiter.allow("me") is not None
    assert alexa.limiter.allow("someone-else") is None


def test_different_settings_never_share_counts():
    first, second = unique_rate(), unique_rate()
    assert shared_limiter(first) is not shared_limiter(second)


@pytest.mark.parametrize(
    ("messages", "clips"),
    [(30, 30 * SPEAK_CLIPS_PER_MESSAGE), (1, SPEAK_CLIPS_PER_MESSAGE), (0, 0)],
)
def test_read_aloud_allows_a_few_clips_per_message_in_the_same_window(messages, clips):
    allowance = speak_settings(RateSettings(limit=messages, window=45.0))
    assert allowance == RateSettings(limit=clips, window=45.0)


# --- The smart speaker's "please wait" ----------------------------------------------------------


def test_the_smart_speakers_wait_is_short_spoken_and_keeps_the_session_open():
    answer = wait_response()
    assert answer["version"] == "1.0"
    response = answer["response"]
    words = spoken(response["outputSpeech"]["ssml"])
    assert "wait a moment" in words and len(words.split()) <= 20
    assert response["shouldEndSession"] is False
    assert spoken(response["reprompt"]["outputSpeech"]["ssml"])


# --- The web chat's views when the conversation store is down ---------------------------------

DOMAIN = Domain.from_dict({"slots": {"guide": {"type": "any", "mappings": []}}})
SESSION = "kept-session-4711"


def closed_port() -> int:
    """A loopback port nobody listens on (bound, read, released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unreachable_database(store: SQLTrackerStore) -> None:
    """Point ``store`` at a PostgreSQL server that is not there: every read fails to connect."""
    store.engine = sa.create_engine(
        f"postgresql://rasa:secret@127.0.0.1:{closed_port()}/rasa",
        pool_pre_ping=True,
        connect_args={"connect_timeout": 2},
    )
    store.sessionmaker = sa.orm.session.sessionmaker(bind=store.engine)


async def saved_store(tmp_path: Path, store_class: type = DurableSQLTrackerStore) -> Any:
    """A store holding one short conversation, so the views have something to show."""
    store = store_class(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))
    await store.save(
        DialogueStateTracker.from_events(SESSION, [UserUttered("hello"), BotUttered("Welcome.")])
    )
    return store


class Views:
    """The web chat channel's routes on a real Sanic server, with a real Agent, in a thread.

    One server for the module: Sanic 21.12 rewrites some of its own code when a server starts,
    and a second start in one process fails.
    """

    def __init__(self) -> None:
        self.app = Sanic(f"webchat_views_{uuid.uuid4().hex}")
        self.app.ctx.agent = Agent()

        async def ignore(_: Any) -> None:
            return None

        self.app.blueprint(WebChatInput().blueprint(ignore), url_prefix="/webhooks/webchat")
        self.port = closed_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="webchat-views", daemon=True)
        self.ready = threading.Event()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            self.app.create_server(
                host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False
            )
        )
        self.loop.run_until_complete(server.startup())
        self.ready.set()
        self.loop.run_forever()
        server.close()
        self.loop.run_until_complete(server.wait_closed())

    def start(self) -> Views:
        self.thread.start()
        assert self.ready.wait(30), "the Sanic server did not start"
        return self

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)

    def use(self, store: Any) -> None:
        """Serve from ``store`` as it is (an Agent wraps any store but ours in a fail-safe)."""
        self.app.ctx.agent.tracker_store = store

    def get(self, view: str, session_id: str) -> requests.Response:
        return requests.get(
            f"http://127.0.0.1:{self.port}/webhooks/webchat/{view}",
            params={"session_id": session_id},
            timeout=30,
        )


@pytest.fixture(scope="module")
def views() -> Iterator[Views]:
    server = Views().start()
    yield server
    server.stop()


def errors_in(caplog: Any) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("view", ["conversation", "guide"])
async def test_the_web_chat_views_answer_503_while_the_database_is_down(
    views: Views, tmp_path: Path, view: str, caplog
):
    store = await saved_store(tmp_path)
    views.use(store)
    up = views.get(view, SESSION)
    assert up.status_code == 200 and up.json()  # the database is up: the conversation is there
    unreachable_database(store)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        down = views.get(view, SESSION)
    assert down.status_code == 503
    assert "can't be read right now" in down.json()["error"]
    assert down.headers["Retry-After"] == str(STORE_RETRY_SECONDS)
    assert down.headers["Cache-Control"] == "no-store"
    # Logged once, with the database's reason, and without the session id.
    errors = errors_in(caplog)
    assert len(errors) == 1 and "Connection refused" in errors[0], errors
    assert SESSION not in caplog.text


async def test_a_plain_sql_store_that_raises_is_a_503_too(views: Views, tmp_path: Path, caplog):
    store = await saved_store(tmp_path, SQLTrackerStore)
    unreachable_database(store)
    views.use(store)
    with caplog.at_level(logging.INFO):
        down = views.get("conversation", SESSION)
    assert down.status_code == 503 and down.json()["error"] and down.headers["Retry-After"]
    errors = errors_in(caplog)
    assert len(errors) == 1 and "Connection refused" in errors[0], errors
    assert SESSION not in caplog.text


async def test_a_bad_session_id_is_still_a_400_while_the_database_is_down(
    views: Views, tmp_path: Path
):
    store = await saved_store(tmp_path)
    unreachable_database(store)
    views.use(store)
    assert views.get("guide", "has spaces").status_code == 400
