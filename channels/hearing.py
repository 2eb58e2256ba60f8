"""Whether a transcript is sure enough to act on, or should be checked with the person first.

Plain module. Two signs of a mishearing: the recogniser's own low confidence (average
log-probability per token), and a run of words that sounds like a drug name without being one
("palabacy club" for palbociclib). Either way the assistant asks "Did you mean ...?" and waits for
a yes or a no; nothing is acted on until then.
"""

from __future__ import annotations

import difflib
import functools
import re
import time
from dataclasses import dataclass, field

from actions.content.catalog import catalog, normalize_name
from actions.profile_state import leading_yes_no
from channels.transcriber import Transcript

# A single word must sound very like a drug name to be taken for one; a run of two or three words
# ("palabacy club") is how Whisper breaks up a name it doesn't know, so it may sound less alike.
WORD_CUTOFF = 0.78
RUN_CUTOFF = 0.72
MIN_LETTERS = 6
RUN_MIN_LETTERS = 8
# A run that starts or ends with one of these is ordinary speech ("a question", "liver and").
FUNCTION_WORDS = frozenset(
    "a an and the to of in on at for from with by as or is it its i me my we you your he she "
    "they this that these those be am are was were do does did so if but not no yes what how "
    "why when where who which can will would should could may might has have had go get".split()
)
NO_SPEECH = 0.8  # Whisper's no-speech probability above which a short text is noise
PENDING_SECONDS = 300.0
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'-]*")


@dataclass(frozen=True)
class Hearing:
    """What to do with a transcript: act on it, check it first, or say "didn't catch"."""

    verdict: str  # "sure", "unsure" or "nothing"
    text: str
    reason: str = ""


@functools.lru_cache(maxsize=1)
def drug_names() -> dict[str, str]:
    """Every spoken name of a drug, normalised, mapped to how to write it.

    Only drugs: their names are the words a recogniser gets wrong. Methods ("external beam
    radiation") are made of everyday words and are heard well.
    """
    names: dict[str, str] = {}
    for item in catalog().items:
        if item.kind != "drug":
            continue
        for name in (item.name, *item.brands, *item.aliases):
            names[normalize_name(name)] = item.name
    return names


# Letters that start with the same sound: "Kate to dabine" is still capecitabine.
_SAME_SOUND = {"k": "c", "q": "c", "v": "f", "z": "s"}


def first_sound(word: str) -> str:
    """The first letter, with letters that sound alike at the start of a word made one."""
    if word.startswith("ph"):
        return "f"
    return _SAME_SOUND.get(word[:1], word[:1])


def _closeness(words: list[str]) -> tuple[float, str] | None:
    """How like a drug name a run of words sounds (0..1), and which drug; None if not at all."""
    if words[0].lower() in FUNCTION_WORDS or words[-1].lower() in FUNCTION_WORDS:
        return None
    joined = normalize_name("".join(words))
    if len(joined) < (MIN_LETTERS if len(words) == 1 else RUN_MIN_LETTERS):
        return None
    # Short names ("ai", "tdm1") are too like everyday words to be guessed at; a misheard name
    # nearly always keeps its first sound.
    first = first_sound(joined)
    targets = [n for n in drug_names() if len(n) >= MIN_LETTERS and first_sound(n) == first]
    match = difflib.get_close_matches(joined, targets, n=1, cutoff=RUN_CUTOFF)
    if not match:
        return None
    return difflib.SequenceMatcher(None, joined, match[0]).ratio(), drug_names()[match[0]]


def _known_words(words: list[str]) -> set[int]:
    """Positions of the words that already spell a drug name ("aromatase inhibitors")."""
    known: set[int] = set()
    for index in range(len(words)):
        for size in (1, 2, 3, 4):
            run = words[index : index + size]
            if len(run) == size and normalize_name("".join(run)) in drug_names():
                known.update(range(index, index + size))
    return known


def misheard_drug(text: str) -> tuple[str, str] | None:
    """A likely misheard drug name: (the words heard, the name meant), or None.

    Every run of one to three words is compared with the drug names; the closest run wins, so
    "about full vestrend" gives "full vestrend". Words that already are a drug name (or a known
    alias) are fine, and so is ordinary speech.
    """
    words = _WORD.findall(text)
    known = _known_words(words)
    best: tuple[float, str, str] | None = None
    for index in range(len(words)):
        for size in (1, 2, 3):
            run = words[index : index + size]
            if len(run) < size or any(i in known for i in range(index, index + size)):
                continue
            found = _closeness(run)
            if not found:
                continue
            score, meant = found
            if size == 1 and score < WORD_CUTOFF:
                continue
            if best is None or score > best[0]:
                best = (score, " ".join(run), meant)
    return (best[1], best[2]) if best else None


def judge(transcript: Transcript, min_logprob: float, read_back: bool = False) -> Hearing:
    """Decide whether to act on a transcript, check it first, or say nothing was caught.

    ``read_back``: the assistant will read this answer back for a yes or no anyway (an email
    address is spelled back), so asking "Did you mean ...?" first would only ask twice.
    """
    text = transcript.text.strip()
    if not _WORD.search(text) or (transcript.no_speech_prob > NO_SPEECH and len(text) < 12):
        return Hearing("nothing", "")
    if read_back:
        return Hearing("sure", text)
    misheard = misheard_drug(text)
    if misheard:
        heard, meant = misheard
        return Hearing("unsure", text.replace(heard, meant, 1), f"sounds like {meant}")
    if transcript.avg_logprob < min_logprob:
        return Hearing("unsure", text, "low confidence")
    return Hearing("sure", text)


def yes_or_no(text: str) -> bool | None:
    """True for a yes, False for a no, None for anything else (a new request).

    The profile's own yes/no reading decides; only a short answer counts, so "no, what is
    letrozole" stays a new request.
    """
    if len(_WORD.findall(text)) > 4:
        return None
    answer = leading_yes_no(text)
    return None if answer is None else answer == "affirm"


@dataclass
class PendingChecks:
    """The "Did you mean ...?" each sender still has to answer, forgotten after five minutes."""

    ttl: float = PENDING_SECONDS
    _items: dict[str, tuple[str, float]] = field(default_factory=dict)

    def ask(self, sender: str, text: str) -> None:
        self._items[sender] = (text, time.monotonic())

    def take(self, sender: str) -> str | None:
        """The text waiting for a yes or no, removed from the list; None when there is none."""
        entry = self._items.pop(sender, None)
        self._forget_old()
        if entry is None or time.monotonic() - entry[1] > self.ttl:
            return None
        return entry[0]

    def _forget_old(self) -> None:
        now = time.monotonic()
        for sender in [s for s, (_, at) in self._items.items() if now - at > self.ttl]:
            del self._items[sender]


@dataclass(frozen=True)
class Step:
    """The channel's next move: send ``send`` to the assistant, or say one of its own lines."""

    send: str | None = None
    say: str | None = None  # a key of the ``voice`` wording: did_you_mean, not_caught...
    checking: str = ""  # the text a "Did you mean ...?" asks about


def next_step(sender: str, hearing: Hearing, pending: PendingChecks) -> Step:
    """What to do with what was heard, given any "Did you mean ...?" still waiting."""
    waiting = pending.take(sender)
    if waiting is not None:
        if hearing.verdict == "nothing":
            pending.ask(sender, waiting)
            return Step(say="not_caught")
        answer = yes_or_no(hearing.text)
        if answer is True:
            return Step(send=waiting)
        if answer is False:
            return Step(say="say_it_again")
    if hearing.verdict == "nothing":
        return Step(say="not_caught")
    if hearing.verdict == "unsure":
        pending.ask(sender, hearing.text)
        return Step(say="did_you_mean", checking=hearing.text)
    return Step(send=hearing.text)
