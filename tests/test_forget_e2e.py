""""Delete what I told you", end to end: a real Rasa server, action server and SQLite store.

The person is asked first; "no" keeps everything; "yes" deletes the whole conversation from the
tracker store (not just from the screen): the profile, the guide and every message.
"""

from __future__ import annotations

import sqlite3
import uuid

import pytest
import requests

from tests.servers import MODEL

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: run `make train`"),
]


def stored_events(assistant, sender: str) -> int:
    with sqlite3.connect(assistant.workdir / "tracker.db") as db:
        return db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[
            0
        ]


def kept_messages(assistant, sender: str) -> list[dict]:
    answer = requests.get(
        f"{assistant.url}/webhooks/webchat/conversation", params={"session_id": sender}, timeout=10
    )
    answer.raise_for_status()
    return answer.json()["messages"]


def someone_with_a_profile_and_a_guide(assistant) -> str:
    sender = f"forget-{uuid.uuid4().hex[:8]}"
    assistant.say(sender, "I'm ER positive and HER2 negative")
    assert "can i travel" in assistant.text(sender, "add: can I travel during treatment?")
    return sender


def test_no_keeps_everything(assistant):
    sender = someone_with_a_profile_and_a_guide(assistant)
    assert "delete everything from this conversation" in assistant.text(sender, "delete my data")
    assert "kept everything" in assistant.text(sender, "no")
    assert "can i travel during treatment" in assistant.text(sender, "read my guide")


def test_yes_deletes_the_whole_conversation_from_the_store(assistant):
    sender = someone_with_a_profile_and_a_guide(assistant)
    other = someone_with_a_profile_and_a_guide(assistant)
    asked = assistant.say(sender, "delete what I told you")
    assert "it can't be undone" in asked[0]["text"].lower()
    assert [b["title"] for b in asked[0]["buttons"]] == ["Yes, delete it all", "No, keep it"]

    done = assistant.say(sender, "yes")
    assert "i deleted this conversation" in done[0]["text"].lower()
    # A machine-readable note for pages that show the conversation (the web chat clears it).
    assert {"conversation_deleted": True} in [m.get("custom") for m in done]
    assert stored_events(assistant, sender) == 0
    assert kept_messages(assistant, sender) == []
    assert stored_events(assistant, other) > 0  # only this person's conversation

    # Talking again starts afresh: no guide, no profile.
    assert "your guide is empty" in assistant.text(sender, "read my guide")
    assert "hormone receptor-positive?" in assistant.text(sender, "find my options")
    assert stored_events(assistant, sender) > 0


def test_the_number_of_a_choice_answers_the_question(assistant):
    sender = someone_with_a_profile_and_a_guide(assistant)
    assistant.say(sender, "forget everything I said")
    assert "kept everything" in assistant.text(sender, "number two")
    assert "can i travel during treatment" in assistant.text(sender, "read my guide")
