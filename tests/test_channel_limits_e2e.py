"""End-to-end: the rate limit on the smart speaker and the speech channel, and the web chat's
history while the conversation store is down, against a real Rasa server of their own.

That server allows ``LIMIT`` messages per sender (the shared one keeps the default 30, which
other tests rely on), and keeps conversations in ``DurableSQLTrackerStore`` on an SQLite file in
a folder the outage tests move away and back: a real store failure, as when PostgreSQL is down.
"""

from __future__ import annotations

import hashlib
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
import requests

from channels.limits import SPEAK_CLIPS_PER_MESSAGE
from stores.tracker_store import OUTAGE_MESSAGE
from tests import alexa_fixtures as fx
from tests.browser import WEBCHAT_PATH, chromium_available, launch
from tests.servers import (
    ALEXA_TEST_ENV,
    MODEL,
    TEST_SKILL_ID,
    Assistant,
    environment_for_mail,
)
from tests.speech_audio import said, wav

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: run `make train`"),
]

LIMIT = 3  # messages per sender per window on this module's server
WINDOW = 300  # seconds: longer than these tests take even on a busy machine
SILENCE = wav(np.zeros(16000, dtype="<i2"))  # a second of it: the quickest request to answer
STORE_DOWN_SAYS = "Your saved conversation can't be shown right now. Please reload in a minute."


@dataclass
class LimitedAssistant(Assistant):
    """The assistant with a low rate limit and a store that fails closed, in its own folder."""

    @property
    def store_folder(self) -> Path:
        return self.workdir / "store"

    def endpoints_file(self) -> Path:
        self.store_folder.mkdir(exist_ok=True)
        path = self.workdir / "endpoints.yml"
        path.write_text(
            f'action_endpoint:\n  url: "http://127.0.0.1:{self.action_port}/webhook"\n'
            "tracker_store:\n  type: stores.tracker_store.DurableSQLTrackerStore\n"
            f'  dialect: "sqlite"\n  db: "{self.store_folder / "tracker.db"}"\n'
            "lock_store:\n  type: in_memory\n"
        )
        return path

    def log(self) -> str:
        return (self.workdir / "rasa.log").read_text(errors="replace")


@pytest.fixture(scope="module")
def limited(tmp_path_factory) -> Iterator[LimitedAssistant]:
    workdir = tmp_path_factory.mktemp("limited")
    env = {
        **environment_for_mail(None, workdir / "outbox"),
        **ALEXA_TEST_ENV,
        "RATE_LIMIT_MESSAGES": str(LIMIT),
        "RATE_LIMIT_SECONDS": str(WINDOW),
    }
    bot = LimitedAssistant(workdir, env).start()
    yield bot
    bot.stop()


class StoreDown:
    """The conversation store's folder moved away (the database can't be opened), then back."""

    def __init__(self, assistant: LimitedAssistant) -> None:
        self.folder = assistant.store_folder
        self.away = self.folder.with_name("store-away")

    def __enter__(self) -> StoreDown:
        self.folder.rename(self.away)
        return self

    def __exit__(self, *_: Any) -> None:
        self.away.rename(self.folder)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def speak_to(assistant: Assistant, sender: str, body: bytes) -> requests.Response:
    return requests.post(
        f"{assistant.url}/webhooks/voice/webhook",
        params={"sender": sender},
        data=body,
        headers={"Content-Type": "audio/wav"},
        timeout=120,
    )


def history(assistant: Assistant, session_id: str, view: str = "conversation") -> requests.Response:
    return requests.get(
        f"{assistant.url}/webhooks/webchat/{view}", params={"session_id": session_id}, timeout=30
    )


def assert_waits(response: requests.Response) -> None:
    """A 429 that says how long to wait, in the header and in words."""
    assert response.status_code == 429, response.text
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= WINDOW
    assert f"wait {seconds} seconds" in response.json()["error"]


# --- The speech channel ----------------------------------------------------------------------


def test_the_speech_channel_makes_a_fast_sender_wait_and_answers_others(limited):
    me = new_id("voice")
    for _ in range(LIMIT):
        assert speak_to(limited, me, SILENCE).status_code == 200
    assert_waits(speak_to(limited, me, SILENCE))
    # Someone else is heard and answered meanwhile.
    other = speak_to(limited, new_id("voice"), said("what is tamoxifen"))
    assert other.status_code == 200, other.text
    assert "estrogen" in other.json()["text"].lower()
    log = limited.log()
    assert "Refused a speech request: over the sender's rate limit." in log
    assert me not in log


def test_typed_and_spoken_messages_of_one_conversation_count_together(limited):
    me = new_id("both")
    for _ in range(LIMIT):
        assert limited.say(me, "/greet")
    assert_waits(speak_to(limited, me, SILENCE))


def test_read_aloud_makes_a_fast_client_wait(limited):
    url = f"{limited.url}/webhooks/voice/speak"
    for _ in range(LIMIT * SPEAK_CLIPS_PER_MESSAGE):
        clip = requests.post(url, json={"text": "Hello.", "rate": 100}, timeout=60)
        assert clip.status_code == 200 and clip.content[:4] == b"RIFF"
    assert_waits(requests.post(url, json={"text": "Hello."}, timeout=60))
    # No proxy is configured, so a client can't pass for another by naming one.
    forged = {"X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9"}
    assert_waits(requests.post(url, json={"text": "Hello."}, headers=forged, timeout=60))


# --- The smart speaker -----------------------------------------------------------------------


def spoken(ssml: str) -> str:
    return " ".join(" ".join(ET.fromstring(ssml).itertext()).split())


def alexa_sender(user: str) -> str:
    """The conversation key the channel uses for an Amazon user (see alexa_request.sender_id)."""
    return f"alexa-{hashlib.sha256(user.encode()).hexdigest()[:40]}"


def test_the_smart_speaker_asks_a_fast_sender_to_wait_and_takes_nothing_in(limited):
    user, session = f"amzn1.ask.account.{uuid.uuid4().hex}", "amzn1.echo-api.session.limits"
    assert limited.alexa(fx.launch(TEST_SKILL_ID, user, session)).status_code == 200
    for _ in range(LIMIT - 1):
        asked = fx.utterance(TEST_SKILL_ID, user, session, "what is tamoxifen")
        assert limited.alexa(asked).status_code == 200
    before = history(limited, alexa_sender(user)).json()["messages"]
    assert before  # the conversation so far is stored

    over = limited.alexa(fx.utterance(TEST_SKILL_ID, user, session, "what is fulvestrant"))
    assert over.status_code == 200, over.text  # a device that gets an error gives up
    response = over.json()["response"]
    assert "Please wait a moment" in spoken(response["outputSpeech"]["ssml"])
    assert response["shouldEndSession"] is False  # still listening
    after = history(limited, alexa_sender(user)).json()["messages"]
    assert after == before  # nothing taken in, nothing answered
    assert "fulvestrant" not in str(after).lower()

    # Amazon's session end still gets its silent 200, and another person is welcomed.
    ended = limited.alexa(fx.session_ended(TEST_SKILL_ID, user, session))
    assert ended.status_code == 200 and ended.json()["response"] == {}
    other = f"amzn1.ask.account.{uuid.uuid4().hex}"
    welcome = limited.alexa(fx.launch(TEST_SKILL_ID, other, "amzn1.echo-api.session.other"))
    assert "not medical advice" in spoken(welcome.json()["response"]["outputSpeech"]["ssml"])


# --- The web chat's history while the store is down ------------------------------------------


@pytest.mark.parametrize("view", ["conversation", "guide"])
def test_the_web_chat_history_says_503_while_the_store_is_down(limited, view):
    me = new_id("history")
    assert "welcome" in limited.text(me, "hello")
    errors_before = limited.log().count(" ERROR ")
    with StoreDown(limited):
        down = history(limited, me, view)
        assert down.status_code == 503, down.text
        assert down.headers["Retry-After"] == "60"
        assert "can't be read right now" in down.json()["error"]
    log = limited.log()
    assert log.count(" ERROR ") == errors_before + 1  # one line for one refused view
    assert me not in log
    # Back up: the conversation was kept.
    up = history(limited, me, view)
    assert up.status_code == 200
    if view == "conversation":
        assert {"from": "user", "text": "hello"} in up.json()["messages"]


def test_speaker_and_speech_say_the_outage_sentence_while_the_store_is_down(limited):
    user = f"amzn1.ask.account.{uuid.uuid4().hex}"
    session = "amzn1.echo-api.session.outage"
    me = new_id("voice-outage")
    assert limited.alexa(fx.launch(TEST_SKILL_ID, user, session)).status_code == 200
    with StoreDown(limited):
        heard = limited.alexa(fx.utterance(TEST_SKILL_ID, user, session, "what is tamoxifen"))
        assert heard.status_code == 200, heard.text  # not a 500 the device reads as "a problem"
        response = heard.json()["response"]
        assert OUTAGE_MESSAGE in spoken(response["outputSpeech"]["ssml"])
        assert response["shouldEndSession"] is False
        answer = speak_to(limited, me, said("what is tamoxifen"))
        assert answer.status_code == 200, answer.text
        assert answer.json()["text"] == OUTAGE_MESSAGE
        assert answer.json()["audio"]  # said out loud too
    # Back: both answer again.
    again = limited.alexa(fx.utterance(TEST_SKILL_ID, user, session, "what is tamoxifen"))
    assert "estrogen" in spoken(again.json()["response"]["outputSpeech"]["ssml"]).lower()
    assert "estrogen" in speak_to(limited, me, said("what is tamoxifen")).json()["text"].lower()


@pytest.mark.skipif(not chromium_available(), reason="needs chromium (Debian: apt-get chromium)")
def test_the_page_says_the_saved_conversation_cant_be_shown_yet(limited):
    playwright_api = pytest.importorskip("playwright.sync_api")
    me = new_id("page")
    assert "welcome" in limited.text(me, "hello")
    with playwright_api.sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            page.add_init_script(f"localStorage.setItem('mbc.session_id', '{me}')")
            with StoreDown(limited):
                page.goto(f"{limited.url}{WEBCHAT_PATH}")
                playwright_api.expect(page.locator("#status")).to_have_text(
                    STORE_DOWN_SAYS, timeout=30_000
                )
                # The page could not read the old messages, so it draws none of them.
                assert page.locator("#transcript li.message.from-user").count() == 0
        finally:
            browser.close()
