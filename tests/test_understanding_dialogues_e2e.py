"""The independent dialogues (tests/understanding/dialogues.yml) against the real assistant.

Each dialogue is a new conversation over REST; after every turn the profile is read from the
conversation store, as the assistant itself would read it next turn, and compared with what a
careful listener would have recorded. No fact may be recorded as its opposite or invented at any
turn; the share of turns whose whole profile is right is printed and kept above a floor.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.understanding import canonical, compare
from tests.servers import MODEL

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: run `make train`"),
]

DIALOGUES = Path(__file__).parent / "understanding" / "dialogues.yml"
PROFILE = ("er", "pr", "hr", "her2", "menopause", "prior_hormone", "spread")
# Turns whose whole profile is right, as measured when this landed; raise it as it rises.
MIN_TURNS_RIGHT = 0.92


def profile_of(store: Path, sender: str) -> dict[str, Any]:
    """The profile slots of a conversation, from its stored events."""
    with sqlite3.connect(store) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'slot' ORDER BY id",
            (sender,),
        ).fetchall()
    slots: dict[str, Any] = {}
    for (data,) in rows:
        event = json.loads(data)
        if event.get("name") in PROFILE:
            slots[event["name"]] = event.get("value")
    return slots


def test_dialogues_never_record_an_opposite_or_invented_fact(assistant):
    dialogues = yaml.safe_load(DIALOGUES.read_text(encoding="utf-8"))["dialogues"]
    store = assistant.workdir / "tracker.db"
    problems, turns, right = [], 0, 0
    for dialogue in dialogues:
        sender = f"dialogue-{uuid.uuid4().hex[:8]}"
        for number, turn in enumerate(dialogue["turns"], 1):
            assistant.say(sender, turn["user"])
            recorded = profile_of(store, sender)
            result = compare(turn.get("profile") or {}, recorded)
            turns += 1
            if not (result["wrong"] or result["missed"] or result["invented"]):
                right += 1
            if result["opposite"] or result["invented"]:
                problems.append(
                    f"{dialogue['name']} turn {number} {turn['user']!r}: expected "
                    f"{canonical(turn.get('profile') or {})}, recorded {canonical(recorded)}"
                )
    print(
        f"\nDialogues: {right} of {turns} turns with the whole profile right ({right / turns:.1%})"
    )
    assert not problems, "\n".join(problems)
    assert right / turns >= MIN_TURNS_RIGHT
