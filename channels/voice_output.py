"""The output channel of every speaking channel.

Its ``name()`` is "voice", so Rasa picks the ``channel: voice`` variants of the responses: short,
one-breath turns meant for the ear. Any input channel that speaks collects its answers here.
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel

VOICE_OUTPUT = "voice"
# Slot that holds the person's chosen speaking rate, in percent of normal.
SPEECH_RATE_SLOT = "speech_rate"


class VoiceOutput(CollectingOutputChannel):
    """Collects a turn's messages, rendered with the voice variants of the responses."""

    @classmethod
    def name(cls) -> str:
        return VOICE_OUTPUT


def speech_rate(tracker: Any) -> int:
    """The speaking rate the person asked for (100 = normal) from a Rasa tracker, if any."""
    if tracker is None:
        return 100
    value = tracker.get_slot(SPEECH_RATE_SLOT)
    try:
        return int(value) if value is not None else 100
    except (TypeError, ValueError, OverflowError):  # infinity has no integer
        return 100
