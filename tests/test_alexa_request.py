"""Alexa request parsing, checks and response building (no server)."""

from __future__ import annotations

import json

import pytest

from channels.alexa_request import (
    SESSION_START,
    AlexaSettings,
    RequestError,
    check_application,
    ends_session,
    messages_for,
    parse_request,
    sender_id,
    silent_response,
    spoken_response,
)
from channels.speech import spoken_turn
from tests import alexa_fixtures as fx

SKILL = "amzn1.ask.skill.test"


def body(envelope: dict) -> bytes:
    return json.dumps(envelope).encode()


def test_launch_starts_a_session():
    request = parse_request(body(fx.launch(SKILL, "user-1", "session-1")))
    assert request.request_type == "LaunchRequest" and request.application_id == SKILL
    assert messages_for(request) == [SESSION_START]


def test_free_speech_and_built_in_intents_become_messages():
    speech = parse_request(body(fx.utterance(SKILL, "u", "s", "what is tamoxifen")))
    assert messages_for(speech) == ["what is tamoxifen"]
    for name, message in [
        ("AMAZON.HelpIntent", "/help"),
        ("AMAZON.StopIntent", "/goodbye"),
        ("AMAZON.CancelIntent", "/goodbye"),
        ("AMAZON.RepeatIntent", "/repeat"),
        ("AMAZON.MoreIntent", "/more"),
        ("AMAZON.NextIntent", "/more"),
        ("AMAZON.PreviousIntent", "/go_back"),
        ("AMAZON.YesIntent", "/affirm"),
        ("AMAZON.NoIntent", "/deny"),
        ("AMAZON.FallbackIntent", "/out_of_scope"),
        ("AMAZON.NavigateHomeIntent", "/help"),
    ]:
        assert messages_for(parse_request(body(fx.intent(SKILL, "u", "s", name)))) == [message]


def test_a_one_shot_request_starts_the_session_first():
    request = parse_request(body(fx.utterance(SKILL, "u", "s", "read my guide", new=True)))
    assert messages_for(request) == [SESSION_START, "read my guide"]


def test_session_end_sends_nothing():
    request = parse_request(body(fx.session_ended(SKILL, "u", "s")))
    assert messages_for(request) == []
    assert silent_response() == {"version": "1.0", "response": {}}


def test_the_conversation_is_keyed_by_user_and_hides_the_amazon_id():
    one = parse_request(body(fx.launch(SKILL, "amzn1.ask.account.A", "s1")))
    two = parse_request(body(fx.launch(SKILL, "amzn1.ask.account.A", "s2")))
    other = parse_request(body(fx.launch(SKILL, "amzn1.ask.account.B", "s1")))
    assert sender_id(one) == sender_id(two) != sender_id(other)
    assert "amzn1" not in sender_id(one)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{not json",
        b"[]",
        b'{"request": {}}',
        json.dumps({"version": "1.0", "request": {"type": "LaunchRequest"}}).encode(),
        b"\xff\xfe",
    ],
)
def test_malformed_bodies_are_400(raw):
    with pytest.raises(RequestError) as error:
        parse_request(raw)
    assert error.value.status == 400


def test_a_huge_body_is_refused():
    with pytest.raises(RequestError) as error:
        parse_request(b" " * (70 * 1024))
    assert error.value.status == 413


def test_only_the_configured_skill_gets_in():
    request = parse_request(body(fx.launch(SKILL, "u", "s")))
    check_application(request, AlexaSettings(skill_id=SKILL))
    for settings in (AlexaSettings(skill_id="amzn1.ask.skill.other"), AlexaSettings(skill_id="")):
        with pytest.raises(RequestError) as error:
            check_application(request, settings)
        assert error.value.status == 403


def test_settings_check_signatures_unless_switched_off(monkeypatch):
    monkeypatch.delenv("ALEXA_VERIFY_SIGNATURE", raising=False)
    monkeypatch.setenv("ALEXA_SKILL_ID", SKILL)
    assert AlexaSettings.from_env() == AlexaSettings(skill_id=SKILL, verify_signature=True)
    monkeypatch.setenv("ALEXA_VERIFY_SIGNATURE", "false")
    assert AlexaSettings.from_env().verify_signature is False
    monkeypatch.setenv("ALEXA_VERIFY_SIGNATURE", "maybe")
    assert AlexaSettings.from_env().verify_signature is True


def test_the_response_has_speech_card_reprompt_and_a_boolean_end():
    turn = spoken_turn([{"text": "Hello."}])
    open_response = spoken_response(turn, end_session=False)["response"]
    assert open_response["outputSpeech"]["type"] == "SSML"
    assert (
        open_response["card"]["type"] == "Simple" and "Hello." in open_response["card"]["content"]
    )
    assert open_response["reprompt"]["outputSpeech"]["ssml"].startswith("<speak>")
    assert open_response["shouldEndSession"] is False
    closing = spoken_response(turn, end_session=True)["response"]
    assert closing["shouldEndSession"] is True and "reprompt" not in closing
    assert ends_session("goodbye") and not ends_session("help") and not ends_session(None)
