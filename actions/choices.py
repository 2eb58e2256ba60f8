"""Buttons as numbered choices: "2" or "the second one" picks the second button.

Every button is also a choice a person can type or say by number. Plain module (no Rasa imports).
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from actions.guide import parse_position

_PAYLOAD = re.compile(r"^/(?P<intent>\w+)(?P<entities>\{.*\})?$", re.DOTALL)


def buttons_of(domain: Mapping[str, Any], response: str) -> list[dict[str, Any]]:
    """The buttons of a response in the domain (first variant), or an empty list."""
    variants = (domain.get("responses") or {}).get(response) or []
    if not variants:
        return []
    return list(variants[0].get("buttons") or [])


def parse_payload(payload: str) -> tuple[str, list[dict[str, Any]]] | None:
    """Split a button payload like '/inform_profile{"spread_site":"bones"}'.

    Returns the intent and its entities, or None for something that is not a payload.
    """
    # Payloads in domain.yml double their braces so Rasa's templating leaves them alone.
    text = (payload or "").strip().replace("{{", "{").replace("}}", "}")
    match = _PAYLOAD.match(text)
    if not match:
        return None
    entities: list[dict[str, Any]] = []
    if match.group("entities"):
        try:
            values = json.loads(match.group("entities"))
        except json.JSONDecodeError:
            return None
        entities = [{"entity": name, "value": value} for name, value in values.items()]
    return match.group("intent"), entities


def choose(
    domain: Mapping[str, Any], response: str, text: str
) -> tuple[str, list[dict[str, Any]]] | None:
    """The intent and entities of the button the person picked by number, if any."""
    buttons = buttons_of(domain, response)
    index = parse_position(text, len(buttons)) if buttons else None
    if index is None:
        return None
    return parse_payload(str(buttons[index].get("payload", "")))
