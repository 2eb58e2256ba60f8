import glob
import math
import re

import pytest
import yaml

from channels.hearing import (
    Hearing,
    PendingChecks,
    judge,
    misheard_drug,
    next_step,
    yes_or_no,
)
from channels.transcriber import Transcript

MIN = -0.75


def heard(text, logprob=-0.2, no_speech=0.01):
    return Transcript(text=text, avg_logprob=logprob, no_speech_prob=no_speech)


@pytest.mark.parametrize(
    "text, meant",
    [
        ("What is Palabacy Club?", "palbociclib"),
        ("Tell me about full vestrend.", "fulvestrant"),
        ("What are the side effects of ribosiclib?", "ribociclib"),
        ("how does lettrozol work", "letrozole"),
        ("Tell me about volvestrant.", "fulvestrant"),  # v and f start alike
        ("Can you tell me a little about full of strength?", "fulvestrant"),
    ],
)
def test_a_name_that_sounds_like_a_drug_is_checked(text, meant):
    assert misheard_drug(text)[1] == meant
    hearing = judge(heard(text), MIN)
    assert hearing.verdict == "unsure"
    assert meant in hearing.text


@pytest.mark.parametrize(
    "text",
    [
        "What is palbociclib?",
        "Tell me about aromatase inhibitors",
        "what is T D M one",
        "What is Herceptin?",
        "add a question: will I lose my hair",
        "It spread to my liver and bones.",
        "Perfect, thank you so much.",
        "read the rest of the list",
        "I am ER-positive and HER2-negative.",
    ],
)
def test_drug_names_and_everyday_speech_are_acted_on(text):
    assert misheard_drug(text) is None
    assert judge(heard(text), MIN) == Hearing("sure", text)


NO_DRUG_INTENTS = {
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "guide_add_question",
    "guide_remove",
    "inform_number",
    "emergency",
    "crisis",
    "out_of_scope",
    "more",
    "repeat",
    "go_back",
    "slower",
    "faster",
    "help",
    "what_can_i_say",
}


def training_examples():
    for path in glob.glob("data/nlu/*.yml"):
        for block in yaml.safe_load(open(path)).get("nlu", []):
            if block.get("intent") in NO_DRUG_INTENTS:
                for line in block["examples"].splitlines():
                    text = line.strip()[2:]
                    yield re.sub(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}", r"\1\2", text)


def test_no_everyday_sentence_of_the_training_data_is_taken_for_a_drug():
    examples = list(training_examples())
    assert len(examples) > 500
    flagged = [(text, misheard_drug(text)) for text in examples if misheard_drug(text)]
    assert flagged == []


def test_low_confidence_is_checked_and_silence_is_nothing():
    assert judge(heard("what is fish oil", logprob=-1.2), MIN).verdict == "unsure"
    assert judge(heard(""), MIN).verdict == "nothing"
    assert judge(Transcript("", -math.inf, 1.0), MIN).verdict == "nothing"
    assert judge(heard("you", no_speech=0.95), MIN).verdict == "nothing"
    assert judge(heard("...", -0.1), MIN).verdict == "nothing"


def test_an_answer_that_is_read_back_anyway_is_not_checked_twice():
    shaky = heard("jane at example dot com", logprob=-1.2)
    assert judge(shaky, MIN, read_back=True).verdict == "sure"


@pytest.mark.parametrize(
    "text, answer",
    [
        ("Yes.", True),
        ("yeah that's right", True),
        ("Correct", True),
        ("No.", False),
        ("nope", False),
        ("no, that's wrong", False),
        ("what is tamoxifen", None),
        ("yes I have been through menopause and also more words here", None),
        ("", None),
    ],
)
def test_yes_or_no(text, answer):
    assert yes_or_no(text) is answer


def test_did_you_mean_then_yes_sends_the_checked_text():
    pending = PendingChecks()
    first = next_step("s", Hearing("unsure", "what is palbociclib"), pending)
    assert first.say == "did_you_mean" and first.checking == "what is palbociclib"
    assert first.send is None
    assert next_step("s", Hearing("sure", "Yes."), pending).send == "what is palbociclib"
    # Answered: a later "yes" is an ordinary yes for the assistant.
    assert next_step("s", Hearing("sure", "Yes."), pending).send == "Yes."


def test_did_you_mean_then_no_asks_to_say_it_again():
    pending = PendingChecks()
    next_step("s", Hearing("unsure", "what is power to cyclic"), pending)
    assert next_step("s", Hearing("sure", "No."), pending).say == "say_it_again"
    assert pending.take("s") is None


def test_silence_keeps_the_question_and_a_new_request_replaces_it():
    pending = PendingChecks()
    next_step("s", Hearing("unsure", "what is fish oil"), pending)
    assert next_step("s", Hearing("nothing", ""), pending).say == "not_caught"
    assert next_step("s", Hearing("sure", "what is letrozole"), pending).send == "what is letrozole"


def test_each_sender_has_its_own_check_and_checks_expire():
    pending = PendingChecks(ttl=0.0)
    next_step("a", Hearing("unsure", "what is fish oil"), pending)
    assert next_step("b", Hearing("sure", "yes"), pending).send == "yes"
    assert next_step("a", Hearing("sure", "yes"), pending).send == "yes"  # expired: a new "yes"
