"""How the smart speaker's intents reach the assistant's own NLU (plain module, no Rasa imports).

Free speech arrives as ``CatchAllIntent`` with the words in slot ``utterance``; Amazon's built-in
intents become the assistant's own intents, sent as "/intent" messages so the model can't
mistake them.
"""

from __future__ import annotations

CATCH_ALL_INTENT = "CatchAllIntent"
UTTERANCE_SLOT = "utterance"

# Amazon built-in intent -> the assistant's own intent.
BUILT_IN_INTENTS: dict[str, str] = {
    "AMAZON.HelpIntent": "help",
    "AMAZON.StopIntent": "goodbye",
    "AMAZON.CancelIntent": "goodbye",
    "AMAZON.FallbackIntent": "out_of_scope",
    "AMAZON.RepeatIntent": "repeat",
    "AMAZON.MoreIntent": "more",
    "AMAZON.NextIntent": "more",
    "AMAZON.PreviousIntent": "go_back",
    "AMAZON.YesIntent": "affirm",
    "AMAZON.NoIntent": "deny",
    "AMAZON.NavigateHomeIntent": "help",
}

# Intents after which the skill closes its session (Amazon: stop and cancel must exit).
ENDING_INTENTS = frozenset({"goodbye"})
