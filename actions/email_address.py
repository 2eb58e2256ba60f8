"""Email addresses typed or spoken: find one in a sentence, check it, and spell it back.

No Rasa imports: the actions call these plain functions, and the tests run without a model.
A speech recogniser writes "sam dot rivera at example dot org", a keyboard writes
"sam.rivera@example.org"; both must end up as the same address, read back for a yes or no.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from email_validator import EmailNotValidError
from email_validator import validate_email as _library_validate

__all__ = ["EmailCheck", "extract_email", "spell_out", "validate_email"]

# Spoken words that stand for a character of an address.
_SPOKEN_SYMBOLS: dict[str, str] = {
    "dot": ".",
    "period": ".",
    "underscore": "_",
    "dash": "-",
    "hyphen": "-",
    "minus": "-",
    "plus": "+",
}
_AT_WORDS = frozenset({"at", "@"})
# Symbols allowed between the pieces of each part (a domain has no "_" or "+").
_LOCAL_JOINERS = frozenset({".", "_", "-", "+"})
_DOMAIN_JOINERS = frozenset({".", "-"})
# Words that tell where the address starts ("my email is sam at ..."); never part of the address
# when they come before a run of digits.
_FILLER = frozenset(
    {"is", "its", "it's", "it’s", "my", "email", "e-mail", "address", "to", "me", "the", "was"}
)

# A typed address: a run of non-space characters around an "@".
_TYPED = re.compile(r"\S*@\S*")
# Characters wrapped around a typed address in a sentence: quotes, brackets, end punctuation.
_WRAPPING = "\"'“”‘’()<>[]{}.,;:!?"
# Tokens of a spoken (or half-typed) address. A "." counts only inside a word ("sam.rivera");
# a full stop followed by a space ends a sentence, and "S. A. M." is three spelled letters.
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|@|\.(?=[^\W_])|[_+-]", re.UNICODE)

# Line breaks, raw or encoded (URL, HTML entity, escaped), would let an address add mail headers.
_LINE_BREAK = re.compile(
    r"[\r\n\v\f\x85\u2028\u2029]|%0[ad]|&#0*1[03];|&#x0*[ad];|\\[rn]", re.IGNORECASE
)


@dataclass(frozen=True)
class EmailCheck:
    """The result of checking an address.

    ok: True when the address can be used as a single recipient.
    address: the normalised address (domain lower case) or the stripped input when not ok.
    problem: None when ok, else "empty", "line_break", "several_recipients" or "invalid".
    """

    ok: bool
    address: str
    problem: str | None = None


def extract_email(text: str) -> str | None:
    """Find an email address in a typed or spoken sentence.

    Typed addresses are taken as written (domain lower-cased); spoken ones are rebuilt from words
    such as "at", "dot", "underscore", "dash", "plus", with spelled letters joined
    ("s a m" -> "sam"). Several addresses are returned joined by ", " so that validation refuses
    them instead of one being picked silently. The candidate is returned even when it is invalid;
    None means the text holds nothing that looks like an address.
    """
    if not text or not text.strip():
        return None
    typed = [_clean_typed(chunk) for chunk in _TYPED.findall(text)]
    typed = [candidate for candidate in typed if candidate]
    if typed:
        return ", ".join(typed)
    spoken = _spoken_candidates(text)
    if spoken:
        return ", ".join(spoken)
    return None


def validate_email(address: str) -> EmailCheck:
    """Check that ``address`` is one well-formed address, safe to put in a To: header.

    Line breaks (also URL- or HTML-encoded), commas, semicolons and several "@" signs are refused
    before the syntax check, because they are how one address turns into several recipients or
    extra headers. The syntax check is email-validator's, without DNS look-ups.
    """
    if address is None or not address.strip():
        return EmailCheck(ok=False, address="", problem="empty")
    if _LINE_BREAK.search(address):
        return EmailCheck(ok=False, address=address.strip(), problem="line_break")
    candidate = address.strip()
    if "," in candidate or ";" in candidate or candidate.count("@") > 1:
        return EmailCheck(ok=False, address=candidate, problem="several_recipients")
    try:
        checked = _library_validate(candidate, check_deliverability=False)
    except EmailNotValidError:
        return EmailCheck(ok=False, address=candidate, problem="invalid")
    return EmailCheck(ok=True, address=checked.normalized, problem=None)


def spell_out(address: str) -> str:
    """Spell an address for reading back by voice.

    The letters and digits of the part before the "@" are spoken one by one (a name can be
    spelled many ways); the domain's words are kept whole ("example dot org"), since domains
    are usually words that a listener recognises.
    "sam.rivera@example.org" -> "s a m dot r i v e r a at example dot org".
    """
    address = address.strip()
    local, sep, domain = address.rpartition("@")
    if not sep:
        local, domain = address, ""
    names = {".": "dot", "_": "underscore", "-": "dash", "+": "plus"}
    words = [names.get(char, char.lower()) for char in local if not char.isspace()]
    if sep:
        words.append("at")
        labels = domain.lower().split(".")
        for index, label in enumerate(labels):
            if index:
                words.append("dot")
            words.append(" dash ".join(part for part in label.split("-")))
    return " ".join(word for word in words if word)


def _clean_typed(chunk: str) -> str:
    """Trim the punctuation a sentence wraps around a typed address and lower its domain."""
    chunk = chunk.strip(_WRAPPING)
    if chunk.lower().startswith("mailto:"):
        chunk = chunk[len("mailto:") :]
    if "@" not in chunk:
        return ""
    local, _, domain = chunk.rpartition("@")
    return f"{local}@{domain.lower()}"


def _spoken_candidates(text: str) -> list[str]:
    """Rebuild addresses from words: '<local> at <domain>' where the domain has a dot."""
    tokens = [_normalise_token(token) for token in _TOKEN.findall(text.lower())]
    found: list[str] = []
    for index, token in enumerate(tokens):
        if token not in _AT_WORDS:
            continue
        local = _local_before(tokens, index)
        domain = _domain_after(tokens, index + 1)
        if local and domain and "." in domain:
            found.append(f"{local}@{domain}")
    return found


def _normalise_token(token: str) -> str:
    """Map spoken symbol words to their characters; keep other tokens as they are."""
    return _SPOKEN_SYMBOLS.get(token, token)


def _is_symbol(token: str) -> bool:
    return token in _LOCAL_JOINERS or token in _AT_WORDS


def _is_letter(token: str) -> bool:
    return len(token) == 1 and token.isalpha()


def _segment_before(tokens: list[str], end: int) -> tuple[str, int]:
    """Read one piece of a name backwards from ``end`` (exclusive).

    A piece is either a word with any digits after it ("sam 42"), or a run of spelled letters and
    digits ("s a m 4 2"). Returns the piece and the index where it starts.
    """
    parts: list[str] = []
    start = end
    has_letters = False
    while start > 0:
        token = tokens[start - 1]
        if _is_symbol(token):
            break
        if token.isdigit():
            parts.append(token)
        elif _is_letter(token):
            has_letters = True
            parts.append(token)
        else:
            # A whole word: only a word right before the digits (or the "at") belongs here.
            if has_letters or (parts and token in _FILLER):
                break
            parts.append(token)
            start -= 1
            break
        start -= 1
    return "".join(reversed(parts)), start


def _local_before(tokens: list[str], at_index: int) -> str:
    """Rebuild the part before the "@": pieces joined by spoken or typed symbols."""
    piece, start = _segment_before(tokens, at_index)
    if not piece:
        return ""
    pieces = [piece]
    while start >= 2 and tokens[start - 1] in _LOCAL_JOINERS:
        joiner = tokens[start - 1]
        piece, new_start = _segment_before(tokens, start - 1)
        if not piece:
            break
        pieces.extend([joiner, piece])
        start = new_start
    return "".join(reversed(pieces))


def _segment_after(tokens: list[str], begin: int) -> tuple[str, int]:
    """Read one label of a domain forwards: a word (with trailing digits) or spelled letters."""
    parts: list[str] = []
    end = begin
    while end < len(tokens):
        token = tokens[end]
        if _is_symbol(token):
            break
        if token.isdigit() or _is_letter(token):
            parts.append(token)
        elif not parts and "'" not in token and "’" not in token:
            parts.append(token)
            end += 1
            while end < len(tokens) and tokens[end].isdigit():
                parts.append(tokens[end])
                end += 1
            break
        else:
            break
        end += 1
    return "".join(parts), end


def _domain_after(tokens: list[str], begin: int) -> str:
    """Rebuild the domain after the "@": labels joined by "dot" or "dash"."""
    label, end = _segment_after(tokens, begin)
    if not label:
        return ""
    pieces = [label]
    while end + 1 < len(tokens) and tokens[end] in _DOMAIN_JOINERS:
        joiner = tokens[end]
        label, new_end = _segment_after(tokens, end + 1)
        if not label:
            break
        pieces.extend([joiner, label])
        end = new_end
    return "".join(pieces)
