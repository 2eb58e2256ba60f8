"""The speech benchmark's utterances: enough of them, real intents, and none seen in training."""

from pathlib import Path

import yaml

from bench.speech import load_utterances, plain, seen_in_training, wer_words, word_error_rate

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_INTENTS = set(yaml.safe_load((ROOT / "domain.yml").read_text())["intents"])
UTTERANCES = load_utterances()


def test_there_are_at_least_40_utterances_each_with_text_and_intent():
    assert len(UTTERANCES) >= 40
    for utterance in UTTERANCES:
        assert set(utterance) == {"text", "intent"}
        assert utterance["text"].strip()


def test_every_intent_exists_in_the_domain():
    assert {u["intent"] for u in UTTERANCES} <= DOMAIN_INTENTS


def test_the_main_intents_are_covered():
    main = {
        "greet", "show_options", "inform_profile", "ask_what_is", "ask_side_effects",
        "ask_how_works", "guide_add_family", "guide_read", "email_guide", "help", "repeat",
        "more", "go_back", "slower", "goodbye", "affirm", "deny", "dont_know",
    }  # fmt: skip
    assert main <= {u["intent"] for u in UTTERANCES}


def test_no_utterance_is_twice_in_the_file():
    texts = [plain(u["text"]) for u in UTTERANCES]
    assert len(texts) == len(set(texts))


def test_no_utterance_is_an_nlu_training_or_held_out_example():
    assert seen_in_training(UTTERANCES) == []


def test_the_check_finds_a_training_example_however_it_is_written():
    # "what is palbociclib" is a training example; case and punctuation must not hide it.
    assert seen_in_training([{"text": "What is Palbociclib?", "intent": "ask_what_is"}])


def test_wer_normalises_spoken_forms():
    assert wer_words("It's HER2-negative.") == wer_words("it's her two negative")
    assert wer_words("My cancer is ER-positive") == wer_words("my cancer is e r positive")
    assert wer_words("mary.jones@gmail.com") == wer_words("mary dot jones at gmail dot com")
    assert word_error_rate([("the second one please", "The second one.")]) == 0.25
