import pytest

from actions.guide import (
    add_questions,
    extract_own_question,
    normalise_entries,
    numbered,
    parse_position,
    remove_at,
)


@pytest.mark.parametrize(
    "text, question",
    [
        ("add: can I still travel during chemo?", "Can I still travel during chemo?"),
        ("add a question: will I lose my hair", "Will I lose my hair?"),
        ("put this on my list: how much will it cost", "How much will it cost?"),
        ("Add to my guide: can I work", "Can I work?"),
        ("add", None),
        ("add a question", None),
    ],
)
def test_own_question_is_taken_from_the_message(text, question):
    assert extract_own_question(text) == question


def test_own_question_is_cut_to_a_sensible_length():
    assert len(extract_own_question("add: " + "why " * 500)) <= 301


@pytest.mark.parametrize(
    "text, index",
    [
        ("remove the second one", 1),
        ("delete question 3", 2),
        ("take off the last question", 3),
        ("remove number two", 1),
        ("remove it", None),
        ("remove the ninth one", None),
    ],
)
def test_position_is_understood(text, index):
    assert parse_position(text, 4) == index


def test_no_duplicates_ignoring_case_and_punctuation():
    guide, added = add_questions([], ["How long?", "how long"], "chemotherapy")
    assert added == ["How long?"]
    assert len(guide) == 1


def test_remove_and_number():
    guide, _ = add_questions([], ["A?", "B?", "C?"], None)
    guide, removed = remove_at(guide, 1)
    assert removed["text"] == "B?"
    assert numbered(guide) == "1. A?\n2. C?"


def test_bad_slot_values_are_dropped():
    assert normalise_entries([{"text": " "}, "x", {"text": "Q?", "family": None}]) == [
        {"family": None, "text": "Q?"}
    ]
