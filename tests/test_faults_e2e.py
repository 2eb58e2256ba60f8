"""The action server goes down mid-conversation: a clear answer, nothing saved is lost, and the
assistant recovers by itself when it comes back (stores/action_outage.py).

The other faults are tested where their parts run: the mail server (tests/test_mail_queue.py,
with aiosmtpd), PostgreSQL and Redis (tests/test_scaleout_e2e.py).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml

from tests.servers import MODEL

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: run `make train`"),
]

DOMAIN = yaml.safe_load((Path(__file__).resolve().parent.parent / "domain.yml").read_text())
OUTAGE = DOMAIN["responses"]["utter_action_server_unavailable"][0]["text"]


def test_the_action_server_down_gets_a_clear_answer_and_loses_nothing(assistant):
    sender = f"fault-{uuid.uuid4().hex[:8]}"
    assistant.say(sender, "I'm ER positive and HER2 negative")
    assert "can i travel" in assistant.text(sender, "add: can I travel during treatment?")

    assistant.stop_actions()
    try:
        for message in ("what is tamoxifen?", "read my guide", "add: will I lose my hair?"):
            replies = assistant.say(sender, message)
            # One clear sentence each time, never silence and never the same thing twice.
            assert [r.get("text") for r in replies] == [OUTAGE], message
    finally:
        assistant.restart_actions()

    # Back by itself: the saved profile and guide are intact, and what failed can be said again.
    guide = assistant.text(sender, "read my guide")
    assert "can i travel during treatment" in guide
    assert "lose my hair" not in guide
    assert "tamoxifen" in assistant.text(sender, "what is tamoxifen?")
    assert "lose my hair" in assistant.text(sender, "add: will I lose my hair?")
    options = assistant.text(sender, "find my options")
    assert "hormone receptor-positive?" not in options  # the profile was kept
