"""Loader for actions/content/wording.yml: labels and phrase pieces the assistant reads out.

No Rasa imports. Kept beside the facts so that every sentence outside domain.yml lives in one
reviewed place.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

WORDING_FILE = Path(__file__).with_name("wording.yml")


@lru_cache(maxsize=1)
def wording() -> dict[str, Any]:
    """Labels and phrase pieces from wording.yml (loaded once)."""
    return yaml.safe_load(WORDING_FILE.read_text(encoding="utf-8"))
