"""stores/action_validation.py: the same check of action server answers as Rasa's, built once."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

from stores.action_validation import install, validate_action_result

SPEC = RemoteAction.action_response_format_spec()
GOOD = [
    {"events": [], "responses": []},
    {
        "events": [
            {"event": "slot", "name": "pending", "value": None, "timestamp": None},
            {"event": "slot", "name": "guide", "value": [{"family": None, "text": "Can I?"}]},
            {"event": "followup", "name": "action_listen"},
        ],
        "responses": [{"response": "utter_answer_what_is", "buttons": [], "custom": {}}],
    },
    {},
]
BAD = [
    {"events": "not a list"},
    {"responses": [1, 2]},
    {"events": [{"event": "slot", "name": 5}]},
    {"events": [{"event": "no such event type"}]},
]


@pytest.mark.parametrize("answer", GOOD)
def test_answers_rasa_accepts_are_accepted(answer):
    validate(answer, SPEC)  # Rasa's own check
    assert validate_action_result(RemoteAction("a", None), answer) is True


@pytest.mark.parametrize("answer", BAD)
def test_answers_rasa_refuses_are_refused_with_its_message(answer):
    with pytest.raises(ValidationError):
        validate(answer, SPEC)
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        validate_action_result(RemoteAction("a", None), answer)


def test_installed_on_every_remote_action():
    install()
    assert RemoteAction("a", None)._validate_action_result({"events": []}) is True
