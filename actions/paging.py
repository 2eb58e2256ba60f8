"""Long lists read a few items at a time by voice: "there are 5; here are 3; say more".

Plain module (no Rasa imports). A list is a sequence of messages, each a response name with its
parameters. The part not yet read is kept in the ``more`` slot as a plain dict, so "more" and
"go back" work on the next turns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

PAGE_SIZE = 3
# Input channels that speak (their output channel is "voice"): Alexa and the speech channel.
VOICE_CHANNELS = frozenset({"alexa", "voice"})
# Intents that act on the last answer rather than start something new ("repeat", "more"...).
CONTROL_INTENTS = frozenset(
    {"repeat", "more", "go_back", "slower", "faster", "what_can_i_say", "help"}
)


def is_voice(input_channel: str | None) -> bool:
    """Whether a conversation turn came from a channel that speaks its answers."""
    return (input_channel or "") in VOICE_CHANNELS


def message(response: str, **params: Any) -> dict[str, Any]:
    """One message of a list: a response name and its parameters."""
    return {"response": response, "params": params}


@dataclass
class ListState:
    """A list being read out: every item, where the current page starts, what follows the end."""

    items: list[dict[str, Any]]
    start: int = 0
    after: list[dict[str, Any]] = field(default_factory=list)
    pending: str | None = None  # the question the last message of ``after`` asks, if any
    origin: str | None = None  # the message that asked for the list

    @property
    def page(self) -> list[dict[str, Any]]:
        """The items of the current page."""
        return self.items[self.start : self.start + PAGE_SIZE]

    @property
    def left(self) -> int:
        """How many items come after the current page."""
        return max(0, len(self.items) - self.start - PAGE_SIZE)

    def to_slot(self) -> dict[str, Any]:
        """The state as a plain dict for the ``more`` slot."""
        return {
            "items": self.items,
            "start": self.start,
            "after": self.after,
            "pending": self.pending,
            "origin": self.origin,
        }

    @classmethod
    def from_slot(cls, value: Any) -> ListState | None:
        """Read the slot back; None when empty or not a list state."""
        if not isinstance(value, Mapping) or not isinstance(value.get("items"), list):
            return None
        try:
            start = int(value.get("start") or 0)
        except (TypeError, ValueError):
            return None
        return cls(
            items=list(value["items"]),
            start=max(0, start),
            after=list(value.get("after") or []),
            pending=value.get("pending"),
            origin=value.get("origin"),
        )


def needs_paging(items: list[Any], voice: bool) -> bool:
    """Only a spoken list longer than one page is split."""
    return voice and len(items) > PAGE_SIZE


def next_page(state: ListState) -> ListState | None:
    """The state after "more", or None when the list has been read to its end."""
    if state.left <= 0:
        return None
    return ListState(state.items, state.start + PAGE_SIZE, state.after, state.pending, state.origin)


def previous_page(state: ListState) -> ListState | None:
    """The state after "go back", or None when already on the first page."""
    if state.start <= 0:
        return None
    return ListState(
        state.items, max(0, state.start - PAGE_SIZE), state.after, state.pending, state.origin
    )
