"""After the intent classifier: a message that states profile facts is read as stating them.

The model may take "been through menapause" for a side-effects question or "i was on arimadex"
for "repeat"; the rule reader (actions/reading/facts.py, negation and scope included) sees the
facts, so the turn goes to the action that records them. Questions keep their intent ("I'm ER
positive, what is letrozole?"), and so do emergencies, crises and the guide and email intents.
The reader's facts are also put in the message's entities, in place of the model's profile
entities, so every part of the assistant sees one reading.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from actions.reading.facts import ENTITY_NAMES, as_entities, asks_something, read
from components.stateless import StatelessComponent

PROFILE_ENTITIES = {
    "er_status", "pr_status", "hr_status", "her2_status", "subtype", "menopause",
    "prior_hormone", "spread_site",
}  # fmt: skip
# Intents that a statement of facts overrides: controls and "not understood". A yes, a no, "I
# don't know" and a number keep theirs: their action reads the facts first (read_turn).
OVERRIDABLE = {
    "nlu_fallback", "repeat", "more",
    "go_back", "greet", "thank", "goodbye", "out_of_scope", "what_can_i_say", "slower",
    "faster", "help",
}  # fmt: skip
QUESTION_INTENTS = {"ask_what_is", "ask_how_given", "ask_side_effects", "ask_who_for",
                    "ask_how_works"}  # fmt: skip


def reading_intent(
    text: str, intent: str | None, ranking: List[Dict[str, Any]] | None = None
) -> str | None:
    """The intent a message should have given the facts it states, or None to keep the model's.

    A statement of facts is routed to the action that records them; a question the model took
    for a statement ("what does HER2 even mean?" states nothing) gets the model's next guess.
    """
    facts = read(text)
    if not facts and intent == "inform_profile" and asks_something(text):
        for guess in ranking or []:
            name = guess.get(INTENT_NAME_KEY) or guess.get("name")
            if name not in ("inform_profile", "nlu_fallback", None):
                return str(name)
        return None
    if not facts or intent in ("inform_profile", "show_options"):
        return None
    if intent in OVERRIDABLE:
        return "inform_profile"
    if intent in QUESTION_INTENTS and not asks_something(text):
        return "inform_profile"
    return None


def merged_entities(text: str, model_entities: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The model's entities with its profile entities replaced by the reader's facts.

    Where the model found the same fact, its entity is kept (it knows the words' span); a fact
    only the reader found spans the message; a profile entity the reader does not confirm is
    dropped ("not HER2 positive" tagged her2_status=positive).
    """
    kept = [e for e in model_entities if e.get("entity") not in PROFILE_ENTITIES]
    model_profile = [e for e in model_entities if e.get("entity") in PROFILE_ENTITIES]
    found: List[Dict[str, Any]] = []
    for fact in as_entities(read(text)):
        if fact["value"] == "unknown":
            # "I don't know my HER2": the parse names the fact not known, as the NLU data does.
            slot = {v: k for k, v in ENTITY_NAMES.items()}.get(fact["entity"], fact["entity"])
            fact = {"entity": "fact", "value": "spread" if slot == "spread_site" else slot}
            if any(e.get("entity") == "fact" and e.get("value") == fact["value"] for e in kept):
                continue
        same = [
            e
            for e in model_profile
            if e.get("entity") == fact["entity"] and str(e.get("value")) == fact["value"]
        ]
        if fact["entity"] == "er_status" or fact["entity"] == "pr_status":
            same = same or [
                e
                for e in model_profile
                if e.get("entity") == "subtype" and fact["value"] == "negative"
            ]
        if same:
            if same[0] not in found:
                found.append(same[0])
        else:
            found.append({**fact, "start": 0, "end": len(text), "extractor": "FactReader"})
    return kept + found


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class FactReader(StatelessComponent):
    """Puts the rule reader's profile facts into the parse, and the intent that records them."""

    def process(self, messages: List[Message]) -> List[Message]:
        """Replace the model's profile entities and, for stated facts, its intent."""
        for message in messages:
            text = message.get(TEXT) or ""
            if text.lstrip().startswith("/"):
                continue
            message.set(
                ENTITIES, merged_entities(text, message.get(ENTITIES) or []), add_to_output=True
            )
            current = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            new = reading_intent(text, current, message.get(INTENT_RANKING_KEY))
            if new:
                message.set(
                    INTENT,
                    {INTENT_NAME_KEY: new, PREDICTED_CONFIDENCE_KEY: 1.0},
                    add_to_output=True,
                )
        return messages
