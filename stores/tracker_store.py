"""The SQL tracker store (SQLite or PostgreSQL): fails closed, and deletes on request.

What Rasa 3.6 does on its own when the database goes away mid-conversation (seen in the
scale-out tests): the Agent wraps every tracker store in ``FailSafeTrackerStore``, which turns a
failed read into "no conversation yet" and a failed write into a write to memory. The person is
welcomed as a stranger, told "Your guide is empty", and told "Added: ..." for a question that is
gone once the database is back. When Redis (the lock store) is down, the REST channel answers
with an empty list: nothing at all.

``DurableSQLTrackerStore`` instead raises ``StoreUnavailable`` when the database can't be read
or written, is not wrapped in the fail-safe store, and checks pooled connections before use so
the first turn after a database restart works. ``install`` makes the Agent answer such a turn,
and a turn whose Redis lock can't be taken, with one plain sentence on whatever channel it came
from; nothing is stored for that turn and nothing stored before is touched. The database or
Redis coming back needs nothing: the next turn works.

"Delete what I told you": a turn that sets the slot ``stores.forget.FORGET_SLOT`` makes
``save`` delete every stored event of the conversation and store nothing of that turn (see
stores/forget.py for why the store, not the action, does it).

Rasa creates this store from the endpoints file (``type:
stores.tracker_store.DurableSQLTrackerStore``, for SQLite and PostgreSQL alike), and that is
when the patches are put in place, together with the action server's (stores/action_outage.py,
stores/action_validation.py).
The patches target Rasa 3.6.21 (pinned) and are tested end to end in tests/test_scaleout_e2e.py
and tests/test_faults_e2e.py.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
import sqlalchemy.exc
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import LockError
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from stores import action_outage, action_validation
from stores.forget import forget_requested

logger = logging.getLogger(__name__)

# Said on every channel (typed, web chat, smart speaker, speech) when a store is down: what
# happened, that earlier answers are safe, and what to do. Kept short for one spoken breath.
OUTAGE_MESSAGE = (
    "Sorry, I can't reach my saved notes right now, so I couldn't take that in. "
    "Everything you saved before is safe. Please say it again in a minute."
)
# Seconds to wait for the database to answer a new connection; Rasa's SQL calls block the
# server, so an unreachable database host must not hold every conversation for minutes.
DEFAULT_CONNECT_TIMEOUT = 5


class StoreUnavailable(ConnectionError):
    """The conversation store could not be read or written; nothing was stored for this turn."""


class DurableSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store that says when the database is down instead of forgetting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        install()
        super().__init__(*args, **kwargs)
        url = self.engine.url
        options = create_engine_kwargs(url)
        if url.get_backend_name() == "postgresql":
            timeout = int(os.environ.get("DB_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT))
            connect_args = {**options.get("connect_args", {}), "connect_timeout": timeout}
            options["connect_args"] = connect_args
        self.engine.dispose()
        # pool_pre_ping: a pooled connection that died with a database restart is replaced
        # before use, rather than failing the first turn after the restart. hide_parameters:
        # an error during a query would otherwise quote its parameters, the sender id among
        # them, in the ERROR line below.
        self.engine = sa.create_engine(url, pool_pre_ping=True, hide_parameters=True, **options)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        try:
            return await super().retrieve(sender_id)
        except sqlalchemy.exc.SQLAlchemyError as error:
            raise _unavailable("reading", error) from error

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        try:
            return await super().retrieve_full_tracker(conversation_id)
        except sqlalchemy.exc.SQLAlchemyError as error:
            raise _unavailable("reading", error) from error

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            if forget_requested(tracker.events):
                self.delete(tracker.sender_id)
            else:
                await super().save(tracker)
        except sqlalchemy.exc.SQLAlchemyError as error:
            raise _unavailable("saving", error) from error

    def delete(self, sender_id: str) -> int:
        """Delete every stored event of one conversation; returns how many rows went."""
        with self.session_scope() as session:
            query = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id)
            deleted = query.delete(synchronize_session=False)
            session.commit()
        # No sender id: it may be an email address, and the person asked to be forgotten.
        logger.info("Deleted a conversation at the person's request (%d events).", deleted)
        return deleted

    async def keys(self) -> Iterable[str]:
        try:
            return await super().keys()
        except sqlalchemy.exc.SQLAlchemyError as error:
            raise _unavailable("listing conversations", error) from error


async def retrieve_or_none(store: TrackerStore, sender_id: str) -> DialogueStateTracker | None:
    """A conversation for a channel's own use (speech pace, the question waiting), or ``None``.

    ``None`` also while the store is down: the turn itself then gets the outage sentence from
    the patched Agent, where a raised error would be a 500.
    """
    try:
        return await store.retrieve(sender_id)
    except StoreUnavailable:
        return None


def _unavailable(doing: str, error: Exception) -> StoreUnavailable:
    """The error to raise, logged once with the database's own reason."""
    logger.error("Conversation store unavailable while %s: %s", doing, error)
    return StoreUnavailable(f"conversation store unavailable while {doing}")


def _outage_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean "a store is down": the database, or the Redis lock store."""
    errors: list[type[BaseException]] = [StoreUnavailable, LockError]
    try:
        import redis.exceptions

        # Redis dying while a lock is released raises Redis's own errors, not LockError.
        errors += [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError]
    except ImportError:  # pragma: no cover - Rasa depends on redis
        pass
    return tuple(errors)


def install() -> None:
    """Patch Rasa's Agent once: no fail-safe wrapper for our store, a clear answer on outages."""
    action_outage.install()
    action_validation.install()
    if getattr(Agent, "_mbc_store_outages_installed", False):
        return
    wrap_store = Agent._create_tracker_store

    def create_tracker_store(store: TrackerStore | None, domain: Domain) -> TrackerStore:
        if isinstance(store, DurableSQLTrackerStore):
            store.domain = domain
            return store  # failing closed is the point: no in-memory stand-in
        return wrap_store(store, domain)

    handle_message = Agent.handle_message
    outages = _outage_errors()

    @functools.wraps(handle_message)
    async def handle_message_or_say_outage(
        self: Agent, message: UserMessage
    ) -> list[dict[str, Any]] | None:
        try:
            return await handle_message(self, message)
        except outages as error:
            # No sender id: it may be an email address (REST lets a client choose it).
            logger.error("A turn was not handled, a store is down: %r", error)
            if message.output_channel is not None:
                await message.output_channel.send_text_message(message.sender_id, OUTAGE_MESSAGE)
            return None

    Agent._create_tracker_store = staticmethod(create_tracker_store)
    Agent.handle_message = handle_message_or_say_outage
    Agent._mbc_store_outages_installed = True
