"""Settings from the environment or a `.env` file (python-dotenv); the environment wins."""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import dotenv_values, find_dotenv

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def dotenv_settings() -> dict[str, str]:
    """Values from the nearest .env file, or {} when there is none."""
    path = find_dotenv(usecwd=True) or str(PROJECT_ROOT / ".env")
    if not Path(path).is_file():
        return {}
    return {key: value for key, value in dotenv_values(path).items() if value is not None}


def settings() -> dict[str, str]:
    """The .env values overlaid with the process environment."""
    return {**dotenv_settings(), **os.environ}
