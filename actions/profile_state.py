"""What the person has told us about their cancer: reading entities and answers into slot values.

Plain module (no Rasa imports) so the rules are tested without a Rasa server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from actions.content.wording import wording
from actions.reading.facts import Fact, as_entities, read_message

PROFILE_SLOTS = ("er", "pr", "hr", "her2", "menopause", "prior_hormone", "spread")
STATUS_ENTITIES = {"er_status": "er", "pr_status": "pr", "hr_status": "hr", "her2_status": "her2"}
SPREAD_SITES = ("bones", "brain", "liver", "lungs", "other")

# What "yes" and "no" mean as an answer to each profile question.
YES_NO_ANSWERS: dict[str, tuple[str, str]] = {
    "hr": ("positive", "negative"),
    "er": ("positive", "negative"),
    "pr": ("positive", "negative"),
    "her2": ("positive", "negative"),
    "menopause": ("post", "pre"),
    "prior_hormone": ("yes", "no"),
}

# Entity "fact" values from "I don't know my HER2 status" -> the slot that becomes unknown.
FACT_TO_SLOT = {
    "er": "er",
    "pr": "pr",
    "hr": "hr",
    "her2": "her2",
    "menopause": "menopause",
    "prior_hormone": "prior_hormone",
    "spread": "spread",
}

_STATUS_VALUES = {"positive", "negative", "unknown"}
_MENOPAUSE_VALUES = {"post", "pre", "unknown"}
_PRIOR_VALUES = {"yes", "no", "unknown"}


@dataclass
class ProfileUpdate:
    """Slot values to set, and the facts that changed value (for read-back and corrections)."""

    values: dict[str, Any] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)
    corrected: list[str] = field(default_factory=list)
    # Facts the message said two ways ("yes, HER2 negative"): not recorded, and said so.
    unclear: list[str] = field(default_factory=list)

    def set(self, current: Mapping[str, Any], slot: str, value: Any) -> None:
        """Record ``slot = value`` if it differs from what is already known."""
        before = self.values.get(slot, current.get(slot))
        if before == value:
            return
        if slot in self.values and value == current.get(slot):
            # Back to what was already known ("ER positive ... triple negative" when ER was
            # negative): nothing changed, so nothing is read back as a correction.
            del self.values[slot]
            self.changed.remove(slot)
            if slot in self.corrected:
                self.corrected.remove(slot)
            return
        self.values[slot] = value
        if slot not in self.changed:
            self.changed.append(slot)
        if before not in (None, [], "unknown", ["unknown"]) and slot not in self.corrected:
            self.corrected.append(slot)

    def unclear_names(self) -> str:
        """The unclear facts named for reading ("HER2", "ER and PR")."""
        names = wording()["fact_names"]
        return join_words(list(dict.fromkeys(names.get(s, s) for s in self.unclear)))

    @property
    def empty(self) -> bool:
        """True when nothing new was learned."""
        return not self.changed


def _spread_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)]


def update_from_entities(
    current: Mapping[str, Any], entities: Iterable[Mapping[str, Any]]
) -> ProfileUpdate:
    """Turn extracted entities into profile slot values.

    Several facts in one message are all taken; a new status for a fact already known is a
    correction. Spread sites add up within a message and replace an "unknown" answer.
    """
    entities = list(entities)
    update = ProfileUpdate()
    new_sites: list[str] = []
    # ER and PR named in this message (directly or as "triple negative"): they outrank an
    # overall hormone receptor answer when the two disagree.
    named: set[str] = set()
    for entity in entities:
        # Entities of a typed payload ("/inform_profile{...}") are whatever the sender wrote.
        if not isinstance(entity, Mapping) or not isinstance(entity.get("entity"), str):
            continue
        name = entity.get("entity")
        value = str(entity.get("value", "")).lower()
        if name in STATUS_ENTITIES and value in _STATUS_VALUES:
            slot = STATUS_ENTITIES[name]
            named.add(slot)
            update.set(current, slot, value)
            if slot == "hr":
                # "Hormone receptor negative" means both ER and PR are negative.
                if value == "negative":
                    update.set(current, "er", "negative")
                    update.set(current, "pr", "negative")
        elif name == "subtype" and value == "triple_negative":
            named.update(("er", "pr", "hr"))
            for slot in ("er", "pr", "hr", "her2"):
                update.set(current, slot, "negative")
        elif name == "menopause" and value in _MENOPAUSE_VALUES:
            update.set(current, "menopause", value)
        elif name == "prior_hormone" and value:
            # A wording the synonyms don't know ("was put on Femara") still names a past
            # treatment, so anything but "no" or "unknown" means yes.
            update.set(current, "prior_hormone", value if value in _PRIOR_VALUES else "yes")
        elif name == "spread_site" and value in SPREAD_SITES and value not in new_sites:
            new_sites.append(value)
        elif name == "spread_site" and value == "unknown" and not current.get("spread"):
            update.set(current, "spread", ["unknown"])
    only = any(
        isinstance(e, Mapping) and e.get("entity") == "spread_site" and e.get("value") == "only"
        for e in entities
    )
    if new_sites:
        # "Only in my bones" says the whole list; otherwise new sites add to those known.
        known = (
            [] if only else [s for s in _spread_list(current.get("spread")) if s in SPREAD_SITES]
        )
        merged = known + [s for s in new_sites if s not in known]
        update.set(current, "spread", merged)
    _reconcile_receptors(current, update, named)
    return update


def _reconcile_receptors(
    current: Mapping[str, Any], update: ProfileUpdate, named: set[str] | None = None
) -> None:
    """Keep the overall hormone receptor answer consistent with ER and PR.

    A correction of ER or PR ("actually it's ER positive") must not be shadowed by an older
    "hormone receptor negative" answer; ER or PR named in the message win over an HR answer in
    the same message, so saying a message twice gives the same profile.
    """
    named = named or set()
    merged = {**current, **update.values}
    er, pr, hr = merged.get("er"), merged.get("pr"), merged.get("hr")
    if {"er", "pr"} & (set(update.changed) | named):
        if (er == "positive" or pr == "positive") and hr in ("negative", "unknown"):
            update.set(current, "hr", None)
        elif er == "negative" and pr == "negative" and hr in ("positive", "unknown"):
            update.set(current, "hr", None)
        elif hr == "negative" and (er != "negative" or pr != "negative"):
            update.set(current, "hr", None)
    elif "hr" in update.changed and hr == "positive" and er == "negative" and pr == "negative":
        # "Actually I'm hormone receptor positive" after ER and PR negative corrects them: one
        # of the two is positive, which one is not known, so neither is kept.
        update.set(current, "er", None)
        update.set(current, "pr", None)


def answer_yes_no(current: Mapping[str, Any], question: str, intent: str) -> ProfileUpdate:
    """Apply an affirm, deny or dont_know answer to the profile question that was asked."""
    update = ProfileUpdate()
    if intent == "dont_know":
        update.set(current, question, ["unknown"] if question == "spread" else "unknown")
    elif question in YES_NO_ANSWERS and intent in ("affirm", "deny"):
        yes, no = YES_NO_ANSWERS[question]
        update.set(current, question, yes if intent == "affirm" else no)
        if question == "hr" and intent == "deny":
            update.set(current, "er", "negative")
            update.set(current, "pr", "negative")
    return update


# A yes word followed by "not" or "never" is a no ("I have not been through menopause"); the
# negated forms are in _LEADING_NO, which is read first. "No idea" is not a no: it is "I don't
# know", which the NLU model reads.
_LEADING_YES = re.compile(
    r"^\W*(yes|yeah|yep|yup|ya|sure|correct|i have|i did|it is|positive)\b"
    r"(?!\s+(?:not|never)\b)",
    re.I,
)
_LEADING_NO = re.compile(
    r"^\W*(no(?!\s+(?:idea|clue)\b)|nope|nah|never|not yet|i never|negative"
    r"|i haven['’]t|i have (?:not|never)|i['’]ve (?:not|never)|i didn['’]t|i did not"
    r"|it isn['’]t|it is not|it['’]s not)\b",
    re.I,
)


def leading_yes_no(text: str) -> str | None:
    """Read a plain yes or no at the start of a message as "affirm" or "deny".

    "Yes, I went through the change" then counts even when the rest was not understood.
    """
    if _LEADING_NO.match(text or ""):
        return "deny"
    if _LEADING_YES.match(text or ""):
        return "affirm"
    return None


def mark_unknown(current: Mapping[str, Any], facts: Iterable[str]) -> ProfileUpdate:
    """Mark the named facts ("her2", "menopause", ...) as not known."""
    update = ProfileUpdate()
    for fact in facts:
        slot = FACT_TO_SLOT.get(fact)
        if slot:
            update.set(current, slot, ["unknown"] if slot == "spread" else "unknown")
    return update


def join_words(words: list[str], conjunction: str | None = None) -> str:
    """Join a list for reading: "a", "a and b", "a, b and c"."""
    word = conjunction or wording()["and_word"]
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} {word} {words[-1]}"


def describe(slots: Mapping[str, Any], only: Iterable[str] | None = None) -> str:
    """Plain-language read-back of profile facts, e.g. "ER-positive, HER2-negative"."""
    labels = wording()
    wanted = list(only) if only is not None else list(PROFILE_SLOTS)
    parts: list[str] = []
    for slot in PROFILE_SLOTS:
        if slot not in wanted:
            continue
        value = slots.get(slot)
        if slot == "spread":
            sites = _spread_list(value)
            if sites == ["unknown"]:
                parts.append(labels["spread_unknown"])
            elif sites:
                names = [labels["spread_sites"][s] for s in sites if s in labels["spread_sites"]]
                parts.append(labels["spread_phrase"].format(sites=join_words(names)))
            continue
        if slot == "hr" and (slots.get("er") or slots.get("pr")) and value != "positive":
            # ER and PR already say it; don't repeat "hormone receptor-negative".
            if slots.get("er") == "negative" and slots.get("pr") == "negative":
                continue
        label = labels["facts"].get(slot, {}).get(str(value)) if value is not None else None
        if label:
            parts.append(label)
    return ", ".join(parts)


def profile_slots(slots: Mapping[str, Any]) -> dict[str, Any]:
    """Only the profile slots, for building an eligibility Profile."""
    return {slot: slots.get(slot) for slot in PROFILE_SLOTS}


ANSWER_INTENTS = ("affirm", "deny", "dont_know")
_PLAIN_YES_NO = re.compile(
    r"^\W*(?:(yes|yeah|yep|yup)|(no|nope|nah))\b(?!\s+(?:idea|clue)\b)", re.I
)


def without_contradicted(facts: list[Fact], asked: str | None, text: str) -> list[Fact]:
    """Drop the answer to the waiting question when a plain yes or no says the opposite.

    "Yes, HER2 negative" to "Is your cancer HER2-positive?" could mean either: nothing is
    recorded for HER2 and the question is asked again. "No, it's HER2 negative" agrees.
    """
    match = _PLAIN_YES_NO.match(text or "")
    if asked not in YES_NO_ANSWERS or not match:
        return facts
    said = YES_NO_ANSWERS[asked][0 if match.group(1) else 1]
    slots = ("er", "pr", "hr") if asked == "hr" else (asked,)
    receptor_values = {f.value for f in facts if f.slot in slots and f.value != "unknown"}
    if asked == "hr" and said == "negative":
        clash = "positive" in receptor_values
    elif asked == "hr":
        clash = bool(receptor_values) and "positive" not in receptor_values
    else:
        clash = bool(receptor_values) and said not in receptor_values
    return [f for f in facts if f.slot not in slots] if clash else facts


def read_turn(
    current: Mapping[str, Any],
    pending: str | None,
    intent: str,
    text: str,
    entities: Iterable[Mapping[str, Any]] = (),
    from_button: bool = False,
) -> ProfileUpdate:
    """What one message tells us about the profile, given the question waiting for an answer.

    Facts come from the words (actions/reading/facts.py), with negation and scope, and answer
    their own question whatever was asked. A yes, no or "I don't know" answers the waiting
    question only when the message states nothing else. A button payload ("/inform_profile{...}")
    carries its facts as entities, and so does a button picked by its number
    (``from_button``).
    """
    asked = pending if pending in YES_NO_ANSWERS or pending == "spread" else None
    entities = list(entities)
    if from_button or (text or "").lstrip().startswith("/"):
        update = update_from_entities(current, entities)
    else:
        reading = read_message(text, asked=asked)
        kept = without_contradicted(reading.facts, asked, text)
        update = update_from_entities(current, as_entities(kept))
        update.unclear = list(reading.unclear)
        if len(kept) < len(reading.facts):
            # A yes or no against its own answer: neither is taken, and we ask again.
            update.unclear += [f.slot for f in reading.facts if f not in kept]
            return update
        if update.unclear and update.empty:
            return update
    if not update.empty:
        return update
    unknown = [str(e.get("value")) for e in entities if e.get("entity") == "fact"]
    if intent == "dont_know" and unknown:
        return mark_unknown(current, unknown)  # "I don't know my HER2", as the model read it
    if asked is None:
        return update
    answer = intent if intent in ANSWER_INTENTS else None
    if answer is None and intent in ("inform_profile", "nlu_fallback", "out_of_scope"):
        answer = leading_yes_no(text)
    if answer == "dont_know" and leading_yes_no(text) == "deny":
        answer = "deny"  # "never" or "not yet" is a no, whatever the model made of it
    if answer is None:
        return update
    if asked == "spread" and answer == "affirm":
        return update  # "yes" to "where has it spread?": the action asks where
    return answer_yes_no(current, asked, "dont_know" if asked == "spread" else answer)
