"""Check the action server's answers against Rasa's schema without rebuilding it every time.

Rasa 3.6 checks every answer from the action server with ``jsonschema.validate(answer,
schema)``. That call first validates the schema itself against JSON Schema's meta-schema, and
Rasa's event schema is large, so each custom action cost about 57 ms of the Rasa server's CPU
on this machine, against 1.6 ms with a validator built once (measured with a typical answer:
two slots and one response). Under load a profile of the Rasa server showed about 46% of its
time inside jsonschema. ``install`` replaces ``RemoteAction._validate_action_result`` with the
same check, against the same schema, with the same error, using a validator built once.

Installed with the tracker store (stores/tracker_store.py); targets the pinned Rasa 3.6.21.
"""

from __future__ import annotations

import functools
from typing import Any

from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    """Rasa's action answer schema, checked once and compiled once."""
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's check of an action server answer, with its error message, but built once."""
    try:
        _validator().validate(result)
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise
    return True


def install() -> None:
    """Use the compiled check for every custom action (once per process)."""
    RemoteAction._validate_action_result = validate_action_result
