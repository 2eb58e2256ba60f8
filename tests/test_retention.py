"""stores/retention.py: quiet conversations are deleted whole; recent ones are left alone.

The conversations are written by Rasa's own SQL tracker store into a SQLite file, as the
assistant stores them, then the command runs as a scheduler would run it.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from stores.retention import (
    DEFAULT_DAYS,
    RetentionError,
    forget_quiet_conversations,
    main,
    retention_days,
)

DOMAIN = Domain.from_dict({"slots": {"guide": {"type": "any", "mappings": []}}})
DAY = 86_400


def conversation(sender: str, *ages_in_days: float) -> DialogueStateTracker:
    """A conversation whose turns happened the given number of days ago."""
    now = time.time()
    events = []
    for age in ages_in_days:
        stamp = now - age * DAY
        events += [
            ActionExecuted("action_listen", timestamp=stamp),
            UserUttered("save the hormone therapy questions", timestamp=stamp),
            SlotSet("guide", [{"family": "hormone", "text": "Q?"}], timestamp=stamp),
        ]
    return DialogueStateTracker.from_events(sender, events)


def stored(path: Path, *trackers: DialogueStateTracker) -> SQLTrackerStore:
    store = SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(path))
    for tracker in trackers:
        asyncio.run(store.save(tracker))
    return store


def senders(path: Path) -> set[str]:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT DISTINCT sender_id FROM events")).all()
    engine.dispose()
    return {row[0] for row in rows}


def test_quiet_conversations_go_whole_and_recent_ones_stay(tmp_path):
    db = tmp_path / "tracker.db"
    stored(
        db,
        conversation("quiet", 200, 120),
        # Started long ago but used last week: a person coming back to their guide keeps it.
        conversation("came-back", 300, 7),
        conversation("today", 0),
    )
    engine = sa.create_engine(f"sqlite:///{db}")
    assert forget_quiet_conversations(engine, 90, dry_run=True) == 1
    assert senders(db) == {"quiet", "came-back", "today"}
    assert forget_quiet_conversations(engine, 90) == 1
    assert senders(db) == {"came-back", "today"}
    assert forget_quiet_conversations(engine, 5) == 1
    assert senders(db) == {"today"}
    engine.dispose()


def test_a_database_with_no_conversation_yet_is_fine(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert forget_quiet_conversations(engine, 1) == 0


def test_the_command_reads_the_store_settings_and_says_what_it_did(tmp_path, monkeypatch, capsys):
    db = tmp_path / "tracker.db"
    stored(db, conversation("quiet", 40), conversation("today", 0))
    monkeypatch.setenv("SQLITE_PATH", str(db))
    monkeypatch.setenv("RETENTION_DAYS", "30")
    monkeypatch.delenv("TRACKER_STORE", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["--dry-run"]) == 0
    assert "Would delete 1 conversation(s)" in capsys.readouterr().out
    assert senders(db) == {"quiet", "today"}
    assert main([]) == 0
    assert "Deleted 1 conversation(s)" in capsys.readouterr().out
    assert senders(db) == {"today"}
    # The tracker store still reads what is left.
    assert asyncio.run(stored(db).retrieve("today")) is not None


def test_bad_settings_end_with_one_clear_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SQLITE_PATH", str(tmp_path / "tracker.db"))
    monkeypatch.setenv("RETENTION_DAYS", "soon")
    assert main([]) == 2
    assert "RETENTION_DAYS must be a whole number" in capsys.readouterr().err
    assert main(["--days", "0"]) == 2
    monkeypatch.setenv("RETENTION_DAYS", "7")
    monkeypatch.setenv("TRACKER_STORE", "mongodb")
    assert main([]) == 2
    assert "TRACKER_STORE" in capsys.readouterr().err


def test_retention_days_setting():
    assert retention_days({}) == DEFAULT_DAYS
    assert retention_days({"RETENTION_DAYS": " 30 "}) == 30
    for bad in ("0", "-3", "1.5", "ninety"):
        with pytest.raises(RetentionError):
            retention_days({"RETENTION_DAYS": bad})
