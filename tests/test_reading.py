"""The fact reader: negation with scope, doubt, questions, and which question a reply answers."""

import pytest

from actions.profile_state import read_turn
from actions.reading.context import find_cues
from actions.reading.facts import Fact, normalise, read, tokenize


def facts(text, asked=None):
    return {(f.slot, f.value) for f in read(text, asked)}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("I'm not HER2 positive", {("her2", "negative")}),
        ("my tumor is not hormone receptor positive", {("hr", "negative")}),
        ("I don't have HER2 positive cancer", {("her2", "negative")}),
        (
            "the cancer is not ER positive and not PR positive",
            {("er", "negative"), ("pr", "negative")},
        ),
        ("neither estrogen nor progesterone receptors", {("er", "negative"), ("pr", "negative")}),
        ("both ER and PR came back negative", {("er", "negative"), ("pr", "negative")}),
        ("HER2 is not positive", {("her2", "negative")}),
        ("not HER2 positive but ER positive", {("her2", "negative"), ("er", "positive")}),
        ("not ER negative, ER positive", {("er", "positive")}),
        ("not only ER positive but PR positive too", {("er", "positive"), ("pr", "positive")}),
        ("the estrogen receptor was not detected", {("er", "negative")}),
    ],
)
def test_a_negated_result_is_read_as_its_opposite(text, expected):
    assert facts(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ER+ PR- HER2-", {("er", "positive"), ("pr", "negative"), ("her2", "negative")}),
        ("er+/pr+/her2+", {("er", "positive"), ("pr", "positive"), ("her2", "positive")}),
        ("HR+ HER2-", {("hr", "positive"), ("her2", "negative")}),
        ("HR- HER2+", {("hr", "negative"), ("her2", "positive")}),
        ("TNBC", {("er", "negative"), ("pr", "negative"), ("her2", "negative")}),
        ("HER2-negative,", {("her2", "negative")}),
        ("her two negative", {("her2", "negative")}),
        ("e r positive p r negative", {("er", "positive"), ("pr", "negative")}),
        ("ER(+) PR(-)", {("er", "positive"), ("pr", "negative")}),
        ("HER2 -ve", {("her2", "negative")}),
        ("HER2 3+", {("her2", "positive")}),
    ],
)
def test_compact_and_spoken_notation(text, expected):
    assert facts(text) == expected


def test_her2_low_or_1_plus_is_not_guessed():
    assert facts("HER2 1+") == set()
    assert facts("her2 low") == set()


@pytest.mark.parametrize(
    "text",
    [
        "is trodelvy an option for triple negative?",
        "what does HER2 positive mean",
        "if someone is HER2 positive and ER positive, can they take lapatinib?",
        "what is letrozole?",
        "is fulvestrant given as a shot",
        "my doctor wants to start me on letrozole",
        "how does radiation help bone pain",
        "save the hormone therapy questions",
    ],
)
def test_questions_and_plans_state_no_fact(text):
    assert facts(text) == set()


@pytest.mark.parametrize(
    "text, value",
    [
        ("I was on letrozole", "yes"),
        ("did five years of anastrozole", "yes"),
        ("took Arimidex until it stopped working", "yes"),
        ("I never took tamoxifen or any hormone pills", "no"),
        ("no prior hormone therapy", "no"),
        ("never been on tamoxifen, arimidex, none of that", "no"),
        ("never took tamoxifen, but I did three years of letrozole", "yes"),
        ("I'm not taking letrozole anymore", "yes"),
    ],
)
def test_a_drug_means_earlier_therapy_only_when_taken(text, value):
    assert facts(text) == {("prior_hormone", value)}


@pytest.mark.parametrize(
    "text, value",
    [
        ("I have been through menopause", "post"),
        ("I've been through menopause", "post"),
        ("I'm postmenopausal", "post"),
        ("I'm not through menopause yet", "pre"),
        ("I haven't gone through menopause", "pre"),
        ("still have my periods", "pre"),
        ("my periods stopped years ago", "post"),
        ("not sure if I've been through menopause", "unknown"),
    ],
)
def test_menopause(text, value):
    assert facts(text) == {("menopause", value)}


def test_spread_sites_need_spread_words_unless_asked():
    assert facts("it spread to my bones and liver") == {("spread", "bones"), ("spread", "liver")}
    assert facts("the bones and liver", asked="spread") == {
        ("spread", "bones"),
        ("spread", "liver"),
    }
    assert facts("it spread to the bones but not the liver") == {("spread", "bones")}
    assert facts("bone pain") == set()


def test_doubt_makes_a_fact_unknown():
    assert facts("I don't know my HER2 status") == {("her2", "unknown")}
    assert facts("I'm not sure if it's HER2 positive") == {("her2", "unknown")}


def test_a_bare_result_answers_the_receptor_asked():
    assert facts("it's negative", asked="her2") == {("her2", "negative")}
    assert facts("not positive", asked="her2") == {("her2", "negative")}
    assert facts("positive", asked="pr") == {("pr", "positive")}
    assert facts("it's negative") == set()


def test_a_fact_answers_its_own_question_whatever_was_asked():
    update = read_turn({}, "hr", "affirm", "I have been through menopause")
    assert update.values == {"menopause": "post"}


def test_a_leading_yes_answers_only_when_nothing_else_is_said():
    assert read_turn({}, "her2", "affirm", "yes").values == {"her2": "positive"}
    assert read_turn({}, "her2", "inform_profile", "yes it is").values == {"her2": "positive"}
    update = read_turn({}, "hr", "affirm", "yes, and it's HER2 negative")
    assert update.values == {"her2": "negative"}


def test_a_fact_said_two_ways_is_not_recorded():
    assert facts("HER2 positive, HER2 negative") == set()


def test_a_long_message_with_a_story():
    text = (
        "My mom was diagnosed in 2015, it came back last spring. She's ER positive, PR "
        "negative and HER2 negative, she's postmenopausal, she took tamoxifen for five years "
        "and now it has spread to her liver and lungs."
    )
    assert facts(text) == {
        ("er", "positive"),
        ("pr", "negative"),
        ("her2", "negative"),
        ("menopause", "post"),
        ("prior_hormone", "yes"),
        ("spread", "liver"),
        ("spread", "lungs"),
    }


def test_button_payloads_are_not_read_as_words():
    assert read('/inform_profile{"pr_status":"positive"}') == []
    update = read_turn(
        {}, "pr", "inform_profile", '/inform_profile{"pr_status":"positive"}',
        [{"entity": "pr_status", "value": "positive"}],
    )  # fmt: skip
    assert update.values == {"pr": "positive"}


def test_a_no_that_answers_is_not_a_negation():
    tokens = tokenize(normalise("no, it's HER2 positive"))
    assert all(c.kind != "negation" for c in find_cues(tokens))
    assert facts("no it's HER2 positive") == {("her2", "positive")}


def test_fact_type():
    assert read("ER positive") == [Fact("er", "positive")]


def test_never_is_a_no_even_when_the_model_hears_dont_know():
    assert read_turn({}, "prior_hormone", "dont_know", "never").values == {"prior_hormone": "no"}
    assert read_turn({}, "her2", "dont_know", "no idea").values == {"her2": "unknown"}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("I can't believe I'm HER2 positive", {("her2", "positive")}),
        ("without a doubt HER2 positive", {("her2", "positive")}),
        ("I didn't think it was HER2 positive, but it is", set()),
        ("I don't think it's HER2 positive", set()),
        ("I refused tamoxifen", {("prior_hormone", "no")}),
        ("no longer on tamoxifen", {("prior_hormone", "yes")}),
        ("before menopause I took tamoxifen", {("prior_hormone", "yes")}),
        ("the brain MRI was clear but it spread to my bones", {("spread", "bones")}),
    ],
)
def test_beliefs_surprises_and_clear_scans_are_not_flipped(text, expected):
    assert facts(text) == expected


def test_everywhere_except_a_site_is_not_that_site():
    assert facts("everywhere except the brain", asked="spread") == set()


def test_a_plain_yes_or_no_that_contradicts_the_answer_records_nothing():
    assert read_turn({}, "her2", "inform_profile", "yes, HER2 negative").values == {}
    assert read_turn({}, "her2", "deny", "no, it's HER2 negative").values == {"her2": "negative"}
    assert read_turn({}, "hr", "affirm", "yes ER negative and PR negative").values == {}
    assert read_turn({}, "hr", "deny", "no, it's ER positive").values == {}


def test_a_fact_said_two_ways_is_named_so_the_assistant_can_say_so():
    update = read_turn({}, "her2", "inform_profile", "yes, HER2 negative")
    assert update.empty and update.unclear == ["her2"]
    assert update.unclear_names() == "HER2"
    update = read_turn({}, None, "inform_profile", "ER positive, I mean ER negative")
    assert update.empty and update.unclear_names() == "ER"


def test_only_a_site_replaces_where_it_has_spread():
    current = {"spread": ["bones", "liver"]}
    text = "sorry, it's actually only in my bones, the liver spot was benign"
    assert read_turn(current, None, "inform_profile", text).values == {"spread": ["bones"]}
    assert read_turn(current, None, "inform_profile", "it spread to my lungs too").values == {
        "spread": ["bones", "liver", "lungs"]
    }


@pytest.mark.parametrize(
    "text, value",
    [("went through it ages ago", "post"), ("a long time ago", "post"), ("yes years ago", "post")],
)
def test_a_menopause_answer_without_the_word(text, value):
    assert facts(text, asked="menopause") == {("menopause", value)}
    assert facts(text) == set()


@pytest.mark.parametrize(
    "text, asked, expected",
    [
        ("I wouldn't say it isn't HER2 positive", None, {("her2", "positive")}),
        ("it's not that I haven't had hormone therapy", None, {("prior_hormone", "yes")}),
        ("I don't understand what HER2 means", None, set()),
        ("I don't really know my hormone receptor status", None, {("hr", "unknown")}),
        ("my periods haven't stopped", None, {("menopause", "pre")}),
        ("I don't get periods anymore", None, {("menopause", "post")}),
        ("nobody ever put me on tamoxifen or an AI", None, {("prior_hormone", "no")}),
        ("I wasn't on Faslodex, I was on Femara", None, {("prior_hormone", "yes")}),
        ("couldn't tolerate exemestane, quit after two months", None, {("prior_hormone", "yes")}),
        ("the oncologist brought up Arimidex last week", None, set()),
        ("I start letrozole next week", "prior_hormone", set()),
        ("it used to be HER2 negative", None, set()),
        (
            "not positive for HER2 and not positive for PR",
            None,
            {("her2", "negative"), ("pr", "negative")},
        ),
        ("bones, and, no not the liver, I meant the lungs", "spread", {("spread", "bones"),
                                                                       ("spread", "lungs")}),
        ("the liver spots turned out not to be cancer but the lung ones are", None,
         {("spread", "lungs")}),
        ("positive for HER2 but not for hormones", None, {("her2", "positive")}),
    ],
)  # fmt: skip
def test_double_negatives_lists_and_plans(text, asked, expected):
    assert facts(text, asked) == expected


def test_a_negation_of_something_else_about_a_drug_is_not_a_no():
    text = "I'm not asking about tamoxifen, I want to know the side effects of fulvestrant"
    assert facts(text) == set()
    assert facts("I'm not on tamoxifen") == {("prior_hormone", "no")}
