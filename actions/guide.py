"""The Doctor Discussion Guide: a list of questions, kept in a slot as plain dictionaries.

Plain module (no Rasa imports). Entries look like ``{"family": "hormone_therapy", "text": "..."}``;
``family`` is None for questions in the person's own words and "general" for the general ones.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

MAX_QUESTION_LENGTH = 300
MAX_GUIDE_SIZE = 100

Entry = dict[str, Any]

_ORDINALS = {
    "first": 1,
    "one": 1,
    "second": 2,
    "two": 2,
    "third": 3,
    "three": 3,
    "fourth": 4,
    "four": 4,
    "fifth": 5,
    "five": 5,
    "sixth": 6,
    "six": 6,
    "seventh": 7,
    "seven": 7,
    "eighth": 8,
    "eight": 8,
    "ninth": 9,
    "nine": 9,
    "tenth": 10,
    "ten": 10,
    "eleventh": 11,
    "eleven": 11,
    "twelfth": 12,
    "twelve": 12,
}
_LAST_WORDS = ("last", "final", "bottom")

# "add: ...", "add a question: ...", "put this on my list: ...", "add the question ...".
_ADD_PREFIX = re.compile(
    r"^\s*(?:please\s+)?(?:can you\s+)?(?:add|put|save|write down|note)\b"
    r"(?:\s+(?:this|that|a|my|the|one|another|new))*"
    r"(?:\s+(?:own\s+)?(?:question|questions|one))?"
    r"(?:\s+(?:to|on|in|for)\s+(?:my|the)\s+(?:guide|list|doctor'?s?\s+list|questions))?"
    r"\s*(?:[:\-–—,]|that\s+says|saying|asking)?\s*",
    re.IGNORECASE,
)


def normalise_entries(value: Any) -> list[Entry]:
    """Read the guide slot defensively: anything that is not a valid entry is dropped."""
    entries: list[Entry] = []
    for item in value or []:
        if isinstance(item, dict) and isinstance(item.get("text"), str) and item["text"].strip():
            entries.append({"family": item.get("family"), "text": item["text"].strip()})
    return entries


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def contains(entries: Sequence[Entry], text: str) -> bool:
    """True if a question with the same words (ignoring case and punctuation) is saved."""
    wanted = _key(text)
    return any(_key(entry["text"]) == wanted for entry in entries)


def find(entries: Sequence[Entry], text: str) -> int | None:
    """The index of the question with the same words as ``text`` (case and punctuation aside)."""
    wanted = _key(text)
    for index, entry in enumerate(entries):
        if _key(entry["text"]) == wanted:
            return index
    return None


def add_questions(
    entries: Sequence[Entry], questions: Iterable[str], family: str | None
) -> tuple[list[Entry], list[str]]:
    """Add questions, skipping ones already saved. Returns the new guide and what was added."""
    guide = list(entries)
    added: list[str] = []
    for question in questions:
        if len(guide) >= MAX_GUIDE_SIZE:
            break
        if not contains(guide, question):
            guide.append({"family": family, "text": question})
            added.append(question)
    return guide, added


def extract_own_question(text: str) -> str | None:
    """Pull the question out of "add: can I still travel during chemo?".

    Returns None when nothing is left after the "add ..." words. The question is tidied
    (first letter upper case, a question mark added when it reads like a question) and cut
    to a sensible length.
    """
    cleaned = " ".join((text or "").split())
    match = _ADD_PREFIX.match(cleaned)
    rest = cleaned[match.end() :] if match else cleaned
    rest = rest.strip(" \"'“”‘’")
    if len(re.sub(r"[^\w]", "", rest)) < 3:
        return None
    rest = rest[:MAX_QUESTION_LENGTH].rstrip()
    rest = rest[0].upper() + rest[1:]
    if rest[-1] not in "?.!":
        rest += "?"
    return rest


def parse_position(text: str, size: int) -> int | None:
    """Find which entry is meant ("the second one", "number 3", "the last"): a 0-based index.

    Returns None when no position is named or it is outside the guide.
    """
    lowered = (text or "").lower()
    position: int | None = None
    if any(re.search(rf"\b{word}\b", lowered) for word in _LAST_WORDS):
        position = size
    else:
        digits = re.search(r"\b(\d{1,3})(?:st|nd|rd|th)?\b", lowered)
        if digits:
            position = int(digits.group(1))
        else:
            for word in re.findall(r"[a-z]+", lowered):
                if word in _ORDINALS:
                    position = _ORDINALS[word]
                    break
    if position is None or not 1 <= position <= size:
        return None
    return position - 1


def remove_at(entries: Sequence[Entry], index: int) -> tuple[list[Entry], Entry]:
    """Remove the entry at ``index``; returns the new guide and the removed entry."""
    guide = list(entries)
    removed = guide.pop(index)
    return guide, removed


def numbered(entries: Sequence[Entry]) -> str:
    """The guide as numbered lines, for reading back."""
    return "\n".join(f"{number}. {entry['text']}" for number, entry in enumerate(entries, 1))
