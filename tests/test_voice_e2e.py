"""End-to-end: speech made at test time, sent as WAV to the real servers' speech channel.

Phrases are spoken by the Piper voice and, for the harder cases, by espeak-ng's robotic voice;
the real Rasa server hears them with Whisper and answers with audio.
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

import numpy as np
import pytest
import requests

from channels.audio import read_wav
from tests.servers import MODEL, Assistant
from tests.speech_audio import recording, said, tone, wav

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: run `make train`"),
]


class Talker:
    """One person talking to the speech channel."""

    def __init__(self, assistant: Assistant, voice: str = "piper") -> None:
        self.assistant = assistant
        self.voice = voice
        self.sender = f"voice-test-{uuid.uuid4().hex[:12]}"
        self.last: dict[str, Any] = {}

    def post(self, body: bytes, sender: str | None = None) -> requests.Response:
        return requests.post(
            f"{self.assistant.url}/webhooks/voice/webhook",
            params={"sender": sender if sender is not None else self.sender},
            data=body,
            headers={"Content-Type": "audio/wav"},
            timeout=60,
        )

    def say(self, text: str, voice: str | None = None) -> str:
        """Say ``text`` aloud; returns what the assistant said back, as text."""
        response = self.post(said(text, voice or self.voice))
        assert response.status_code == 200, response.text
        self.last = response.json()
        return self.last["text"]

    @property
    def reply_seconds(self) -> float:
        return read_wav(base64.b64decode(self.last["audio"])).seconds


def test_a_drug_question_is_heard_answered_and_spoken(assistant):
    person = Talker(assistant)
    words = person.say("what is tamoxifen")
    assert "tamoxifen" in person.last["transcript"].lower()
    assert "estrogen" in words.lower()
    assert person.last["audio_format"] == "audio/wav" and person.last["voice"] == "piper"
    # The spoken reply is as long as its words need: about 2 to 3 words a second.
    assert 1.5 < person.reply_seconds
    assert len(words.split()) / person.reply_seconds < 4
    assert person.last["end"] is False


def test_a_whole_profile_by_voice(assistant):
    person = Talker(assistant)
    assert "hormone receptor" in person.say("find my options").lower()
    assert "HER2" in person.say("I am e r positive")
    assert "er-positive" in person.last["transcript"].lower()
    assert "menopause" in person.say("her two negative")
    assert "hormone therapy before" in person.say("yes I have been through menopause")
    assert "spread" in person.say("no")
    words = person.say("it spread to my bones")
    assert "Hormone therapy" in words
    assert "aromatase inhibitors" in words and "toremifene" in words  # past menopause, no HT yet
    assert "Say more" in words  # three at a time by voice


def test_the_harder_robotic_voice_is_understood_too(assistant):
    person = Talker(assistant, voice="espeak")
    assert "hormone receptor" in person.say("find my options").lower()
    assert "HER2" in person.say("my cancer is e r positive and p r negative")
    assert "menopause" in person.say("her two negative")
    assert "her2-negative" in person.last["transcript"].lower()


def test_a_misheard_drug_name_is_checked_before_acting(assistant):
    # espeak-ng's "fulvestrant" is heard as "volvestrant": close to a drug name, but not one.
    person = Talker(assistant, voice="espeak")
    words = person.say("what is fulvestrant")
    assert "volvestrant" in person.last["transcript"].lower()
    checked = person.last["checking"]
    assert "fulvestrant" in checked
    assert words == f"Did you mean: {checked.rstrip('?')}? Say yes or no."
    assert person.last["understood_as"] is None  # nothing reached the assistant yet
    answer = person.say("yes")
    assert person.last["understood_as"] == checked
    assert "hormone therapy" in answer.lower()


def test_no_to_a_check_asks_to_say_it_again(assistant):
    person = Talker(assistant, voice="espeak")
    person.say("what is fulvestrant")
    assert person.last["checking"]
    assert "say it again" in person.say("no").lower()
    assert person.last["understood_as"] is None


def test_a_spoken_email_address_is_read_back_then_the_guide_arrives(assistant, smtp):
    _, catcher = smtp
    before = len(catcher.messages)
    person = Talker(assistant)
    person.say("save the hormone therapy questions")
    assert "email" in person.say("email my guide").lower()
    words = person.say("sam dot rivera at example dot org")
    assert "s a m dot r i v e r a at example dot org" in words
    person.say("yes")
    messages = catcher.wait_for(before + 1)
    assert len(messages) == before + 1
    assert messages[-1][1] == ["sam.rivera@example.org"]


def test_silence_gets_a_please_say_it_again(assistant):
    person = Talker(assistant)
    response = person.post(wav(np.zeros(16000 * 2, dtype="<i2")))
    assert response.status_code == 200
    body = response.json()
    assert "didn't catch" in body["text"] and body["understood_as"] is None
    assert read_wav(base64.b64decode(body["audio"])).seconds > 1


def test_stop_ends_the_hands_free_session(assistant):
    person = Talker(assistant)
    person.say("what is tamoxifen")
    person.say("stop", voice="espeak")
    assert person.last["end"] is True


@pytest.mark.parametrize(
    "body, status",
    [
        (b"", 400),
        (b'{"message": "hello"}', 415),
        (b"hello there", 415),
        (b"RIFF\x24\x00\x00\x00WAVEfmt broken", 415),
        (wav(np.zeros(16000 * 61, dtype="<i2")), 413),
        (wav(tone(1.0, 8000).astype(np.uint8), 8000, width=1), 415),
    ],
)
def test_bodies_that_are_not_usable_audio_get_a_clear_4xx(assistant, body, status):
    response = Talker(assistant).post(body)
    assert response.status_code == status
    assert response.json()["error"]


@pytest.mark.parametrize("sender", ["", "has spaces", "x" * 200])
def test_a_missing_or_odd_sender_is_a_400(assistant, sender):
    response = Talker(assistant).post(said("hello"), sender=sender)
    assert response.status_code == 400
    assert "sender" in response.json()["error"]


def test_the_health_check_loads_the_models_in_the_background(assistant):
    health = f"{assistant.url}/webhooks/voice/"
    assert requests.get(health, timeout=10).json()["status"] == "ok"
    deadline = time.monotonic() + 60
    while not requests.get(health, timeout=10).json()["models_loaded"]:
        assert time.monotonic() < deadline, "the speech models did not load in a minute"
        time.sleep(0.5)


def test_a_browser_recording_is_heard_and_the_pages_speed_is_used(assistant):
    # What the web chat sends: MediaRecorder's WebM/Opus, with the page's own speech speed.
    person = Talker(assistant)
    body = recording(said("what is tamoxifen"))
    slow = requests.post(
        f"{assistant.url}/webhooks/voice/webhook",
        params={"sender": person.sender, "rate": 70},
        data=body,
        headers={"Content-Type": "audio/webm"},
        timeout=60,
    )
    assert slow.status_code == 200, slow.text
    assert "tamoxifen" in slow.json()["transcript"].lower()
    assert "estrogen" in slow.json()["text"].lower()
    fast = requests.post(
        f"{assistant.url}/webhooks/voice/webhook",
        params={"sender": person.sender, "rate": 130},
        data=body,
        timeout=60,
    ).json()
    seconds = [read_wav(base64.b64decode(r["audio"])).seconds for r in (slow.json(), fast)]
    assert seconds[0] > seconds[1] * 1.3  # same words, said slower


def test_a_message_is_read_aloud_on_request(assistant):
    url = f"{assistant.url}/webhooks/voice/speak"
    spoken = requests.post(url, json={"text": "Tamoxifen is a pill.", "rate": 100}, timeout=60)
    assert spoken.status_code == 200
    assert spoken.headers["Content-Type"].startswith("audio/wav")
    assert 0.8 < read_wav(spoken.content).seconds < 4
    for bad, status in (
        ({"words": "hi"}, 400),
        ({"text": "   "}, 400),
        ({"text": "hi", "rate": "fast"}, 400),
        ({"text": "a" * 5000}, 413),
    ):
        assert requests.post(url, json=bad, timeout=30).status_code == status, bad
    broken = requests.post(url, data=b"{not json", timeout=30)
    assert broken.status_code == 400 and "text" in broken.json()["error"]
