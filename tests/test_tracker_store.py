"""stores/tracker_store.py: fail closed when the database is down, and say so on every channel.

The real PostgreSQL and Redis outages are in tests/test_scaleout_e2e.py; these use SQLite files
and a lock store that can't be reached, so they run anywhere in seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore, LockError
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from stores.tracker_store import (
    OUTAGE_MESSAGE,
    DurableSQLTrackerStore,
    StoreUnavailable,
    install,
)

DOMAIN = Domain.from_dict({"slots": {"er_status": {"type": "text", "mappings": []}}})


def store_at(path: Path) -> DurableSQLTrackerStore:
    return DurableSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(path))


def break_database(store: DurableSQLTrackerStore, tmp_path: Path) -> None:
    """Point the store at a database file that can't be opened, as if the server went away."""
    store.engine = sa.create_engine(f"sqlite:///{tmp_path}/missing-folder/gone.db")
    store.sessionmaker = sa.orm.session.sessionmaker(bind=store.engine)


async def test_saves_and_reads_back_like_rasas_sql_store(tmp_path: Path):
    store = store_at(tmp_path / "t.db")
    tracker = DialogueStateTracker.from_events(
        "me", [UserUttered("I'm ER positive"), SlotSet("er_status", "positive")]
    )
    await store.save(tracker)
    again = await store_at(tmp_path / "t.db").retrieve("me")
    assert again.get_slot("er_status") == "positive"
    assert list(await store.keys()) == ["me"]


async def test_a_database_that_is_down_raises_instead_of_forgetting(tmp_path: Path):
    store = store_at(tmp_path / "t.db")
    await store.save(DialogueStateTracker.from_events("me", [SlotSet("er_status", "positive")]))
    break_database(store, tmp_path)
    with pytest.raises(StoreUnavailable):
        await store.retrieve("me")
    with pytest.raises(StoreUnavailable):
        await store.retrieve_full_tracker("me")
    with pytest.raises(StoreUnavailable):
        await store.save(DialogueStateTracker.from_events("me", [SlotSet("er_status", "x")]))
    with pytest.raises(StoreUnavailable):
        await store.keys()


def test_the_agent_does_not_hide_this_store_behind_an_in_memory_stand_in(tmp_path: Path):
    store = store_at(tmp_path / "t.db")
    assert Agent(tracker_store=store).tracker_store is store
    # Every other store keeps Rasa's own wrapper: the default SQLite set-up runs stock Rasa.
    other = Agent(tracker_store=InMemoryTrackerStore(DOMAIN)).tracker_store
    assert isinstance(other, FailSafeTrackerStore)


class LockStoreDown(InMemoryLockStore):
    """A lock store whose server can't be reached (Redis down)."""

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = 60) -> int:
        raise LockError("Error while acquiring lock. Error:\nError 111 connecting")


async def test_a_turn_during_an_outage_gets_one_clear_sentence(tmp_path: Path):
    install()
    agent = Agent(tracker_store=store_at(tmp_path / "t.db"), lock_store=LockStoreDown())
    agent.is_ready = lambda: True  # no model is needed: the turn stops at the lock
    channel = CollectingOutputChannel()
    result = await agent.handle_message(UserMessage("add: will I lose my hair?", channel, "me"))
    assert result is None
    assert [m["text"] for m in channel.messages] == [OUTAGE_MESSAGE]
    assert "saved before is safe" in OUTAGE_MESSAGE and "again" in OUTAGE_MESSAGE


async def test_other_errors_are_not_dressed_up_as_outages(tmp_path: Path):
    install()

    class Broken(InMemoryLockStore):
        def issue_ticket(self, conversation_id: str, lock_lifetime: float = 60) -> int:
            raise ValueError("a bug, not an outage")

    agent = Agent(tracker_store=store_at(tmp_path / "t.db"), lock_store=Broken())
    agent.is_ready = lambda: True
    channel = CollectingOutputChannel()
    with pytest.raises(ValueError):
        await agent.handle_message(UserMessage("hi", channel, "me"))
    assert channel.messages == []


def test_install_is_idempotent():
    install()
    patched = Agent.handle_message
    install()
    assert Agent.handle_message is patched
