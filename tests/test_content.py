"""Tests for the content catalog (actions/content/catalog.py and treatments.yml)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import yaml

from actions.content import Catalog, Family, Item, catalog
from actions.content.catalog import FACT_FIELDS, FAMILY_ORDER, TEST_KEYS, load_catalog

SEED_PAGE = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_bfb97c83dd4325ae.txt"

ITEMS_BY_FAMILY = {
    "hormone_therapy": (
        "tamoxifen",
        "toremifene",
        "aromatase_inhibitors",
        "anastrozole",
        "exemestane",
        "letrozole",
        "fulvestrant",
        "ovarian_suppression",
    ),
    "targeted_therapy": (
        "trastuzumab",
        "pertuzumab",
        "ado_trastuzumab_emtansine",
        "lapatinib",
        "abemaciclib",
        "palbociclib",
        "ribociclib",
        "everolimus",
    ),
    "chemotherapy": ("capecitabine",),
    "radiation": ("external_beam_radiation", "brachytherapy", "stereotactic_radiosurgery"),
    "surgery": (),
    "clinical_trials": (),
    "palliative_care": (),
}

# Brand names exactly as the page gives them.
BRANDS = {
    "anastrozole": ("Arimidex",),
    "exemestane": ("Aromasin",),
    "letrozole": ("Femara",),
    "fulvestrant": ("Faslodex",),
    "toremifene": ("Fareston",),
    "trastuzumab": ("Herceptin",),
    "pertuzumab": ("Perjeta",),
    "ado_trastuzumab_emtansine": ("Kadcyla",),
    "lapatinib": ("Tykerb",),
    "abemaciclib": ("Verzenio",),
    "palbociclib": ("Ibrance",),
    "ribociclib": ("Kisqali",),
    "everolimus": ("Afinitor", "Zortress"),
}

EXPECTED_CITATIONS = [
    "American Cancer Society: “Hormone Therapy for Breast Cancer”",
    "American Cancer Society: “Chemotherapy for Breast Cancer”",
    "American Cancer Society: “Treatment of Stage IV (Metastatic) Breast Cancer”",
    "American Cancer Society: “Targeted Therapy for Breast Cancer”",
    "American Cancer Society: “Surgery for Breast Cancer”",
    "American Cancer Society: “Making the Decision About Clinical Trials”",
    "American Cancer Society: “What’s It Like to Be in a Clinical Trial?”",
    "American Cancer Society: “A Guide to Palliative or Supportive Care”",
    "American Society of Clinical Oncology: “Breast Cancer – Metastatic: Treatment Options”",
    "American Society of Clinical Oncology: “Breast Cancer – Metastatic: About Clinical Trials”",
    "American Society of Clinical Oncology: “Breast Cancer – Metastatic: Palliative Care”",
    "Susan G. Komen Breast Cancer Foundation: “Treatments for Metastatic Breast Cancer”",
    "BreastCancer.org: “Treatment for Triple-Negative Breast Cancer”",
    "RadiologyInfo.org: “Stereotactic Radiosurgery (SRS) and Stereotactic Body Radiotherapy "
    "(SBRT)”",
]


@pytest.fixture(scope="module")
def cat() -> Catalog:
    """The catalog as the assistant loads it."""
    return catalog()


def test_catalog_loads_and_is_cached(cat: Catalog) -> None:
    assert isinstance(cat, Catalog)
    assert catalog() is cat


def test_page_metadata(cat: Catalog) -> None:
    assert cat.page_title == "Explore Treatments for Metastatic Breast Cancer"
    assert cat.publisher == "WebMD"
    assert cat.reviewed_by == "Laura J. Martin, MD"
    assert cat.review_date == datetime.date(2017, 12, 11)
    assert cat.review_date_text == "December 11, 2017"


def test_disclaimer_says_not_advice(cat: Catalog) -> None:
    assert "medical advice" in cat.disclaimer
    assert "911" in cat.disclaimer
    assert len(cat.disclaimer.split()) < 60  # short enough to say aloud


def test_families_in_canonical_order(cat: Catalog) -> None:
    assert tuple(f.key for f in cat.families) == FAMILY_ORDER
    for family in cat.families:
        assert isinstance(family, Family)
        assert family.name == family.name.lower()  # used mid-sentence


@pytest.mark.parametrize("family_key", FAMILY_ORDER)
def test_family_items_match_spec(cat: Catalog, family_key: str) -> None:
    assert cat.family(family_key).item_keys == ITEMS_BY_FAMILY[family_key]
    assert tuple(i.key for i in cat.items_of(family_key)) == ITEMS_BY_FAMILY[family_key]


@pytest.mark.parametrize("family_key", FAMILY_ORDER)
def test_every_family_has_enough_doctor_questions(cat: Catalog, family_key: str) -> None:
    questions = cat.family(family_key).doctor_questions
    assert len(questions) >= 6
    assert len(set(questions)) == len(questions)
    for question in questions:
        assert question.endswith("?")
        assert len(question.split()) <= 16  # short, plain questions


@pytest.mark.parametrize("family_key", FAMILY_ORDER)
def test_every_family_has_core_facts(cat: Catalog, family_key: str) -> None:
    family = cat.family(family_key)
    assert family.what_is and family.how_it_works and family.who_for
    # Surgery, trials and palliative care: the page gives no side effects, so none are invented.
    if family_key in ("surgery", "clinical_trials", "palliative_care"):
        assert family.side_effects == ""


def test_every_item_family_exists(cat: Catalog) -> None:
    family_keys = {f.key for f in cat.families}
    for item in cat.items:
        assert isinstance(item, Item)
        assert item.family in family_keys
        assert item.key in cat.family(item.family).item_keys
        assert item.kind in ("drug", "procedure", "method")
        assert item.what_is, item.key


def test_item_keys_are_exactly_the_canonical_ones(cat: Catalog) -> None:
    expected = [key for keys in ITEMS_BY_FAMILY.values() for key in keys]
    assert [i.key for i in cat.items] == expected


def test_every_fact_has_known_sources(cat: Catalog) -> None:
    for entry in (*cat.families, *cat.items):
        assert entry.sources, entry.key
        for source in entry.sources:
            assert source in cat.citations, (entry.key, source)


def test_every_citation_is_used(cat: Catalog) -> None:
    used = {s for entry in (*cat.families, *cat.items) for s in entry.sources}
    assert used == set(cat.citations)


def test_citations_are_the_page_sources_in_order(cat: Catalog) -> None:
    assert cat.sources_text() == EXPECTED_CITATIONS
    assert len(cat.citations) == 14


def test_citation_titles_appear_on_the_seed_page(cat: Catalog) -> None:
    if not SEED_PAGE.exists():
        pytest.skip("seed page not available")
    page = SEED_PAGE.read_text(encoding="utf-8")
    for text in cat.sources_text():
        title = text.split("“", 1)[1].rstrip("”")
        assert title in page, title


@pytest.mark.parametrize("item_key,brands", sorted(BRANDS.items()))
def test_brands_from_the_page(cat: Catalog, item_key: str, brands: tuple[str, ...]) -> None:
    assert cat.item(item_key).brands == brands


def test_only_page_brands(cat: Catalog) -> None:
    for item in cat.items:
        assert item.brands == BRANDS.get(item.key, ()), item.key


def test_capecitabine_says_no_more_than_the_page(cat: Catalog) -> None:
    item = cat.item("capecitabine")
    assert "lapatinib" in item.what_is
    assert item.how_it_works == item.how_given == item.side_effects == item.who_for == ""


def test_silent_fields_are_empty_not_invented(cat: Catalog) -> None:
    toremifene = cat.item("toremifene")
    assert toremifene.how_given == toremifene.side_effects == ""
    assert cat.item("pertuzumab").how_it_works == ""


@pytest.mark.parametrize(
    "name,key",
    [
        ("tamoxifen", "tamoxifen"),
        ("Tamoxifen", "tamoxifen"),
        ("tamoxifin", "tamoxifen"),
        ("herceptine", "trastuzumab"),
        ("Herceptin", "trastuzumab"),
        ("letrazole", "letrozole"),
        ("Femara", "letrozole"),
        ("T-DM1", "ado_trastuzumab_emtansine"),
        ("TDM-1", "ado_trastuzumab_emtansine"),
        ("tdm1", "ado_trastuzumab_emtansine"),
        ("t d m one", "ado_trastuzumab_emtansine"),
        ("kadcyla", "ado_trastuzumab_emtansine"),
        ("ado-trastuzumab emtansine", "ado_trastuzumab_emtansine"),
        ("ado_trastuzumab_emtansine", "ado_trastuzumab_emtansine"),
        ("AI", "aromatase_inhibitors"),
        ("AIs", "aromatase_inhibitors"),
        ("aromatase inhibitor", "aromatase_inhibitors"),
        ("anastrazole", "anastrozole"),
        ("fulvestrent", "fulvestrant"),
        ("Afinitor", "everolimus"),
        ("Zortress", "everolimus"),
        ("ibrance", "palbociclib"),
        ("kisqali", "ribociclib"),
        ("Verzenio", "abemaciclib"),
        ("Tykerb", "lapatinib"),
        ("Perjeta", "pertuzumab"),
        ("Fareston", "toremifene"),
        ("ovarian suppression", "ovarian_suppression"),
        ("stereotactic radiosurgery", "stereotactic_radiosurgery"),
        ("external-beam radiation", "external_beam_radiation"),
        ("chemo", "chemotherapy"),
        ("Chemotherapy", "chemotherapy"),
        ("hormone therapy", "hormone_therapy"),
        ("hormonal therapy", "hormone_therapy"),
        ("hormone_therapy", "hormone_therapy"),
        ("targeted therapy", "targeted_therapy"),
        ("radiotherapy", "radiation"),
        ("clinical trial", "clinical_trials"),
        ("supportive care", "palliative_care"),
        ("Palliative Care", "palliative_care"),
        ("surgery", "surgery"),
    ],
)
def test_find_resolves_names(cat: Catalog, name: str, key: str) -> None:
    found = cat.find(name)
    assert found is not None, name
    assert found.key == key


@pytest.mark.parametrize("name", ["fulvestrint", "palbocyclib", "capecitabene", "brakitherapy"])
def test_find_fuzzy_misspellings_not_in_aliases(cat: Catalog, name: str) -> None:
    assert cat.find(name) is not None


def test_find_returns_family_or_item_types(cat: Catalog) -> None:
    assert isinstance(cat.find("chemo"), Family)
    assert isinstance(cat.find("kadcyla"), Item)


@pytest.mark.parametrize("name", ["pizza", "", "   ", "ai ai ai ai", "xyz", "aspirin"])
def test_find_returns_none_for_unknown(cat: Catalog, name: str) -> None:
    assert cat.find(name) is None


def test_family_and_item_raise_key_error(cat: Catalog) -> None:
    with pytest.raises(KeyError):
        cat.family("pizza")
    with pytest.raises(KeyError):
        cat.item("pizza")
    with pytest.raises(KeyError):
        cat.items_of("pizza")


def test_general_questions(cat: Catalog) -> None:
    assert "What are my ER, PR and HER2 results?" in cat.general_questions
    assert "Are there newer treatments or clinical trials that fit my cancer?" in (
        cat.general_questions
    )


REASON_KEYS = (
    "hormone_positive",
    "hormone_unknown",
    "her2_positive",
    "her2_unknown",
    "hr_pos_her2_neg_post",
    "hr_pos_her2_neg_pre",
    "triple_negative",
    "triple_negative_chemo",
    "chemo_main",
    "chemo_with_targeted_or_serious",
    "radiation_brain_bones",
    "radiation_symptoms",
    "surgery_brain",
    "surgery_symptoms",
    "trials_everyone",
    "palliative_early",
)


@pytest.mark.parametrize("reason", REASON_KEYS)
def test_reasons_are_one_plain_sentence(cat: Catalog, reason: str) -> None:
    text = cat.reasons[reason]
    assert text.endswith(".")
    assert text.count(". ") == 0, text  # one sentence


@pytest.mark.parametrize("test_key", TEST_KEYS)
def test_tests_are_explained(cat: Catalog, test_key: str) -> None:
    assert len(cat.tests[test_key].split()) >= 20


def test_all_text_is_clean(cat: Catalog) -> None:
    texts = [cat.disclaimer, *cat.reasons.values(), *cat.tests.values(), *cat.general_questions]
    for entry in (*cat.families, *cat.items):
        texts.extend(getattr(entry, name) for name in FACT_FIELDS)
    for family in cat.families:
        texts.extend(family.doctor_questions)
    for text in texts:
        assert text == " ".join(text.split())  # no stray spaces or newlines from YAML folding


def test_option_lists_name_known_items(cat: Catalog) -> None:
    known = {i.key for i in cat.items}
    assert set(cat.option_lists) == {
        "hormone_pre_menopause",
        "hormone_post_no_prior",
        "hormone_post_prior",
        "targeted_her2_pos_hr_pos",
        "targeted_her2_pos_hr_neg",
        "targeted_her2_neg_hr_pos_post_menopause",
    }
    for entries in cat.option_lists.values():
        for item, _note in entries:
            assert item in known


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "treatments.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _raw() -> dict:
    from actions.content.catalog import CONTENT_FILE

    return yaml.safe_load(CONTENT_FILE.read_text(encoding="utf-8"))


def test_loader_rejects_unknown_source(tmp_path: Path) -> None:
    data = _raw()
    data["items"][0]["sources"] = ["made_up_source"]
    with pytest.raises(ValueError, match="unknown sources"):
        load_catalog(_write(tmp_path, data))


def test_loader_rejects_unknown_family(tmp_path: Path) -> None:
    data = _raw()
    data["items"][0]["family"] = "magic"
    with pytest.raises(ValueError, match="unknown family"):
        load_catalog(_write(tmp_path, data))


def test_loader_rejects_clashing_alias(tmp_path: Path) -> None:
    data = _raw()
    data["items"][0]["aliases"].append("Herceptin")
    with pytest.raises(ValueError, match="used by both"):
        load_catalog(_write(tmp_path, data))


def test_loader_rejects_unknown_option_item(tmp_path: Path) -> None:
    data = _raw()
    data["options"]["hormone_pre_menopause"].append({"item": "aspirin", "note": ""})
    with pytest.raises(ValueError, match="unknown item"):
        load_catalog(_write(tmp_path, data))


def test_results_question_is_a_general_question():
    from actions.content import catalog

    content = catalog()
    assert content.results_question == "What are my ER, PR and HER2 results?"
    assert content.results_question in content.general_questions
