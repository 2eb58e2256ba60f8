"""The content module: seed facts with sources (catalog) and the eligibility rules.

No Rasa imports: actions call these plain functions, and they are unit-tested on their own.
"""

from actions.content.catalog import Catalog, Family, Item, catalog
from actions.content.eligibility import (
    FamilyOption,
    ItemOption,
    Profile,
    hormone_receptor_status,
    next_question,
    recommend,
    unknown_facts,
)
from actions.content.wording import wording

__all__ = [
    "Catalog",
    "Family",
    "FamilyOption",
    "Item",
    "ItemOption",
    "Profile",
    "catalog",
    "hormone_receptor_status",
    "next_question",
    "recommend",
    "unknown_facts",
    "wording",
]
