"""Which treatment families and items the seed page lists for a person's profile.

The rules follow "The clinical logic of the seed" in DESIGN.md exactly. The lists themselves (which
items, with which notes) live in ``treatments.yml``; this module only decides which lists apply.
It informs, it does not advise: every option is "the page lists this for cancer like yours".
No Rasa imports, so it can be tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from actions.content.catalog import FAMILY_ORDER, catalog

POSITIVE, NEGATIVE, UNKNOWN = "positive", "negative", "unknown"
RECEPTOR_VALUES = frozenset({POSITIVE, NEGATIVE, UNKNOWN})
MENOPAUSE_VALUES = frozenset({"post", "pre", UNKNOWN})
PRIOR_VALUES = frozenset({"yes", "no", UNKNOWN})
SPREAD_VALUES = frozenset({"bones", "brain", "liver", "lungs", "other"})
# Order in which unknown facts are reported (and the keys of catalog().tests).
FACT_ORDER: tuple[str, ...] = ("hormone_receptors", "her2", "menopause", "prior_hormone", "spread")

# Loose spellings that slots may carry (e.g. from buttons or older stories) -> canonical values.
_RECEPTOR_SYNONYMS = {"pos": POSITIVE, "+": POSITIVE, "neg": NEGATIVE, "-": NEGATIVE}
_MENOPAUSE_SYNONYMS = {"postmenopausal": "post", "premenopausal": "pre"}
_PRIOR_SYNONYMS: dict[str, str] = {}
_SPREAD_SYNONYMS = {"bone": "bones", "lung": "lungs"}


@dataclass(frozen=True)
class Profile:
    """What the person has told us. None means "not told yet"; "unknown" means "I don't know"."""

    er: str | None = None
    pr: str | None = None
    hr: str | None = None
    her2: str | None = None
    menopause: str | None = None
    prior_hormone: str | None = None
    spread: tuple[str, ...] | None = None  # None = not told yet; ("unknown",) = doesn't know

    @classmethod
    def from_slots(cls, slots: Mapping[str, Any]) -> Profile:
        """Build a profile from slot values, ignoring anything that isn't a valid value.

        Tolerates None, lists (the first valid value wins), booleans for prior_hormone, a single
        string for spread, and a ``subtype`` slot of "triple_negative" (ER, PR and HER2 negative
        unless told otherwise).
        """
        er = _pick(slots.get("er"), RECEPTOR_VALUES, _RECEPTOR_SYNONYMS)
        pr = _pick(slots.get("pr"), RECEPTOR_VALUES, _RECEPTOR_SYNONYMS)
        her2 = _pick(slots.get("her2"), RECEPTOR_VALUES, _RECEPTOR_SYNONYMS)
        if _pick(slots.get("subtype"), frozenset({"triple_negative"}), {"tnbc": "triple_negative"}):
            er, pr, her2 = er or NEGATIVE, pr or NEGATIVE, her2 or NEGATIVE
        return cls(
            er=er,
            pr=pr,
            hr=_pick(slots.get("hr"), RECEPTOR_VALUES, _RECEPTOR_SYNONYMS),
            her2=her2,
            menopause=_pick(slots.get("menopause"), MENOPAUSE_VALUES, _MENOPAUSE_SYNONYMS),
            prior_hormone=_pick(slots.get("prior_hormone"), PRIOR_VALUES, _PRIOR_SYNONYMS),
            spread=_spread(slots.get("spread")),
        )


@dataclass(frozen=True)
class ItemOption:
    """One item of a family option, with the page's note (e.g. "with hormone therapy")."""

    item: str
    note: str = ""


@dataclass(frozen=True)
class FamilyOption:
    """A treatment family the page lists for this profile, and why.

    ``reason`` is a key into ``catalog().reasons``; ``depends_on`` names the unknown facts that
    could change this option (keys into ``catalog().tests``).
    """

    family: str
    reason: str
    items: tuple[ItemOption, ...] = ()
    depends_on: tuple[str, ...] = ()


def _normal(value: Any) -> str | None:
    """Lower-case text with spaces, hyphens and underscores removed; booleans become yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        text = value.strip().casefold()
        if text in ("+", "-"):  # a bare sign would vanish below, so keep it
            return text
        return text.replace("-", "").replace("_", "").replace(" ", "") or None
    return None


def _pick(value: Any, allowed: frozenset[str], synonyms: Mapping[str, str]) -> str | None:
    """Return the first allowed value in ``value`` (a value or a list of values), else None."""
    canonical = {_normal(v): v for v in allowed}
    values = value if isinstance(value, (list, tuple)) else [value]
    for raw in values:
        norm = _normal(raw)
        if norm is None:
            continue
        norm = _normal(synonyms.get(norm, norm))
        if norm in canonical:
            return canonical[norm]
    return None


def _spread(value: Any) -> tuple[str, ...] | None:
    """Normalise the spread slot; known sites win over "unknown"; None when nothing was told."""
    values = value if isinstance(value, (list, tuple)) else [value]
    sites: list[str] = []
    unknown = False
    for raw in values:
        norm = _normal(raw)
        if norm is None:
            continue
        norm = _SPREAD_SYNONYMS.get(norm, norm)
        if norm in SPREAD_VALUES and norm not in sites:
            sites.append(norm)
        elif norm == UNKNOWN:
            unknown = True
    if sites:
        return tuple(sites)
    return (UNKNOWN,) if unknown else None


def hormone_receptor_status(p: Profile) -> str | None:
    """Combine ER, PR and HR into "positive", "negative", "unknown", or None (not enough known).

    Positive if any receptor is positive; negative if HR is negative or ER and PR are both
    negative; unknown if HR is unknown, or ER or PR is unknown and none is positive.
    """
    values = (p.er, p.pr, p.hr)
    if POSITIVE in values:
        return POSITIVE
    if p.hr == NEGATIVE or (p.er == NEGATIVE and p.pr == NEGATIVE):
        return NEGATIVE
    if UNKNOWN in values:
        return UNKNOWN
    return None


def _hormone_relevant(status: str | None) -> bool:
    # Menopause and earlier hormone therapy only matter while hormone therapy could apply.
    return status in (POSITIVE, UNKNOWN)


def next_question(p: Profile) -> str | None:
    """Return the next fact to ask about, or None when every fact that matters is known.

    Order: hormone receptors ("pr" when ER is negative and PR not told, else "hr"), "her2",
    "menopause" (only if HR is positive or unknown), "prior_hormone" (only if HR is positive or
    unknown and menopause is "post" or "unknown"), then "spread".
    """
    status = hormone_receptor_status(p)
    if status is None:
        return "pr" if p.er == NEGATIVE and p.pr is None else "hr"
    if p.her2 is None:
        return "her2"
    if _hormone_relevant(status):
        if p.menopause is None:
            return "menopause"
        if p.prior_hormone is None and p.menopause in ("post", UNKNOWN):
            return "prior_hormone"
    if p.spread is None:
        return "spread"
    return None


def unknown_facts(p: Profile) -> tuple[str, ...]:
    """Return the facts the person said they don't know and that matter, in FACT_ORDER.

    Each is a key into ``catalog().tests``, e.g. ("hormone_receptors", "her2").
    """
    status = hormone_receptor_status(p)
    found = []
    if status == UNKNOWN:
        found.append("hormone_receptors")
    if p.her2 == UNKNOWN:
        found.append("her2")
    if _hormone_relevant(status):
        if p.menopause == UNKNOWN:
            found.append("menopause")
        if p.prior_hormone == UNKNOWN and p.menopause in ("post", UNKNOWN):
            found.append("prior_hormone")
    if p.spread is not None and UNKNOWN in p.spread:
        found.append("spread")
    return tuple(found)


def _merge(list_names: Iterable[str]) -> tuple[ItemOption, ...]:
    """Join the named content lists, keeping first-seen order and combining differing notes.

    When one item appears in two lists with different notes (e.g. trastuzumab "with hormone
    therapy" and "with chemotherapy" while HR is unknown), both notes are kept: "A, or B".
    """
    lists = catalog().option_lists
    order: list[str] = []
    notes: dict[str, list[str]] = {}
    for name in list_names:
        for item, note in lists[name]:
            if item not in notes:
                order.append(item)
                notes[item] = []
            if note and note not in notes[item]:
                notes[item].append(note)
    return tuple(ItemOption(item, ", or ".join(notes[item])) for item in order)


def _ordered(facts: Iterable[str]) -> tuple[str, ...]:
    wanted = set(facts)
    return tuple(fact for fact in FACT_ORDER if fact in wanted)


def _known(value: str | None, allowed: Iterable[str]) -> str:
    # "Not told yet" is treated like "unknown": show every list it could open, marked depends_on.
    return value if value in allowed else UNKNOWN


def _hormone_option(status: str, menopause: str, prior: str) -> FamilyOption:
    depends = ["hormone_receptors"] if status == UNKNOWN else []
    post_lists = {
        "yes": ["hormone_post_prior"],
        "no": ["hormone_post_no_prior"],
    }.get(prior, ["hormone_post_no_prior", "hormone_post_prior"])
    if menopause == "pre":
        lists = ["hormone_pre_menopause"]
    else:
        lists = post_lists if menopause == "post" else ["hormone_pre_menopause", *post_lists]
        if menopause == UNKNOWN:
            depends.append("menopause")
        if prior == UNKNOWN:
            depends.append("prior_hormone")
    reason = "hormone_positive" if status == POSITIVE else "hormone_unknown"
    return FamilyOption("hormone_therapy", reason, _merge(lists), _ordered(depends))


def _targeted_option(status: str, her2: str, menopause: str) -> FamilyOption | None:
    """Build the targeted option for this HER2/HR/menopause mix; None for triple negative."""
    hr_pos_possible = status != NEGATIVE
    hr_neg_possible = status != POSITIVE
    lists: list[str] = []
    depends: list[str] = []
    if her2 in (POSITIVE, UNKNOWN):
        if hr_pos_possible:
            lists.append("targeted_her2_pos_hr_pos")
        if hr_neg_possible:
            lists.append("targeted_her2_pos_hr_neg")
    if her2 in (NEGATIVE, UNKNOWN) and hr_pos_possible:
        # The CDK4/6 and mTOR pills are for women past menopause only.
        if menopause != "pre":
            lists.append("targeted_her2_neg_hr_pos_post_menopause")
            if menopause == UNKNOWN:
                depends.append("menopause")
    if her2 == UNKNOWN:
        depends.append("her2")
    if status == UNKNOWN:
        depends.append("hormone_receptors")

    if her2 == NEGATIVE and status == NEGATIVE:
        return None  # triple negative: the page lists no targeted option
    if her2 == UNKNOWN:
        reason = "her2_unknown"
    elif her2 == POSITIVE:
        reason = "her2_positive"
    elif menopause == "pre":
        reason = "hr_pos_her2_neg_pre"  # no item: the page's pills are for after menopause
    else:
        reason = "hr_pos_her2_neg_post"
    return FamilyOption("targeted_therapy", reason, _merge(lists), _ordered(depends))


def recommend(p: Profile) -> tuple[FamilyOption, ...]:
    """Return the families the page lists for this profile, in family order, with reasons.

    Facts not told yet are treated like "unknown": the options they could open are shown and
    named in ``depends_on``. Hormone therapy is left out when the cancer is HR-negative, and
    targeted therapy when it is triple-negative.
    """
    status = _known(hormone_receptor_status(p), (POSITIVE, NEGATIVE))
    her2 = _known(p.her2, (POSITIVE, NEGATIVE))
    menopause = _known(p.menopause, ("post", "pre"))
    prior = _known(p.prior_hormone, ("yes", "no"))
    spread = set(p.spread or ())

    options: list[FamilyOption] = []
    if status != NEGATIVE:
        options.append(_hormone_option(status, menopause, prior))
    targeted = _targeted_option(status, her2, menopause)
    if targeted is not None:
        options.append(targeted)

    if status == NEGATIVE:
        chemo_reason = "triple_negative_chemo" if her2 == NEGATIVE else "chemo_main"
    else:
        chemo_reason = "chemo_with_targeted_or_serious"
    options.append(FamilyOption("chemotherapy", chemo_reason))
    options.append(
        FamilyOption(
            "radiation",
            "radiation_brain_bones" if spread & {"bones", "brain"} else "radiation_symptoms",
        )
    )
    options.append(
        FamilyOption("surgery", "surgery_brain" if "brain" in spread else "surgery_symptoms")
    )
    options.append(FamilyOption("clinical_trials", "trials_everyone"))
    options.append(FamilyOption("palliative_care", "palliative_early"))
    # Keep the canonical family order whatever the code above appended.
    return tuple(sorted(options, key=lambda option: FAMILY_ORDER.index(option.family)))
