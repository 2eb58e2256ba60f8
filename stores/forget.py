"""How the action server tells the tracker store to delete a whole conversation.

"Delete what I told you" runs in the action server, but the conversation lives in the tracker
store, which only the Rasa server can write. Rasa's SQL store saves a turn by appending the
events after the ones already stored, so rows deleted behind its back would simply be written
again. Instead, the action sets the slot ``FORGET_SLOT`` to ``True`` in the turn the person
confirms, and the store (stores/tracker_store.py) deletes every stored event of that
conversation, and that whole turn, instead of saving it.

Plain module with no Rasa import: the actions and the store both use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Never stored: the store acts on it and drops the turn that carries it.
FORGET_SLOT = "conversation_deleted"


def _kind_name_value(event: Any) -> tuple[Any, Any, Any]:
    """An event's kind, slot name and value, from a Rasa event object or its dictionary form."""
    if isinstance(event, dict):
        return event.get("event"), event.get("name"), event.get("value")
    return (
        getattr(event, "type_name", None),
        getattr(event, "key", None),
        getattr(event, "value", None),
    )


def forget_requested(events: Iterable[Any]) -> bool:
    """Whether the latest turn (events after the last user message) asks to delete it all.

    ``events`` is a tracker's events, oldest first; only the turn in progress counts, so a
    conversation that goes on after the deletion is never deleted again by an old marker.
    """
    for event in reversed(list(events)):
        kind, name, value = _kind_name_value(event)
        if kind == "user":
            return False
        if kind == "slot" and name == FORGET_SLOT:
            return value is True
    return False
