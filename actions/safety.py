"""A last line of defence for safety: spot emergency and crisis words the NLU model missed.

The NLU model has `emergency` and `crisis` intents. This keyword check runs on every message (the
SafetyNet NLU component) and in the fallback action, so "I don't want to go on" or a badly typed
"cant breath" still gets the emergency or crisis answer first. Plain module (no Rasa imports).
"""

from __future__ import annotations

import re

_CRISIS = re.compile(
    r"\b(kill(ing)? my ?self|suicid\w*|end (it all|my life)|take my (own )?life|"
    r"don'?t want to (live|be alive|wake up)|want to die|better off dead|no reason to live|"
    r"(can'?t|cannot|don'?t want to) go on( anymore| any more| like this| living)?\W*$|"
    r"what'?s the point (of|in) (living|going on|anything)|no hope left|lost all hope|"
    r"hopeless)\b",
    re.IGNORECASE,
)
_EMERGENCY = re.compile(
    r"\b(chest pain|can'?t breathe?|cannot breathe?|can not breathe?|struggling to breathe|"
    r"short of breath|not breathing|passed out|fainted|unconscious|seizure|stroke|"
    r"face (is )?droop\w*|coughing (up )?blood|bleeding (a lot|heavily|won'?t stop)|"
    r"heart attack|overdose|call (911|9 1 1|nine one one)|(need|call|get) (an|me an) ambulance)\b",
    re.IGNORECASE,
)


def classify_danger(text: str) -> str | None:
    """Return "crisis", "emergency" or None for a message the model did not understand."""
    if not text:
        return None
    if _CRISIS.search(text):
        return "crisis"
    if _EMERGENCY.search(text):
        return "emergency"
    return None
