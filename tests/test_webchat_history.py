"""The web chat's redraw after a reload: messages from tracker events, the guide view, files."""

from __future__ import annotations

from channels.webchat import static_path
from channels.webchat_history import MAX_MESSAGES, conversation_view, guide_view


def user(text: str) -> dict:
    return {"event": "user", "text": text, "parse_data": {}}


def bot(text: str | None, buttons: list | None = None) -> dict:
    return {"event": "bot", "text": text, "data": {"buttons": buttons} if buttons else {}}


def test_messages_keep_order_buttons_and_payloads():
    events = [
        {"event": "action", "name": "action_session_start"},
        bot("Welcome."),
        user("find my options"),
        {"event": "slot", "name": "pending", "value": "hr"},
        bot("Is it hormone receptor-positive?", [{"title": "Yes", "payload": "/affirm"}]),
        user("/affirm"),
        bot(None),  # custom JSON without text is not drawn
    ]
    view = conversation_view("abc", events, None)
    assert view["session_id"] == "abc"
    assert view["messages"] == [
        {"from": "assistant", "text": "Welcome."},
        {"from": "user", "text": "find my options"},
        {
            "from": "assistant",
            "text": "Is it hormone receptor-positive?",
            "buttons": [{"title": "Yes", "payload": "/affirm"}],
        },
        {"from": "user", "text": "/affirm"},
    ]


def test_a_long_conversation_sends_only_its_end():
    events = [user(f"message {n}") for n in range(MAX_MESSAGES + 20)]
    messages = conversation_view("abc", events, None)["messages"]
    assert len(messages) == MAX_MESSAGES
    assert messages[-1]["text"] == f"message {MAX_MESSAGES + 19}"


def test_guide_view_numbers_questions_and_gives_the_email_text():
    view = guide_view(
        [
            {"family": None, "text": "Can I travel?"},
            {"family": "chemotherapy", "text": "How long will it last?"},
            {"junk": True},
        ]
    )
    assert [q["number"] for q in view["questions"]] == [1, 2]
    assert view["questions"][0] == {"number": 1, "text": "Can I travel?", "family": None}
    assert "Can I travel?" in view["text"] and "How long will it last?" in view["text"]
    # The download carries where the information comes from and when it was reviewed.
    assert "Reviewed" in view["text"]
    assert view["filename"].endswith(".txt")


def test_an_empty_guide_has_no_text():
    assert guide_view(None) == {"questions": [], "text": "", "filename": guide_view([])["filename"]}


def test_only_real_page_files_are_served():
    assert static_path("../../credentials.yml") is None
    assert static_path("/etc/passwd") is None
    assert static_path("..\\secrets") is None
    assert static_path("nothing-here.js") is None
    assert static_path("") is None
