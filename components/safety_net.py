"""A safety net after the intent classifier: emergency and crisis words always win.

The NLU model may read "I don't want to go on" as a plain "no". A person in danger must get the
emergency or crisis answer first, whatever the model thought, so this component overrides the
intent when the plain keyword check in actions/safety.py fires.
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from actions.safety import classify_danger
from components.stateless import StatelessComponent


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SafetyNet(StatelessComponent):
    """Sets the intent to `emergency` or `crisis` when the message has danger words."""

    def process(self, messages: List[Message]) -> List[Message]:
        """Override the predicted intent of messages that name an emergency or a crisis."""
        for message in messages:
            danger = classify_danger(message.get(TEXT) or "")
            if not danger:
                continue
            current = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if current in ("emergency", "crisis"):
                continue
            message.set(
                INTENT,
                {INTENT_NAME_KEY: danger, PREDICTED_CONFIDENCE_KEY: 1.0},
                add_to_output=True,
            )
        return messages
