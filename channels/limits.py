"""Limits every channel shares: who may be a sender, how long a message may be, how often.

Plain module (no Rasa or Sanic imports), so the rules are tested on their own. The REST channel
(``rest_checked.py``), the socketio channel (``socketio_session.py``), the smart speaker
(``alexa.py``) and the speech channel (``voice.py``) read their limits here.

The rate limit is a sliding window kept in this process's memory. With several Rasa servers
behind a load balancer each server counts on its own, so one sender may send up to N messages
per window to each server; a shared limit would need a shared store (Redis, or the proxy).
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Mapping

logger = logging.getLogger(__name__)

# Longer than anyone types into a chat box or says in one breath; bigger bodies are refused
# before the NLU model spends time on them.
MAX_MESSAGE_CHARS = 4000
DEFAULT_RATE_LIMIT = 30  # messages per sender...
DEFAULT_RATE_WINDOW = 60.0  # ...per this many seconds

_SENDER = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")


def sender_is_valid(sender: str) -> bool:
    """Whether ``sender`` can key a conversation (letters, digits and . _ - : @, up to 128)."""
    return isinstance(sender, str) and bool(_SENDER.match(sender))


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    """A non-negative number from the environment; a bad value keeps the default, said once."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or value < 0:
        logger.warning("%s=%r is not a number of 0 or more; using %s.", name, raw, default)
        return default
    return value


@dataclass(frozen=True)
class RateSettings:
    """How many messages one sender may send in a window; a limit of 0 turns the check off."""

    limit: int = DEFAULT_RATE_LIMIT
    window: float = DEFAULT_RATE_WINDOW

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RateSettings:
        """``RATE_LIMIT_MESSAGES`` (default 30) per ``RATE_LIMIT_SECONDS`` (default 60)."""
        limit = int(_number(env, "RATE_LIMIT_MESSAGES", DEFAULT_RATE_LIMIT))
        window = _number(env, "RATE_LIMIT_SECONDS", DEFAULT_RATE_WINDOW)
        return cls(limit=limit, window=window if window > 0 else DEFAULT_RATE_WINDOW)


@dataclass
class SlidingWindowLimiter:
    """Counts each sender's messages over the last ``window`` seconds.

    ``allow`` answers None when the message may go on (and counts it) or the seconds to wait.
    Refused messages are not counted, so a client that waits as told gets in. Senders quiet for
    a whole window are forgotten, so memory follows the senders active in the last window.
    Not thread-safe, and needs not be: Sanic calls it from one event loop, between awaits.
    """

    settings: RateSettings = field(default_factory=RateSettings)
    clock: Callable[[], float] = time.monotonic
    _seen: dict[str, deque[float]] = field(default_factory=dict)
    _last_sweep: float = float("-inf")

    @property
    def enabled(self) -> bool:
        """False when the limit is 0 (off)."""
        return self.settings.limit > 0

    def allow(self, sender: str) -> float | None:
        """None if ``sender`` may send now (the message is counted), else seconds to wait."""
        if not self.enabled:
            return None
        now = self.clock()
        window = self.settings.window
        self._sweep(now)
        times = self._seen.setdefault(sender, deque())
        while times and times[0] <= now - window:
            times.popleft()
        if len(times) >= self.settings.limit:
            # Within (0, window], whatever the float rounding.
            return min(max(times[0] + window - now, 0.001), window)
        times.append(now)
        return None

    def tracked(self) -> int:
        """How many senders are remembered (for tests of the memory bound)."""
        return len(self._seen)

    def _sweep(self, now: float) -> None:
        # Once per window: drop senders whose last message has left the window.
        if now - self._last_sweep < self.settings.window:
            return
        self._last_sweep = now
        cutoff = now - self.settings.window
        for sender in [s for s, times in self._seen.items() if not times or times[-1] <= cutoff]:
            del self._seen[sender]


# One limiter per setting, so every channel built with the same settings (in a server, all of
# them: they read the same environment) counts a sender once. The sender id is the conversation
# key, and a conversation can be reached through several channels: the web chat page types over
# the socket and speaks to the speech channel under one id, and REST takes any id. Separate
# counters would let one conversation send N messages per window through each channel; shared,
# the limit means what the README says, N messages per conversation, and the assistant's work
# (one turn each, whatever the channel) is what it bounds.
_SHARED: dict[RateSettings, SlidingWindowLimiter] = {}


def shared_limiter(settings: RateSettings) -> SlidingWindowLimiter:
    """The per-sender limiter for ``settings`` in this process, the same for every channel."""
    limiter = _SHARED.get(settings)
    if limiter is None:
        limiter = _SHARED[settings] = SlidingWindowLimiter(settings)
    return limiter


# The web chat asks for one clip per assistant message when it reads replies aloud (and one per
# Play press), and a turn has up to a few messages: a client may fetch this many clips for each
# message it may send.
SPEAK_CLIPS_PER_MESSAGE = 4


def speak_settings(settings: RateSettings) -> RateSettings:
    """The read-aloud allowance per client: ``SPEAK_CLIPS_PER_MESSAGE`` clips per message.

    Same window; a message limit of 0 (off) turns this limit off too.
    """
    return RateSettings(limit=settings.limit * SPEAK_CLIPS_PER_MESSAGE, window=settings.window)


def retry_after_header(seconds: float) -> str:
    """The ``Retry-After`` value: whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(seconds)))
