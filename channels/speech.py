"""Turn the assistant's messages for one turn into speech: SSML, a card text and a reprompt.

Plain module (no Rasa imports), shared by every channel that speaks. The messages are already the
``channel: voice`` variants of the responses; this module only joins them, reads buttons as
numbered choices, escapes the text and keeps the result within Amazon's limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from actions.content import wording

MAX_SSML_CHARS = 8000  # Amazon's limit for outputSpeech
ITEM_BREAK = '<break time="350ms"/>'  # between the items of a list or the lines of a message
MESSAGE_BREAK = '<break time="400ms"/>'  # between the messages of a turn
NORMAL_RATE = 100
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}
_BULLET = re.compile(r"^\s*(?:[-*•]\s+)", re.MULTILINE)
_MARKUP = re.compile(r"[*_`#]+")
_SPACES = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class SpokenTurn:
    """What a speaking channel says for one turn."""

    ssml: str
    text: str  # the same words as plain text, for a card or a transcript
    reprompt_ssml: str


def escape(text: str) -> str:
    """Escape the five characters SSML (XML) gives a meaning to."""
    return "".join(_ESCAPES.get(char, char) for char in text)


def plain_lines(text: str) -> list[str]:
    """The lines of a message without list bullets or markdown marks, blank lines dropped."""
    text = _BULLET.sub("", text or "")
    text = _MARKUP.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return [line for line in lines if line]


def number_word(number: int) -> str:
    """The word for a choice number ("one", "two"...); digits beyond the list."""
    words = wording()["voice"]["number_words"]
    return words[number - 1] if 1 <= number <= len(words) else str(number)


def choices_sentence(buttons: Iterable[Mapping[str, Any]]) -> str:
    """Buttons read as numbered choices: "Say one for Yes, two for No, or three for Not sure."""
    voice = wording()["voice"]
    parts = [
        # "two for What can I ask" + "." reads better than "two for What can I ask?."
        voice["choice"].format(
            number=number_word(n), title=str(b.get("title", "")).strip().rstrip("?.!")
        )
        for n, b in enumerate(buttons, 1)
    ]
    if not parts:
        return ""
    if len(parts) == 1:
        joined = parts[0]
    else:
        joined = f"{', '.join(parts[:-1])}, {wording()['or_word']} {parts[-1]}"
    return voice["choices"].format(choices=joined)


def _message_lines(message: Mapping[str, Any]) -> list[str]:
    lines = plain_lines(str(message.get("text") or ""))
    buttons = message.get("buttons") or []
    if buttons:
        lines.append(choices_sentence(buttons))
    return lines


def _custom_reprompt(messages: list[Mapping[str, Any]]) -> str | None:
    for message in reversed(messages):
        custom = message.get("custom")
        if isinstance(custom, Mapping) and custom.get("reprompt"):
            return str(custom["reprompt"])
    return None


def reprompt_for(messages: list[Mapping[str, Any]]) -> str:
    """Guidance for a person who said nothing: the turn's own reprompt, else a general one."""
    custom = _custom_reprompt(messages)
    if custom:
        return custom
    voice = wording()["voice"]
    for message in reversed(messages):
        if message.get("buttons"):
            return voice["reprompt_choices"].format(first=number_word(1))
    return voice["reprompt_default"]


def speak(lines: list[list[str]], rate: int = NORMAL_RATE, limit: int = MAX_SSML_CHARS) -> str:
    """SSML for groups of lines: a short break between lines, a longer one between groups.

    Whole lines are dropped from the end rather than cut mid-word when the limit is reached.
    """
    opening, closing = "<speak>", "</speak>"
    if rate != NORMAL_RATE:
        opening, closing = f'<speak><prosody rate="{int(rate)}%">', "</prosody></speak>"
    body = ""
    for group in lines:
        for line_index, line in enumerate(group):
            joint = ""
            if body:
                joint = ITEM_BREAK if line_index else MESSAGE_BREAK
            piece = joint + escape(line)
            if len(opening) + len(body) + len(piece) + len(closing) > limit:
                return opening + body + closing
            body += piece
    return opening + body + closing


def spoken_turn(messages: list[Mapping[str, Any]], rate: int = NORMAL_RATE) -> SpokenTurn:
    """Everything the assistant said in a turn, as one spoken answer with its reprompt."""
    groups = [lines for lines in (_message_lines(m) for m in messages) if lines]
    text = "\n".join(line for group in groups for line in group)
    reprompt = speak([[reprompt_for(messages)]], rate)
    return SpokenTurn(ssml=speak(groups, rate), text=text, reprompt_ssml=reprompt)


def word_count(text: str) -> int:
    """Words in a spoken text (for the turn-length benchmark)."""
    return len(re.findall(r"[\w'’-]+", text))
