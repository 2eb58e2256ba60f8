"""End-to-end: the real Rasa server and action server, a whole conversation over REST, and the
guide arriving at a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.servers import MODEL, Assistant, environment_for_mail, free_port, start_smtp

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: run `make train`"),
]


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def test_whole_conversation_from_profile_to_email(assistant, smtp):
    _, catcher = smtp
    me = new_sender()
    before = len(catcher.messages)

    greeting = assistant.text(me, "hello")
    assert "medical advice" in greeting

    assert "hormone receptor" in assistant.text(me, "help me find treatments that fit me")
    reply = assistant.text(me, "yes it is")
    assert "her2" in reply
    reply = assistant.text(me, "no")
    assert "menopause" in reply
    reply = assistant.text(me, "yes, I went through the change")
    assert "hormone therapy before" in reply
    reply = assistant.text(me, "yes")
    assert "spread" in reply
    options = assistant.text(me, "it spread to my bones")
    # Hormone receptor-positive, HER2-negative, past menopause, earlier hormone therapy:
    # the seed's third hormone list and the CDK4/6 pills.
    assert "fulvestrant" in options
    assert "toremifene" not in options
    assert "ovarian suppression" not in options
    assert "palbociclib" in options and "everolimus" in options
    assert "radiation" in options

    reply = assistant.text(me, "save the hormone therapy questions")
    assert "added" in reply and "hormone therapy" in reply
    reply = assistant.text(me, "add: can I still travel during chemo?")
    assert "added: can i still travel during chemo?" in reply
    reply = assistant.text(me, "read my guide")
    assert "can i still travel during chemo?" in reply

    reply = assistant.text(me, "email my guide")
    assert "email address" in reply
    reply = assistant.text(me, "sam dot rivera at example dot org")
    assert "sam.rivera@example.org" in reply and "right" in reply
    assert len(catcher.messages) == before, "nothing is sent before a yes"
    reply = assistant.text(me, "yes")
    assert "sent" in reply

    messages = catcher.wait_for(before + 1)
    assert len(messages) == before + 1
    _, recipients, mail = messages[-1]
    assert recipients == ["sam.rivera@example.org"]
    body = "\n".join(
        part.get_payload(decode=True).decode() for part in mail.walk() if not part.is_multipart()
    )
    assert "Can I still travel during chemo?" in body
    assert "December 11, 2017" in body

    # The guide is kept after sending.
    assert "can i still travel during chemo?" in assistant.text(me, "read my guide")


def test_facts_in_one_message_in_any_order_and_a_correction(assistant):
    me = new_sender()
    reply = assistant.text(me, "I'm ER+ HER2- post-menopausal, took letrozole, spread to my bones")
    assert "medical advice" in reply, "a conversation starts with the disclaimer"
    assert "fulvestrant" in reply and "palbociclib" in reply

    reply = assistant.text(me, "actually it's HER2 positive")
    assert "her2-positive" in reply
    assert "trastuzumab" in reply and "pertuzumab" in reply
    assert "palbociclib" not in reply


def test_no_menopause_question_for_hormone_receptor_negative(assistant):
    me = new_sender()
    assistant.text(me, "find my options")
    reply = assistant.text(me, "no")  # not hormone receptor-positive
    assert "her2" in reply
    reply = assistant.text(me, "no")  # HER2-negative: triple negative
    assert "menopause" not in reply
    assert "spread" in reply
    reply = assistant.text(me, "my liver")
    assert "chemotherapy" in reply
    assert "tamoxifen" not in reply


def test_question_in_the_middle_comes_back_to_the_profile(assistant):
    me = new_sender()
    assistant.text(me, "start")
    assistant.text(me, "yes")
    reply = assistant.text(me, "what are the side effects of tamoxifen?")
    assert "hot flashes" in reply
    assert "her2" in reply, "the pending question is asked again"


def test_unknown_status_explains_the_test_and_offers_the_question(assistant):
    me = new_sender()
    assistant.text(me, "help me find treatments")
    reply = assistant.text(me, "I don't know")
    assert "test" in reply
    assistant.text(me, "no")  # HER2
    assistant.text(me, "yes")  # menopause
    assistant.text(me, "no")  # no hormone therapy before
    reply = assistant.text(me, "bones and brain")
    assert "depends" in reply
    assert "what are my er, pr and her2 results?" in reply
    reply = assistant.text(me, "yes please")
    assert "added" in reply


def test_drug_questions_by_brand_and_misspelling(assistant):
    me = new_sender()
    assert "her2" in assistant.text(me, "what is herceptine")
    assert "heart" in assistant.text(me, "what are the side effects of herceptin")
    assert "estrogen" in assistant.text(me, "how does tamoxifin work")
    reply = assistant.text(me, "how is faslodex given")
    assert "how fulvestrant (faslodex) is given" in reply and "once a month" in reply


def test_typed_numbers_pick_the_buttons(assistant):
    me = new_sender()
    assistant.text(me, "find my options")
    assert "her2" in assistant.text(me, "1")  # yes, hormone receptor-positive
    assert "menopause" in assistant.text(me, "2")  # no, not HER2-positive
    for answer in ("yes", "no", "to my bones"):
        assistant.text(me, answer)
    assert "chemotherapy" in assistant.text(me, "3")  # the third kind of treatment listed


def test_guide_remove_and_clear_after_confirmation(assistant):
    me = new_sender()
    assistant.text(me, "save the chemotherapy questions")
    guide = assistant.text(me, "read my guide")
    second = guide.split("\n2. ")[1].split("\n")[0]
    reply = assistant.text(me, "remove the second one")
    assert "removed" in reply and second in reply
    assert second not in assistant.text(me, "read my guide")
    assert "can't be undone" in assistant.text(me, "clear my guide")
    assert "kept" in assistant.text(me, "no")
    assert "can't be undone" in assistant.text(me, "clear my guide")
    assert "empty" in assistant.text(me, "yes")
    assert "empty" in assistant.text(me, "read my guide")


def test_safety_comes_first_even_mid_profile(assistant):
    me = new_sender()
    assistant.text(me, "find treatments for me")
    assert "911" in assistant.text(me, "I have crushing chest pain and I can't breathe")
    assert "988" in assistant.text(me, "I want to end my life")
    reply = assistant.text(me, "should I stop my letrozole?")
    assert "care team" in reply


def test_sources_and_out_of_scope(assistant):
    me = new_sender()
    reply = assistant.text(me, "where does this information come from?")
    assert "december 11, 2017" in reply and "american cancer society" in reply
    reply = assistant.text(me, "what's the weather like tomorrow")
    assert "metastatic breast cancer" in reply


@pytest.mark.parametrize(
    "message",
    ["", "   ", "x" * 4000, "😀😀😀", "<script>alert(1)</script>", "\x00\x07\x1b[31m"],
    ids=["empty", "whitespace", "4000-the-limit", "emoji", "script", "control"],
)
def test_odd_messages_get_a_reply_and_the_conversation_goes_on(assistant, message):
    me = new_sender()
    assistant.text(me, "save the radiation questions")
    response = requests.post(
        f"{assistant.url}/webhooks/rest/webhook",
        json={"sender": me, "message": message},
        timeout=60,
    )
    assert response.status_code == 200
    replies = response.json()
    assert replies and all("<script>" not in m.get("text", "") or m is None for m in replies)
    assert "radiation" in assistant.text(me, "read my guide") or "1." in assistant.text(
        me, "read my guide"
    )


def test_malformed_request_gets_a_4xx(assistant):
    response = requests.post(
        f"{assistant.url}/webhooks/rest/webhook",
        data="{not json",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert 400 <= response.status_code < 500


def test_restart_loses_no_profile_and_no_guide(assistant):
    me = new_sender()
    assistant.text(me, "I'm ER positive and HER2 negative")
    assistant.text(me, "add: will I lose my hair?")
    assistant.stop()
    assistant.start()
    assert "will i lose my hair?" in assistant.text(me, "read my guide")
    reply = assistant.text(me, "what are my options")
    assert "menopause" in reply, "the profile was kept, so the next question is menopause"


def test_mail_server_down_then_back_across_a_restart(tmp_path: Path):
    # The mail server is down when the guide is asked for: the person hears that it will go when
    # the server is back, and the guide stays. The assistant then restarts, the mail server comes
    # back on the same port, and the guide arrives exactly once with nobody saying anything.
    port = free_port()
    env = {
        **environment_for_mail(port, tmp_path / "outbox"),
        "MAIL_RETRY_FIRST_SECONDS": "1",
        "MAIL_RETRY_MAX_SECONDS": "2",
    }
    bot = Assistant(tmp_path, env).start()
    controller = None
    try:
        me = new_sender()
        bot.text(me, "save the surgery questions")
        bot.text(me, "email my guide to jo@example.com")
        reply = bot.text(me, "yes")
        assert "isn't answering" in reply and "keep trying" in reply, reply
        assert "questions stay saved" in reply
        guide = bot.text(me, "read my guide")
        assert "surgery" in guide or "1." in guide
        bot.stop()

        controller, catcher = start_smtp(port)
        bot.start()
        assert len(catcher.wait_for(1, timeout=60)) == 1
        time.sleep(5)  # a second copy would arrive by now
        assert len(catcher.messages) == 1
        _, recipients, mail = catcher.messages[0]
        assert recipients == ["jo@example.com"]
        assert "surgery" in mail.as_string().lower()
    finally:
        bot.stop()
        if controller is not None:
            controller.stop()
    # Once sent, the address is gone from the queue, and no log ever carried it.
    assert b"jo@example.com" not in (tmp_path / "mail_queue.db").read_bytes()
    assert "jo@example.com" not in (tmp_path / "actions.log").read_text()
