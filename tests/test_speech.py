"""Spoken turns: SSML escaping, breaks, numbered choices, reprompts and the length limit."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from channels.speech import (
    MAX_SSML_CHARS,
    choices_sentence,
    escape,
    plain_lines,
    speak,
    spoken_turn,
    word_count,
)

YES_NO = [
    {"title": "Yes", "payload": "/affirm"},
    {"title": "No", "payload": "/deny"},
    {"title": "I don't know", "payload": "/dont_know"},
]


def parse(ssml: str) -> ET.Element:
    """SSML must be well-formed XML, or Alexa refuses the whole answer."""
    return ET.fromstring(ssml)


def test_the_persons_words_are_escaped():
    turn = spoken_turn([{"text": 'Added: Can I take "A & B" with <wine> or don\'t I?'}])
    assert "&amp;" in turn.ssml and "&lt;wine&gt;" in turn.ssml and "&quot;" in turn.ssml
    assert "<wine>" not in turn.ssml
    spoken = "".join(parse(turn.ssml).itertext())
    assert 'Can I take "A & B" with <wine> or don\'t I?' in spoken


def test_escape_covers_the_five_xml_characters():
    assert escape("&<>\"'") == "&amp;&lt;&gt;&quot;&apos;"


def test_buttons_become_numbered_spoken_choices():
    assert choices_sentence(YES_NO) == "Say one for Yes, two for No, or three for I don't know."
    turn = spoken_turn([{"text": "Is your cancer HER2-positive?", "buttons": YES_NO}])
    assert "Say one for Yes, two for No, or three for I don&apos;t know." in turn.ssml


def test_items_and_messages_are_separated_by_breaks_of_350_to_400_ms():
    turn = spoken_turn([{"text": "Your guide has 2 questions."}, {"text": "1. First\n2. Second"}])
    root = parse(turn.ssml)
    breaks = [b.get("time") for b in root.iter("break")]
    assert breaks == ["400ms", "350ms"]


def test_bullets_and_markdown_are_not_read_aloud():
    assert plain_lines("Here:\n- **one** thing\n* two\n\n") == ["Here:", "one thing", "two"]


def test_a_turn_never_exceeds_amazons_limit_and_stays_well_formed():
    long = [{"text": "A sentence about a treatment & its effects. " * 40} for _ in range(20)]
    turn = spoken_turn(long)
    assert len(turn.ssml) <= MAX_SSML_CHARS
    parse(turn.ssml)
    assert turn.ssml.startswith("<speak>") and turn.ssml.endswith("</speak>")


def test_the_reprompt_guides_and_does_not_copy_the_answer():
    answer = [{"text": "Tamoxifen is a pill that blocks estrogen."}]
    turn = spoken_turn(answer)
    assert "Tamoxifen" not in turn.reprompt_ssml and "help" in turn.reprompt_ssml
    question = spoken_turn([{"text": "Have you been through menopause?", "buttons": YES_NO}])
    assert "menopause" not in question.reprompt_ssml and "one" in question.reprompt_ssml
    listing = spoken_turn([{"text": "There are 2 more.", "custom": {"reprompt": "Say more."}}])
    assert "Say more." in listing.reprompt_ssml


def test_a_chosen_rate_wraps_the_speech_in_prosody():
    root = parse(speak([["Hello."]], rate=85))
    assert root.find("prosody").get("rate") == "85%"
    assert parse(speak([["Hello."]])).find("prosody") is None


def test_card_text_and_word_count():
    turn = spoken_turn([{"text": "Got it: HER2-negative."}, {"text": "Next?", "buttons": YES_NO}])
    assert turn.text.splitlines()[0] == "Got it: HER2-negative."
    assert word_count("Say one for Yes, two for No.") == 7


def test_a_button_title_that_asks_a_question_is_read_without_doubled_punctuation():
    buttons = [{"title": "Find my options"}, {"title": "What can I ask?"}]
    assert choices_sentence(buttons) == "Say one for Find my options, or two for What can I ask."
