"""End-to-end: Alexa requests in Amazon's format sent to the real Rasa server (smart speaker)."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests import alexa_fixtures as fx
from tests.servers import MODEL, TEST_SKILL_ID, Assistant

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: run `make train`"),
]


def spoken(ssml: str) -> str:
    """The words Alexa would say (the SSML must parse as XML)."""
    return " ".join(" ".join(ET.fromstring(ssml).itertext()).split())


class Speaker:
    """One person talking to the skill through one Alexa session."""

    def __init__(self, assistant: Assistant, user: str | None = None) -> None:
        self.assistant = assistant
        self.user = user or f"amzn1.ask.account.{uuid.uuid4().hex}"
        self.session = f"amzn1.echo-api.session.{uuid.uuid4()}"
        self.last: dict[str, Any] = {}

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        response = self.assistant.alexa(envelope)
        assert response.status_code == 200, response.text
        self.last = response.json()
        return self.last

    def launch(self) -> str:
        return self.speech(self.send(fx.launch(TEST_SKILL_ID, self.user, self.session)))

    def say(self, text: str) -> str:
        return self.speech(self.send(fx.utterance(TEST_SKILL_ID, self.user, self.session, text)))

    def intent(self, name: str) -> str:
        return self.speech(self.send(fx.intent(TEST_SKILL_ID, self.user, self.session, name)))

    @staticmethod
    def speech(body: dict[str, Any]) -> str:
        return spoken(body["response"]["outputSpeech"]["ssml"])

    @property
    def reprompt(self) -> str:
        return spoken(self.last["response"]["reprompt"]["outputSpeech"]["ssml"])

    @property
    def ends(self) -> bool:
        return self.last["response"]["shouldEndSession"]


def test_launch_welcomes_with_the_disclaimer_and_a_reprompt(assistant):
    person = Speaker(assistant)
    words = person.launch()
    assert (
        "not medical advice" in words and words.count("911") == 1
    )  # said once, even the first time
    assert person.ends is False
    assert person.reprompt and person.reprompt not in words
    card = person.last["response"]["card"]
    assert card["type"] == "Simple" and "911" in card["content"]


def test_a_whole_profile_by_voice_ends_in_the_right_hormone_therapies(assistant):
    person = Speaker(assistant)
    person.launch()
    assert "hormone receptor-positive" in person.say("find my options")
    assert "Say one for Yes" in person.last["response"]["outputSpeech"]["ssml"]
    assert "HER2" in person.intent("AMAZON.YesIntent")
    assert "menopause" in person.say("her two negative")
    assert "hormone therapy before" in person.say("i went through the change")
    assert "spread" in person.intent("AMAZON.NoIntent")
    words = person.say("it spread to my bones")
    assert "1. Hormone therapy." in words
    assert "tamoxifen" in words and "aromatase inhibitors" in words
    assert "Say more" in words and "Fareston" not in words  # generic names only, by voice
    assert person.ends is False
    more = person.intent("AMAZON.MoreIntent")
    assert "4." in more
    assert "targeted" in person.say("two").lower()  # a number picks from the list


def test_a_drug_question_in_one_shot(assistant):
    person = Speaker(assistant)
    envelope = fx.utterance(
        TEST_SKILL_ID, person.user, person.session, "what is tamoxifen", new=True
    )
    words = person.speech(person.send(envelope))
    assert words.count("not medical advice") == 1  # a new session starts with the disclaimer
    assert "estrogen" in words.lower()


def test_help_repeat_and_what_can_i_say_mid_profile(assistant):
    person = Speaker(assistant)
    person.launch()
    question = person.say("find my options")
    assert person.intent("AMAZON.RepeatIntent") == question
    helped = person.intent("AMAZON.HelpIntent")
    assert "repeat" in helped and person.ends is False
    assert "hormone receptor-positive" in helped  # and back to the question
    choices = person.say("what can i say")
    assert "yes, no, or I don't know" in choices and "go back" in choices
    assert person.say("say that again") == choices


def test_slower_slows_the_speech_and_says_it_again(assistant):
    person = Speaker(assistant)
    person.launch()
    person.say("what is letrozole")
    person.say("slower")
    ssml = person.last["response"]["outputSpeech"]["ssml"]
    assert '<prosody rate="85%">' in ssml and "letrozole" in ssml.lower()


def test_go_back_changes_the_last_answer(assistant):
    person = Speaker(assistant)
    person.launch()
    person.say("find my options")
    assert "HER2" in person.intent("AMAZON.YesIntent")
    words = person.intent("AMAZON.PreviousIntent")
    assert "go back" in words and "hormone receptor-positive" in words
    assert "HER2" in person.intent("AMAZON.NoIntent")  # a new answer to the same question


def test_stop_ends_the_session_and_the_profile_is_kept_next_time(assistant):
    person = Speaker(assistant)
    person.launch()
    person.say("e r positive")
    person.say("her two positive")
    goodbye = person.intent("AMAZON.StopIntent")
    assert person.ends is True and "reprompt" not in person.last["response"]
    assert "Take care" in goodbye
    again = Speaker(assistant, user=person.user)
    again.launch()
    words = again.say("find my options")
    assert "menopause" in words and "HER2" not in words  # ER and HER2 were kept


def test_cancel_and_goodbye_end_the_session(assistant):
    person = Speaker(assistant)
    person.launch()
    person.intent("AMAZON.CancelIntent")
    assert person.ends is True
    person = Speaker(assistant)
    person.launch()
    person.say("goodbye")
    assert person.ends is True


def test_session_end_is_200_with_no_speech(assistant):
    person = Speaker(assistant)
    person.launch()
    response = assistant.alexa(fx.session_ended(TEST_SKILL_ID, person.user, person.session))
    assert response.status_code == 200
    assert "outputSpeech" not in response.json()["response"]


def test_the_persons_words_are_escaped_when_read_back(assistant):
    person = Speaker(assistant)
    person.launch()
    ssml_of = lambda: person.last["response"]["outputSpeech"]["ssml"]  # noqa: E731
    person.say("add: can I take vitamins & herbs with <chemo> or not")
    assert "&amp;" in ssml_of() and "&lt;chemo&gt;" in ssml_of()
    assert "vitamins & herbs with <chemo>" in spoken(ssml_of())


def test_a_spoken_email_address_is_spelled_back_for_a_yes(assistant):
    person = Speaker(assistant)
    person.launch()
    person.say("save the hormone therapy questions")
    person.say("email my guide")
    words = person.say("sam dot rivera at example dot org")
    assert "s a m dot r i v e r a at example dot org" in words
    assert "Say one for Yes" in words


@pytest.mark.parametrize(
    "make_envelope, status",
    [
        (lambda: fx.launch("amzn1.ask.skill.someone-else", "u", "s"), 403),
        (
            lambda: fx.launch(
                TEST_SKILL_ID,
                "u",
                "s",
                timestamp=datetime.now(timezone.utc) - timedelta(seconds=200),
            ),
            400,
        ),
        (lambda: fx.launch(TEST_SKILL_ID, "u", "s", timestamp="yesterday"), 400),
    ],
    ids=["other-skill", "stale", "bad-timestamp"],
)
def test_a_wrong_skill_or_a_stale_request_is_refused(assistant, make_envelope, status):
    # Built now, not at collection: on a slow run a collected timestamp would already be stale.
    response = assistant.alexa(make_envelope())
    assert response.status_code == status
    assert "error" in response.json()


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b'{"version": "1.0"}'])
def test_malformed_json_is_a_400(assistant, raw):
    assert assistant.alexa(None, raw=raw).status_code == 400
