"""ConText-style cue scopes: which words negate, doubt or hypothesise a fact, and how far.

The design follows NegEx / medspaCy ConText: cues are data (``context_rules.yml``), a cue reaches
forward a few words, a terminator ("but", a comma, a full stop) ends its reach, and pseudo cues
("not only") are not cues at all. Plain module: no Rasa, no spaCy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import yaml

RULES_FILE = Path(__file__).with_name("context_rules.yml")


@dataclass(frozen=True)
class Cue:
    """A cue found in a token list: its kind ("negation", ...) and token span [start, end)."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Rules:
    """The termsets of context_rules.yml, as tuples of token tuples."""

    # Each termset maps a first word to its phrases, longest first.
    negation: dict[str, tuple[tuple[str, ...], ...]]
    pseudo: dict[str, tuple[tuple[str, ...], ...]]
    uncertainty: dict[str, tuple[tuple[str, ...], ...]]
    hypothetical: dict[str, tuple[tuple[str, ...], ...]]
    terminators: frozenset[str]
    scope: int


def _phrases(raw: Sequence[str]) -> dict[str, tuple[tuple[str, ...], ...]]:
    # Longest first, so "don't know" is found before "don't".
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in sorted((tuple(str(p).split()) for p in raw), key=len, reverse=True):
        index.setdefault(phrase[0], []).append(phrase)
    return {first: tuple(phrases) for first, phrases in index.items()}


@lru_cache(maxsize=1)
def rules() -> Rules:
    """Load the cue termsets once."""
    raw = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return Rules(
        negation=_phrases(raw["pre_negation"]),
        pseudo=_phrases(raw["pseudo_negation"]),
        uncertainty=_phrases(raw["uncertainty"]),
        hypothetical=_phrases(raw["hypothetical"]),
        terminators=frozenset(str(t) for t in raw["terminators"]),
        scope=int(raw["scope_words"]),
    )


def _match_at(
    tokens: Sequence[str], i: int, phrases: dict[str, tuple[tuple[str, ...], ...]]
) -> int:
    for phrase in phrases.get(tokens[i], ()):
        if tuple(tokens[i : i + len(phrase)]) == phrase:
            return len(phrase)
    return 0


# "No" that answers a question rather than negating what follows ("no, it's HER2 positive",
# "no it's positive"): followed by a pronoun or a correction word.
_INTERJECTION_NEXT = {
    "it's", "its", "it", "i", "i'm", "im", "she", "she's", "he", "the", "that", "actually",
    "wait", "sorry", "my", "her", "we", "they", "this", "um", "uh", "well", "thanks", "thank",
    "i've", "ive", "i'd", "yes", "yeah", ",",
}  # fmt: skip


def find_cues(tokens: Sequence[str]) -> list[Cue]:
    """All cues in ``tokens``, left to right; pseudo cues hide the cues they contain."""
    r = rules()
    cues: list[Cue] = []
    cancel_until = -1  # "not that I haven't had it": the negation right after cancels out
    i = 0
    while i < len(tokens):
        skip = _match_at(tokens, i, r.pseudo)
        if skip:
            if tuple(tokens[i : i + skip]) == ("not", "that"):
                cancel_until = i + skip + 4
            i += skip
            continue
        # The longest cue wins ("don't think" is a belief, not the negation "don't"); on a tie,
        # doubt before negation before hypothesis.
        sizes = [
            (_match_at(tokens, i, phrases), -rank, kind)
            for rank, (kind, phrases) in enumerate(
                (
                    ("uncertainty", r.uncertainty),
                    ("negation", r.negation),
                    ("hypothetical", r.hypothetical),
                )
            )
        ]
        size, _, kind = max(sizes)
        if not size:
            i += 1
            continue
        interjection = (
            kind == "negation"
            and tokens[i] in ("no", "nope", "nah")
            and size == 1
            and i + 1 < len(tokens)
            and tokens[i + 1] in _INTERJECTION_NEXT
        )
        if kind == "negation" and i <= cancel_until:
            cancel_until = -1
        elif not interjection:
            cues.append(Cue(kind, i, i + size))
        i += size
    return cues


def is_terminator(token: str) -> bool:
    """Whether a token ends a cue's scope."""
    return token in rules().terminators


def governing_cue(
    tokens: Sequence[str],
    cues: Sequence[Cue],
    kind: str,
    start: int,
    end: int,
    blockers: Sequence[int] = (),
    reach: int | None = None,
) -> Cue | None:
    """The cue of ``kind`` whose scope covers the fact at tokens [start, end), if any.

    A cue covers a fact when it stands inside the fact ("HER2 is not positive"), or before it
    within the scope with no terminator between, and no other fact (a position in
    ``blockers``) between the cue and this one: a cue governs the first fact it reaches.
    """
    limit = rules().scope if reach is None else reach
    for cue in reversed(cues):
        if cue.kind != kind:
            continue
        if start < cue.start < end:
            return cue
        if cue.end > start:
            continue
        if start - cue.end > limit:
            continue
        between = tokens[cue.end : start]
        if any(is_terminator(t) for t in between):
            continue
        if any(cue.end <= b < start for b in blockers):
            continue
        return cue
    return None
