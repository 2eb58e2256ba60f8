"""The treatment catalog: seed facts, sources and review date, loaded from ``treatments.yml``.

This module has no Rasa imports so it can be unit-tested (and reused) on its own. The YAML file is
the single place where facts live; Python only loads, checks and looks them up.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

CONTENT_FILE = Path(__file__).with_name("treatments.yml")

FAMILY_ORDER: tuple[str, ...] = (
    "hormone_therapy",
    "targeted_therapy",
    "chemotherapy",
    "radiation",
    "surgery",
    "clinical_trials",
    "palliative_care",
)
ITEM_KINDS: frozenset[str] = frozenset({"drug", "procedure", "method"})
FACT_FIELDS: tuple[str, ...] = ("what_is", "how_it_works", "how_given", "side_effects", "who_for")
TEST_KEYS: tuple[str, ...] = ("hormone_receptors", "her2", "menopause", "prior_hormone", "spread")

# Month names are spelled out here (not strftime) so the text never depends on the locale.
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Fuzzy matching very short words ("ai", "srs") gives false hits, so only longer words are fuzzed.
_FUZZY_MIN_LENGTH = 4
_FUZZY_CUTOFF = 0.8
_NON_ALNUM = re.compile(r"[\W_]+")


def normalize_name(name: str) -> str:
    """Return ``name`` lower-cased with spaces, hyphens and other punctuation removed.

    "T-DM1", "tdm 1" and "TDM-1" all become "tdm1", so lookups ignore case, spaces and hyphens.
    """
    return _NON_ALNUM.sub("", name.casefold())


@dataclass(frozen=True)
class Family:
    """A treatment family, such as hormone therapy, with its plain-language facts."""

    key: str
    name: str  # lower case, for use mid-sentence ("hormone therapy")
    what_is: str
    how_it_works: str
    how_given: str
    side_effects: str
    who_for: str
    doctor_questions: tuple[str, ...]
    item_keys: tuple[str, ...]
    sources: tuple[str, ...]
    # Other names people use for the family ("chemo", "radiotherapy"); used by Catalog.find.
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    """One drug, procedure or method inside a family. A fact the page doesn't give is ""."""

    key: str
    name: str
    family: str
    kind: str  # "drug" | "procedure" | "method"
    brands: tuple[str, ...]
    aliases: tuple[str, ...]  # abbreviations, spoken forms and common misspellings
    what_is: str
    how_it_works: str
    how_given: str
    side_effects: str
    who_for: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    """Everything the assistant may say about treatments, with its sources and review date."""

    families: tuple[Family, ...]
    items: tuple[Item, ...]
    citations: dict[str, str]
    page_title: str
    publisher: str
    reviewed_by: str
    review_date: datetime.date
    disclaimer: str
    general_questions: tuple[str, ...]
    reasons: dict[str, str]
    tests: dict[str, str]
    # The guide question offered when a test result is not known ("What are my ER, PR ...?").
    results_question: str = ""
    # The page's treatment lists (list name -> ((item key, note), ...)), read by eligibility.py.
    option_lists: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    def family(self, key: str) -> Family:
        """Return the family with this key; raise KeyError when there is none."""
        for family in self.families:
            if family.key == key:
                return family
        raise KeyError(key)

    def item(self, key: str) -> Item:
        """Return the item with this key; raise KeyError when there is none."""
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def items_of(self, family_key: str) -> tuple[Item, ...]:
        """Return the items of a family, in content order; raise KeyError for an unknown family."""
        family = self.family(family_key)
        return tuple(self.item(key) for key in family.item_keys)

    def find(self, name: str) -> Family | Item | None:
        """Resolve a generic, brand, alias, family name or key to a family or item.

        Exact matches (ignoring case, spaces and hyphens) win; otherwise the closest name is used
        when it is similar enough, so misspellings like "tamoxifin" still resolve. None if nothing
        fits.
        """
        if not isinstance(name, str):
            return None
        wanted = normalize_name(name)
        if not wanted:
            return None
        index = self._name_index()
        if wanted in index:
            return index[wanted]
        if len(wanted) < _FUZZY_MIN_LENGTH:
            return None
        close = difflib.get_close_matches(wanted, list(index), n=1, cutoff=_FUZZY_CUTOFF)
        return index[close[0]] if close else None

    def sources_text(self) -> list[str]:
        """Return every citation as display text, in the page's order."""
        return list(self.citations.values())

    @property
    def review_date_text(self) -> str:
        """The review date spelled out, e.g. "December 11, 2017"."""
        date = self.review_date
        return f"{_MONTHS[date.month - 1]} {date.day}, {date.year}"

    def _name_index(self) -> dict[str, Family | Item]:
        # Built lazily and kept on the instance; object.__setattr__ because the class is frozen.
        cached = self.__dict__.get("_index")
        if cached is None:
            cached = _build_index(self.families, self.items)
            object.__setattr__(self, "_index", cached)
        return cached


def _build_index(families: tuple[Family, ...], items: tuple[Item, ...]) -> dict[str, Family | Item]:
    """Map every normalised name (key, name, brand, alias) to its family or item.

    Raises ValueError when two entries claim the same name, so an ambiguous alias is caught early.
    """
    index: dict[str, Family | Item] = {}
    entries: list[tuple[Family | Item, tuple[str, ...]]] = []
    for family in families:
        entries.append((family, (family.key, family.name, *family.aliases)))
    for item in items:
        entries.append((item, (item.key, item.name, *item.brands, *item.aliases)))
    for entry, names in entries:
        for raw in names:
            norm = normalize_name(raw)
            if not norm:
                continue
            other = index.setdefault(norm, entry)
            if other is not entry:
                raise ValueError(f"name {raw!r} is used by both {other.key!r} and {entry.key!r}")
    return index


@functools.lru_cache(maxsize=1)
def catalog() -> Catalog:
    """Return the catalog, loading ``treatments.yml`` on the first call only."""
    return load_catalog(CONTENT_FILE)


def load_catalog(path: Path) -> Catalog:
    """Load and check a content file; raise ValueError when it breaks a content rule."""
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, Mapping):
        raise ValueError(f"{path}: expected a mapping at the top level")

    citations = _load_citations(data.get("citations"))
    items = tuple(_load_item(raw, citations) for raw in _list(data, "items"))
    families = tuple(_load_family(raw, items, citations) for raw in _list(data, "families"))
    _check_keys(families, items)

    page = data.get("page") or {}
    review_date = page.get("review_date")
    if isinstance(review_date, str):
        review_date = datetime.date.fromisoformat(review_date)
    if not isinstance(review_date, datetime.date):
        raise ValueError("page.review_date must be a date like 2017-12-11")

    tests = _str_dict(data, "tests")
    missing_tests = set(TEST_KEYS) - set(tests)
    if missing_tests:
        raise ValueError(f"tests is missing {sorted(missing_tests)}")

    general_questions = tuple(_str_list(data, "general_questions"))
    results_question = _text(data, "results_question")
    if results_question not in general_questions:
        raise ValueError("results_question must also be one of the general_questions")

    result = Catalog(
        families=families,
        items=items,
        citations=citations,
        page_title=_text(page, "title"),
        publisher=_text(page, "publisher"),
        reviewed_by=_text(page, "reviewed_by"),
        review_date=review_date,
        disclaimer=_text(data, "disclaimer"),
        general_questions=general_questions,
        results_question=results_question,
        reasons=_str_dict(data, "reasons"),
        tests=tests,
        option_lists=_load_options(data.get("options"), items),
    )
    result._name_index()  # build now so a clashing alias fails at load time, not mid-conversation
    return result


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise ValueError(f"{key} must be a list")
    return value


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key} must be text, got {value!r}")
    # Folded YAML scalars can leave stray spaces; collapse them so speech and chat read cleanly.
    return " ".join(value.split())


def _str_list(data: Mapping[str, Any], key: str) -> list[str]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key} must be a list of text")
    return [" ".join(v.split()) for v in value]


def _str_dict(data: Mapping[str, Any], key: str) -> dict[str, str]:
    value = data.get(key) or {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{key} must be a mapping")
    return {str(k): _text(value, k) for k in value}


def _load_citations(raw: Any) -> dict[str, str]:
    if not isinstance(raw, list) or not raw:
        raise ValueError("citations must be a non-empty list")
    citations: dict[str, str] = {}
    for entry in raw:
        cid, publisher, title = (_text(entry, k) for k in ("id", "publisher", "title"))
        if not (cid and publisher and title):
            raise ValueError(f"citation needs id, publisher and title: {entry!r}")
        if cid in citations:
            raise ValueError(f"duplicate citation id {cid!r}")
        citations[cid] = f"{publisher}: “{title}”"
    return citations


def _sources(raw: Mapping[str, Any], citations: Mapping[str, str]) -> tuple[str, ...]:
    sources = tuple(_str_list(raw, "sources"))
    if not sources:
        raise ValueError(f"{raw.get('key')!r} has no sources")
    unknown = [s for s in sources if s not in citations]
    if unknown:
        raise ValueError(f"{raw.get('key')!r} cites unknown sources {unknown}")
    return sources


def _load_item(raw: Mapping[str, Any], citations: Mapping[str, str]) -> Item:
    kind = _text(raw, "kind")
    if kind not in ITEM_KINDS:
        raise ValueError(f"item {raw.get('key')!r} has bad kind {kind!r}")
    return Item(
        key=_text(raw, "key"),
        name=_text(raw, "name"),
        family=_text(raw, "family"),
        kind=kind,
        brands=tuple(_str_list(raw, "brands")),
        aliases=tuple(_str_list(raw, "aliases")),
        **{name: _text(raw, name) for name in FACT_FIELDS},
        sources=_sources(raw, citations),
    )


def _load_family(
    raw: Mapping[str, Any], items: tuple[Item, ...], citations: Mapping[str, str]
) -> Family:
    key = _text(raw, "key")
    return Family(
        key=key,
        name=_text(raw, "name"),
        **{name: _text(raw, name) for name in FACT_FIELDS},
        doctor_questions=tuple(_str_list(raw, "doctor_questions")),
        # Membership comes from each item's `family`, so the two can never disagree.
        item_keys=tuple(item.key for item in items if item.family == key),
        sources=_sources(raw, citations),
        aliases=tuple(_str_list(raw, "aliases")),
    )


def _check_keys(families: tuple[Family, ...], items: tuple[Item, ...]) -> None:
    family_keys = tuple(f.key for f in families)
    if family_keys != FAMILY_ORDER:
        raise ValueError(f"families must be {FAMILY_ORDER}, got {family_keys}")
    item_keys = [i.key for i in items]
    if len(set(item_keys)) != len(item_keys):
        raise ValueError("duplicate item keys")
    for item in items:
        if item.family not in family_keys:
            raise ValueError(f"item {item.key!r} names unknown family {item.family!r}")


def _load_options(raw: Any, items: tuple[Item, ...]) -> dict[str, tuple[tuple[str, str], ...]]:
    if not isinstance(raw, Mapping):
        raise ValueError("options must be a mapping of list name -> entries")
    known = {item.key for item in items}
    lists: dict[str, tuple[tuple[str, str], ...]] = {}
    for list_name, entries in raw.items():
        parsed = []
        for entry in entries or []:
            key = _text(entry, "item")
            if key not in known:
                raise ValueError(f"options.{list_name} names unknown item {key!r}")
            parsed.append((key, _text(entry, "note")))
        lists[str(list_name)] = tuple(parsed)
    return lists
