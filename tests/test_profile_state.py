from actions.profile_state import answer_yes_no, describe, mark_unknown, update_from_entities


def ent(name, value):
    return {"entity": name, "value": value}


def test_several_facts_in_one_message():
    update = update_from_entities(
        {},
        [
            ent("er_status", "positive"),
            ent("her2_status", "negative"),
            ent("menopause", "post"),
            ent("prior_hormone", "yes"),
            ent("spread_site", "bones"),
        ],
    )
    assert update.values == {
        "er": "positive",
        "her2": "negative",
        "menopause": "post",
        "prior_hormone": "yes",
        "spread": ["bones"],
    }
    assert not update.corrected


def test_a_correction_is_noticed():
    update = update_from_entities({"her2": "negative"}, [ent("her2_status", "positive")])
    assert update.values == {"her2": "positive"}
    assert update.corrected == ["her2"]


def test_same_fact_again_is_not_a_change():
    assert update_from_entities({"her2": "negative"}, [ent("her2_status", "negative")]).empty


def test_triple_negative_sets_all_three():
    update = update_from_entities({}, [ent("subtype", "triple_negative")])
    assert update.values["er"] == update.values["pr"] == update.values["her2"] == "negative"


def test_spread_sites_add_up_and_replace_unknown():
    update = update_from_entities({"spread": ["bones"]}, [ent("spread_site", "liver")])
    assert update.values["spread"] == ["bones", "liver"]
    update = update_from_entities({"spread": ["unknown"]}, [ent("spread_site", "brain")])
    assert update.values["spread"] == ["brain"]


def test_er_correction_clears_an_older_hormone_receptor_negative():
    current = {"hr": "negative", "er": "negative", "pr": "negative"}
    update = update_from_entities(current, [ent("er_status", "positive")])
    assert update.values["er"] == "positive"
    assert update.values["hr"] is None


def test_unknown_values_are_ignored():
    assert update_from_entities({}, [ent("er_status", "maybe"), ent("spread_site", "moon")]).empty


def test_yes_and_no_mean_the_question_that_was_asked():
    assert answer_yes_no({}, "menopause", "affirm").values == {"menopause": "post"}
    assert answer_yes_no({}, "menopause", "deny").values == {"menopause": "pre"}
    assert answer_yes_no({}, "prior_hormone", "deny").values == {"prior_hormone": "no"}
    assert answer_yes_no({}, "her2", "dont_know").values == {"her2": "unknown"}
    assert answer_yes_no({}, "spread", "dont_know").values == {"spread": ["unknown"]}
    no_hr = answer_yes_no({}, "hr", "deny").values
    assert no_hr == {"hr": "negative", "er": "negative", "pr": "negative"}


def test_mark_unknown_by_fact_name():
    assert mark_unknown({}, ["her2", "nonsense"]).values == {"her2": "unknown"}


def test_describe_reads_the_profile_back_in_plain_words():
    text = describe(
        {"er": "positive", "her2": "negative", "menopause": "post", "spread": ["bones", "liver"]}
    )
    assert text == "ER-positive, HER2-negative, through menopause, spread to the bones and liver"


def test_leading_yes_no():
    from actions.profile_state import leading_yes_no

    assert leading_yes_no("Yes, I went through the change") == "affirm"
    assert leading_yes_no("no I haven't") == "deny"
    assert leading_yes_no("nothing") is None
    assert leading_yes_no("yesterday") is None


def test_a_negated_yes_is_a_no():
    # Found by the property tests: "I have not ..." used to read as "I have" = yes.
    from actions.profile_state import leading_yes_no

    for text in (
        "I have not been through menopause",
        "i have never had hormone therapy",
        "I did not",
        "It is not positive",
        "I didn’t",
    ):
        assert leading_yes_no(text) == "deny", text
    assert leading_yes_no("no idea") is None


def test_hormone_receptor_positive_corrects_er_and_pr_negative():
    # Found by the property tests: the profile kept "ER-negative, PR-negative" beside it.
    current = {"hr": None, "er": "negative", "pr": "negative"}
    update = update_from_entities(current, [ent("hr_status", "positive")])
    assert update.values == {"hr": "positive", "er": None, "pr": None}


def test_a_message_that_comes_back_to_the_known_value_changes_nothing():
    current = {"er": "negative", "pr": "negative", "hr": "negative", "her2": "negative"}
    entities = [ent("er_status", "positive"), ent("subtype", "triple_negative")]
    assert update_from_entities(current, entities).empty


def test_odd_entities_from_a_typed_payload_are_skipped():
    assert update_from_entities({}, [{"entity": []}, "er_status", {"value": "positive"}]).empty
