"""The NLU component's routing: stated facts go to the profile action, questions keep theirs."""

from components.fact_reader import reading_intent


def test_a_statement_of_facts_overrides_a_short_reply_or_control_intent():
    assert reading_intent("i was on arimidex", "repeat") == "inform_profile"
    assert reading_intent("been through menopause", "ask_side_effects") == "inform_profile"


def test_questions_emergencies_and_guide_requests_keep_their_intent():
    assert reading_intent("I'm HER2 positive, how is Herceptin given?", "ask_how_given") is None
    assert reading_intent("I'm ER positive and have chest pain", "emergency") is None
    assert reading_intent("hello", "greet") is None


def test_a_question_taken_for_a_statement_gets_the_next_guess():
    ranking = [{"name": "inform_profile"}, {"name": "ask_what_is"}]
    assert reading_intent("what does HER2 even mean?", "inform_profile", ranking) == "ask_what_is"
    assert reading_intent("I'm HER2 positive", "inform_profile", ranking) is None
