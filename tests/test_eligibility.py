"""Tests for the eligibility rules (actions/content/eligibility.py).

The two tables in DESIGN.md ("The clinical logic of the seed") are checked row by row.
"""

from __future__ import annotations

from typing import Any

import pytest

from actions.content import (
    FamilyOption,
    ItemOption,
    Profile,
    catalog,
    hormone_receptor_status,
    next_question,
    recommend,
    unknown_facts,
)
from actions.content.catalog import FAMILY_ORDER

# Ways a person can be hormone receptor-positive or -negative.
HR_POSITIVE = [
    {"er": "positive"},
    {"pr": "positive"},
    {"hr": "positive"},
    {"er": "negative", "pr": "positive"},
    {"er": "positive", "pr": "negative"},
]
HR_NEGATIVE = [{"hr": "negative"}, {"er": "negative", "pr": "negative"}]

# DESIGN.md table 1: hormone therapy options by menopause and earlier hormone therapy.
HORMONE_TABLE = [
    (
        {"menopause": "pre"},
        [
            ItemOption("ovarian_suppression", "one or both together"),
            ItemOption("tamoxifen", "one or both together"),
        ],
    ),
    (
        {"menopause": "post", "prior_hormone": "no"},
        [ItemOption("tamoxifen"), ItemOption("toremifene"), ItemOption("aromatase_inhibitors")],
    ),
    (
        {"menopause": "post", "prior_hormone": "yes"},
        [ItemOption("tamoxifen"), ItemOption("aromatase_inhibitors"), ItemOption("fulvestrant")],
    ),
]

HER2_POS_HR_POS = [
    ItemOption("trastuzumab", "with hormone therapy"),
    ItemOption("pertuzumab"),
    ItemOption("ado_trastuzumab_emtansine"),
    ItemOption("lapatinib", "with letrozole, or with trastuzumab or T-DM1"),
]
HER2_POS_HR_NEG = [
    ItemOption("trastuzumab", "with chemotherapy"),
    ItemOption("pertuzumab"),
    ItemOption("ado_trastuzumab_emtansine"),
    ItemOption("lapatinib", "with capecitabine"),
]
HER2_NEG_HR_POS = [
    ItemOption("abemaciclib", "with an aromatase inhibitor or fulvestrant"),
    ItemOption("palbociclib", "with an aromatase inhibitor or fulvestrant"),
    ItemOption("ribociclib", "with an aromatase inhibitor or fulvestrant"),
    ItemOption("everolimus", "with exemestane"),
]

# DESIGN.md table 2: targeted options by HER2 and HR (HER2-/HR+ is for women past menopause).
TARGETED_TABLE = [
    ("positive", HR_POSITIVE, "her2_positive", HER2_POS_HR_POS),
    ("positive", HR_NEGATIVE, "her2_positive", HER2_POS_HR_NEG),
    ("negative", HR_POSITIVE, "hr_pos_her2_neg_post", HER2_NEG_HR_POS),
]

FULL = {"spread": ("liver",)}  # a told spread, so the profile is complete


def _profile(*parts: dict[str, Any]) -> Profile:
    merged: dict[str, Any] = {}
    for part in parts:
        merged.update(part)
    return Profile(**merged)


def _by_family(options: tuple[FamilyOption, ...]) -> dict[str, FamilyOption]:
    return {option.family: option for option in options}


# --- hormone receptor status -------------------------------------------------------------------


@pytest.mark.parametrize(
    "facts,expected",
    [
        ({}, None),
        ({"er": "positive"}, "positive"),
        ({"pr": "positive"}, "positive"),
        ({"hr": "positive"}, "positive"),
        ({"er": "negative", "pr": "positive"}, "positive"),
        ({"er": "unknown", "pr": "positive"}, "positive"),
        ({"hr": "negative"}, "negative"),
        ({"er": "negative", "pr": "negative"}, "negative"),
        ({"er": "negative"}, None),
        ({"pr": "negative"}, None),
        ({"hr": "unknown"}, "unknown"),
        ({"er": "unknown"}, "unknown"),
        ({"er": "negative", "pr": "unknown"}, "unknown"),
    ],
)
def test_hormone_receptor_status(facts: dict[str, str], expected: str | None) -> None:
    assert hormone_receptor_status(Profile(**facts)) == expected


# --- DESIGN.md table 1: hormone therapy -------------------------------------------------------


@pytest.mark.parametrize("situation,expected", HORMONE_TABLE)
@pytest.mark.parametrize("hr", HR_POSITIVE)
def test_hormone_table_row(
    hr: dict[str, str], situation: dict[str, str], expected: list[ItemOption]
) -> None:
    for her2 in ("positive", "negative"):
        option = _by_family(recommend(_profile(hr, situation, {"her2": her2}, FULL)))[
            "hormone_therapy"
        ]
        assert list(option.items) == expected
        assert option.reason == "hormone_positive"
        assert option.depends_on == ()


@pytest.mark.parametrize("hr", HR_NEGATIVE)
@pytest.mark.parametrize("situation,_expected", HORMONE_TABLE)
def test_no_hormone_therapy_when_hr_negative(
    hr: dict[str, str], situation: dict[str, str], _expected: list[ItemOption]
) -> None:
    for her2 in ("positive", "negative", "unknown"):
        families = _by_family(recommend(_profile(hr, situation, {"her2": her2}, FULL)))
        assert "hormone_therapy" not in families


def test_toremifene_only_without_prior_hormone() -> None:
    with_prior = recommend(Profile(er="positive", menopause="post", prior_hormone="yes"))
    items = {i.item for i in _by_family(with_prior)["hormone_therapy"].items}
    assert "toremifene" not in items and "fulvestrant" in items


def test_ovarian_suppression_only_before_menopause() -> None:
    for situation, _ in HORMONE_TABLE[1:]:
        option = _by_family(recommend(_profile({"er": "positive"}, situation)))["hormone_therapy"]
        assert "ovarian_suppression" not in {i.item for i in option.items}


# --- DESIGN.md table 2: targeted therapy ------------------------------------------------------


@pytest.mark.parametrize("her2,hr_variants,reason,expected", TARGETED_TABLE)
def test_targeted_table_row(
    her2: str, hr_variants: list[dict[str, str]], reason: str, expected: list[ItemOption]
) -> None:
    menopause_values = ("pre", "post") if her2 == "positive" else ("post",)
    for hr in hr_variants:
        for menopause in menopause_values:
            profile = _profile(hr, {"her2": her2, "menopause": menopause, "prior_hormone": "no"})
            option = _by_family(recommend(profile))["targeted_therapy"]
            assert option.reason == reason
            assert list(option.items) == expected
            assert option.depends_on == ()


@pytest.mark.parametrize("hr", HR_POSITIVE)
def test_her2_negative_hr_positive_before_menopause_has_no_targeted_item(
    hr: dict[str, str],
) -> None:
    option = _by_family(recommend(_profile(hr, {"her2": "negative", "menopause": "pre"})))[
        "targeted_therapy"
    ]
    assert option.items == ()
    assert option.reason == "hr_pos_her2_neg_pre"
    assert "menopause" in catalog().reasons[option.reason]


@pytest.mark.parametrize("hr", HR_NEGATIVE)
def test_triple_negative_row(hr: dict[str, str]) -> None:
    options = recommend(_profile(hr, {"her2": "negative"}, FULL))
    families = _by_family(options)
    assert "hormone_therapy" not in families
    assert "targeted_therapy" not in families
    assert families["chemotherapy"].reason == "triple_negative_chemo"
    assert "radiation" in families  # "some women also get radiation"
    assert [o.family for o in options] == [
        "chemotherapy",
        "radiation",
        "surgery",
        "clinical_trials",
        "palliative_care",
    ]


def test_triple_negative_from_subtype_slot() -> None:
    profile = Profile.from_slots({"subtype": "triple_negative"})
    assert (profile.er, profile.pr, profile.her2) == ("negative", "negative", "negative")
    assert _by_family(recommend(profile))["chemotherapy"].reason == "triple_negative_chemo"


# --- chemotherapy, radiation, surgery, trials, palliative care ---------------------------------


@pytest.mark.parametrize(
    "facts,reason",
    [
        ({"hr": "negative", "her2": "negative"}, "triple_negative_chemo"),
        ({"hr": "negative", "her2": "positive"}, "chemo_main"),
        ({"er": "negative", "pr": "negative", "her2": "unknown"}, "chemo_main"),
        ({"er": "positive", "her2": "negative"}, "chemo_with_targeted_or_serious"),
        ({"er": "positive", "her2": "positive"}, "chemo_with_targeted_or_serious"),
        ({"hr": "unknown", "her2": "unknown"}, "chemo_with_targeted_or_serious"),
        ({}, "chemo_with_targeted_or_serious"),
    ],
)
def test_chemotherapy_always_listed_with_reason(facts: dict[str, str], reason: str) -> None:
    assert _by_family(recommend(Profile(**facts)))["chemotherapy"].reason == reason


@pytest.mark.parametrize(
    "spread,radiation,surgery",
    [
        (("bones",), "radiation_brain_bones", "surgery_symptoms"),
        (("brain",), "radiation_brain_bones", "surgery_brain"),
        (("liver", "brain"), "radiation_brain_bones", "surgery_brain"),
        (("lungs", "bones"), "radiation_brain_bones", "surgery_symptoms"),
        (("liver",), "radiation_symptoms", "surgery_symptoms"),
        (("lungs",), "radiation_symptoms", "surgery_symptoms"),
        (("other",), "radiation_symptoms", "surgery_symptoms"),
        (("unknown",), "radiation_symptoms", "surgery_symptoms"),
        (None, "radiation_symptoms", "surgery_symptoms"),
    ],
)
def test_radiation_and_surgery_reasons_by_spread(
    spread: tuple[str, ...] | None, radiation: str, surgery: str
) -> None:
    families = _by_family(recommend(Profile(er="positive", her2="negative", spread=spread)))
    assert families["radiation"].reason == radiation
    assert families["surgery"].reason == surgery


@pytest.mark.parametrize(
    "facts", [{}, {"hr": "negative", "her2": "negative"}, {"er": "positive", "her2": "positive"}]
)
def test_trials_and_palliative_care_for_everyone(facts: dict[str, str]) -> None:
    families = _by_family(recommend(Profile(**facts)))
    assert families["clinical_trials"].reason == "trials_everyone"
    assert families["palliative_care"].reason == "palliative_early"


@pytest.mark.parametrize(
    "facts",
    [
        {},
        {"er": "positive", "her2": "positive", "menopause": "post", "prior_hormone": "yes"},
        {"hr": "unknown", "her2": "unknown", "menopause": "unknown"},
        {"hr": "negative", "her2": "negative"},
    ],
)
def test_recommend_is_in_family_order_and_reasons_exist(facts: dict[str, str]) -> None:
    options = recommend(Profile(**facts))
    order = [o.family for o in options]
    assert order == sorted(order, key=FAMILY_ORDER.index)
    assert len(set(order)) == len(order)
    reasons = catalog().reasons
    tests = catalog().tests
    for option in options:
        assert option.reason in reasons
        for fact in option.depends_on:
            assert fact in tests
        for item in option.items:
            assert catalog().item(item.item).family == option.family


# --- unknown results ---------------------------------------------------------------------------


def test_hr_unknown_hormone_therapy_depends_on_hormone_receptors() -> None:
    profile = Profile(hr="unknown", her2="negative", menopause="post", prior_hormone="no")
    option = _by_family(recommend(profile))["hormone_therapy"]
    assert option.reason == "hormone_unknown"
    assert option.depends_on == ("hormone_receptors",)
    assert [i.item for i in option.items] == ["tamoxifen", "toremifene", "aromatase_inhibitors"]


def test_hr_unknown_from_er_and_pr_unknown() -> None:
    profile = Profile(er="unknown", pr="unknown", her2="positive", menopause="pre")
    option = _by_family(recommend(profile))["hormone_therapy"]
    assert "hormone_receptors" in option.depends_on


def test_her2_unknown_gives_both_targeted_lists() -> None:
    profile = Profile(er="positive", her2="unknown", menopause="post", prior_hormone="yes")
    option = _by_family(recommend(profile))["targeted_therapy"]
    assert option.reason == "her2_unknown"
    assert option.depends_on == ("her2",)
    assert list(option.items) == HER2_POS_HR_POS + HER2_NEG_HR_POS


def test_her2_unknown_hr_negative_gives_her2_positive_list() -> None:
    option = _by_family(recommend(Profile(hr="negative", her2="unknown")))["targeted_therapy"]
    assert option.reason == "her2_unknown"
    assert option.depends_on == ("her2",)
    assert list(option.items) == HER2_POS_HR_NEG


def test_her2_positive_hr_unknown_merges_notes() -> None:
    option = _by_family(recommend(Profile(hr="unknown", her2="positive", menopause="post")))[
        "targeted_therapy"
    ]
    assert option.depends_on == ("hormone_receptors",)
    notes = {i.item: i.note for i in option.items}
    assert notes["trastuzumab"] == "with hormone therapy, or with chemotherapy"
    assert (
        notes["lapatinib"] == "with letrozole, or with trastuzumab or T-DM1, or with capecitabine"
    )


def test_menopause_unknown_gives_pre_and_post_hormone_lists() -> None:
    profile = Profile(er="positive", her2="negative", menopause="unknown", prior_hormone="no")
    families = _by_family(recommend(profile))
    hormone = families["hormone_therapy"]
    assert hormone.depends_on == ("menopause",)
    assert [i.item for i in hormone.items] == [
        "ovarian_suppression",
        "tamoxifen",
        "toremifene",
        "aromatase_inhibitors",
    ]
    targeted = families["targeted_therapy"]
    assert targeted.depends_on == ("menopause",)
    assert list(targeted.items) == HER2_NEG_HR_POS


def test_prior_hormone_unknown_gives_both_post_lists() -> None:
    profile = Profile(er="positive", her2="negative", menopause="post", prior_hormone="unknown")
    option = _by_family(recommend(profile))["hormone_therapy"]
    assert option.depends_on == ("prior_hormone",)
    assert [i.item for i in option.items] == [
        "tamoxifen",
        "toremifene",
        "aromatase_inhibitors",
        "fulvestrant",
    ]


def test_everything_unknown_depends_on_everything_relevant() -> None:
    profile = Profile(hr="unknown", her2="unknown", menopause="unknown", prior_hormone="unknown")
    families = _by_family(recommend(profile))
    assert families["hormone_therapy"].depends_on == (
        "hormone_receptors",
        "menopause",
        "prior_hormone",
    )
    assert families["targeted_therapy"].depends_on == ("hormone_receptors", "her2", "menopause")
    assert len(families["targeted_therapy"].items) == 8  # every targeted drug on the page


@pytest.mark.parametrize(
    "facts,expected",
    [
        ({}, ()),
        ({"hr": "unknown", "her2": "unknown"}, ("hormone_receptors", "her2")),
        ({"er": "negative", "pr": "unknown"}, ("hormone_receptors",)),
        ({"hr": "negative", "her2": "unknown", "menopause": "unknown"}, ("her2",)),
        (
            {"er": "positive", "menopause": "unknown", "prior_hormone": "unknown"},
            ("menopause", "prior_hormone"),
        ),
        ({"er": "positive", "menopause": "pre", "prior_hormone": "unknown"}, ()),
        ({"er": "positive", "spread": ("unknown",)}, ("spread",)),
        ({"er": "positive", "her2": "positive", "spread": ("bones",)}, ()),
    ],
)
def test_unknown_facts(facts: dict[str, Any], expected: tuple[str, ...]) -> None:
    assert unknown_facts(Profile(**facts)) == expected


# --- next_question -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "facts,expected",
    [
        ({}, "hr"),
        ({"pr": "negative"}, "hr"),
        ({"er": "negative"}, "pr"),
        ({"er": "negative", "pr": "negative"}, "her2"),
        ({"er": "negative", "pr": "unknown"}, "her2"),
        ({"er": "positive"}, "her2"),
        ({"hr": "unknown"}, "her2"),
        # HR negative: no menopause or prior hormone question at all.
        ({"hr": "negative", "her2": "positive"}, "spread"),
        ({"er": "negative", "pr": "negative", "her2": "negative"}, "spread"),
        ({"hr": "negative", "her2": "negative", "spread": ("bones",)}, None),
        # HR positive or unknown: menopause, then prior hormone only when post or unknown.
        ({"er": "positive", "her2": "negative"}, "menopause"),
        ({"hr": "unknown", "her2": "unknown"}, "menopause"),
        ({"er": "positive", "her2": "negative", "menopause": "pre"}, "spread"),
        ({"er": "positive", "her2": "negative", "menopause": "post"}, "prior_hormone"),
        ({"er": "positive", "her2": "negative", "menopause": "unknown"}, "prior_hormone"),
        (
            {"er": "positive", "her2": "negative", "menopause": "post", "prior_hormone": "yes"},
            "spread",
        ),
        (
            {
                "er": "positive",
                "her2": "negative",
                "menopause": "post",
                "prior_hormone": "unknown",
                "spread": ("unknown",),
            },
            None,
        ),
        ({"er": "positive", "her2": "positive", "menopause": "pre", "spread": ("brain",)}, None),
    ],
)
def test_next_question(facts: dict[str, Any], expected: str | None) -> None:
    assert next_question(Profile(**facts)) == expected


def test_next_question_walks_a_whole_conversation() -> None:
    answers = {
        "hr": {"er": "negative"},
        "pr": {"pr": "positive"},
        "her2": {"her2": "negative"},
        "menopause": {"menopause": "post"},
        "prior_hormone": {"prior_hormone": "no"},
        "spread": {"spread": ("bones",)},
    }
    told: dict[str, Any] = {}
    asked = []
    while (question := next_question(Profile(**told))) is not None:
        asked.append(question)
        told.update(answers[question])
        assert len(asked) < 10
    assert asked == ["hr", "pr", "her2", "menopause", "prior_hormone", "spread"]


def test_never_asks_about_menopause_when_hr_negative() -> None:
    told: dict[str, Any] = {"hr": "negative"}
    asked = []
    while (question := next_question(Profile(**told))) is not None:
        asked.append(question)
        told.update({"her2": "negative"} if question == "her2" else {"spread": ("liver",)})
    assert asked == ["her2", "spread"]


# --- Profile.from_slots ------------------------------------------------------------------------


def test_from_slots_reads_canonical_values() -> None:
    slots = {
        "er": "positive",
        "pr": "negative",
        "hr": None,
        "her2": "unknown",
        "menopause": "post",
        "prior_hormone": "no",
        "spread": ["bones", "brain"],
        "email": "someone@example.org",
    }
    assert Profile.from_slots(slots) == Profile(
        er="positive",
        pr="negative",
        her2="unknown",
        menopause="post",
        prior_hormone="no",
        spread=("bones", "brain"),
    )


def test_from_slots_is_tolerant() -> None:
    slots = {
        "er": ["Positive"],
        "pr": "-",
        "her2": "nonsense",
        "menopause": "Post-Menopausal",
        "prior_hormone": True,
        "spread": "Bone",
    }
    assert Profile.from_slots(slots) == Profile(
        er="positive", pr="negative", menopause="post", prior_hormone="yes", spread=("bones",)
    )


@pytest.mark.parametrize(
    "spread,expected",
    [
        (None, None),
        ([], None),
        (["unknown"], ("unknown",)),
        (["unknown", "liver"], ("liver",)),
        (["lungs", "lungs", "pizza"], ("lungs",)),
    ],
)
def test_from_slots_spread(spread: Any, expected: tuple[str, ...] | None) -> None:
    assert Profile.from_slots({"spread": spread}).spread == expected


def test_from_slots_empty() -> None:
    assert Profile.from_slots({}) == Profile()
