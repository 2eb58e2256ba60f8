"""stores/tracker_store.py: fail closed when the database is down, and say so on every channel.

The real PostgreSQL and Redis outages are in tests/test_scaleout_e2e.py; these use SQLite files
and a lock store that can't be reached, so they run anywhere in seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore, LockError
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, FollowupAction, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from stores.action_outage import ACTION_OUTAGE_RESPONSE
from stores.forget import FORGET_SLOT, forget_requested
from stores.tracker_store import (
    OUTAGE_MESSAGE,
    DurableSQLTrackerStore,
    StoreUnavailable,
    install,
)
from tests.servers import free_port

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
    # Every other store keeps Rasa's own wrapper.
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


# ---------------------------------------------------------------------------------------------
# "Delete what I told you"


def person_with_a_guide(sender: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        sender,
        [
            UserUttered("I'm ER positive"),
            SlotSet("er_status", "positive"),
            UserUttered("add: can I travel?"),
            SlotSet("guide", [{"family": None, "text": "Can I travel?"}]),
        ],
    )


def stored_rows(path: Path, sender: str) -> int:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        query = sa.text("SELECT count(*) FROM events WHERE sender_id = :s")
        return connection.execute(query, {"s": sender}).scalar()


async def yes_to_deleting(store: DurableSQLTrackerStore, sender: str) -> DialogueStateTracker:
    """A stored conversation, then the turn in which the person says yes to deleting it."""
    await store.save(person_with_a_guide(sender))
    tracker = await store.retrieve(sender)
    tracker.update(UserUttered("yes"))
    tracker.update(SlotSet(FORGET_SLOT, True))
    return tracker


async def test_a_confirmed_deletion_removes_the_whole_conversation_and_that_turn(tmp_path: Path):
    path = tmp_path / "t.db"
    store = store_at(path)
    await store.save(person_with_a_guide("someone else"))
    tracker = await yes_to_deleting(store, "me")
    tracker.update(BotUttered("Done. I deleted this conversation."))
    await store.save(tracker)

    assert stored_rows(path, "me") == 0
    assert await store_at(path).retrieve("me") is None
    assert list(await store.keys()) == ["someone else"]
    other = await store.retrieve("someone else")
    assert other.get_slot("er_status") == "positive"


async def test_the_conversation_after_a_deletion_starts_fresh_and_is_kept(tmp_path: Path):
    path = tmp_path / "t.db"
    store = store_at(path)
    tracker = await yes_to_deleting(store, "me")
    await store.save(tracker)
    fresh = DialogueStateTracker.from_events("me", [UserUttered("hi")])
    await store.save(fresh)
    fresh.update(UserUttered("what is tamoxifen?"))
    await store.save(fresh)  # a later turn: nothing is deleted again
    assert stored_rows(path, "me") == 2
    again = await store.retrieve("me")
    assert again.get_slot("er_status") is None


async def test_a_deletion_marker_from_an_earlier_turn_is_not_acted_on_again():
    events = [UserUttered("yes"), SlotSet(FORGET_SLOT, True), UserUttered("hi")]
    assert forget_requested(events) is False
    assert forget_requested(events[:2]) is True
    assert forget_requested(
        [{"event": "user"}, {"event": "slot", "name": FORGET_SLOT, "value": True}]
    )
    assert not forget_requested([UserUttered("yes"), SlotSet(FORGET_SLOT, False)])


async def test_a_deletion_while_the_database_is_down_says_so_and_deletes_nothing(tmp_path: Path):
    path = tmp_path / "t.db"
    store = store_at(path)
    tracker = await yes_to_deleting(store, "me")
    broken = store_at(path)
    break_database(broken, tmp_path)
    with pytest.raises(StoreUnavailable):
        await broken.save(tracker)
    assert stored_rows(path, "me") == 4


# ---------------------------------------------------------------------------------------------
# The action server down (stores/action_outage.py)

OUTAGE_DOMAIN = Domain.from_dict(
    {
        "responses": {
            ACTION_OUTAGE_RESPONSE: [{"text": "Sorry, part of me isn't working right now."}]
        },
        "actions": ["action_guide_read"],
    }
)


async def test_an_unreachable_action_server_gets_a_clear_answer_and_ends_the_turn():
    install()
    closed = EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook")  # nothing listens
    action = RemoteAction("action_guide_read", closed)
    channel = CollectingOutputChannel()
    tracker = DialogueStateTracker.from_events("me", [UserUttered("read my guide")])
    nlg = TemplatedNaturalLanguageGenerator(OUTAGE_DOMAIN.responses)
    events = await action.run(channel, nlg, tracker, OUTAGE_DOMAIN)
    assert [e.text for e in events if isinstance(e, BotUttered)] == [
        "Sorry, part of me isn't working right now."
    ]
    assert FollowupAction("action_listen") in events


async def test_a_rejection_by_the_action_server_is_not_an_outage():
    install()
    rejection = ActionExecutionRejection("action_guide_read")

    async def reject(*args: object, **kwargs: object) -> None:
        raise rejection

    closed = EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook")
    action = RemoteAction("action_guide_read", closed)
    action.action_endpoint.request = reject  # the server answered 400 "rejected"
    tracker = DialogueStateTracker.from_events("me", [UserUttered("hi")])
    nlg = TemplatedNaturalLanguageGenerator(OUTAGE_DOMAIN.responses)
    with pytest.raises(ActionExecutionRejection):
        await action.run(CollectingOutputChannel(), nlg, tracker, OUTAGE_DOMAIN)
