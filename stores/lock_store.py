"""A Redis lock store whose tickets are issued and returned atomically, inside Redis.

Why it exists: Rasa 3.6's ``RedisLockStore`` keeps a conversation's ticket lock as one JSON value
and changes it by reading it into Python, changing it there and writing it back (``GET``, then
``SET``), with nothing in between to stop a second server doing the same. Two servers that get a
message of one conversation at the same moment both read "no tickets", both issue ticket 0,
the second write overwrites the first, and both think they are first in line: both serve the
conversation at once and one turn's events are lost. A fresh-clone CI run of the scale-out test
(six "add: ..." messages of one conversation sent at once to two servers) got six "Added"
replies but only five questions in the person's guide.

``AtomicRedisLockStore`` keeps Rasa's ticket lock and its stored format (so ``get_lock`` and
anything else reading the key still work) but does every read-change-write of a lock key in one
Lua script, which Redis runs with nothing else in between:

- issuing a ticket drops expired tickets and appends the new one; its number comes from
  ``INCR`` on one counter per store, so numbers are never reused. (Rasa numbers from the last
  ticket in the lock, so after a slow holder's ticket expires the next person can get the same
  number and the slow holder's clean-up would then remove the newcomer's ticket.)
- each attempt to take the lock drops expired tickets, and says whether our ticket is first,
  still waiting, or gone (expired while waiting: ``LockError``, as Rasa's docstring promises;
  Rasa's own loop would keep waiting until the key disappeared);
- clean-up removes our ticket and expired ones, and deletes the key when none are left.

Tickets are served in the order they were issued, expiry uses each server's clock as Rasa does,
and Rasa's errors are kept: ``LockError`` when a ticket can't be issued (Redis down included) or
the wait ends without the lock, Redis's own ``ConnectionError`` when Redis goes away later.
``stores/tracker_store.py`` turns both into one spoken sentence.

Rasa builds this store from the endpoints file (``lock_store: type:
stores.lock_store.AtomicRedisLockStore`` with the same ``url``, ``port``, ``db``, ``password``
and ``key_prefix`` as ``type: redis``); ``scripts/endpoints.py`` writes that. Every server
sharing the Redis must use this class: Rasa's own class would still race against it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import (
    DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX,
    LOCK_LIFETIME,
    LockError,
    RedisLockStore,
)
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# Shared by every script. A lock is Rasa's JSON: {"conversation_id": ..., "tickets": [...]},
# each ticket itself a JSON string {"number": n, "expires": unix time}. Kept ticket strings are
# written back unchanged, so nothing is lost to Lua's number formatting.
_LUA_COMMON = """
local function live_tickets(raw, now)
    local kept, numbers, dropped = {}, {}, false
    if raw then
        local lock = cjson.decode(raw)
        for _, text in ipairs(lock["tickets"] or {}) do
            local ticket = cjson.decode(text)
            -- Rasa's Ticket.has_expired: time.time() > expires
            if now > ticket["expires"] then
                dropped = true
            else
                table.insert(kept, text)
                table.insert(numbers, ticket["number"])
            end
        end
    end
    return kept, numbers, dropped
end

local function store(key, conversation_id, tickets)
    if #tickets == 0 then
        redis.call("DEL", key)
        return false
    end
    local text = cjson.encode({conversation_id = conversation_id, tickets = tickets})
    redis.call("SET", key, text)
    return text
end
"""

# KEYS: lock, ticket counter. ARGV: conversation id, now, new ticket's expiry. Returns its number.
_ISSUE = (
    _LUA_COMMON
    + """
local kept = live_tickets(redis.call("GET", KEYS[1]), tonumber(ARGV[2]))
local number = redis.call("INCR", KEYS[2])
table.insert(kept, string.format('{"number": %d, "expires": %s}', number, ARGV[3]))
store(KEYS[1], ARGV[1], kept)
return number
"""
)

# KEYS: lock. ARGV: conversation id, now, ticket. Returns {0, lock JSON} when the ticket is first
# in line, {tickets before it} while it waits, {-1} when it is gone (expired, or no lock at all).
_TRY_ACQUIRE = (
    _LUA_COMMON
    + """
local raw = redis.call("GET", KEYS[1])
local kept, numbers, dropped = live_tickets(raw, tonumber(ARGV[2]))
if dropped then
    raw = store(KEYS[1], ARGV[1], kept)
end
local ticket = tonumber(ARGV[3])
for position, number in ipairs(numbers) do
    if number == ticket then
        if position == 1 then
            return {0, raw}
        end
        return {position - 1}
    end
end
return {-1}
"""
)

# KEYS: lock. ARGV: conversation id, now, ticket to remove ("" for none). Returns how many tickets
# are left, or -1 when there was no lock.
_REMOVE = (
    _LUA_COMMON
    + """
local raw = redis.call("GET", KEYS[1])
if not raw then
    return -1
end
local kept, numbers, dropped = live_tickets(raw, tonumber(ARGV[2]))
local ticket = tonumber(ARGV[3])
local remaining = {}
for i, text in ipairs(kept) do
    if numbers[i] ~= ticket then
        table.insert(remaining, text)
    end
end
if dropped or #remaining ~= #kept or #remaining == 0 then
    store(KEYS[1], ARGV[1], remaining)
end
return #remaining
"""
)


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's Redis ticket lock with every change of a lock made atomically in Redis."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        """Connect as ``RedisLockStore`` does, from keyword arguments or an endpoints section.

        Rasa creates a lock store named by module path as ``cls(endpoint_config=...)``; for
        ``type: redis`` it passes ``host=url`` and the section's other keys, so do the same.
        """
        if endpoint_config is not None:
            kwargs = {
                "host": endpoint_config.url or "localhost",
                **endpoint_config.kwargs,
                **kwargs,
            }
        super().__init__(**kwargs)
        # One counter for all conversations of this store. Its name can't be a lock key: those
        # all start with the prefix ending in "lock:".
        namespace = self.key_prefix[: -len(DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX)]
        self.ticket_counter_key = namespace + "lock-ticket-counter"
        # register_script sends nothing now; each call uses EVALSHA and loads the script again
        # if Redis lost it (after a restart).
        self._issue = self.red.register_script(_ISSUE)
        self._try_acquire = self.red.register_script(_TRY_ACQUIRE)
        self._remove = self.red.register_script(_REMOVE)

    def _key(self, conversation_id: str) -> str:
        return self.key_prefix + conversation_id

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Append a ticket valid for ``lock_lifetime`` seconds and return its number.

        Raises ``LockError`` on any failure, Redis being down included, as Rasa does.
        """
        logger.debug(f"Issuing ticket for conversation '{conversation_id}'.")
        now = time.time()
        try:
            number = self._issue(
                keys=[self._key(conversation_id), self.ticket_counter_key],
                args=[conversation_id, repr(now), repr(float(now + lock_lifetime))],
            )
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        return int(number)

    async def _acquire_lock(
        self, conversation_id: str, ticket: int, wait_time_in_seconds: float
    ) -> TicketLock:
        """Wait until ``ticket`` is first in line; ``LockError`` if it expires first."""
        logger.debug(f"Acquiring lock for conversation '{conversation_id}'.")
        while True:
            reply = self._try_acquire(
                keys=[self._key(conversation_id)],
                args=[conversation_id, repr(time.time()), ticket],
            )
            position = int(reply[0])
            if position == 0:
                logger.debug(f"Acquired lock for conversation '{conversation_id}'.")
                return TicketLock.from_dict(json.loads(reply[1]))
            if position < 0:
                break
            logger.debug(
                f"Failed to acquire lock for conversation ID '{conversation_id}' because "
                f"{position} other item(s) for this conversation ID have to be finished "
                f"processing first. Retrying in {wait_time_in_seconds} seconds ..."
            )
            await asyncio.sleep(wait_time_in_seconds)
        raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")

    def _remove_ticket(self, conversation_id: str, ticket_number: int | None) -> int:
        """Drop expired tickets and ``ticket_number``; delete the key if none are left.

        Returns how many tickets are left.
        """
        remaining = self._remove(
            keys=[self._key(conversation_id)],
            args=[
                conversation_id,
                repr(time.time()),
                "" if ticket_number is None else ticket_number,
            ],
        )
        if remaining == 0:
            self._log_deletion(conversation_id, deletion_successful=True)
        return max(int(remaining), 0)

    def update_lock(self, conversation_id: str) -> None:
        """Remove expired tickets from the lock, atomically."""
        self._remove_ticket(conversation_id, None)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove ticket ``ticket_number`` from the lock, atomically."""
        self._remove_ticket(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove our ticket, and the lock itself when no one else is waiting, atomically."""
        self._remove_ticket(conversation_id, ticket_number)
