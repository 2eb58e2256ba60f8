"""What the web chat page draws after a reload: the conversation's messages and the guide.

Plain module (no Rasa imports): it reads tracker events as dictionaries (``Event.as_dict()``) and
the guide slot, so it is tested on its own.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from actions.guide import normalise_entries
from actions.mailer import GuideEntry, guide_text

# Enough to scroll back through a long conversation without sending a whole history.
MAX_MESSAGES = 300
GUIDE_FILENAME = "questions-for-my-doctor.txt"


def _buttons(data: Mapping[str, Any] | None) -> list[dict[str, str]]:
    buttons = []
    for button in (data or {}).get("buttons") or []:
        if isinstance(button, Mapping) and button.get("title") and button.get("payload"):
            buttons.append({"title": str(button["title"]), "payload": str(button["payload"])})
    return buttons


def messages_from_events(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The person's and the assistant's messages, oldest first, as the page draws them.

    Payload texts (``/affirm``) are kept as sent; the page turns them back into words. Assistant
    messages without text (custom JSON) are left out.
    """
    messages: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        text = event.get("text")
        if kind == "user" and isinstance(text, str) and text:
            messages.append({"from": "user", "text": text})
        elif kind == "bot" and isinstance(text, str) and text:
            message: dict[str, Any] = {"from": "assistant", "text": text}
            buttons = _buttons(event.get("data"))
            if buttons:
                message["buttons"] = buttons
            messages.append(message)
    return messages[-MAX_MESSAGES:]


def guide_view(slot_value: Any) -> dict[str, Any]:
    """The guide as the page shows it, and the plain text of its email for download and print.

    Questions are numbered in the order "remove the second one" counts them.
    """
    entries = normalise_entries(slot_value)
    questions = [
        {"number": number, "text": entry["text"], "family": entry["family"]}
        for number, entry in enumerate(entries, 1)
    ]
    text = guide_text([GuideEntry(e["family"], e["text"]) for e in entries]) if entries else ""
    return {"questions": questions, "text": text, "filename": GUIDE_FILENAME}


def conversation_view(
    session_id: str, events: Sequence[Mapping[str, Any]], guide_slot: Any
) -> dict[str, Any]:
    """Everything the page needs to redraw a conversation."""
    return {
        "session_id": session_id,
        "messages": messages_from_events(events),
        "guide": guide_view(guide_slot),
    }
