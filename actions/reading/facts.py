"""Read profile facts from what a person says, with negation, doubt and scope.

"I'm not HER2 positive" is HER2-negative; "is trodelvy an option for triple negative?" states
nothing; "I was on letrozole" is earlier hormone therapy but "what is letrozole?" is not. The
reader works on words and cue scopes (actions/reading/context.py, after NegEx / ConText), so the
same rule covers sentences nobody wrote down. Plain module: no Rasa imports.

``read(text, asked)`` returns the facts; ``asked`` is the profile question waiting for an
answer, which gives a bare "it's negative" or "the bones and liver" its meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

from actions.content.catalog import catalog
from actions.reading.context import Cue, find_cues, governing_cue, is_terminator

RECEPTORS = ("er", "pr", "hr", "her2")
SITES = ("bones", "brain", "liver", "lungs", "other")


@dataclass(frozen=True)
class Fact:
    """One fact read from a message: a profile slot and its value (a site for "spread")."""

    slot: str
    value: str


# ---------------------------------------------------------------------------------------------
# Normalising: spoken, typed and compact forms to one spelling.

_SUBSTITUTIONS: tuple[tuple[str, str], ...] = (
    (r"[’`´]", "'"),
    (r"[−–—]", "-"),
    (r"\(\s*([+-])\s*\)", r"\1"),
    (r"\brecept[eo]rs?\b", "receptor"),
    (r"\+\s*ve\b", " positive "),
    (r"-\s*ve\b", " negative "),
    # Words joined by hyphens are read apart ("HER2-negative" -> "her2 negative").
    (r"(?<=[a-z0-9])-(?=[a-z])", " "),
    (r"\bi m\b", "i'm"),
    # "don't really know" is "don't know": an adverb must not split a cue.
    (
        r"\b(don't|dont|do not|didn't|not|never|isn't|wasn't|haven't|hasn't|doesn't)\s+"
        r"(?:really|actually|honestly|exactly|quite|even|totally|fully|truly|100%)\b",
        r"\1",
    ),
    (r"\b(for|to)\s+(?:the\s+)?hormones\b", r"\1 hormone receptor"),
    # Spelled-out and misheard receptor names.
    (r"\bher\s*-?\s*(?:2|two)(?:\s*[/-]?\s*neu)?\b", " her2 "),
    (r"\bher2\s*/?\s*neu\b", " her2 "),
    (r"\berbb2\b", " her2 "),
    (r"\bher\s*(?:too|to)\b(?=[\s,.-]*(?:positive|negative|pos|neg|status|is|was)\b)", " her2 "),
    (r"\bher(?=\s*[+-](?:\s|$|[,./]))", " her2 "),
    (r"\b(?:o?estrogen|oestrogen)[\s-]*receptors?\b", " er "),
    (r"\bprogesterone[\s-]*receptors?\b", " pr "),
    (r"\b(?:o?estrogen)\b(?=[\s-]*(?:and|&|/|or|nor)?[\s-]*(?:progesterone|pr)\b)", " er "),
    (r"\b(?:o?estrogen)\b(?=[\s-]*(?:receptor|positive|negative|pos|neg|\+|-))", " er "),
    (r"\bprogesterone\b", " pr "),
    (r"\bhormone[\s-]*receptors?\b", " hr "),
    (r"\bhormone[\s-]*receptive\b", " hr "),
    (r"\bhormone[\s-]*(?:sensitive|driven|fed)\b", " hr positive "),
    (r"\bhormonal\b(?=[\s-]*(?:positive|negative))", " hr "),
    (r"\bhormone\b(?=[\s-]*(?:positive|negative|pos\b|neg\b|\+|-\s))", " hr "),
    (
        r"\be\s*\.?\s*r\b\.?(?=\s*(?:[+-]|and|&|/|,|positive|negative|pos|neg|status|is|was|"
        r"came|result|receptor|test|p\s*\.?\s*r))",
        " er ",
    ),  # fmt: skip
    (
        r"\bp\s*\.?\s*r\b\.?(?=\s*(?:[+-]|and|&|/|,|positive|negative|pos|neg|status|is|was|"
        r"came|result|receptor|test|her|$))",
        " pr ",
    ),  # fmt: skip
    (r"\bh\s*\.?\s*r\b\.?(?=\s*(?:[+-]|positive|negative|pos|neg|status|is|was))", " hr "),
    (r"\btripp?le[\s-]*(?:negative|negitive|neg|-)(?:ve)?\b|\btnbc\b", " tripleneg "),
    (r"\btripp?le[\s-]*(?:positive|pos|\+)(?:ve)?\b", " triplepos "),
    # Value words, misspelt, shortened and signed.
    (
        r"\b(?:positive|positve|postive|possitive|posative|positiv|postitive|pos|poz)\b",
        " positive ",
    ),
    (r"\b(?:negative|negitive|negativ|negatve|neggative|negetive|neg|nagative)\b", " negative "),
    (r"\b(?:amplified|overexpressed|overexpressing|over-expressed)\b", " positive "),
    (r"\bher2\s*(?:score\s*)?(?:of\s*)?(?:is\s*)?3\s*\+", " her2 positive "),
    (
        r"\bher2\s*(?:score\s*)?(?:of\s*)?(?:is\s*)?(?:[0-2]\s*\+?|low)(?=\s|$|[,.;])",
        " her2 equivocal ",
    ),
    (r"\b(er|pr|hr|her2)\s*\+\s*(?:/\s*)?", r" \1 positive / "),
    (r"\b(er|pr|hr|her2)\s*-(?=\s|$|[,./;)]|\s*(?:and|pr|her2|er))", r" \1 negative "),
    (r"\b(er|pr|hr)\s*/\s*(er|pr)\b", r" \1 and \2 "),
    # "ER was not detected": a receptor found or not is a result.
    (
        r"(\b(?:er|pr|hr|her2)\b[^.,;]{0,25}?)\b(?:detected|present|expressed)\b",
        r"\1 positive ",
    ),
    # Menopause, as written and as heard.
    (
        r"\b(?:men\s*o\s*pause|menapause|menopase|menopaus|manopause|menapaws|menopauze|"
        r"menopause)\b",
        " menopause ",
    ),  # fmt: skip
    (r"\bpost[\s-]*(?:menopausal|menopause|menapausal|menopausel|meno)\b", " postmenopausal "),
    (r"\bpre[\s-]*(?:menopausal|menopause|menapausal|meno)\b", " premenopausal "),
    (r"\bperi[\s-]*(?:menopausal|menopause|meno)\b", " premenopausal "),
    (r"\bthe change of life\b", " the change "),
    # Spread words.
    (r"\bmetasta\w*", " metastatic "),
    (r"\bmets?\b", " metastatic "),
    (r"\blymph[\s-]*nodes?\b|\blymph\b|\bnodes\b", " lymphnodes "),
    (r"\bchest[\s-]*wall\b", " chestwall "),
    (r"\bbone[\s-]*marrow\b", " bones "),
    (r"\bhormone[\s-]*blockers?\b", " hormone therapy "),
    (
        r"\banti[\s-]*(?:hormone|hormonal|o?estrogen)s?(?:\s+(?:therapy|pills?|drugs?|treatment))?\b",
        " hormone therapy ",
    ),  # fmt: skip
    (r"\bendocrine[\s-]*(?:therapy|treatment|tx|pills?)\b", " hormone therapy "),
)
_COMPILED = tuple((re.compile(p, re.I), r) for p, r in _SUBSTITUTIONS)
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[,.;:!?/&]")


def normalise(text: str) -> str:
    """Lower-case ``text`` and bring receptor, menopause and spread words to one spelling."""
    out = " " + (text or "").lower() + " "
    for pattern, replacement in _COMPILED:
        out = pattern.sub(replacement, out)
    return re.sub(r"\s+", " ", out).strip()


def tokenize(text: str) -> list[str]:
    """Words and sentence punctuation of normalised text."""
    return _TOKEN.findall(text)


# ---------------------------------------------------------------------------------------------
# Sentences, questions and who is speaking.

_QUESTION_START = {
    "what", "which", "how", "why", "when", "where", "who", "whom", "whose", "is", "are",
    "can", "could", "would", "will", "should", "shall", "does", "do", "any", "isn't",
    "aren't", "whats", "what's", "hows", "how's", "tell", "explain",
}  # fmt: skip
_CLAUSE_JOINERS = {",", "so", "and", "but", "then", "now", "also", "ok", "okay"}
# A statement inside a question still states a fact ("can I take it since I'm post menopausal?").
_ANCHORS = re.compile(
    r"\b(?:i'?m|i am|i'?ve|i have|i had|i was|i took|i did|i've been|she'?s|she is|she was|"
    r"she has|she had|she took|since|because|as|given)\b"
)


@dataclass(frozen=True)
class Segment:
    """A clause: its token range and whether it asks rather than states."""

    start: int
    end: int
    question: bool


def segments(tokens: Sequence[str]) -> list[Segment]:
    """Split tokens into clauses at sentence ends and where a question begins."""
    cuts = [0]
    for i, tok in enumerate(tokens):
        if tok in (".", "?", "!", ";"):
            cuts.append(i + 1)
        elif (
            tok in _QUESTION_START
            and i > 0
            and tokens[i - 1] in _CLAUSE_JOINERS
            and i + 1 < len(tokens)
            and tokens[i + 1] not in ("positive", "negative")
        ):
            cuts.append(i)
    cuts.append(len(tokens))
    found = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if a >= b:
            continue
        words = [t for t in tokens[a:b] if t not in ("oh", "um", "uh", "well", "ok", "okay", "so")]
        first = words[0] if words else ""
        question = tokens[b - 1] == "?" or first in _QUESTION_START
        found.append(Segment(a, b, question))
    return found


def _anchored(tokens: Sequence[str], segment: Segment, position: int) -> bool:
    """Whether a first-person statement stands before ``position`` in a question clause."""
    return bool(_ANCHORS.search(" ".join(tokens[segment.start : position])))


# ---------------------------------------------------------------------------------------------
# Mentions.


@dataclass
class Mention:
    """A stretch of tokens that names a fact: receptors, menopause, a therapy or a site."""

    kind: str  # "receptor" | "menopause" | "therapy" | "site" | "spread_word" | "value"
    start: int
    end: int
    members: tuple[str, ...] = ()  # receptor names or sites
    value: str | None = None  # "positive"/"negative", "post"/"pre", ...
    value_at: int | None = None


_FILLERS = {
    "is", "was", "are", "were", "came", "back", "status", "test", "tests", "tested", "result",
    "results", "showed", "shows", "show", "it", "it's", "its", "both", "all", "as", "be",
    "been", "to", "the", "cancer", "tumor", "tumour", "breast", "receptor", "receptors",
    "strongly", "weakly", "very", "highly", "mildly", "low", "slightly", "out",
    "report", "says", "said", "my", "her", "of", "for", "i", "think", "am", "i'm", "she's",
    "also", "too", "type", "kind", "being", "definitely", "only", "just", "and",
}  # fmt: skip
_CONNECTORS = {"and", "or", "nor", "/", ",", "&", "both", "either", "neither", "the", "plus"}
_VALUES = {"positive", "negative"}
_PRESENCE = {"has", "have", "had", "with", "expresses", "express", "shows", "showed", "any"}
_RECEPTOR_TOKENS = {"er", "pr", "hr", "her2"}
_ABSENCE_CUES = {"no", "neither", "nor", "without", "lacks", "lacking", "lack", "absence",
                 "free", "non", "none"}  # fmt: skip


def _receptor_mentions(tokens: Sequence[str]) -> list[Mention]:
    found: list[Mention] = []
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        if tok in ("tripleneg", "triplepos"):
            value = "negative" if tok == "tripleneg" else "positive"
            found.append(Mention("receptor", i, i + 1, ("er", "pr", "her2"), value, i))
            i += 1
            continue
        if tok not in _RECEPTOR_TOKENS:
            i += 1
            continue
        members = [tok]
        j = i + 1
        while j < n:
            k = j
            while k < n and tokens[k] in _CONNECTORS:
                k += 1
            if k > j and k < n and tokens[k] in _RECEPTOR_TOKENS:
                members.append(tokens[k])
                j = k + 1
                continue
            break
        value, value_at = None, None
        if i >= 2 and tokens[i - 1] in ("for", "to", "in", "on"):
            # "positive for ER and PR": the result stands before ("... and not positive for
            # PR" after it belongs to PR).
            back = i - 2
            while back >= 0 and tokens[back] in ("both", "the", "strongly", "weakly"):
                back -= 1
            if back >= 0 and tokens[back] in _VALUES:
                value, value_at = tokens[back], back
        k = j
        while value is None and k < n and k - j < 6:
            t = tokens[k]
            if t in _VALUES:
                value, value_at = t, k
                break
            if (
                is_terminator(t)
                or t in _RECEPTOR_TOKENS
                or t in ("tripleneg", "triplepos", "equivocal")
                or t in ("menopause", "postmenopausal", "premenopausal", "spread", "metastatic")
            ):
                break
            k += 1
        if value is None and j < n and tokens[j] == "equivocal":
            members = []  # "HER2 1+" or "HER2-low": the page does not say which list it means
        if members:
            found.append(Mention("receptor", i, j, tuple(members), value, value_at))
        i = max(j, (value_at or 0) + 1) if value is not None else j
    return found


_POST_BEFORE = {
    "through", "past", "after", "post", "finished", "over", "done", "completed", "hit",
    "reached", "had", "ended", "since", "thru", "passed",
}  # fmt: skip
_POST_AFTER = {"over", "finished", "done", "ended", "behind", "passed"}
# "Before menopause I took tamoxifen" dates a treatment; it says nothing of today.
_AMBIGUOUS_BEFORE = {"going", "started", "starting", "start", "entering", "in", "approaching",
                     "beginning", "into", "during", "before"}  # fmt: skip
_PERIOD_STOPPED = {"stopped", "ended", "finished", "over", "gone", "ceased", "quit"}
_PERIOD_ANCHORS = {"my", "still", "have", "had", "get", "got", "getting", "having", "regular",
                   "monthly", "no", "more", "her", "any", "periods"}  # fmt: skip


def _menopause_mentions(tokens: Sequence[str]) -> list[Mention]:
    found: list[Mention] = []
    for i, tok in enumerate(tokens):
        before = set(tokens[max(0, i - 4) : i])
        after = set(tokens[i + 1 : i + 4])
        value: str | None = None
        if tok == "postmenopausal":
            value = "post"
        elif tok == "premenopausal":
            value = "pre"
        elif tok in ("menopause", "menopausal") or (
            tok == "change" and i > 0 and tokens[i - 1] == "the" and before & _POST_BEFORE
        ):
            if before & _POST_BEFORE or after & _POST_AFTER:
                value = "post"
            elif before & _AMBIGUOUS_BEFORE:
                value = "ambiguous"
            else:
                value = "plain"
        elif tok in ("period", "periods", "menstruating", "menstruation", "menses"):
            if tok in ("period", "periods") and not (before & _PERIOD_ANCHORS):
                continue
            if i + 1 < len(tokens) and tokens[i + 1] == "of":
                continue
            # "my periods stopped" is past menopause; "I don't get periods anymore" is a
            # negated "have periods", and a negation before "stopped" flips it.
            stop_at = next(
                (i + 1 + k for k, t in enumerate(tokens[i + 1 : i + 4]) if t in _PERIOD_STOPPED),
                None,
            )
            value = "post" if stop_at is not None or before & _PERIOD_STOPPED else "pre"
            found.append(Mention("menopause", i, i + 1, (), value, stop_at or i))
            continue
        else:
            continue
        found.append(Mention("menopause", i, i + 1, (), value, i))
    return found


@lru_cache(maxsize=1)
def hormone_therapy_names() -> tuple[tuple[str, ...], ...]:
    """Every name of a hormone therapy, as token tuples, from the content catalog.

    Names, brands and aliases (misspellings included) live once, in treatments.yml.
    """
    content = catalog()
    names: set[str] = set()
    family = content.family("hormone_therapy")
    names.update([family.name, *family.aliases])
    for item in content.items_of("hormone_therapy"):
        names.update([item.name, *item.brands, *item.aliases])
    tokenised = {tuple(tokenize(normalise(n))) for n in names if n}
    # "hr" is a receptor, not a therapy: a catalog alias of "hormone" alone normalises to words
    # that name receptors in other messages, so only multi-word forms and drug names count.
    drop = {("hormone",), ("hormonal",), ()}
    return tuple(sorted((t for t in tokenised if t not in drop), key=len, reverse=True))


_TAKEN_BEFORE = {
    "took", "taken", "take", "taking", "takes", "had", "did", "done", "used", "using", "tried",
    "finished", "completed", "stopped", "quit", "started", "prescribed", "received", "got",
    "failed", "given", "gave", "went", "put", "years", "months", "year", "course", "after",
    "get", "getting", "gets", "been", "uses", "doing", "use", "treated", "prior", "previous",
    "prev", "previously", "back", "tolerate", "tolerated",
}  # fmt: skip
_ON_SUBJECT = {"was", "been", "am", "i'm", "im", "is", "she's", "still", "currently", "were",
               "now", "started", "went", "put", "me", "her", "them", "being", "stayed"}  # fmt: skip
_TAKEN_AFTER = {
    "stopped", "didn't", "quit", "failed", "worked", "until", "ago", "before", "anymore",
    "years", "months", "year", "since", "already", "previously", "earlier", "yrs",
}  # fmt: skip


@lru_cache(maxsize=1)
def _names_by_first_word() -> dict[str, tuple[tuple[str, ...], ...]]:
    """The therapy names grouped by their first word, longest first, for a quick scan."""
    grouped: dict[str, list[tuple[str, ...]]] = {}
    for name in hormone_therapy_names():
        grouped.setdefault(name[0], []).append(name)
    return {first: tuple(names) for first, names in grouped.items()}


def _therapy_mentions(tokens: Sequence[str]) -> list[Mention]:
    found: list[Mention] = []
    by_first = _names_by_first_word()
    i = 0
    while i < len(tokens):
        size = 0
        for name in by_first.get(tokens[i], ()):
            if tuple(tokens[i : i + len(name)]) == name:
                size = len(name)
                break
        if not size:
            i += 1
            continue
        # Evidence of taking it comes from its own clause: in "never been on tamoxifen,
        # arimidex" the "been on" belongs to tamoxifen, under the same "never".
        before = tokens[max(0, i - 6) : i]
        cut = max((k + 1 for k, t in enumerate(before) if is_terminator(t)), default=0)
        before = before[cut:]
        after = tokens[i + size : i + size + 4]
        after = after[: next((k for k, t in enumerate(after) if is_terminator(t)), len(after))]
        taken = bool(set(before) & _TAKEN_BEFORE) or bool(set(after) & _TAKEN_AFTER)
        if "on" in before:
            at = len(before) - 1 - before[::-1].index("on")
            taken = taken or (at > 0 and before[at - 1] in _ON_SUBJECT)
        if re.search(r"\b(?:19|20)\d\d\b|\b(?:was|been|am|i'm|is|were) on\b", " ".join(after)):
            taken = True  # "letrozole in 2019", "it was letrozole I was on"
        found.append(Mention("therapy", i, i + size, (), "taken" if taken else "named", i))
        i += size
    return found


_SITE_WORDS = {
    "bone": "bones", "bones": "bones", "spine": "bones", "spinal": "bones", "hip": "bones",
    "hips": "bones", "rib": "bones", "ribs": "bones", "pelvis": "bones", "skeleton": "bones",
    "skeletal": "bones", "vertebra": "bones", "vertebrae": "bones", "femur": "bones",
    "sternum": "bones", "skull": "bones", "brain": "brain", "liver": "liver",
    "hepatic": "liver", "lung": "lungs", "lungs": "lungs", "pulmonary": "lungs",
    "pleura": "lungs", "pleural": "lungs", "lymphnodes": "other", "skin": "other",
    "chestwall": "other", "adrenal": "other", "adrenals": "other", "peritoneum": "other",
    "abdomen": "other", "stomach": "other", "ovary": "other", "ovaries": "other",
    "pancreas": "other", "kidney": "other", "kidneys": "other", "eye": "other",
    "spleen": "other", "bladder": "other", "thyroid": "other",
}  # fmt: skip
_SITE_NOT_SPREAD_AFTER = {"pain", "pains", "density", "strength", "health", "loss", "thinning",
                          "function", "enzymes", "doctor", "scan", "scans"}  # fmt: skip
_SPREAD_WORDS = {"spread", "spreaded", "spreading", "spreads", "metastatic", "moved", "gone",
                 "went", "reached", "travelled", "traveled", "lesion", "lesions", "spots",
                 "spot", "tumors", "tumours", "involvement", "everywhere"}  # fmt: skip
_SITE_CONNECTORS = {"and", "or", "nor", "the", "my", "her", ",", "/", "&", "also", "both",
                    "to", "in", "a", "few", "some", "plus", "her's"}  # fmt: skip


def _site_mentions(tokens: Sequence[str]) -> list[Mention]:
    found: list[Mention] = []
    i = 0
    while i < len(tokens):
        site = _SITE_WORDS.get(tokens[i])
        if site is None or (i + 1 < len(tokens) and tokens[i + 1] in _SITE_NOT_SPREAD_AFTER):
            i += 1
            continue
        members = [site]
        j = i + 1
        while j < len(tokens):
            k = j
            while k < len(tokens) and tokens[k] in _SITE_CONNECTORS:
                k += 1
            nxt = tokens[k] if k < len(tokens) else None
            if k > j and nxt in _SITE_WORDS and "and" not in tokens[j:k][:0]:
                members.append(_SITE_WORDS[nxt])
                j = k + 1
                continue
            break
        found.append(Mention("site", i, j, tuple(dict.fromkeys(members))))
        i = j
    for i, tok in enumerate(tokens):
        if tok in _SPREAD_WORDS:
            found.append(Mention("spread_word", i, i + 1))
    return found


# ---------------------------------------------------------------------------------------------
# Reading.


def _segment_of(segs: Sequence[Segment], position: int) -> Segment:
    for seg in segs:
        if seg.start <= position < seg.end:
            return seg
    return segs[-1]


def _flip(value: str) -> str:
    return {"positive": "negative", "negative": "positive", "post": "pre", "pre": "post"}[value]


class _Reading:
    """The state of reading one message."""

    def __init__(self, text: str, asked: str | None) -> None:
        self.tokens = tokenize(normalise(text))
        self.asked = asked
        self.cues: list[Cue] = find_cues(self.tokens)
        self.segs = segments(self.tokens) or [Segment(0, 0, False)]
        self.mentions = sorted(
            _receptor_mentions(self.tokens)
            + _menopause_mentions(self.tokens)
            + _therapy_mentions(self.tokens)
            + _site_mentions(self.tokens),
            key=lambda m: m.start,
        )
        self.facts: list[Fact] = []

    def _blockers(self, mention: Mention) -> list[int]:
        return [
            m.start
            for m in self.mentions
            if m is not mention and m.kind != "spread_word" and m.start != mention.start
        ]

    def cue(self, kind: str, mention: Mention, end: int | None = None, reach: int | None = None):
        """The cue of ``kind`` governing a mention (inside it, or just before it).

        A negation governs the first fact it reaches; doubt and hypotheses reach the whole
        clause ("if someone is HER2 positive and ER positive").
        """
        stop = end if end is not None else mention.end
        blockers = self._blockers(mention) if kind == "negation" else ()
        return governing_cue(self.tokens, self.cues, kind, mention.start, stop, blockers, reach)

    def uncertain(self, mention: Mention) -> bool:
        """Doubt before the mention ("not sure if ...") or right after ("HER2 unknown")."""
        if self.cue("uncertainty", mention, reach=8):
            return True
        tail = self.tokens[mention.end : mention.end + 5]
        for cue in self.cues:
            if cue.kind == "uncertainty" and mention.end <= cue.start < mention.end + 4:
                between = self.tokens[mention.end : cue.start]
                if not any(is_terminator(t) for t in between) and not (set(between) & _VALUES):
                    return True
        return "unknown" in tail[:1] or ("yet" in tail[:3] and "tested" in tail[:3])

    def stated(self, mention: Mention) -> bool:
        """Whether the mention is stated as the person's fact (not asked about or imagined)."""
        seg = _segment_of(self.segs, mention.start)
        if self.cue("hypothetical", mention, reach=10):
            return False
        after = " ".join(self.tokens[mention.end : mention.end + 4])
        if re.search(r"\b(?:next (?:week|month|year|time)|tomorrow|soon)\b", after):
            return False
        if seg.question and not _anchored(self.tokens, seg, mention.start):
            return False
        return True

    def negated(self, mention: Mention) -> bool:
        """Whether a negation governs the mention; two in a row cancel ("wouldn't say it isn't")."""
        return self.negation(mention) is not None

    def negation(self, mention: Mention) -> Cue | None:
        """The negation cue governing the mention, if one does and is not itself negated."""
        end = (mention.value_at + 1) if mention.value_at is not None else mention.end
        cue = self.cue("negation", mention, end=end)
        if cue is None:
            return None
        starts = {m.start for m in self.mentions if m is not mention}
        for other in self.cues:
            if other.kind != "negation" or other.end > cue.start or cue.start - other.end > 4:
                continue
            between = self.tokens[other.end : cue.start]
            if (
                not between
                or any(is_terminator(t) for t in between)
                or any(other.start < p < cue.start for p in starts)
            ):
                continue
            if self.tokens[other.start] == "neither" or self.tokens[cue.start] == "nor":
                continue  # "neither ER nor PR" is one negation
            return None
        return cue

    def add(self, slot: str, value: str) -> None:
        self.facts.append(Fact(slot, value))


def _read_receptors(r: _Reading) -> None:
    for m in (m for m in r.mentions if m.kind == "receptor"):
        if r.uncertain(m):
            for member in m.members:
                r.add(member, "unknown")
            continue
        if not r.stated(m):
            continue
        value = m.value
        negated = r.negated(m)
        tail = r.tokens[m.end : m.end + 3]
        earlier = [f for f in r.facts if f.slot in RECEPTORS and f.value != "unknown"]
        if value is None and "either" in tail and negated and earlier:
            # "ER isn't negative and PR isn't either": the same result as the one before.
            for member in m.members:
                r.add(member, earlier[-1].value)
            continue
        if value is None:
            # "neither ER nor PR", "it doesn't have HER2": a receptor named without a result is
            # a statement about its presence only after "has" or a negation of having it ("I
            # don't understand HER2" says nothing about it).
            before = set(r.tokens[max(0, m.start - 2) : m.start])
            cue = r.negation(m)
            presence_negated = cue is not None and (
                r.tokens[cue.start] in _ABSENCE_CUES
                or bool(set(r.tokens[cue.end : m.start]) & _PRESENCE)
            )
            if presence_negated or (not negated and before & _PRESENCE):
                value = "positive"
            else:
                continue
        if negated:
            if m.members == ("er", "pr", "her2") and r.tokens[m.start] in ("tripleneg",):
                continue  # "not triple negative": which one is positive is not said
            value = _flip(value)
        for member in m.members:
            r.add(member, value)


def _read_menopause(r: _Reading) -> None:
    for m in (m for m in r.mentions if m.kind == "menopause"):
        if r.uncertain(m):
            r.add("menopause", "unknown")
            continue
        if not r.stated(m):
            continue
        negated = r.negated(m)
        tail = r.tokens[m.end : m.end + 3]
        if m.value == "plain":
            if negated or "yet" in tail:
                r.add("menopause", "pre")
            continue
        if m.value == "ambiguous" or m.value is None:
            continue
        value = _flip(m.value) if negated else m.value
        r.add("menopause", value)


_CONTRAST = {"but", "however", "though", "although", "except", "instead"}


_REFUSALS = {"never", "refused", "declined", "skipped", "turned", "nobody"}
_THERAPY_LIST_JOINERS = {"or", "and", "nor", ",", "/", "an", "a", "any", "the", "other", "either"}


def _read_therapy(r: _Reading) -> None:
    said: list[tuple[int, str]] = []
    previous: tuple[Mention, Cue | None] | None = None
    for m in (m for m in r.mentions if m.kind == "therapy"):
        if r.uncertain(m):
            said.append((m.start, "unknown"))
            continue
        negation = governing_cue(r.tokens, r.cues, "negation", m.start, m.end, (), None)
        if negation is None and previous is not None and previous[1] is not None:
            # "nobody ever put me on tamoxifen or an AI": one negation over the whole list.
            if set(r.tokens[previous[0].end : m.start]) <= _THERAPY_LIST_JOINERS:
                negation = previous[1]
        previous = (m, negation)
        if not r.stated(m):
            continue
        after = r.tokens[m.end : m.end + 3]
        stopped = "anymore" in after or (
            negation is not None and "longer" in r.tokens[negation.start : negation.end]
        )
        # A negation is about taking it only with a verb of taking, an absence ("no hormone
        # therapy", "never tamoxifen") or when the hormone question was asked: "I'm not asking
        # about tamoxifen" says nothing.
        about_taking = negation is not None and (
            r.tokens[negation.start] in _ABSENCE_CUES | _REFUSALS
            or bool(set(r.tokens[negation.end : m.start]) & (_TAKEN_BEFORE | {"on"}))
            or r.asked == "prior_hormone"
        )
        if (
            about_taking
            and not stopped
            and negation is not None
            and not _negation_is_of_something_else(r, negation, m)
        ):
            said.append((m.start, "no"))
        elif m.value == "taken" or stopped or r.asked == "prior_hormone":
            said.append((m.start, "yes"))
    values = {v for _, v in said}
    if {"yes", "no"} <= values:
        # "never took tamoxifen, but I did letrozole", "I wasn't on Faslodex, I was on Femara":
        # a drug taken, in its own clause, is hormone therapy before, whatever else was not.
        said = [(p, v) for p, v in said if v == "yes"]
    for _, value in said:
        r.add("prior_hormone", value)


def _negation_is_of_something_else(r: _Reading, cue: Cue, m: Mention) -> bool:
    """Whether the cue belongs to a fact in between ("not positive, and I took tamoxifen")."""
    return any(
        o.kind in ("receptor", "menopause", "site") and cue.end <= o.start < m.start
        for o in r.mentions
    )


_CLEAR_AFTER = {"clear", "clean", "fine", "free", "negative", "normal", "ok", "okay", "nothing",
                "benign"}  # fmt: skip


def _found_clear(r: _Reading, m: Mention) -> bool:
    """Whether a site is named with a clear result ("the brain was clear"): no spread there."""
    for token in r.tokens[m.end : m.end + 4]:
        if is_terminator(token):
            return False
        if token in _CLEAR_AFTER:
            return True
    return False


_SITE_POST_FILLERS = {"is", "was", "are", "were", "spot", "spots", "lesion", "lesions", "turned",
                      "out", "has", "have", "been", "it", "they", "ones", "one", "seems",
                      "looks", "came", "back"}  # fmt: skip


def _negated_after(r: _Reading, m: Mention) -> bool:
    """Whether the site is denied right after it ("the liver spots turned out not to be")."""
    for k in range(m.end, min(m.end + 5, len(r.tokens))):
        if any(c.kind == "negation" and c.start == k for c in r.cues):
            return True
        if r.tokens[k] not in _SITE_POST_FILLERS:
            return False
    return False


def _read_spread(r: _Reading) -> None:
    spread_said = any(m.kind == "spread_word" for m in r.mentions)
    sites = [m for m in r.mentions if m.kind == "site"]
    for m in sites:
        seg = _segment_of(r.segs, m.start)
        local = " ".join(r.tokens[max(seg.start, m.start - 3) : m.start])
        in_my = bool(re.search(r"\b(?:in|on|to) (?:my|her|the)\b", local))
        if not (spread_said or r.asked == "spread" or in_my):
            continue
        if r.cue("uncertainty", m) or not r.stated(m) or r.negated(m) or _negated_after(r, m):
            continue
        members = list(m.members)
        if _found_clear(r, m):
            # "the brain and lungs were clear": none of them; "in my bones, the liver spot was
            # benign": only what follows the last comma.
            commas = [k for k in range(m.start, m.end) if r.tokens[k] == ","]
            end = commas[-1] if commas else m.start
            kept = {_SITE_WORDS[t] for t in r.tokens[m.start : end] if t in _SITE_WORDS}
            members = [site for site in members if site in kept]
        for site in members:
            r.add("spread", site)
        if {"only", "just"} & set(r.tokens[max(seg.start, m.start - 4) : m.start]):
            r.add("spread_only", "yes")  # "it's actually only in my bones": the whole list
    if not any(f.slot == "spread" for f in r.facts):
        for m in (m for m in r.mentions if m.kind == "spread_word"):
            if r.cue("uncertainty", m, reach=8) and not sites:
                r.add("spread", "unknown")
                break


_MENOPAUSE_PAST = {"ago", "already", "years", "long", "ages", "decades"}


def _read_menopause_answer(r: _Reading) -> None:
    """Read "went through it ages ago" as the answer to "Have you been through menopause?"."""
    if r.asked != "menopause" or any(m.kind == "menopause" for m in r.mentions):
        return
    tokens = r.tokens
    for i, tok in enumerate(tokens):
        through = tok in ("through", "thru") and i > 0 and tokens[i - 1] in _POST_BEFORE | {
            "went", "gone", "been", "go", "going"
        }  # fmt: skip
        past = tok in _MENOPAUSE_PAST and not any(m.kind == "therapy" for m in r.mentions)
        if not (through or past) or (through and tokens[i - 1] == "going"):
            continue
        m = Mention("menopause", i, i + 1, (), "post", i)
        if r.stated(m) and not r.uncertain(m):
            r.add("menopause", "pre" if r.negated(m) else "post")
        return


def _read_bare_answer(r: _Reading) -> None:
    """A result word with no receptor named ("it's negative") answers the receptor asked."""
    if r.asked not in RECEPTORS:
        return
    if any(m.kind == "receptor" for m in r.mentions):
        return
    values = []
    for i, tok in enumerate(r.tokens):
        if tok not in _VALUES:
            continue
        m = Mention("value", i, i + 1, (), tok, i)
        if not r.stated(m):
            continue
        if r.uncertain(m):
            values.append("unknown")
            continue
        values.append(_flip(tok) if r.negated(m) else tok)
    if len(set(values)) == 1:
        if r.asked == "hr" and values[0] == "negative" and "both" in r.tokens:
            r.add("er", "negative")
            r.add("pr", "negative")
        else:
            r.add(r.asked, values[0])


def _settle(facts: Iterable[Fact]) -> tuple[list[Fact], list[str]]:
    """One value per fact, and the facts said two ways in one message (not recorded: we ask)."""
    by_slot: dict[str, list[str]] = {}
    for fact in facts:
        values = by_slot.setdefault(fact.slot, [])
        if fact.value not in values:
            values.append(fact.value)
    settled: list[Fact] = []
    unclear: list[str] = []
    for slot, values in by_slot.items():
        if slot == "spread":
            sites = [v for v in values if v != "unknown"]
            settled += [Fact(slot, v) for v in (sites or values)]
            continue
        known = [v for v in values if v != "unknown"]
        if slot == "prior_hormone" and "yes" in known:
            known = ["yes"]  # "never took tamoxifen, but I did letrozole": some therapy before
        if len(known) == 1 and "unknown" not in values:
            settled.append(Fact(slot, known[0]))
        elif not known:
            settled.append(Fact(slot, "unknown"))
        else:
            unclear.append(slot)  # "not sure ... my periods stopped", or two results
    return settled, unclear


@dataclass(frozen=True)
class Reading:
    """What a message states (``facts``), and what it said two ways (``unclear`` slots)."""

    facts: list[Fact]
    unclear: list[str]


def read_message(text: str, asked: str | None = None) -> Reading:
    """The profile facts a message states, given the question waiting for an answer.

    Negated facts are read as their opposite ("not HER2 positive" -> her2 negative), doubted
    ones as unknown, and facts inside a question or a hypothesis are not read at all. A fact
    said two ways is not read, and is named in ``unclear`` so the assistant can say so.
    """
    if not text or text.lstrip().startswith("/"):
        return Reading([], [])
    r = _Reading(text, asked)
    _read_receptors(r)
    _read_menopause(r)
    _read_therapy(r)
    _read_spread(r)
    _read_bare_answer(r)
    _read_menopause_answer(r)
    return Reading(*_settle(r.facts))


def read(text: str, asked: str | None = None) -> list[Fact]:
    """The facts of ``read_message``."""
    return read_message(text, asked).facts


ENTITY_NAMES = {"er": "er_status", "pr": "pr_status", "hr": "hr_status", "her2": "her2_status"}


def as_entities(facts: Iterable[Fact]) -> list[dict[str, str]]:
    """The facts as Rasa entities, as the profile actions read them."""
    entities = []
    for fact in facts:
        if fact.slot in ENTITY_NAMES:
            entities.append({"entity": ENTITY_NAMES[fact.slot], "value": fact.value})
        elif fact.slot == "spread":
            entities.append({"entity": "spread_site", "value": fact.value})
        elif fact.slot == "spread_only":
            entities.append({"entity": "spread_site", "value": "only"})
        else:
            entities.append({"entity": fact.slot, "value": fact.value})
    return entities


def asks_something(text: str) -> bool:
    """Whether any clause of the message is a question ("..., what are my options?")."""
    return any(seg.question for seg in segments(tokenize(normalise(text))))
