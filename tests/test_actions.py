"""Custom actions, run with trackers built in the test (no Rasa server)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import actions as a
from tests.servers import free_port, start_smtp


def tracker(
    text: str = "",
    intent: str = "inform_profile",
    entities: list[dict[str, Any]] | None = None,
    **slots: Any,
) -> Tracker:
    return Tracker(
        sender_id="test",
        slots=slots,
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": entities or [],
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def ent(name: str, value: str) -> dict[str, Any]:
    return {"entity": name, "value": value}


async def run(action_class, t: Tracker) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = await action_class().run(dispatcher, t, {})
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return dispatcher.messages, slots


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("response") for m in messages]


async def test_profile_asks_the_first_question():
    messages, slots = await run(a.ActionShowOptions, tracker("find my options", "show_options"))
    assert responses(messages) == ["utter_options_need_profile", "utter_ask_hr"]
    assert slots == {"pending": "hr"}


async def test_several_facts_skip_straight_to_what_is_missing():
    t = tracker(
        "ER+ HER2- post-menopausal",
        entities=[
            ent("er_status", "positive"),
            ent("her2_status", "negative"),
            ent("menopause", "post"),
        ],
    )
    messages, slots = await run(a.ActionUpdateProfile, t)
    assert responses(messages) == ["utter_profile_noted", "utter_ask_prior_hormone"]
    assert "ER-positive" in messages[0]["facts"]
    assert slots["pending"] == "prior_hormone"


async def test_yes_answers_the_pending_question():
    messages, slots = await run(
        a.ActionHandleAnswer,
        tracker("yes", "affirm", pending="menopause", hr="positive", her2="negative"),
    )
    assert slots["menopause"] == "post"
    assert responses(messages)[-1] == "utter_ask_prior_hormone"


async def test_unknown_hr_is_explained_and_the_profile_goes_on():
    messages, slots = await run(a.ActionHandleAnswer, tracker("no idea", "dont_know", pending="hr"))
    assert slots["hr"] == "unknown"
    assert responses(messages) == ["utter_unknown_result", "utter_ask_her2"]
    assert "test" in messages[0]["explanation"].lower()


async def test_complete_profile_shows_options_with_reasons_and_drugs():
    t = tracker(
        "bones",
        entities=[ent("spread_site", "bones")],
        pending="spread",
        er="positive",
        her2="negative",
        menopause="post",
        prior_hormone="yes",
    )
    messages, slots = await run(a.ActionUpdateProfile, t)
    names = responses(messages)
    assert names[0] == "utter_profile_noted"
    assert names[1] == "utter_options_intro"
    families = [m for m in messages if m.get("response") == "utter_option_family"]
    text = " ".join(f"{m['family_name']} {m['reason']} {m['items']}" for m in families)
    assert "fulvestrant" in text.lower() and "toremifene" not in text.lower()
    assert slots["options_shown"] is True and slots["pending"] == "pick_option"


async def test_correction_after_options_updates_them():
    t = tracker(
        "actually her2 positive",
        entities=[ent("her2_status", "positive")],
        er="positive",
        her2="negative",
        menopause="post",
        prior_hormone="yes",
        spread=["bones"],
        options_shown=True,
    )
    messages, slots = await run(a.ActionUpdateProfile, t)
    assert responses(messages)[0] == "utter_profile_corrected"
    assert "utter_options_intro" in responses(messages)
    assert slots["her2"] == "positive"


async def test_question_mid_profile_answers_then_reasks():
    t = tracker(
        "side effects of tamoxifin",
        "ask_side_effects",
        entities=[ent("drug", "tamoxifin")],
        pending="her2",
    )
    messages, slots = await run(a.ActionAnswerQuestion, t)
    assert responses(messages) == [
        "utter_answer_side_effects",
        "utter_back_to_profile",
        "utter_ask_her2",
    ]
    assert "hot flashes" in messages[0]["fact"].lower()
    assert slots["last_topic"] == "tamoxifen"


async def test_follow_up_question_uses_the_last_topic():
    messages, _ = await run(
        a.ActionAnswerQuestion,
        tracker("how is it given", "ask_how_given", last_topic="fulvestrant"),
    )
    assert "month" in messages[0]["fact"].lower()


async def test_unknown_drug_is_said_plainly():
    t = tracker("what is aspirin", "ask_what_is", entities=[ent("drug", "aspirin")])
    messages, _ = await run(a.ActionAnswerQuestion, t)
    assert responses(messages)[0] == "utter_unknown_topic"


async def test_save_family_questions_without_duplicates():
    t = tracker(
        "save the chemo questions", "guide_add_family", entities=[ent("treatment", "chemotherapy")]
    )
    messages, slots = await run(a.ActionGuideAddFamily, t)
    assert responses(messages) == ["utter_guide_added_family"]
    guide = slots["guide"]
    assert len(guide) >= 5 and all(e["family"] == "chemotherapy" for e in guide)
    messages, slots = await run(
        a.ActionGuideAddFamily,
        tracker(
            "save the chemo questions",
            "guide_add_family",
            entities=[ent("treatment", "chemotherapy")],
            guide=guide,
        ),
    )
    assert responses(messages) == ["utter_guide_family_already"]
    assert slots["guide"] == guide


async def test_remove_asks_which_when_unclear_then_takes_a_number():
    guide = [{"family": None, "text": "A?"}, {"family": None, "text": "B?"}]
    messages, slots = await run(
        a.ActionGuideRemove, tracker("remove one", "guide_remove", guide=guide)
    )
    assert slots["guide"] == [guide[1]]
    messages, slots = await run(
        a.ActionGuideRemove, tracker("remove a question", "guide_remove", guide=guide)
    )
    assert slots["pending"] == "remove_which"
    messages, slots = await run(
        a.ActionHandleAnswer, tracker("2", "inform_number", guide=guide, pending="remove_which")
    )
    assert slots["guide"] == [guide[0]]


async def test_clear_needs_a_yes():
    guide = [{"family": None, "text": "A?"}]
    _, slots = await run(a.ActionGuideClear, tracker("clear", "guide_clear", guide=guide))
    assert slots == {"pending": "confirm_clear"}
    _, slots = await run(
        a.ActionHandleAnswer, tracker("no", "deny", guide=guide, pending="confirm_clear")
    )
    assert "guide" not in slots
    _, slots = await run(
        a.ActionHandleAnswer, tracker("yes", "affirm", guide=guide, pending="confirm_clear")
    )
    assert slots["guide"] == []


async def test_delete_what_i_told_you_needs_a_yes():
    guide = [{"family": None, "text": "A?"}]
    messages, slots = await run(a.ActionForgetMe, tracker("delete what I told you", "forget_me"))
    assert responses(messages) == ["utter_forget_confirm"]
    assert slots == {"pending": "confirm_forget"}
    # "No", "I don't know" or anything but a yes keeps everything.
    for text, intent in (("no", "deny"), ("I don't know", "dont_know")):
        t = tracker(text, intent, guide=guide, pending="confirm_forget", er="positive")
        messages, slots = await run(a.ActionHandleAnswer, t)
        assert responses(messages) == ["utter_forget_kept"]
        assert slots == {"pending": None}
    t = tracker("yes", "affirm", guide=guide, pending="confirm_forget", er="positive")
    messages, slots = await run(a.ActionHandleAnswer, t)
    assert responses(messages)[0] == "utter_forget_done"
    # The tracker store deletes the conversation on this slot; the page clears its screen.
    assert slots == {"pending": None, "conversation_deleted": True}
    assert {"conversation_deleted": True} in [m.get("custom") for m in messages]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a@b.com\nBcc: x@y.com", "utter_email_problem_line_break"),
        ("a@b.com, c@d.com", "utter_email_problem_several_recipients"),
    ],
)
async def test_bad_addresses_are_refused(text, expected):
    guide = [{"family": None, "text": "A?"}]
    messages, slots = await run(
        a.ActionHandleAnswer, tracker(text, "inform_email", guide=guide, pending="email_address")
    )
    assert responses(messages) == [expected]
    assert slots["pending"] == "email_address"


async def test_email_goes_to_the_outbox_without_smtp(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SMTP_HOST", "")
    monkeypatch.setenv("OUTBOX_DIR", str(tmp_path))
    guide = [{"family": "chemotherapy", "text": "How long?"}]
    messages, slots = await run(
        a.ActionHandleAnswer,
        tracker(
            "sam dot rivera at example dot org",
            "inform_email",
            guide=guide,
            pending="email_address",
        ),
    )
    assert slots["email_address"] == "sam.rivera@example.org"
    assert slots["pending"] == "confirm_email"
    messages, slots = await run(
        a.ActionHandleAnswer,
        tracker(
            "yes",
            "affirm",
            guide=guide,
            pending="confirm_email",
            email_address="sam.rivera@example.org",
        ),
    )
    assert responses(messages) == ["utter_email_saved_outbox"]
    assert list(tmp_path.glob("*.eml"))
    assert slots["email_address"] is None


async def test_fallback_spots_danger_the_model_missed():
    messages, _ = await run(a.ActionDefaultFallback, tracker("i cant breath", "nlu_fallback"))
    assert responses(messages) == ["utter_emergency"]


async def test_personal_advice_points_to_the_care_team_and_offers_the_question():
    t = tracker(
        "should I stop my letrozole?", "ask_personal_advice", entities=[ent("drug", "letrozole")]
    )
    messages, slots = await run(a.ActionPersonalAdvice, t)
    assert responses(messages) == [
        "utter_no_personal_advice",
        "utter_answer_what_is",
        "utter_offer_advice_question",
    ]
    assert slots["pending"].startswith("offer:")


async def test_a_fact_the_page_does_not_give_is_not_invented():
    t = tracker("side effects of fareston", "ask_side_effects", entities=[ent("drug", "fareston")])
    messages, _ = await run(a.ActionAnswerQuestion, t)
    assert messages[0]["response"] == "utter_answer_not_on_page"
    assert messages[0]["topic"] == "what the side effects are"


async def test_a_leading_yes_counts_when_the_rest_is_not_understood():
    t = tracker(
        "yes, I went through the change", pending="menopause", hr="positive", her2="negative"
    )
    _, slots = await run(a.ActionUpdateProfile, t)
    assert slots["menopause"] == "post"


async def test_an_unsure_model_still_takes_a_clear_answer_to_the_question_asked():
    # The model split "yes" from "I have been through menopause" and fell back.
    entities = [ent("menopause", "been through menopause")]
    t = tracker(
        "yes I have been through menopause",
        "nlu_fallback",
        entities,
        pending="menopause",
        hr="positive",
        her2="negative",
    )
    messages, slots = await run(a.ActionDefaultFallback, t)
    assert slots["menopause"] == "post"
    assert "utter_default" not in responses(messages)
    assert slots["pending"] == "prior_hormone"
    # A leading yes alone does it too; with no profile question waiting, it is still help.
    t = tracker("yes yes that thing", "nlu_fallback", pending="menopause", hr="positive")
    _, slots = await run(a.ActionDefaultFallback, t)
    assert slots["menopause"] == "post"
    messages, slots = await run(a.ActionDefaultFallback, tracker("yes blorp", "nlu_fallback"))
    assert responses(messages) == ["utter_default"] and slots == {}


async def test_starting_again_with_a_complete_profile_shows_the_options():
    t = tracker(
        "find my options",
        "show_options",
        er="positive",
        her2="negative",
        menopause="pre",
        spread=["liver"],
        options_shown=True,
    )
    messages, _ = await run(a.ActionShowOptions, t)
    assert "utter_options_intro" in responses(messages)


async def test_a_new_conversation_starts_with_the_disclaimer_and_keeps_slots():
    dispatcher = CollectingDispatcher()
    events = await a.ActionSessionStart().run(
        dispatcher, tracker("hi", "greet", her2="positive"), {}
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_disclaimer"]
    assert events[0]["event"] == "session_started"
    assert {"event": "slot", "name": "her2", "value": "positive", "timestamp": None} in [
        {k: e.get(k) for k in ("event", "name", "value", "timestamp")} for e in events
    ]
    assert events[-1]["name"] == "action_listen"


async def test_a_number_picks_the_button_of_the_pending_question():
    import yaml

    domain = yaml.safe_load((Path(__file__).resolve().parent.parent / "domain.yml").read_text())
    dispatcher = CollectingDispatcher()
    t = tracker("2", "inform_number", pending="her2", hr="positive")
    events = await a.ActionHandleAnswer().run(dispatcher, t, domain)
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots["her2"] == "negative"
    dispatcher = CollectingDispatcher()
    t = tracker("number 1", "inform_number", pending="spread", hr="negative", her2="negative")
    events = await a.ActionHandleAnswer().run(dispatcher, t, domain)
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots["spread"] == ["bones"]


async def test_an_open_confirmation_is_closed_by_another_request():
    guide = [{"family": None, "text": "A?"}]
    t = tracker("read my guide", "guide_read", guide=guide, pending="confirm_clear")
    _, slots = await run(a.ActionGuideRead, t)
    assert slots == {"pending": None}
    # A profile question stays open: the person is brought back to it.
    t = tracker("read my guide", "guide_read", guide=guide, pending="her2")
    messages, slots = await run(a.ActionGuideRead, t)
    assert "pending" not in slots
    assert responses(messages)[-1] == "utter_ask_her2"


# ---------------------------------------------------------------------------------------------
# Voice controls


def user_event(text: str, intent: str, channel: str = "alexa", message_id: str = "") -> dict:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent}, "entities": []},
        "input_channel": channel,
        "message_id": message_id or f"id-{text}",
    }


def bot_event(text: str, buttons: list | None = None) -> dict:
    return {"event": "bot", "text": text, "data": {"buttons": buttons or []}}


def voice_tracker(events: list[dict], intent: str, text: str = "", **slots: Any) -> Tracker:
    events = events + [user_event(text or intent, intent)]
    return Tracker(
        sender_id="test",
        slots=slots,
        latest_message={"text": text or intent, "intent": {"name": intent}, "entities": []},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def test_repeat_says_the_last_answer_with_its_choices():
    buttons = [{"title": "Yes", "payload": "/affirm"}]
    events = [
        user_event("hi", "greet"),
        bot_event("Hello."),
        user_event("find my options", "show_options"),
        bot_event("Is it HER2-positive?", buttons),
        user_event("slower", "slower"),
        bot_event("OK, slower."),
    ]
    messages, _ = await run(a.ActionRepeat, voice_tracker(events, "repeat"))
    assert [m["text"] for m in messages] == ["Is it HER2-positive?"]
    assert messages[0]["buttons"] == buttons


async def test_repeat_with_nothing_said_yet():
    messages, _ = await run(a.ActionRepeat, voice_tracker([], "repeat"))
    assert responses(messages) == ["utter_repeat_nothing"]


async def test_options_by_voice_are_read_three_at_a_time_then_more():
    profile = {"hr": "positive", "er": "positive", "her2": "negative", "menopause": "post"}
    profile.update({"prior_hormone": "no", "spread": ["bones"]})
    t = voice_tracker([], "show_options", "find my options", **profile)
    messages, slots = await run(a.ActionShowOptions, t)
    names = responses(messages)
    assert names[0] == "utter_options_intro"
    assert names.count("utter_option_family") == 3
    assert names[-1] == "utter_list_more"
    state = slots["more"]
    assert len(state["items"]) > 3
    # "more" reads the rest and then what follows the list.
    events = [user_event("find my options", "show_options", message_id="id-find my options")]
    t = voice_tracker(events, "more", **profile, more=state)
    messages, slots = await run(a.ActionMore, t)
    assert "utter_option_family" in responses(messages)
    assert "utter_options_next" in responses(messages) or responses(messages)[-1] == (
        "utter_list_more"
    )


async def test_options_in_text_are_shown_whole():
    profile = {"hr": "positive", "er": "positive", "her2": "negative", "menopause": "post"}
    profile.update({"prior_hormone": "no", "spread": ["bones"]})
    t = tracker("find my options", "show_options", **profile)
    messages, slots = await run(a.ActionShowOptions, t)
    assert "utter_list_more" not in responses(messages)
    assert responses(messages)[-1] == "utter_options_next" and slots["more"] is None


async def test_more_without_a_list():
    messages, _ = await run(a.ActionMore, voice_tracker([], "more"))
    assert responses(messages) == ["utter_more_nothing"]


async def test_go_back_undoes_the_last_profile_answer_and_asks_again():
    events = [
        user_event("yes", "affirm"),
        {"event": "slot", "name": "hr", "value": "positive"},
        user_event("no", "deny"),
        {"event": "slot", "name": "her2", "value": "negative"},
        {"event": "slot", "name": "pending", "value": "menopause"},
    ]
    t = voice_tracker(events, "go_back", hr="positive", her2="negative", pending="menopause")
    messages, slots = await run(a.ActionGoBack, t)
    assert responses(messages) == ["utter_go_back_profile", "utter_ask_her2"]
    assert slots["her2"] is None and slots["pending"] == "her2"


async def test_go_back_with_nothing_to_undo():
    messages, _ = await run(a.ActionGoBack, voice_tracker([], "go_back"))
    assert responses(messages) == ["utter_go_back_nothing"]


@pytest.mark.parametrize(
    "current, intent, expected",
    [(100, "slower", 85), (85, "slower", 70), (70, "slower", 70), (100, "faster", 115)],
)
def test_speech_rate_steps(current, intent, expected):
    assert a.next_rate(current, intent) == expected


async def test_slower_sets_the_rate_and_says_the_last_answer_again():
    events = [user_event("what is tamoxifen", "ask_what_is"), bot_event("Tamoxifen is a pill.")]
    messages, slots = await run(a.ActionSpeechRate, voice_tracker(events, "slower"))
    assert slots["speech_rate"] == 85
    assert responses(messages)[0] == "utter_rate_slower"
    assert messages[1]["text"] == "Tamoxifen is a pill."
    messages, _ = await run(a.ActionSpeechRate, voice_tracker(events, "slower", speech_rate=70.0))
    assert responses(messages)[0] == "utter_rate_limit_slower"


async def test_what_can_i_say_depends_on_the_question():
    messages, _ = await run(
        a.ActionWhatCanISay, voice_tracker([], "what_can_i_say", pending="her2")
    )
    assert responses(messages) == ["utter_what_can_i_say_her2", "utter_what_can_i_say_always"]
    messages, _ = await run(a.ActionWhatCanISay, voice_tracker([], "what_can_i_say"))
    assert responses(messages) == ["utter_what_can_i_say", "utter_what_can_i_say_always"]


async def test_confirming_an_email_passes_the_spelled_address():
    t = tracker(
        "sam dot rivera at example dot org", "inform_email", guide=[{"family": None, "text": "Q?"}]
    )
    messages, _ = await run(a.ActionHandleAnswer, t)
    assert messages[-1]["spelled"] == "s a m dot r i v e r a at example dot org"


async def test_a_session_asked_for_right_after_rasa_started_one_welcomes_once():
    just_started = [
        {"event": "action", "name": "action_session_start"},
        {"event": "session_started"},
        {"event": "action", "name": "action_listen"},
    ]
    dispatcher = CollectingDispatcher()
    events = await a.ActionSessionStart().run(
        dispatcher, voice_tracker(just_started, "session_start"), {}
    )
    assert dispatcher.messages == []
    assert [(e["event"], e["name"]) for e in events] == [("action", "action_listen")]
    # Rasa logs the featurization after the message before running the action.
    t = voice_tracker(just_started, "session_start")
    t.events.append({"event": "user_featurization", "use_text_for_featurization": False})
    messages, _ = await run(a.ActionSessionStart, t)
    assert messages == []
    returning = [user_event("hi", "greet"), bot_event("Hello.")]
    messages, _ = await run(a.ActionSessionStart, voice_tracker(returning, "session_start"))
    assert responses(messages) == ["utter_disclaimer"]


async def test_a_number_after_the_options_picks_that_kind_of_treatment():
    profile = {"hr": "positive", "er": "positive", "her2": "negative", "menopause": "post"}
    profile.update({"prior_hormone": "no", "spread": ["bones"]})
    _, slots = await run(a.ActionShowOptions, tracker("find my options", "show_options", **profile))
    assert slots["pending"] == "pick_option"
    t = tracker("the second one", "inform_number", pending="pick_option", **profile)
    messages, slots = await run(a.ActionHandleAnswer, t)
    assert responses(messages)[0] == "utter_answer_what_is"
    assert slots["last_topic"] == "targeted_therapy" and slots["pending"] is None


# The web page's Remove buttons and email form send intent payloads with these entities.


async def test_the_pages_remove_button_removes_that_question_by_its_words():
    guide = [{"family": None, "text": "A?"}, {"family": None, "text": "Can I travel?"}]
    messages, slots = await run(
        a.ActionGuideRemove,
        tracker(
            '/guide_remove{"guide_question": "can I travel"}',
            "guide_remove",
            [ent("guide_question", "can I travel")],
            guide=guide,
        ),
    )
    assert slots["guide"] == [guide[0]]
    assert responses(messages) == ["utter_guide_removed"]


async def test_a_remove_button_for_a_question_already_gone_changes_nothing():
    guide = [{"family": None, "text": "A?"}]
    messages, slots = await run(
        a.ActionGuideRemove,
        tracker("", "guide_remove", [ent("guide_question", "B?")], guide=guide),
    )
    assert "guide" not in slots
    assert responses(messages) == ["utter_guide_question_gone"]


async def test_the_pages_email_form_sends_without_a_yes(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SMTP_HOST", "")
    monkeypatch.setenv("OUTBOX_DIR", str(tmp_path))
    guide = [{"family": "chemotherapy", "text": "How long?"}]
    messages, slots = await run(
        a.ActionEmailGuide,
        tracker("", "email_guide", [ent("email", "sam@example.org")], guide=guide),
    )
    assert responses(messages) == ["utter_email_saved_outbox"]
    assert len(list(tmp_path.glob("*.eml"))) == 1
    assert slots["email_address"] is None


async def test_the_pages_email_form_still_refuses_a_bad_address(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SMTP_HOST", "")
    monkeypatch.setenv("OUTBOX_DIR", str(tmp_path))
    guide = [{"family": None, "text": "A?"}]
    messages, slots = await run(
        a.ActionEmailGuide,
        tracker("", "email_guide", [ent("email", "a@b.com\nBcc: x@y.com")], guide=guide),
    )
    assert responses(messages) == ["utter_email_problem_line_break"]
    assert not list(tmp_path.glob("*.eml"))


# --- the email goes through the durable queue -----------------------------------------------


def confirmed(guide: list[dict[str, Any]], address: str = "sam@example.org") -> Tracker:
    return tracker("yes", "affirm", guide=guide, pending="confirm_email", email_address=address)


def smtp_env(monkeypatch, port: int) -> None:
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    monkeypatch.setenv("SMTP_SECURITY", "none")
    monkeypatch.setenv("MAIL_FROM", "guide@test.example")


async def test_email_sent_at_once_when_the_mail_server_answers(monkeypatch):
    controller, catcher = start_smtp()
    smtp_env(monkeypatch, controller.port)
    try:
        messages, slots = await run(
            a.ActionHandleAnswer, confirmed([{"family": "surgery", "text": "Why?"}])
        )
    finally:
        controller.stop()
    assert responses(messages) == ["utter_email_sent"]
    assert [rcpt for _, rcpt, _ in catcher.messages] == [["sam@example.org"]]
    assert slots["email_address"] is None


async def test_email_waits_for_a_mail_server_that_is_down_and_goes_when_it_is_back(monkeypatch):
    port = free_port()
    smtp_env(monkeypatch, port)
    monkeypatch.setenv("MAIL_RETRY_FIRST_SECONDS", "1")
    guide = [{"family": "surgery", "text": "Why surgery?"}]
    messages, slots = await run(a.ActionHandleAnswer, confirmed(guide))
    assert responses(messages) == ["utter_email_queued"]
    assert "guide" not in slots, "the guide is kept as it was"
    assert slots["email_address"] is None, "the queue holds the address, not the conversation"

    controller, catcher = start_smtp(port)  # the mail server comes back on the same port
    try:
        assert len(catcher.wait_for(1, timeout=15)) == 1
        time.sleep(1.5)
        assert len(catcher.messages) == 1, "sent exactly once"
    finally:
        controller.stop()


async def test_email_rate_limit_per_conversation(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SMTP_HOST", "")
    monkeypatch.setenv("OUTBOX_DIR", str(tmp_path))
    monkeypatch.setenv("MAIL_LIMIT_PER_CONVERSATION", "1")
    guide = [{"family": None, "text": "A?"}]
    messages, _ = await run(a.ActionHandleAnswer, confirmed(guide))
    assert responses(messages) == ["utter_email_saved_outbox"]
    messages, slots = await run(a.ActionHandleAnswer, confirmed(guide, "jo@example.org"))
    assert responses(messages) == ["utter_email_limit_conversation"]
    assert messages[0]["limit"] == 1
    assert len(list(tmp_path.glob("*.eml"))) == 1
    assert "guide" not in slots


async def test_email_refused_by_the_mail_server_is_said_plainly(monkeypatch):
    class Refusing:
        async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
            return "550 5.1.1 No such user"

    from aiosmtpd.controller import Controller

    controller = Controller(Refusing(), hostname="127.0.0.1", port=free_port())
    controller.start()
    smtp_env(monkeypatch, controller.port)
    try:
        messages, _ = await run(a.ActionHandleAnswer, confirmed([{"family": None, "text": "A?"}]))
    finally:
        controller.stop()
    assert responses(messages) == ["utter_email_refused"]


async def test_a_yes_against_its_own_answer_is_not_saved_and_the_question_comes_back():
    t = tracker("yes, HER2 negative", "affirm", pending="her2", hr="positive")
    messages, slots = await run(a.ActionHandleAnswer, t)
    assert responses(messages) == ["utter_profile_unclear", "utter_ask_her2"]
    assert messages[0]["facts"] == "HER2"
    assert "her2" not in slots


async def test_a_negated_fact_is_read_back_as_what_was_said():
    t = tracker("I'm not HER2 positive", "inform_profile", [ent("her2_status", "positive")])
    messages, slots = await run(a.ActionUpdateProfile, t)
    assert slots["her2"] == "negative"
    assert "HER2-negative" in messages[0]["facts"]
