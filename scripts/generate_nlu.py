"""Generate the NLU training data and the held-out test split from sentence templates.

Run ``python scripts/generate_nlu.py`` from the project root. The output is deterministic: one
``random.Random(SEED)`` drives every choice and every file is written sorted, so running it twice
gives byte-identical files.

Templates use a small language in the style of home-assistant/intents:

* ``(a|b|)`` picks one alternative (an empty one makes the group optional);
* ``{slot}`` fills a slot from a pool of fillers (an entity span or plain words);
* ``{slot=text}`` forces a particular filler, so spec examples appear word for word;
* a trailing digit (``{site_2}``) draws a second, different value of the same slot.

Outputs (all Rasa 3.x YAML, version "3.1"):
data/nlu/{profile,knowledge,guide,safety,chitchat,voice}.yml, data/nlu/synonyms.yml,
data/nlu/lookups.yml and tests/nlu/holdout.yml (about 15% per intent, never in training).
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

SEED = 3_606_021
ROOT = Path(__file__).resolve().parent.parent
HOLDOUT_SHARE = 0.15

# The project's tokenizer (components/clinical_tokenizer.py): entity spans must start and end on
# these token boundaries, or DIET cannot learn them.
TOKEN_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\w+(?:['’-]\w+)*[+-]*")

# Spoken forms and misspellings that the held-out split must test (the brief asks for them).
REQUIRED_HOLDOUT = (
    "e r positive",
    "her two negative",
    "i went through the change",
    "i still get my period",
    "t d m one",
    "tamoxifin",
    "herceptine",
    "letrazole",
    "anastrazole",
    "abemaciclyb",
)

# --------------------------------------------------------------------------------------------
# Vocabulary: canonical keys from the spec, with generic, brand, spoken and misspelled names.
# --------------------------------------------------------------------------------------------

DRUGS: dict[str, dict[str, list[str]]] = {
    "tamoxifen": {"generic": ["tamoxifen"], "misspelled": ["tamoxifin", "tamoxiphen", "tamoxefin"]},
    "toremifene": {
        "generic": ["toremifene"],
        "brand": ["Fareston"],
        "misspelled": ["toremifine", "toremefene", "fairston"],
    },
    "aromatase_inhibitors": {
        "generic": ["aromatase inhibitors", "aromatase inhibitor"],
        "abbrev": ["AI", "AIs"],
        "misspelled": ["aromatase inhibiters", "aromatose inhibitors", "aromatase inhibitor pills"],
    },
    "anastrozole": {
        "generic": ["anastrozole"],
        "brand": ["Arimidex"],
        "misspelled": ["anastrazole", "anastrozol", "arimedex"],
    },
    "exemestane": {
        "generic": ["exemestane"],
        "brand": ["Aromasin"],
        "misspelled": ["exemestine", "exemastane", "aromasine"],
    },
    "letrozole": {
        "generic": ["letrozole"],
        "brand": ["Femara"],
        "misspelled": ["letrazole", "letrozol", "femera"],
    },
    "fulvestrant": {
        "generic": ["fulvestrant"],
        "brand": ["Faslodex"],
        "misspelled": ["fulvestrent", "fulvestrand", "faslodecks"],
    },
    "ovarian_suppression": {
        "generic": ["ovarian suppression", "ovary suppression", "ovarian suppression therapy"],
        "misspelled": ["ovarian supression"],
    },
    "trastuzumab": {
        "generic": ["trastuzumab"],
        "brand": ["Herceptin"],
        "misspelled": ["herceptine", "herseptin", "trastuzamab", "trastuzumap"],
    },
    "pertuzumab": {
        "generic": ["pertuzumab"],
        "brand": ["Perjeta"],
        "misspelled": ["pertuzamab", "perjetta", "perjeda"],
    },
    "ado_trastuzumab_emtansine": {
        "generic": ["ado-trastuzumab emtansine", "ado trastuzumab emtansine"],
        "brand": ["Kadcyla"],
        "abbrev": ["T-DM1", "TDM-1", "TDM1"],
        "spoken": ["t d m one", "t dm one", "tdm one"],
        "misspelled": ["kadcila", "kadsyla", "ado-trastuzamab emtansine"],
    },
    "lapatinib": {
        "generic": ["lapatinib"],
        "brand": ["Tykerb"],
        "misspelled": ["lapatanib", "lapatinab", "tykerbe"],
    },
    "abemaciclib": {
        "generic": ["abemaciclib"],
        "brand": ["Verzenio"],
        "misspelled": ["abemaciclyb", "abemacyclib", "verzenyo"],
    },
    "palbociclib": {
        "generic": ["palbociclib"],
        "brand": ["Ibrance", "ibrance"],
        "misspelled": ["palbociclyb", "palbocyclib", "ibrants"],
    },
    "ribociclib": {
        "generic": ["ribociclib"],
        "brand": ["Kisqali", "kisqali"],
        "misspelled": ["ribocyclib", "kiskali", "kisquali"],
    },
    "everolimus": {
        "generic": ["everolimus"],
        "brand": ["Afinitor", "Zortress"],
        "misspelled": ["everolimis", "afinator", "zortres"],
    },
    "capecitabine": {
        "generic": ["capecitabine"],
        "misspelled": ["capecitabene", "capecitibine", "capecitabin"],
    },
    "external_beam_radiation": {
        "generic": [
            "external beam radiation",
            "external beam radiation therapy",
            "external beam radiotherapy",
            "external beam",
        ],
        "misspelled": ["external beem radiation"],
    },
    "brachytherapy": {
        "generic": ["brachytherapy", "internal radiation"],
        "misspelled": ["brachy therapy", "brakytherapy", "brachitherapy"],
    },
    "stereotactic_radiosurgery": {
        "generic": ["stereotactic radiosurgery", "stereotactic radiation"],
        "abbrev": ["SRS"],
        "misspelled": ["stereotatic radiosurgery", "stereo tactic radiosurgery"],
    },
}
HORMONE_DRUGS = (
    "tamoxifen",
    "toremifene",
    "aromatase_inhibitors",
    "anastrozole",
    "exemestane",
    "letrozole",
    "fulvestrant",
)
# Weights for which kind of name a generated sentence uses.
NAME_KIND_WEIGHTS = {"generic": 45, "brand": 25, "abbrev": 10, "spoken": 8, "misspelled": 18}

TREATMENTS: dict[str, list[str]] = {
    "hormone_therapy": [
        "hormone therapy",
        "hormonal therapy",
        "hormone treatment",
        "endocrine therapy",
        "hormone therapies",
        "hormone blockers",
        "hormone therapy drugs",
        "hormone threapy",
    ],
    "targeted_therapy": [
        "targeted therapy",
        "targeted therapies",
        "targeted treatment",
        "targeted drugs",
        "targeted medicines",
        "target therapy",
        "targetted therapy",
    ],
    "chemotherapy": [
        "chemotherapy",
        "chemo",
        "chemo drugs",
        "kemo",
        "chemotherepy",
        "chemo therapy",
    ],
    "radiation": [
        "radiation",
        "radiation therapy",
        "radiotherapy",
        "radiation treatment",
        "radiation treatments",
        "radiaton",
    ],
    "surgery": ["surgery", "an operation", "operation", "surgical treatment", "surgey"],
    "clinical_trials": [
        "clinical trials",
        "clinical trial",
        "a clinical trial",
        "research studies",
        "a research study",
        "trials",
        "clinical trails",
    ],
    "palliative_care": [
        "palliative care",
        "supportive care",
        "palliative treatment",
        "comfort care",
        "symptom care",
        "pallative care",
        "paliative care",
    ],
}

RECEPTORS: dict[str, dict[str, list[str]]] = {
    "er_status": {
        "positive": [
            "ER+",
            "ER positive",
            "ER-positive",
            "estrogen receptor positive",
            "estrogen receptor-positive",
            "estrogen positive",
            "e r positive",
            "ER pos",
            "oestrogen receptor positive",
            "estrogen-receptor positive",
        ],
        "negative": [
            "ER-",
            "ER negative",
            "ER-negative",
            "estrogen receptor negative",
            "estrogen receptor-negative",
            "estrogen negative",
            "e r negative",
            "ER neg",
            "oestrogen receptor negative",
        ],
    },
    "pr_status": {
        "positive": [
            "PR+",
            "PR positive",
            "PR-positive",
            "progesterone receptor positive",
            "progesterone positive",
            "p r positive",
            "PR pos",
            "progesterone-receptor positive",
        ],
        "negative": [
            "PR-",
            "PR negative",
            "PR-negative",
            "progesterone receptor negative",
            "progesterone negative",
            "p r negative",
            "PR neg",
        ],
    },
    "hr_status": {
        "positive": [
            "hormone receptor positive",
            "hormone receptor-positive",
            "HR+",
            "HR positive",
            "hormone positive",
            "ER/PR positive",
            "ER/PR+",
            "h r positive",
            "hormone-receptor positive",
            "hormone receptor pos",
        ],
        "negative": [
            "hormone receptor negative",
            "hormone receptor-negative",
            "HR-",
            "HR negative",
            "hormone negative",
            "ER/PR negative",
            "ER/PR-",
            "h r negative",
        ],
    },
    "her2_status": {
        "positive": [
            "HER2+",
            "HER2 positive",
            "HER2-positive",
            "her two positive",
            "her 2 positive",
            "HER-2 positive",
            "her2 pos",
            "her to positive",
        ],
        "negative": [
            "HER2-",
            "HER2 negative",
            "HER2-negative",
            "her two negative",
            "her 2 negative",
            "HER-2 negative",
            "her2 neg",
            "her to negative",
        ],
    },
}
TRIPLE_NEGATIVE = ["triple negative", "triple-negative", "TNBC", "triple neg", "tripple negative"]

# Menopause phrases by grammar slot: after "i'm" (adjectival) and after "i" (verb phrase).
MENO_ADJ = {
    "post": [
        "post-menopausal",
        "postmenopausal",
        "post menopausal",
        "through menopause",
        "past menopause",
        "done with menopause",
        "post menopause",
    ],
    "pre": [
        "pre-menopausal",
        "premenopausal",
        "pre menopausal",
        "not through menopause",
        "not in menopause yet",
        "before menopause",
    ],
}
MENO_VP = {
    "post": [
        "went through the change",
        "went through menopause",
        "have been through menopause",
        "have gone through menopause",
        "don't get periods anymore",
        "stopped having periods",
        "no longer get my period",
        "already went through menopause",
        "finished menopause",
    ],
    "pre": [
        "still get my period",
        "still have periods",
        "haven't gone through menopause",
        "haven't been through menopause",
        "still have my period",
        "have not gone through menopause",
        "still get periods",
        "haven't hit menopause",
    ],
}
# Used in "is X for women ...": phrases that read well after a noun.
MENO_AFTER_NOUN = {
    "post": ["past menopause", "after menopause", "through menopause", "post menopause"],
    "pre": ["before menopause", "not through menopause"],
}

PRIOR_YES_VERBS = [
    "took",
    "was on",
    "used to take",
    "tried",
    "already took",
    "have taken",
    "have been on",
    "had",
    "was taking",
    "finished",
]
PRIOR_YES_FIXED = [
    "had hormone therapy before",
    "had hormone therapy",
    "have had hormone treatment",
    "already did hormone therapy",
    "was on hormone therapy",
    "took hormone pills",
    "was on an AI",
    "took an AI",
]
PRIOR_NO = [
    "never had hormone therapy",
    "haven't had hormone therapy",
    "have never taken hormone therapy",
    "never took hormone pills",
    "have not had any hormone therapy",
    "never been on hormone therapy",
    "never had any hormone treatment",
    "haven't tried hormone therapy yet",
    "never had endocrine therapy",
    "haven't had any hormone treatment",
]

SITES = {
    "bones": ["bones", "bone", "spine", "hip", "ribs", "pelvis", "skeleton", "back bones"],
    "brain": ["brain"],
    "liver": ["liver"],
    "lungs": ["lungs", "lung"],
    "other": ["skin", "lymph nodes", "chest wall", "adrenal glands", "lymph node"],
}

FACTS = {
    "er": ["ER", "estrogen receptor", "e r", "estrogen"],
    "pr": ["PR", "progesterone receptor", "p r", "progesterone"],
    "hr": ["hormone receptor", "HR", "hormone receptors"],
    "her2": ["HER2", "her two", "her 2", "HER-2"],
    "menopause": ["menopause"],
    "prior_hormone": ["prior hormone therapy", "past hormone treatment", "earlier hormone therapy"],
    "spread": ["where it spread", "where it's spread", "spread", "metastases"],
}

NUMBERS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"]
AGES = ["38", "41", "45", "47", "52", "55", "58", "61", "64", "67", "70", "73", "forty six"]

FREE_QUESTIONS = [
    "can i still travel during chemo?",
    "will i lose my hair",
    "how much will it cost",
    "can i keep working",
    "how long will i need treatment",
    "who do i call at night if i feel sick",
    "can i drink alcohol",
    "will my insurance pay for this",
    "how will we know if it is working",
    "can i exercise",
    "what should i eat",
    "how often will i need scans",
    "can i get a second opinion",
    "is there a support group near me",
    "can my daughter come to my visits",
    "what happens if i miss a dose",
    "how long is each visit",
    "can i drive myself home",
    "will i be able to care for my kids",
    "what can i do about the pain",
    "can i take my vitamins",
    "do i need to avoid the sun",
    "can i get my flu shot",
    "who can help me with rides",
    "how do i get my records",
    "when is my next scan",
    "can i have a glass of wine",
    "will this affect my sleep",
    "is there help paying for my medicine",
    "can i still go to my grandson's wedding",
    "how will i feel after each visit",
    "should i tell my boss",
    "what are the warning signs to watch for",
    "can i garden",
    "how do i reach the nurse",
]

EMAIL_FIRST = ["sam", "jo", "maria", "lee", "pat", "dana", "alex", "kim", "rosa", "terry", "ana"]
EMAIL_LAST = ["rivera", "lee", "smith", "nguyen", "patel", "garcia", "brown", "okafor", "chen"]
EMAIL_DOMAINS = [
    "example.org",
    "example.com",
    "mail.com",
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "icloud.com",
    "aol.com",
    "comcast.net",
]
SPOKEN_SEPARATORS = {".": " dot ", "_": " underscore ", "-": " dash "}

# --------------------------------------------------------------------------------------------
# Fillers and pools
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seg:
    """A piece of an example: plain words, or an entity span with its canonical value."""

    text: str
    entity: str | None = None
    value: str | None = None


def _entity_pool(entity: str, variants: dict[str, list[str]]) -> list[list[Seg]]:
    """Group the variants per value, so a value is drawn first and a wording second."""
    return [[Seg(text, entity, value) for text in texts] for value, texts in variants.items()]


def _drug_group(key: str) -> list[Seg]:
    """All names of one drug, repeated by kind weight so brand and misspellings show up."""
    segs: list[Seg] = []
    for kind, names in DRUGS[key].items():
        weight = NAME_KIND_WEIGHTS[kind]
        for name in names:
            segs.extend([Seg(name, "drug", key)] * max(1, weight // len(names)))
    return segs


def _prior_yes() -> list[Seg]:
    """'took letrozole', 'was on Femara', ...: the whole phrase is the prior_hormone entity."""
    names: list[str] = []
    for key in HORMONE_DRUGS:
        for kind, texts in DRUGS[key].items():
            if kind in ("generic", "brand") or key in ("letrozole", "tamoxifen"):
                names.extend(t for t in texts if t not in ("AIs", "aromatase inhibitor pills"))
    phrases = [f"{verb} {name}" for verb in PRIOR_YES_VERBS for name in names]
    return [Seg(p, "prior_hormone", "yes") for p in phrases + PRIOR_YES_FIXED * 8]


def build_pools() -> dict[str, list[list[Seg]]]:
    """Return slot name -> groups of fillers; a group is one value, chosen uniformly first."""
    pools: dict[str, list[list[Seg]]] = {}
    pools["drug"] = [_drug_group(k) for k in DRUGS]
    pools["hdrug"] = [_drug_group(k) for k in HORMONE_DRUGS]
    pools["tdrug"] = [
        _drug_group(k)
        for k in DRUGS
        if k not in HORMONE_DRUGS and k not in ("ovarian_suppression", "capecitabine")
    ]
    pools["treat"] = _entity_pool("treatment", TREATMENTS)
    pools["item"] = pools["drug"] + pools["treat"]
    for entity, variants in RECEPTORS.items():
        pools[entity.split("_")[0]] = _entity_pool(entity, variants)
    pools["tn"] = [[Seg(t, "subtype", "triple_negative") for t in TRIPLE_NEGATIVE]]
    pools["meno_adj"] = _entity_pool("menopause", MENO_ADJ)
    pools["meno_vp"] = _entity_pool("menopause", MENO_VP)
    pools["meno_after"] = _entity_pool("menopause", MENO_AFTER_NOUN)
    pools["prior_vp"] = [_prior_yes(), [Seg(t, "prior_hormone", "no") for t in PRIOR_NO]]
    pools["site"] = _entity_pool("spread_site", SITES)
    pools["fact"] = _entity_pool("fact", FACTS)
    pools["n"] = [[Seg(str(i))] for i in range(1, 10)] + [[Seg(w)] for w in NUMBERS[:9]]
    pools["ord"] = [[Seg(w)] for w in ORDINALS]
    pools["age"] = [[Seg(a)] for a in AGES]
    pools["q"] = [[Seg(q)] for q in FREE_QUESTIONS]
    pools["email"] = [[Seg(e)] for e in _emails()]
    return pools


def _emails() -> list[str]:
    """Typed and spoken email addresses (no entity: the lead's action reads the raw text)."""
    typed: list[str] = []
    for i, first in enumerate(EMAIL_FIRST):
        for j, last in enumerate(EMAIL_LAST):
            sep = ["", ".", "_", "-"][(i + j) % 4]
            digits = ["", "", "72", "1", ""][(i * 3 + j) % 5]
            typed.append(
                f"{first}{sep}{last}{digits}@{EMAIL_DOMAINS[(i + 2 * j) % len(EMAIL_DOMAINS)]}"
            )
    spoken: list[str] = []
    for address in typed:
        out = address.replace("@", " at ")
        for sep, word in SPOKEN_SEPARATORS.items():
            out = out.replace(sep, word)
        spoken.append(re.sub(r"(\d)", r" \1 ", out).replace("  ", " ").strip())
    spelled = [
        "s a m at example dot com",
        "j o dot lee at mail dot com",
        "k i m at gmail dot com",
        "ana at yahoo dot com",
        "pat dash brown at outlook dot com",
    ]
    return typed + spoken + spelled


# --------------------------------------------------------------------------------------------
# Templates per intent
# --------------------------------------------------------------------------------------------


@dataclass
class IntentSpec:
    """Templates for one intent, with examples that must be in training or in the holdout."""

    name: str
    topic: str
    total: int  # examples to generate (training + holdout)
    templates: list[str]
    fixed_train: list[str] = field(default_factory=list)
    fixed_holdout: list[str] = field(default_factory=list)
    # Intents added after the first data set draw from their own generator (seeded by the
    # intent's name), so adding one leaves every other intent's examples and split as they were.
    own_generator: bool = False


I_AM = "(i'm|i am|im|my cancer is|it's|it is|the cancer is|my tumor is|they said i'm)"
SPREAD_TO = (
    "(it spread to my|it's spread to my|it has spread to my|it went to my|it's in my|"
    "the cancer is in my|there's cancer in my|mets in my|it moved to my|it spread into the|"
    "spread to my|it's in the)"
)

PROFILE_TEMPLATES = [
    f"{I_AM} {{er}}",
    f"{I_AM} {{pr}}",
    f"{I_AM} {{hr}}",
    f"{I_AM} {{her2}}",
    "{her2}",
    "{er}",
    "{hr}",
    "{er} {her2}",
    "{er} and {pr}",
    "{er}, {pr}, {her2}",
    "{er} {pr} {her2}",
    "{hr} and {her2}",
    f"{I_AM} {{hr}} and {{her2}}",
    f"{I_AM} {{er}} and {{her2}}",
    "(my results say|the report says|the biopsy said|my doctor said it's) {er} and {her2}",
    "(my results say|the report says|the biopsy said|my doctor said it's) {her2}",
    "(i'm|im|i am|it's|my cancer is) {tn}",
    "(i have|they told me i have|it's) {tn} (breast cancer|cancer|)",
    "{tn}",
    "(i'm|i am|im) {meno_adj}",
    "(i|i already) {meno_vp}",
    "(i'm|i am) {age} and (i |){meno_vp}",
    "(i'm|im) {age} and {meno_adj}",
    "(i|well i|and i) {prior_vp}",
    "i {prior_vp} (a few years ago|for two years|last year|for a while)",
    "{prior_vp}",
    f"{SPREAD_TO} {{site}}",
    f"{SPREAD_TO} {{site}} and {{site_2}}",
    "(it's|it is) in my {site}, {site_2} and {site_3}",
    "(i have|there are) (mets|tumors|spots) in my {site}",
    "{site} and {site_2}",
    "just my {site}",
    "only the {site}",
    # Short answers to "Where has the cancer spread?".
    "{site}",
    "(my|the) {site}",
    "(to|in|into) (my|the) {site}",
    "(to|in) (my|the) {site} and (my|the|) {site_2}",
    "(my|the) {site}, {site_2} and {site_3}",
    "(it went|it's gone|it has gone|it moved) (to|into) (my|the) {site}",
    "(mostly|mainly|just|only) (in|to) (my|the) {site}",
    "(the|my) {site} (i think|as far as i know|they said)",
    # Corrections.
    "(actually|sorry|wait|oops|no wait|correction) (it's|i'm|it is|i meant) {her2}",
    "(actually|sorry|wait|oops|no wait) (it's|i'm|i meant) {er}",
    "(actually|sorry|wait|oops|correction) (it's|i'm|i meant) {pr}",
    "(sorry|actually|i misspoke), (i'm|it's) {hr}",
    "(no wait|actually|oh and|sorry), it spread to my {site} too",
    "(actually|sorry|i misspoke|wait) i'm {meno_adj}",
    "(actually|sorry|wait|correction) i {prior_vp}",
    "(actually|sorry|no) it's {tn}",
    "(sorry|oops), i meant {her2} not {her2_2}",
    "i said that wrong, (it's|i'm) {er} and {pr}",
    "(let me fix that|i need to change something|update my info), i'm {her2}",
]
# Several facts in one message: listed twice so they are drawn more often (denser entities).
PROFILE_COMBOS = [
    "{er} {her2} {meno_adj}, {prior_vp}, (spread to my|it's in my|mets in my) {site}",
    "{er} {her2}, {meno_adj}, {prior_vp}",
    "{hr} {her2} and {meno_adj}",
    f"{I_AM} {{er}} and {{her2}} and it spread to my {{site}}",
    "(i'm|i am) {tn} and it's in my {site}",
    "{tn}, (spread to|mets in) my {site} and {site_2}",
    "(i'm|i am) {meno_adj} and i {prior_vp}",
    "i {meno_vp} and i {prior_vp}",
    "{her2}, {hr}, {meno_adj}",
    "{er} {pr} {her2} and it's in my {site}",
    "i {prior_vp} and it (spread|has spread) to my {site}",
    "{er} {pr} {her2}, {meno_adj} and i {prior_vp}",
    "{er}, {pr}, and i {prior_vp}",
    "(i'm|it's|my cancer is) {pr} and {her2}",
    "{hr}, i {meno_vp} and i {prior_vp}",
    "(it's|i'm) {er} and {pr}, {her2}, and it's in my {site}",
    "{er} {pr} {her2} {meno_adj}",
    "(i'm|i am) {pr}, {er} and {meno_adj}",
    "{tn}, {meno_adj}",
    "(i'm|it's) {hr}, {her2}, and (it spread to|it's in) my {site}",
    "(i'm|it's) {tn} and i {meno_vp}",
    "{hr} {her2}, i {prior_vp}",
]
PROFILE_TEMPLATES += PROFILE_COMBOS * 2
PROFILE_FIXED_TRAIN = [
    "{er=ER+} {her2=HER2-} {meno_adj=post-menopausal}, {prior_vp=took letrozole}, "
    "spread to my {site=bones}",
    "I'm {tn=triple negative}",
    "it's in my {site=liver} and {site_2=lungs}",
    "{hr=hormone receptor positive} and {her2=her2 negative}",
    "I'm {age=52} and {meno_vp=went through the change}",
    "I {meno_vp=still get my period} every month",
    "actually it's {her2=HER2 positive}",
    "sorry, I meant {er=ER negative}",
    "no wait, it spread to my {site=brain} too",
    "{her2=her2 positive}",
    "i'm {er=e r positive} and {pr=p r positive}",
    "it's {her2=her two negative} and {hr=hormone receptor positive}",
    "i {prior_vp=never had hormone therapy}",
    "i {prior_vp=was on tamoxifen} for five years",
    "i {prior_vp=had hormone therapy before}",
    "i'm {meno_adj=through menopause}",
    "i {meno_vp=haven't gone through menopause}",
    "my cancer is {hr=ER/PR positive}",
]
PROFILE_FIXED_HOLDOUT = [
    "i'm {er=e r positive} and {her2=her two negative}",
    "i {meno_vp=went through the change}",
    "i {meno_vp=still get my period}",
    "{er=ER+} {pr=PR+} {her2=HER2-}, {meno_adj=postmenopausal}, {prior_vp=took anastrozole}",
    "it's {her2=her two negative}",
]

START_PROFILE = [
    "(let's|lets|can we|i want to|i'd like to) (start|begin|get started)",
    "(start|begin) (the questions|the quiz|my profile)",
    "(help me|can you help me) (find|figure out|explore) (my treatment options|treatments for me|"
    "which treatments fit me|what treatments might work for me)",
    "(i want to|i'd like to|let's) (explore|look at|find) (treatments|treatment options|"
    "my treatment choices)",
    "(find|explore) treatments (for me|for my cancer|that may fit me)",
    "(ask me|go ahead and ask me) the questions",
    "(i want to|let me) (answer|do) the questions",
    "(i want to|i'd like to) (know|learn) which treatments (might|could) fit my cancer",
    "(let's|lets) figure out (my options|what treatments apply to me)",
    "(i'm|im) ready to (start|begin|answer your questions)",
    "(find treatments that may fit me|explore treatment options|get started)",
    "walk me through (my options|the treatment choices|finding a treatment)",
    "(new profile|set up my profile|let's do my profile|update my profile)",
]
SHOW_OPTIONS = [
    "(show me|show|list|give me) my (options|treatment options|results|matches)",
    "(what are|what're|tell me) my (options|treatment options|treatment choices) (now|)",
    "what (treatments|options) (fit|match|apply to|are there for) (me|my cancer)",
    "which treatments (fit|match|could work for) me",
    "(so what|ok so what|so) (can i get|are my options|treatments can i have)",
    "(show|list|read) the treatments (that fit me|for me|you found)",
    "(what did you find|what's the result|show the results|results please)",
    "based on (that|what i told you), what (are my options|treatments could i get)",
    "(go back to|back to|show me again) my (options|list of treatments|results)",
    "what treatment (families|types|kinds) (fit|are there for) me",
    "(let me|can i) see my options",
    "what (can|could) i try (next|now|for my cancer)",
]
DONT_KNOW = [
    "(i don't know|i dont know|don't know|dunno|no idea|no clue|not sure|i'm not sure|"
    "i am not sure|i have no idea|unsure|i'm unsure)",
    "(i don't know|i dont know|i'm not sure of|not sure about|no idea about|i forgot) my {fact} "
    "(status|result|results|)",
    "(i don't know|i'm not sure|not sure|no idea) (if|whether) (i'm|it's|i am) {fact} "
    "(positive or negative|positive|)",
    "(my doctor never told me|nobody told me|they never told me|the doctor didn't say|"
    "i was never told)",
    "(my doctor never told me|nobody told me|they never told me) (my|about my|about the) {fact} "
    "(status|result|)",
    "(i never got|i didn't get|i can't find|i don't have) my {fact} (results|result|report)",
    "(i'd have to check|i need to check|let me check later|i'll have to ask my doctor)",
    "(i can't remember|i don't remember|i forget|can't recall) (my {fact} status|"
    "my {fact} result|that|the result|)",
    "(i'm not sure|not sure|i don't know) about (the|my|) {fact}",
    "(i don't know|no idea|not sure) {fact=where it spread}",
    "(i'm not sure|i don't know) if i'm in {fact=menopause} (yet|)",
    "(no idea|i don't know|not sure) about {fact=prior hormone therapy}",
    "(hmm|um|uh|well) (i don't know|not sure|no idea)",
    "(i haven't|i have not|never) been tested for {fact}",
    "(what|which) {fact} (status|result)? (i don't know|no idea|not sure)",
    "(skip that|pass|i'll skip that), i don't know",
    "(i don't know|no idea) what my {fact} is",
    "(the doctor|my doctor|my oncologist|they|the nurse) (didn't say|did not say|never said|"
    "didn't tell me|never mentioned it|didn't mention it)",
]
DONT_KNOW_FIXED = [
    "I don't know",
    "not sure",
    "no idea",
    "I don't know my {fact=HER2} status",
    "my doctor never told me",
]
# "I forget" answers a question; it is not "forget me" (forget_me). Added with the total raised
# by as many, so the shared generator draws exactly as before.
DONT_KNOW_FORGET = ["i forget", "i forgot", "sorry, i forget", "i forgot what they said"]

# Knowledge questions. {x} is a drug or a treatment family; pronouns cover follow-up questions.
X = "{item}"
ASK_WHAT_IS = [
    f"(what is|what's|whats|what is a|what is the drug) {X}",
    f"(tell me about|tell me more about|more about|info on|information about|explain) {X}",
    f"(can you|could you|please) (tell me|explain) what {X} is",
    f"(i want to|i'd like to|i need to) (know|learn|hear) (about|more about) {X}",
    f"what kind of (drug|medicine|treatment) is {X}",
    f"what does {X} mean",
    f"(describe|define) {X}",
    f"{X}",
    f"{X}?",
    f"(i've heard of|my doctor mentioned|my sister takes|i read about) {X}, what is it",
    f"(give me|i need|can i get) (information|some info|details) (about|on) {X}",
    f"(what exactly is|what the heck is|so what is) {X}",
    f"what are {X}",
    f"what is {X} (treatment|therapy|medicine|exactly|again|)",
    "(what is|what's|tell me about|explain) (it|that|that one|this treatment|that drug)",
    f"(hey|ok|so|and) what's {X}",
]
ASK_HOW_WORKS = [
    f"how does {X} work",
    f"how do {X} work",
    f"what does {X} do (in the body|to the cancer|to cancer cells|in my body|exactly)",
    f"how does {X} (fight|treat|kill|stop|slow) (cancer|the cancer|cancer cells|tumors)",
    f"how is {X} supposed to work",
    f"(how|in what way) does {X} help",
    f"(explain|tell me) how {X} works",
    f"what does {X} (target|block|attack)",
    f"why does {X} work",
    f"what's the (mechanism|science) (of|behind) {X}",
    f"how (would|will|could) {X} (help me|work against my cancer|help my cancer)",
    f"(what is|what's) the (point|goal|purpose) of {X}",
    "how does (it|that|this one|that drug) work",
    "what does (it|that|that drug|this) do (in the body|to the cancer)",
    f"does {X} (block estrogen|kill cancer cells|shrink tumors|stop the cancer from growing)",
]
ASK_HOW_GIVEN = [
    f"how do i (take|get) {X}",
    "is {drug} (a pill or a shot|a pill or an iv|a shot or a pill|an iv or a pill|a pill or an "
    "injection|a tablet or a shot)",
    f"how often do i (get|take|need|have) {X}",
    f"how is {X} (given|done|taken)",
    f"is {X} (an iv|a pill|a shot|an injection|a daily pill|given by vein)",
    f"do i (get|take) {X} (through an iv|by mouth|as a shot|at home|in the hospital)",
    f"how do you (get|take|receive) {X}",
    f"how long do i (take|need|stay on) {X}",
    f"(what's|what is) the (schedule|dose schedule|timing) for {X}",
    f"how many times (a day|a week|a month) do i (take|get) {X}",
    f"where do i (go|have to go) (to get|for) {X}",
    "(can i take|do i swallow) {drug} (at home|as a pill)",
    f"how long does (a|each) {X} (session|treatment|visit) take",
    f"how (is|are) {X} (delivered|administered)",
    "how is (it|that|that one) given",
    "(is it|is that) a pill or a shot",
    "how often do i (get|take) (it|that)",
    f"(do|will) i need (a needle|an iv|shots) for {X}",
]
ASK_SIDE_EFFECTS = [
    f"(what are the|any|are there) side effects (of|from|for|with) {X}",
    f"(side effects of|{X} side effects|risks of|downsides of) {X}",
    f"will {X} make me (tired|sick|lose my hair|gain weight|nauseous|throw up)",
    f"does {X} cause (hair loss|hot flashes|nausea|diarrhea|joint pain|heart problems|tiredness)",
    f"will i lose my hair (on|with|from) {X}",
    f"how will {X} make me feel",
    f"(is|are) {X} hard on (the body|you|my body)",
    f"what problems can {X} cause",
    f"will i feel sick (on|with|after) {X}",
    f"can {X} (hurt|damage|affect) my (heart|bones|liver|skin)",
    f"how bad are the side effects (of|from) {X}",
    f"what should i expect (on|from|with) {X}",
    f"(is|are) {X} (safe|rough|tough|harsh)",
    f"(what|which) side effects (does|do) {X} have",
    "what are (its|the|their) side effects",
    "(will|does) (it|that|that one) make me (tired|sick|lose my hair)",
    "how will (it|that|that drug) make me feel",
    f"does {X} have (bad|a lot of|any) side effects",
]
ASK_WHO_FOR = [
    f"who is {X} for",
    f"who (gets|can get|should get|should have|can take|usually gets) {X}",
    f"can i take {X}",
    f"can i (get|have|try) {X}",
    f"is {X} for women {{meno_after}}",
    f"is {X} (an option|right|meant|used) for (people like me|someone like me|women like me)",
    f"(who's|whos|who is) a (good|) candidate for {X}",
    f"who (would|might) {X} help",
    f"(am i|would i be) (eligible|a candidate) for {X}",
    f"(is|are) {X} (only|) for (certain|some) (women|people|cancers)",
    f"what kind of (patient|cancer|women) (is|are) {X} for",
    f"when do (doctors|they) (use|give|recommend) {X}",
    f"is {X} for (my type of cancer|metastatic cancer|everyone)",
    "who is (it|that|that one|this) for",
    "(can i|could i) (take|get) (it|that|that one)",
    f"does {X} (work|apply) for (everyone|all women|all breast cancers)",
]
ASK_TEMPLATES = {
    "ask_what_is": (ASK_WHAT_IS, 150),
    "ask_how_works": (ASK_HOW_WORKS, 140),
    "ask_how_given": (ASK_HOW_GIVEN, 150),
    "ask_side_effects": (ASK_SIDE_EFFECTS, 150),
    "ask_who_for": (ASK_WHO_FOR, 140),
}
ASK_FIXED_TRAIN = {
    "ask_what_is": [
        "what is {drug=herceptin}",
        "tell me about {drug=tamoxifen}",
        "tell me more about {drug=tamoxifen}",
    ],
    "ask_how_works": [
        "how does {drug=letrozole} work",
        "what does {drug=herceptin} do in the body",
    ],
    "ask_how_given": [
        "how do I take {drug=tamoxifen}",
        "is {drug=fulvestrant} a pill or a shot",
        "how often do I get {drug=Herceptin}",
        "how is {drug=t d m one} given",
    ],
    "ask_side_effects": [
        "side effects of {treat=chemo}",
        "will {drug=letrozole} make me tired",
        "does {drug=herceptine} cause heart problems",
    ],
    "ask_who_for": [
        "who gets {drug=palbociclib}",
        "is {drug=ribociclib} for women {meno_after=past menopause}",
        "who is {treat=palliative care} for",
    ],
}
ASK_FIXED_HOLDOUT = {
    "ask_what_is": ["what is {drug=t d m one}", "what's {drug=abemaciclyb}"],
    "ask_how_works": ["how does {drug=herceptine} work"],
    "ask_how_given": ["how do i take {drug=letrazole}"],
    "ask_side_effects": ["what are the side effects of {drug=tamoxifin}"],
    "ask_who_for": ["who is {drug=anastrazole} for"],
}

GUIDE_ADD_FAMILY = [
    "(save|add|keep) the {treat} questions",
    "(add|put|save) the {treat} questions (to|in|on) my (guide|list|doctor guide)",
    "(save|add) (questions|doctor questions) (about|for|on) {treat}",
    "(add|save) {treat} to my (guide|list|discussion guide)",
    "(i want|give me|i'd like) the (doctor|) questions (for|about) {treat}",
    "(add|save|keep) (those|these|the|all those) questions",
    "(save|add) (them|those|these) to my (guide|list)",
    "(yes,|ok|please) (save|add) the questions (for|about) {treat}",
    "what should i ask my doctor about {treat}? (save|add) (those|them)",
    "(add|save) (questions|the questions) about {drug} (to my guide|)",
    "put the {treat} questions (in|on) my (doctor discussion guide|list)",
    "(add|save) (the|) {treat} (questions|doctor questions) (please|)",
    "i'd like to (save|keep) the questions about {treat}",
    "(add to guide|save to guide|save to my guide)",
]
GUIDE_ADD_FAMILY_FIXED = [
    "save the {treat=hormone therapy} questions",
    "add the {treat=chemo} questions to my guide",
]
GUIDE_ADD_QUESTION = [
    "add: {q}",
    "add a question: {q}",
    "put this on my list: {q}",
    "(add this question|add the question|new question|my question is|save this question)(:|) {q}",
    "(please add|can you add|add) {q} to my (guide|list)",
    "(write down|note down|jot down) {q}",
    "(i want to|i'd like to|let me) (ask my doctor|add a question)(:|,) {q}",
    "(add to my list|add my own question)(:|) {q}",
    "(remember to ask|remind me to ask)(:|) {q}",
    "(another question|one more question|also add)(:|) {q}",
    "(i want to add my own question|add a custom question|i have my own question)",
]
GUIDE_ADD_QUESTION_FIXED = [
    "add: can i still travel during chemo?",
    "add a question: will i lose my hair",
    "put this on my list: how much will it cost",
]
GUIDE_READ = [
    "(read|read back|show|show me|list|open) my (guide|questions|list|doctor discussion guide)",
    "what questions have i (saved|added|got so far)",
    "what's (on|in) my (list|guide|doctor guide)",
    "(what did i save|what have i saved|what do i have so far)",
    "(read|tell me|say) (them|my questions|the questions) (back|again|)",
    "(can you|could you|please) read (me|) my (questions|guide|list)",
    "how many questions (do i have|have i saved|are on my list)",
    "(review|go over|check) my (guide|questions|list)",
    "(what's|what is) in my doctor discussion guide",
    "let me hear my (questions|list|guide)",
]
GUIDE_READ_FIXED = ["read my guide", "what questions have I saved"]
GUIDE_REMOVE = [
    "(remove|delete|take off|drop|cross off|scratch) (the|) {ord} (one|question|item)",
    "(remove|delete|drop|take out|scratch) (question|number|item) {n}",
    "(take off|remove|delete|get rid of) the last (question|one)",
    "(remove|delete|get rid of) (that one|that question|this one|it)",
    "(remove|delete|take off) the {treat} questions",
    "(please|can you|could you) (remove|delete) (question|number) {n}",
    "(i don't want|i don't need) the {ord} (one|question) (anymore|)",
    "(take|cross) (question|number) {n} off (my list|the list|my guide)",
    "(remove|delete) the question about {q}",
    "(remove a question|delete a question|take a question off)",
]
GUIDE_REMOVE_FIXED = ["remove the second one", "delete question 3", "take off the last question"]
GUIDE_CLEAR = [
    "(clear|empty|wipe|reset|erase) my (guide|list|questions|doctor guide)",
    "(delete|remove|erase|get rid of) all (my|of my|the|) questions",
    "(start my guide over|start my list over|start the guide from scratch)",
    "(remove|delete|clear) everything (from|in|on) my (guide|list)",
    "(throw out|toss|scrap) (all|) (the|my) (questions|list|guide)",
    "(i want to|let's|please) (clear|empty|wipe) (my|the) (guide|list)",
    "(erase|delete) the whole (guide|list)",
    "(clear all|delete all|remove all|wipe it all)",
]
GUIDE_CLEAR_FIXED = ["clear my guide", "delete all my questions"]
# "Delete what I told you": the whole conversation, not just the guide (that is guide_clear).
_FORGET_VERB = "(delete|erase|remove|wipe|get rid of|clear)"
_FORGET_WHAT = (
    "(what i told you|everything i told you|what i said|everything i said|all i told you|"
    "my conversation|this conversation|our conversation|this chat|my chat|my chat history|"
    "my data|my information|my info|my personal information|my details|my history|"
    "everything about me|all my data|all my information|my records|my answers and my guide)"
)
FORGET_ME = [
    f"{_FORGET_VERB} {_FORGET_WHAT}",
    "(please|can you|could you|i want you to|i'd like you to|i want to) "
    f"{_FORGET_VERB} {_FORGET_WHAT}",
    f"{_FORGET_VERB} {_FORGET_WHAT} (please|now|for good|permanently|from your memory)",
    "(forget|forget about) (me|everything i told you|what i told you|everything i said|all of it|"
    "everything about me|my information|my data)",
    "(please|can you|could you|i want you to) forget (me|everything|what i told you|"
    "everything about me|all about me)",
    "(i don't want you to keep|don't keep|stop keeping|don't save) (my data|my information|"
    "what i told you|this conversation|my answers)",
    "(how do i|how can i|can i) (delete|erase) (my data|my information|this conversation|"
    "what i told you|everything)",
    "(erase|delete|wipe) (me|everything about me) from (your memory|your records|the system)",
    "(i want|i'd like) my (data|information|conversation) (deleted|erased|removed|gone)",
    "(delete|erase) (it all|everything) (including my guide|and start over|about me)",
]
FORGET_ME_FIXED = [
    "delete what I told you",
    "forget everything I said",
    "delete my data",
    "erase this conversation",
    "forget me",
]
EMAIL_GUIDE = [
    "(email|mail|send) (me|) my (guide|questions|list|doctor discussion guide)",
    "(email|send|mail) (it|them|the guide|the questions|my list) to me",
    "(send|email|mail) (the questions|my guide|it|the list) to {email}",
    "(can you|could you|please) (email|send) (me|) (the|my) (questions|guide|list)",
    "(email|send) (it|my guide) to my (email|inbox|email address)",
    "(i want|i'd like) (the|my) (guide|questions|list) (emailed|sent) to me",
    "(send|email) (it|them|my questions) to my (daughter|husband|son|nurse|sister) at {email}",
    "(email|send) (it|this) (please|now)",
    "(i'm done|that's all), (email|send) (it|them|the guide) (to me|)",
    "(get|send) me a copy (of my questions|of the guide|by email)",
]
EMAIL_GUIDE_FIXED = ["email my guide", "send the questions to sam@example.com", "email it to me"]
INFORM_EMAIL = [
    "{email}",
    "{email}",
    "{email}",
    "(my email is|my email address is|my e-mail is|my address is|email is) {email}",
    "(it's|it is|that's|use|you can use|try) {email}",
    "(sure|yes|ok), (it's|my email is) {email}",
    "(you can reach me at|write to me at|use this one) {email}",
]
INFORM_EMAIL_FIXED = [
    "sam.rivera@example.org",
    "sam dot rivera at example dot org",
    "it's jo underscore lee at mail dot com",
    "my email is maria.garcia@example.com",
]
INFORM_NUMBER = [
    "{n}",
    "{n}",
    "(number|option|choice|item) {n}",
    "the {ord} (one|option|choice|)",
    "{ord} (one|option|)",
    "(i'll pick|i pick|i choose|i'll take|let's do|let's go with|go with) (number|option|) {n}",
    "(i'll pick|i want|let's go with|give me) the {ord} (one|option)",
    "(number|option) {n} please",
    "{n} please",
    "the last (one|option)",
]
INFORM_NUMBER_FIXED = ["1", "two", "number three", "the second one", "option 4"]

EMERGENCY = [
    "(i have|i'm having|having|i've got) (crushing|really bad|sudden|terrible) chest pain",
    "(i can't|i cannot|can't|i can barely) breathe",
    "(my face is drooping|her face is drooping|one side of my face is drooping)",
    "(i'm bleeding a lot and it won't stop|the bleeding won't stop|i can't stop the bleeding)",
    "(i passed out|she passed out|i fainted|i just blacked out|my mom fainted)",
    "(high fever and chills|i have a high fever and chills|i have a fever of 103|fever and shaking "
    "chills on chemo)",
    "(i'm|i am) coughing up blood",
    "(i'm|i am) (vomiting|throwing up) blood",
    "(i'm having|she's having|he is having) a seizure",
    "(i can't|i cannot) (feel|move) my legs",
    "(my arm is numb and i can't move it|i suddenly can't move my arm|my arm went weak)",
    "(my speech is slurred|i can't get words out|she is talking funny all of a sudden)",
    "(worst headache of my life|sudden terrible headache|my head hurts worse than ever)",
    "(my leg is swollen, red and hot|my calf is swollen and painful|my leg suddenly swelled up)",
    "(my throat is closing|my throat is swelling|i'm having an allergic reaction to my infusion)",
    "(i'm very confused and dizzy|she's confused and won't wake up|he won't wake up)",
    "(help|please help|emergency), (i can't breathe|chest pain|i'm bleeding badly)",
    "(i think i'm having a heart attack|i think i'm having a stroke)",
    "(i took too many pills|i overdosed on my pain pills by accident)",
    "(i fell and hit my head|i fell and can't get up|i broke my hip)",
    "(my chest hurts and i'm short of breath|my chest is tight and i'm short of breath|"
    "short of breath and chest pressure)",
    "(i can't stop throwing up|i've been vomiting all day and can't keep water down)",
    "(i have a fever|fever) (after chemo|during chemo|on chemo) (and chills|and i feel awful|)",
    "(sudden|really bad) (back pain and my legs are weak|weakness in my legs)",
    "(i lost control of my bladder and my legs are numb|i can't pee and my legs are weak)",
    "(call 911|call an ambulance|i need an ambulance|get me an ambulance)",
    "(this is an emergency|it's an emergency|emergency)",
    "(there's blood in my stool|black tarry stool and i feel faint)",
    "(my heart is racing and i feel faint|my heart is pounding and i'm dizzy)",
]
EMERGENCY_FIXED = [
    "crushing chest pain",
    "I can't breathe",
    "my face is drooping",
    "I'm bleeding a lot and it won't stop",
    "I passed out",
    "high fever and chills",
]
CRISIS = [
    "(i want to|i wanna|i just want to) (end my life|die|kill myself|end it all|not be here)",
    "(i don't want to|i dont want to|i don't wanna) (live|be alive|go on|wake up) (anymore|)",
    "(i'm|i am|i've been) thinking (about|of) (killing myself|ending my life|suicide|ending it)",
    "(what's the point of|what is the point of|why bother) (going on|living|trying anymore|"
    "any of this)",
    "(i feel hopeless|everything is hopeless|i have no hope left|there's no hope for me)",
    "(i'd be better off dead|everyone would be better off without me|my family would be better "
    "off without me)",
    "(i have a plan to|i've decided to|i'm going to) (kill myself|end my life|end it)",
    "(i can't go on|i can't do this anymore|i can't take it anymore|i give up on everything)",
    "(i'm thinking about stopping everything and just dying|i want it all to be over)",
    "(how many pills would it take to die|how can i end my life|how do i kill myself)",
    "(i feel like hurting myself|i want to hurt myself|i've been cutting myself)",
    "(i'm suicidal|i feel suicidal|suicidal thoughts|i keep having suicidal thoughts)",
    "(i wish i was dead|i wish i were dead|i wish i could just disappear forever)",
    "(life isn't worth living|my life is not worth living anymore|there's no reason to live)",
]
CRISIS_FIXED = [
    "I want to end my life",
    "I don't want to live anymore",
    "I'm thinking about killing myself",
    "what's the point of going on",
]
PERSONAL_ADVICE = [
    "should i (stop|quit|keep taking|stay on|come off) (my|the|) {drug}",
    "should i (take|try|start|choose) {hdrug} or {hdrug_2}",
    "should i (take|try|start|choose) {drug} or {drug_2}",
    "should i (switch|change) from {drug} to {drug_2}",
    "(is it ok|is it okay|is it safe|can i) (to|) skip my {treat} (this week|today|next time|)",
    "(which|what) (treatment|medicine|option|drug) should i (choose|pick|take|go with)",
    "(would you|do you) recommend {item} for me",
    "(do you think i should|should i really|would it be smart to) (try|get|start|stop) {item}",
    "(what would you do|what would you choose) (in my place|if you were me|for my cancer)",
    "(is|are) {item} the best (option|choice|treatment) for me",
    "should i (join|sign up for|enroll in) {treat=a clinical trial}",
    "should i (get|have|do) {treat} or {treat_2}",
    "(can i|should i) stop {treat} (early|now|for a while)",
    "(can i|should i) (double|lower|change) my dose of {drug}",
    "(what dose|how much) of {drug} should i take",
    "(should i|do i need to) (get|have) {treat} (now|first|at all)",
    "(is it ok|is it okay|is it safe) (to|if i) (stop|skip|pause) {drug} "
    "(for a week|before my trip|)",
    "(tell me|just tell me) (what to do|which one to take|what i should pick)",
    "(do i really need|is it worth it to take|is it worth getting) {item}",
    "my doctor (wants|suggested|offered) {item}, should i (do it|say yes|agree)",
    "(is|would) {drug} (better|worse) than {drug_2} for me",
    "(should i|can i) take {drug} with my (vitamins|supplements|other meds)",
]
PERSONAL_ADVICE_FIXED = [
    "should I stop my {drug=letrozole}?",
    "should I take {drug=tamoxifen} or an {drug_2=AI}?",
    "is it ok to skip my {treat=chemo} this week",
    "which treatment should I choose",
]
OUT_OF_SCOPE = [
    "(what's|what is|how's) the weather (today|tomorrow|like|in boston|this weekend|)",
    "(will it|is it going to) (rain|snow) (today|tomorrow|this weekend)",
    "(tell me|do you know|say) a (joke|funny joke|riddle)",
    "(who won|what's the score of|did they win) the (game|match|super bowl|world series) "
    "(last night|)",
    "(how are the|what about the) (yankees|red sox|lakers|patriots) (doing|)",
    "(give me|find me|i need) a (recipe|good recipe) for (chicken soup|lasagna|banana bread|"
    "chocolate cake)",
    "(book me|find me|i need) a (flight|hotel|train ticket|car rental) to (chicago|paris|denver|"
    "miami)",
    "(what is|how is|what's the treatment for|how do you treat) (prostate|lung|colon|skin|"
    "pancreatic|ovarian) cancer (treatment|)",
    "(tell me about|what is|what causes) (leukemia|lymphoma|melanoma|diabetes|arthritis)",
    "(write|help me write|can you write) (a python script|some code|a sql query|a website)",
    "(how do i|help me) (fix|debug) my (computer|code|printer|wifi|phone)",
    "(play|put on) (some music|my playlist|jazz|the radio)",
    "(set|make) (an alarm|a timer|a reminder) for (7 am|ten minutes|tomorrow)",
    "(what's|what is) (2 plus 2|the capital of france|the price of bitcoin|the stock market doing)",
    "(order|get me) (a pizza|groceries|chinese food|an uber)",
    "(translate|how do you say) (hello|thank you|good morning) in (spanish|french|german)",
    "(who is|who was) (the president|taylor swift|albert einstein|the best actor)",
    "(what time is it|what day is it|what's the date today)",
    "(what should i watch on tv|recommend a movie|recommend a good book)",
    "(how do i|can you help me) (lose weight fast|fix my car|do my taxes|knit a scarf)",
    "(are you a robot|are you human|do you have feelings|what's your favorite color)",
    "(what's the best dog food|how do i train my puppy|my cat is sick)",
    "(how do i reset my password|how do i log in to my bank|what's my account balance)",
    "(sing me a song|tell me a story|let's play a game)",
    "(my dog ate chocolate|my car won't start|i locked myself out)",
]
OUT_OF_SCOPE_FIXED = [
    "what is prostate cancer treatment",
    "book me a flight",
    "what's the weather",
    "tell me a joke",
]
GREET = [
    "(hi|hello|hey|hey there|hi there|hiya|howdy|greetings|good morning|good afternoon|"
    "good evening|morning|hello there|yo|heya|hullo) (there|assistant|friend|bot|)(!|.|)",
    "(hi|hello|hey), (is anyone there|are you there|how are you|nice to meet you)",
    "(hi|hello|hey) (i need some help|i have some questions|i'm new here)",
    "(good morning|good evening|hello) to you",
]
GREET_FIXED = ["hi", "hello", "hey"]
GOODBYE = [
    "(bye|goodbye|bye bye|see you|see ya|talk later|talk to you later|good night|take care|"
    "catch you later|farewell|later) (for now|then|!|.|)",
    "(that's all|that is all|i'm done|i'm all done|that's it) (for today|for now|thanks bye|)",
    "(i have to go|i need to go|gotta go|i'm leaving now|i'll come back later)",
    "(ok|okay|alright) (bye|goodbye|see you|take care)",
    "(end|stop|quit|exit) (the chat|this conversation|session)",
    "(ok|okay|alright|well) (i'm|i am) (leaving|going|heading out|off|signing off) (now|then|)",
    "(i'll|i will|let me) (come back|talk to you|check back|return) (later|tomorrow|another time|"
    "soon)",
    "(that's enough for|enough for|done for) (today|now|tonight)",
    "(have a good|have a nice) (day|night|evening|one)",
    # Voice exits: a smart speaker user says one word to leave.
    "(stop|cancel|quit|exit|stop it|cancel it|quit it|exit now|stop now)(!|.|)",
    "(ok|okay|alright|please|just|no|oh) (stop|cancel|quit|exit)",
    "(stop|cancel|quit|exit|close|leave) (the skill|the app|this app|the guide|the assistant|"
    "this skill|please|for now)",
    "(you can stop|you can stop now|stop talking|i'm finished|we're done|that will be all|"
    "i'm done here|that's all i need|i'm all set)",
    "(that's all|i'm done|we're done|i'm finished), (stop|bye|goodbye|thanks|you can stop)",
    "(i'm|i am|we're|we are) (finished|all finished|done|all done) (now|for today|here|"
    "with this|talking|)(, thanks|, bye|)",
    "(that will be all|that'll be all|that's everything|nothing else) (thanks|for now|"
    "for today|bye|)",
]
GOODBYE_FIXED = [
    "bye",
    "goodbye",
    "see you later",
    "stop",
    "cancel",
    "quit",
    "exit",
    "that's all",
    "I'm done",
]
THANK = [
    "(thanks|thank you|thank you so much|thanks a lot|many thanks|thx|ty|thanks so much|"
    "thank you very much) (!|.|for your help|for that|for the info|)",
    "(that helps|that was helpful|that's helpful|very helpful|super helpful|that helped a lot)",
    "(i appreciate it|appreciate it|much appreciated|i really appreciate that)",
    "(great|perfect|ok|wonderful|awesome|cool), (thanks|thank you)",
    "(you've been a big help|you're very kind|bless you for this)",
    "(you've been|you were|that was|this was|that's been) (a big help|a great help|so helpful|"
    "very helpful|really helpful|a huge help)",
    "(perfect|great|wonderful|brilliant|excellent|lovely), (thank you|thanks) (so much|a lot|)",
    "(thank you|thanks) for (explaining|the help|your time|listening|being here)",
]
THANK_FIXED = ["thanks", "thank you"]
AFFIRM = [
    "(yes|yeah|yep|yup|ya|sure|correct|right|ok|okay|absolutely|definitely|of course|"
    "certainly|indeed|uh huh|mhm|affirmative|yes ma'am|yes sir)(!|.|)",
    "(yes|yeah|sure|ok|okay) (please|go ahead|do it|that's right|that's correct|sounds good)",
    "(that's right|that's correct|that is correct|sounds good|that works|go ahead|please do|"
    "do it|go for it|let's do it|i agree|exactly|perfect)",
    "(yes|yeah|yep), (send it|save it|that's it|that's me|add it|that's my email)",
    "(yes please|yes thank you|sure thing|alright|all right|fine|yes it is|yes i have|yes i did)",
]
AFFIRM_FIXED = ["yes", "yeah", "sure", "correct"]
DENY = [
    "(no|nope|nah|no way|not really|negative|never|not at all|no thanks|no thank you)(!|.|)",
    "(no|nope), (that's wrong|that's not right|not that|don't do that|cancel that|that's not it)",
    "(don't|do not) (send it|save it|do that|add it|clear it)",
    "(not now|maybe later|not today|never mind|nevermind|skip it|i changed my mind)",
    "(that's wrong|that's not right|that's incorrect|wrong|incorrect|that isn't my email)",
    "(no|nope) (i don't want that|please don't|leave it|keep it)",
]
DENY_FIXED = ["no", "nope", "not really"]
HELP = [
    "(help|help me|i need help|can you help|help please|please help me|i need some help)(!|.|)",
    "(what can you do|what do you do|what are you for|what is this app|what is this thing for)",
    "(how does this work|how do i use this|how do i use you|how does this app work)",
    "(i'm lost|i'm confused|i don't understand|i'm stuck|what now|what do i do now)",
    "(i'm|i am|i feel|i'm a bit|i'm totally|i'm kind of) (lost|confused|stuck) (here|now|)",
    "(what can you help me with|what kind of things can you do|what do you know about)",
    "(tell me what you can do|list what you can do|explain what you do|what are you able to do)",
    "(how can you help me|how can you help|what is this for|help me out here)",
    "(can you|could you|please) (explain|tell me) how this (works|app works|thing works)",
    "(what is|what's) this (assistant|skill|service|bot) (for|about|)",
    "(i need|can i get|i'd like) (some assistance|some guidance|a hand|assistance) (please|)",
]
HELP_FIXED = ["help", "what can you do"]
ASK_SOURCES = [
    "(where does|where did) (this|that|the|your) (information|info|advice|answer) come from",
    "(how old|how current|how recent|how up to date) is (this|that|the|your) (information|info|"
    "content)",
    "(who reviewed|who wrote|who checked|who made) (this|that|the information|your content)",
    "(what are|list|tell me|give me) your (sources|references|citations)",
    "(is this|is that|is the information) (up to date|current|still current|accurate|reliable)",
    "(when was|when is) (this|that|it|the information) "
    "(written|last reviewed|updated|last updated)",
    "(can i trust this|can i trust you|why should i trust this|is this trustworthy)",
    "(what is this based on|what's this based on|what is your source|where is this from)",
    "(cite your sources|show me the sources|i want to see the sources)",
    "(is a doctor behind this|did a doctor review this|was this checked by a doctor)",
]
ASK_SOURCES_FIXED = [
    "where does this information come from",
    "how old is this information",
    "who reviewed this",
]

# Voice controls (a smart speaker reads lists a few at a time and can't be scrolled back).
# Each command's core phrasings are shared by several carrier templates ("please ...",
# "sorry, ..."), so every core phrasing is seen in training even when some of its sentences are
# held out. Kept apart from neighbours: "tell me more about X" is ask_what_is, "what are my
# options" is show_options, "the last one" is inform_number, "stop" alone is goodbye.
_ASK = "(please|can you|could you|would you|can you please|could you please)"
_REPEAT_CORE = (
    "(repeat that|say that again|repeat the question|say it again|repeat yourself|"
    "repeat what you said|say that one more time|repeat the last part|read that again|"
    "ask the question again|repeat the choices|repeat it)"
)
_MISSED = (
    "(i missed that|i didn't catch that|i didn't hear you|i didn't hear that|i couldn't hear you|"
    "i wasn't listening|i missed the question|i didn't get that)"
)
_WHAT_SAID = (
    "(what did you say|what was that|what did you just say|what was the question|"
    "what did you ask|what were the choices)"
)
_PARDON = "(pardon|pardon me|come again|i beg your pardon|sorry)"
REPEAT = [
    _REPEAT_CORE,
    f"{_ASK} {_REPEAT_CORE}",
    f"{_REPEAT_CORE} (please|for me|)",
    _MISSED,
    f"(sorry|oops|hold on|wait|sorry about that), {_MISSED}",
    f"{_MISSED}, {_REPEAT_CORE}",
    _WHAT_SAID,
    f"(sorry|wait|hold on|pardon|huh), {_WHAT_SAID}",
    f"{_PARDON}(?|)",
    f"{_PARDON}, {_REPEAT_CORE}",
    "(one more time|once more|once again|again|repeat) (please|)",
]
REPEAT_FIXED = [
    "repeat that",
    "say that again",
    "what did you say",
    "can you repeat the question",
    "pardon",
    "sorry, I missed that",
    "come again",
    "one more time please",
]
_MORE_CORE = (
    "(more|tell me more|next|keep going|go on|continue|carry on|keep reading|next ones|"
    "what else|the rest|give me more|the next ones|the others)"
)
_REST = (
    "(the rest|the next ones|the others|the other ones|the remaining ones|the next few|"
    "the next three|the next two|the rest of the list|the other treatments|the next options)"
)
MORE = [
    _MORE_CORE,
    f"(ok|okay|alright|yeah|and|so) {_MORE_CORE}",
    f"{_MORE_CORE} (please|then|i'm listening)",
    f"(read|tell me|give me|list|show me|read me) {_REST}",
    f"(and|so|and what about|ok and|what about) {_REST}(?|)",
    f"(i want to hear|i'd like to hear|let me hear|can i hear) {_REST}",
    "(what else|what else is there|what else do you have|are there more|are there any more|"
    "is there more|any more|were there more|what are the others)(?|)",
    "(continue|go on|keep going|carry on|move on) (with the list|with the rest|"
    "to the next ones|down the list|with the options)",
    "(what comes next|what's next|whats next|and next|next one please)",
    "(next|the next) (page|part|batch|set|three|two|few)",
]
MORE_FIXED = [
    "more",
    "tell me more",
    "next",
    "keep going",
    "go on",
    "what else",
    "the rest",
    "next ones",
    "continue",
    "and the others?",
]
_BACK_CORE = (
    "(go back|back|previous|back up|undo that|go back one|go back a step|take me back|"
    "previous one|previous question|the previous question|step back)"
)
_CHANGE_ANSWER = (
    "(let me|can i|i want to|i need to|i'd like to) (change|fix|redo|correct) my "
    "(last answer|previous answer|answer|last response)"
)
GO_BACK = [
    _BACK_CORE,
    f"{_BACK_CORE} (please|now)",
    "(can we|could we|can you|could you|please|let's|i want to|i'd like to) (go back|back up|"
    "go back one|go back a step|undo that)",
    f"(wait|oops|hold on|sorry|no wait|actually), {_BACK_CORE}",
    "(i made a mistake|i answered wrong|i said the wrong thing|i got that wrong|that was wrong), "
    "(go back|take me back|undo that|let me change it|let me change my answer)",
    _CHANGE_ANSWER,
    f"(wait|oops|sorry|actually), {_CHANGE_ANSWER}",
    "(go|take me|jump|move|let's go) back (to the previous question|to the last question|"
    "one question|one step|a step|two questions|to where we were)",
    "(the last question again|ask me the last question again|the previous question again|"
    "go to the previous question|back to the previous question|the one before|"
    "the question before)",
    "(undo|undo my last answer|undo what i said|undo my answer|undo that please)",
]
GO_BACK_FIXED = [
    "go back",
    "back",
    "previous",
    "back up",
    "undo that",
    "the last question again",
    "let me change my last answer",
    "previous one",
]
# "too fast" asks for slower speech and "too slow" for faster: both wordings appear often in
# both intents' carriers, so the model learns the pair rather than the single word.
_SLOWER_VERB = (
    "(slow down|speak slower|talk slower|speak more slowly|talk more slowly|read slower|"
    "read more slowly|go slower|slow it down)"
)
_SLOWER_CORE = _SLOWER_VERB[:-1] + "|slower|a bit slower|a little slower)"
_TOO_FAST = (
    "(you're talking too fast|you're going too fast|you're speaking too fast|you talk too fast|"
    "that's too fast|too fast|way too fast|it's too fast|you're reading too fast|not so fast)"
)
SLOWER = [
    _SLOWER_CORE,
    f"{_SLOWER_CORE} (please|for me|so i can follow)",
    f"{_ASK} {_SLOWER_VERB}",
    _TOO_FAST,
    f"{_TOO_FAST}(,|) {_SLOWER_CORE}",
    f"(whoa|hey|wait|hold on|sorry), {_SLOWER_CORE}",
    f"(whoa|hey|wait|hold on|sorry), {_TOO_FAST}",
    f"(i can't keep up|i can't follow you|it's hard to follow)(,|) {_SLOWER_CORE}",
]
SLOWER_FIXED = ["slower", "slow down", "speak more slowly", "talk slower please", "too fast"]
_FASTER_VERB = (
    "(speed up|talk faster|speak faster|go faster|read faster|speak more quickly|"
    "talk more quickly|hurry up|pick up the pace|speed it up)"
)
_FASTER_CORE = _FASTER_VERB[:-1] + "|faster|a bit faster|a little faster)"
_TOO_SLOW = (
    "(you're too slow|you're talking too slowly|you're so slow|you talk too slowly|"
    "that's too slow|too slow|way too slow|it's too slow|you're reading too slowly|"
    "you're going too slow)"
)
FASTER = [
    _FASTER_CORE,
    f"{_FASTER_CORE} (please|for me|now)",
    f"{_ASK} {_FASTER_VERB}",
    _TOO_SLOW,
    f"{_TOO_SLOW}(,|) {_FASTER_CORE}",
    f"(come on|hey|ok|sorry), {_FASTER_CORE}",
    f"(come on|hey|honestly|sorry), {_TOO_SLOW}",
    f"(you can|feel free to) {_FASTER_VERB}",
]
FASTER_FIXED = ["faster", "speed up", "talk faster", "you're too slow", "speak more quickly"]
_SAY_CORE = "(what can i say|what do i say|what should i say|what can i answer|what do i answer)"
WHAT_CAN_I_SAY = [
    _SAY_CORE,
    f"{_SAY_CORE} (now|here|to you|at this point|next|right now)",
    f"(sorry|um|so|ok|hmm|wait), {_SAY_CORE}",
    "(what are my choices|what are the choices|what choices do i have)(?|)",
    "(what are my choices|what choices do i have|what are my options|what options do i have) "
    "(here|at this point|for answering|for this question|for talking to you)",
    "(what commands are there|what are the commands|what commands can i use|"
    "what commands do you know|list the commands|tell me the commands|"
    "what are the voice commands|which commands work|what words work|what words can i use|"
    "what words do you understand|which words work)(?|)",
    "(i don't know|i'm not sure|not sure|no idea) what (to say|i can say|to answer|i should say)",
    "(what can i ask you|what can i ask) (right now|now|here|at this point|)",
    "(give me|tell me|can you give me) (some examples|an example|examples) of what (i can|to) say",
    "(show me|tell me|remind me) what i can (say|answer)",
    "(how do i|how should i|how can i) answer (that|this|this question|)",
]
WHAT_CAN_I_SAY_FIXED = [
    "what can I say",
    "what are my choices",
    "what can I say now",
    "what are my options here",
    "what commands are there",
    "what do I say",
    "what can I ask you right now",
    "what words work",
    "I don't know what to say",
]


def intent_specs() -> list[IntentSpec]:
    """Every intent with its topic file, target size and templates (order fixes the output)."""
    specs = [
        IntentSpec(
            "inform_profile",
            "profile",
            210,
            PROFILE_TEMPLATES,
            PROFILE_FIXED_TRAIN,
            PROFILE_FIXED_HOLDOUT,
        ),
        # "Find my options" and "what are my options" mean one thing: show what fits, asking first
        # for what is still needed. One intent, so the model never has to split hairs.
        IntentSpec("show_options", "profile", 130, START_PROFILE + SHOW_OPTIONS),
        IntentSpec(
            "dont_know",
            "profile",
            82 + len(DONT_KNOW_FORGET),
            DONT_KNOW,
            DONT_KNOW_FIXED + DONT_KNOW_FORGET,
        ),
    ]
    for name, (templates, total) in ASK_TEMPLATES.items():
        specs.append(
            IntentSpec(
                name,
                "knowledge",
                total,
                templates,
                ASK_FIXED_TRAIN[name],
                ASK_FIXED_HOLDOUT[name],
            )
        )
    specs += [
        IntentSpec("guide_add_family", "guide", 82, GUIDE_ADD_FAMILY, GUIDE_ADD_FAMILY_FIXED),
        IntentSpec("guide_add_question", "guide", 82, GUIDE_ADD_QUESTION, GUIDE_ADD_QUESTION_FIXED),
        IntentSpec("guide_read", "guide", 60, GUIDE_READ, GUIDE_READ_FIXED),
        IntentSpec("guide_remove", "guide", 70, GUIDE_REMOVE, GUIDE_REMOVE_FIXED),
        IntentSpec("guide_clear", "guide", 56, GUIDE_CLEAR, GUIDE_CLEAR_FIXED),
        IntentSpec("email_guide", "guide", 70, EMAIL_GUIDE, EMAIL_GUIDE_FIXED),
        IntentSpec("inform_email", "guide", 82, INFORM_EMAIL, INFORM_EMAIL_FIXED),
        IntentSpec("inform_number", "guide", 70, INFORM_NUMBER, INFORM_NUMBER_FIXED),
        IntentSpec("emergency", "safety", 100, EMERGENCY, EMERGENCY_FIXED),
        IntentSpec("crisis", "safety", 82, CRISIS, CRISIS_FIXED),
        IntentSpec("ask_personal_advice", "safety", 100, PERSONAL_ADVICE, PERSONAL_ADVICE_FIXED),
        IntentSpec("greet", "chitchat", 90, GREET, GREET_FIXED),
        IntentSpec("goodbye", "chitchat", 110, GOODBYE, GOODBYE_FIXED),
        IntentSpec("thank", "chitchat", 100, THANK, THANK_FIXED),
        IntentSpec("affirm", "chitchat", 110, AFFIRM, AFFIRM_FIXED),
        IntentSpec("deny", "chitchat", 90, DENY, DENY_FIXED),
        IntentSpec("help", "chitchat", 80, HELP, HELP_FIXED),
        IntentSpec("ask_sources", "chitchat", 60, ASK_SOURCES, ASK_SOURCES_FIXED),
        IntentSpec("out_of_scope", "chitchat", 120, OUT_OF_SCOPE, OUT_OF_SCOPE_FIXED),
        IntentSpec("repeat", "voice", 90, REPEAT, REPEAT_FIXED),
        IntentSpec("more", "voice", 90, MORE, MORE_FIXED),
        IntentSpec("go_back", "voice", 85, GO_BACK, GO_BACK_FIXED),
        IntentSpec("slower", "voice", 75, SLOWER, SLOWER_FIXED),
        IntentSpec("faster", "voice", 75, FASTER, FASTER_FIXED),
        IntentSpec("what_can_i_say", "voice", 80, WHAT_CAN_I_SAY, WHAT_CAN_I_SAY_FIXED),
        # Added later: its own generator keeps the others' examples and split as they were.
        IntentSpec("forget_me", "guide", 70, FORGET_ME, FORGET_ME_FIXED, own_generator=True),
    ]
    return specs


# --------------------------------------------------------------------------------------------
# Expansion, surface variation and rendering
# --------------------------------------------------------------------------------------------

_TEMPLATE_PART = re.compile(r"\(([^()]*)\)|\{([a-z][a-z_0-9]*?)(?:_(\d))?(?:=([^{}]*))?\}")


class Expander:
    """Expands templates into segment lists with one shared random generator."""

    def __init__(self, rng: random.Random, pools: dict[str, list[list[Seg]]]) -> None:
        self.rng = rng
        self.pools = pools

    def expand(self, template: str) -> list[Seg]:
        """Expand one template; fillers of one slot type get distinct values."""
        return self._expand(template, used=defaultdict(set))

    def _expand(self, template: str, used: dict[str, set[str | None]]) -> list[Seg]:
        segs: list[Seg] = []
        pos = 0
        for match in _TEMPLATE_PART.finditer(template):
            if match.start() > pos:
                segs.append(Seg(template[pos : match.start()]))
            alternatives, slot, _, forced = match.groups()
            if alternatives is not None:
                segs.extend(self._expand(self.rng.choice(alternatives.split("|")), used))
            else:
                segs.append(self._fill(slot, forced, used))
            pos = match.end()
        if pos < len(template):
            segs.append(Seg(template[pos:]))
        return segs

    def _fill(self, slot: str, forced: str | None, used: dict[str, set[str | None]]) -> Seg:
        groups = self.pools[slot]
        if forced is not None:
            # Keep the template's own wording and case; take the entity and value from the pool.
            for group in groups:
                for seg in group:
                    if seg.text.lower() == forced.lower():
                        used[slot].add(seg.value)
                        return Seg(forced, seg.entity, seg.value)
            raise KeyError(f"{forced!r} is not a filler of slot {slot!r}")
        fresh = [g for g in groups if g[0].value not in used[slot] or g[0].entity is None]
        group = self.rng.choice(fresh or groups)
        seg = self.rng.choice(group)
        used[slot].add(seg.value)
        return seg


def _typo(word: str, rng: random.Random) -> str:
    """Swap two inner letters or drop one: the kind of slip people make when typing fast."""
    i = rng.randrange(1, len(word) - 2)
    if rng.random() < 0.5:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i + 1 :]


def vary(segs: list[Seg], rng: random.Random) -> list[Seg]:
    """Apply one surface style: as written, voice (lower case, no punctuation), typo or shout."""
    style = rng.choices(["keep", "voice", "lower", "typo", "upper"], [48, 28, 12, 9, 3])[0]
    out = list(segs)
    if style == "typo":
        candidates = [
            (i, j)
            for i, seg in enumerate(out)
            if seg.entity is None
            for j, word in enumerate(seg.text.split(" "))
            if re.fullmatch(r"[a-z]{5,}", word)
        ]
        if candidates:
            i, j = rng.choice(candidates)
            words = out[i].text.split(" ")
            words[j] = _typo(words[j], rng)
            out[i] = Seg(" ".join(words))
    if style in ("voice", "lower"):
        out = [Seg(s.text.lower(), s.entity, s.value) for s in out]
    if style == "voice":
        # Strip punctuation a speech recogniser would not write; keep dots inside emails.
        out = [
            Seg(re.sub(r"[?!,;:]|\.(?=\s|$)", "", s.text), s.entity, s.value)
            if s.entity is None
            else s
            for s in out
        ]
    if style == "upper":
        out = [Seg(s.text.upper(), s.entity, s.value) for s in out]
    if style == "keep" and out and out[0].entity is None and out[0].text[:1].isalpha():
        if rng.random() < 0.6:
            out[0] = Seg(out[0].text[0].upper() + out[0].text[1:])
        if out[-1].entity is None and out[-1].text.endswith("?") and rng.random() < 0.3:
            out[-1] = Seg(out[-1].text[:-1])
    return out


def tidy(segs: list[Seg]) -> list[Seg]:
    """Merge literals, collapse spaces left by empty alternatives, trim the ends."""
    merged: list[Seg] = []
    for seg in segs:
        if seg.entity is None and merged and merged[-1].entity is None:
            merged[-1] = Seg(merged[-1].text + seg.text)
        elif seg.text:
            merged.append(seg)
    cleaned: list[Seg] = []
    for i, seg in enumerate(merged):
        if seg.entity is not None:
            cleaned.append(seg)
            continue
        text = re.sub(r" +", " ", seg.text)
        text = re.sub(r" +([,?!.:])", r"\1", text)
        if i == 0:
            text = text.lstrip()
        if i == len(merged) - 1:
            text = text.rstrip()
        if text:
            cleaned.append(Seg(text))
    return cleaned


def plain_and_spans(segs: list[Seg]) -> tuple[str, list[tuple[int, int, Seg]]]:
    """Return the plain text and the (start, end, segment) of every entity."""
    text = ""
    spans: list[tuple[int, int, Seg]] = []
    for seg in segs:
        if seg.entity is not None:
            spans.append((len(text), len(text) + len(seg.text), seg))
        text += seg.text
    return text, spans


def render(segs: list[Seg]) -> str:
    """Write Rasa markup: [text](entity) when text is the value, else the JSON form."""
    parts = []
    for seg in segs:
        if seg.entity is None:
            parts.append(seg.text)
        elif seg.text == seg.value:
            parts.append(f"[{seg.text}]({seg.entity})")
        else:
            payload = json.dumps({"entity": seg.entity, "value": seg.value})
            parts.append(f"[{seg.text}]{payload}")
    return "".join(parts)


def key_of(text: str) -> str:
    """Normalised text for de-duplication: case and most punctuation don't make a new example."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w+\-@ ]", "", text.lower())).strip()


def check_alignment(segs: list[Seg]) -> None:
    """Fail loudly when an entity span does not start and end on a token boundary."""
    text, spans = plain_and_spans(segs)
    starts = {m.start() for m in TOKEN_RE.finditer(text)}
    ends = {m.end() for m in TOKEN_RE.finditer(text)}
    for start, end, seg in spans:
        if start not in starts or end not in ends:
            raise ValueError(f"entity {seg.text!r} is not token-aligned in {text!r}")
    if any(c in text for c in "[]{}()|"):
        raise ValueError(f"markup characters in {text!r}")


# --------------------------------------------------------------------------------------------
# Generation, split and writing
# --------------------------------------------------------------------------------------------


@dataclass
class Example:
    """One generated example."""

    intent: str
    segs: list[Seg]
    pinned: str = ""  # "train", "holdout" or "" (split by the seed)

    @property
    def text(self) -> str:
        """Plain text, without markup."""
        return plain_and_spans(self.segs)[0]


def generate(rng: random.Random) -> tuple[list[IntentSpec], dict[str, list[Example]]]:
    """Generate every intent's examples (fixed first, then sampled) with no duplicates anywhere."""
    expander = Expander(rng, build_pools())
    specs = intent_specs()
    seen: set[str] = set()
    examples: dict[str, list[Example]] = {s.name: [] for s in specs}

    def add(intent: str, segs: list[Seg], pinned: str) -> bool:
        segs = tidy(segs)
        check_alignment(segs)
        key = key_of(plain_and_spans(segs)[0])
        if not key or key in seen:
            return False
        seen.add(key)
        examples[intent].append(Example(intent, segs, pinned))
        return True

    for spec in specs:
        for template in spec.fixed_holdout:
            if not add(spec.name, expander.expand(template), "holdout"):
                raise ValueError(f"duplicate fixed example {template!r}")
        for template in spec.fixed_train:
            if not add(spec.name, expander.expand(template), "train"):
                raise ValueError(f"duplicate fixed example {template!r}")
    for spec in specs:
        spec_rng, spec_expander = rng, expander
        if spec.own_generator:
            spec_rng = own_generator(spec.name)
            spec_expander = Expander(spec_rng, expander.pools)
        attempts = 0
        while len(examples[spec.name]) < spec.total and attempts < spec.total * 80:
            attempts += 1
            template = spec_rng.choice(spec.templates)
            add(spec.name, vary(spec_expander.expand(template), spec_rng), "")
    return specs, examples


def own_generator(intent: str, purpose: str = "examples") -> random.Random:
    """A generator for one later-added intent, independent of the shared one."""
    return random.Random(f"{SEED}:{intent}:{purpose}")


def split(
    examples: dict[str, list[Example]], rng: random.Random, own: frozenset[str] = frozenset()
) -> tuple[dict[str, list[Example]], dict[str, list[Example]]]:
    """Hold out about 15% of each intent (pinned examples first), chosen by the seed.

    Intents named in ``own`` are shuffled by their own generator (see ``IntentSpec``).
    """
    train: dict[str, list[Example]] = {}
    holdout: dict[str, list[Example]] = {}
    for intent, items in examples.items():
        pinned_hold = [e for e in items if e.pinned == "holdout"]
        free = sorted((e for e in items if not e.pinned), key=lambda e: key_of(e.text))
        (own_generator(intent, "split") if intent in own else rng).shuffle(free)
        n_hold = max(0, round(HOLDOUT_SHARE * len(items)) - len(pinned_hold))
        holdout[intent] = pinned_hold + free[:n_hold]
        train[intent] = [e for e in items if e.pinned == "train"] + free[n_hold:]
    return train, holdout


def _sorted_lines(items: list[Example]) -> list[str]:
    rendered = sorted({render(e.segs) for e in items}, key=lambda s: (s.lower(), s))
    return [f"    - {line}" for line in rendered]


def nlu_yaml(blocks: list[tuple[str, str, list[str]]]) -> str:
    """Rasa 3.x NLU YAML for (kind, name, example lines) blocks, kind being intent, synonym..."""
    out = ['version: "3.1"', "nlu:"]
    for kind, name, lines in blocks:
        out.append(f"- {kind}: {name}")
        out.append("  examples: |")
        out.extend(lines)
    return "\n".join(out) + "\n"


def synonym_blocks(examples: dict[str, list[Example]]) -> list[tuple[str, str, list[str]]]:
    """Every canonical value with all its wordings (lexicon and every generated span)."""
    pools = build_pools()
    texts: dict[str, set[str]] = defaultdict(set)
    owner: dict[str, str] = {}
    all_segs = [s for group_list in pools.values() for group in group_list for s in group]
    all_segs += [s for items in examples.values() for e in items for s in e.segs]
    for seg in all_segs:
        if seg.entity is None or seg.value is None:
            continue
        texts[seg.value]  # every canonical value gets a block, even with no other wording
        lower = seg.text.lower()
        if owner.setdefault(lower, seg.value) != seg.value:
            raise ValueError(f"{lower!r} maps to {owner[lower]!r} and {seg.value!r}")
        if lower != seg.value:
            texts[seg.value].add(lower)
    blocks = []
    for value in sorted(texts):
        lines = [f"    - {t}" for t in sorted(texts[value])]
        # Rasa needs at least one example; a value spelt only one way maps to itself.
        blocks.append(("synonym", value, lines or [f"    - {value}"]))
    return blocks


def lookup_blocks() -> list[tuple[str, str, list[str]]]:
    """Lookup tables for drug, treatment and spread_site, and the email regexes."""
    drugs = {n.lower() for names in DRUGS.values() for ns in names.values() for n in ns}
    drugs |= {k.replace("_", " ") for k in DRUGS}
    treatments = {t.lower() for ts in TREATMENTS.values() for t in ts}
    sites = {s.lower() for ss in SITES.values() for s in ss}
    blocks = [
        ("lookup", "drug", [f"    - {d}" for d in sorted(drugs)]),
        ("lookup", "treatment", [f"    - {t}" for t in sorted(treatments)]),
        ("lookup", "spread_site", [f"    - {s}" for s in sorted(sites)]),
        ("regex", "email", [r"    - [\w.+-]+@[\w-]+(\.[\w-]+)+"]),
        ("regex", "spoken_email", [r"    - \b\w+( (dot|underscore|dash) \w+)* at \w+ dot \w+\b"]),
    ]
    return blocks


def main() -> None:
    """Generate, split, check and write every NLU file."""
    rng = random.Random(SEED)
    specs, examples = generate(rng)
    train, holdout = split(examples, rng, frozenset(s.name for s in specs if s.own_generator))

    # The holdout must test the spoken forms and misspellings named in the brief.
    held_text = " \n ".join(e.text.lower() for items in holdout.values() for e in items)
    missing = [form for form in REQUIRED_HOLDOUT if form not in held_text]
    if missing:
        raise ValueError(f"holdout lacks {missing}")

    topics: dict[str, list[tuple[str, str, list[str]]]] = defaultdict(list)
    for spec in specs:
        topics[spec.topic].append(("intent", spec.name, _sorted_lines(train[spec.name])))
    nlu_dir = ROOT / "data" / "nlu"
    nlu_dir.mkdir(parents=True, exist_ok=True)
    for topic, blocks in topics.items():
        (nlu_dir / f"{topic}.yml").write_text(nlu_yaml(blocks), encoding="utf-8")
    (nlu_dir / "synonyms.yml").write_text(nlu_yaml(synonym_blocks(examples)), encoding="utf-8")
    (nlu_dir / "lookups.yml").write_text(nlu_yaml(lookup_blocks()), encoding="utf-8")

    test_dir = ROOT / "tests" / "nlu"
    test_dir.mkdir(parents=True, exist_ok=True)
    held_blocks = [("intent", s.name, _sorted_lines(holdout[s.name])) for s in specs]
    (test_dir / "holdout.yml").write_text(nlu_yaml(held_blocks), encoding="utf-8")

    n_train = sum(len(v) for v in train.values())
    n_hold = sum(len(v) for v in holdout.values())
    print(f"wrote {n_train} training and {n_hold} held-out examples")


if __name__ == "__main__":
    main()
