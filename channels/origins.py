"""Which web sites may open the web chat's socket: its own address, plus ALLOWED_ORIGINS.

Browsers don't apply CORS to WebSockets, so without an origin check any page on the internet could
open a socket to the assistant in its visitor's browser. Rasa turns python-socketio's check off;
``channels/socketio_session.py`` turns it back on with :func:`origin_allowed`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from actions.environment import settings


def configured_origins(values: Mapping[str, str] | None = None) -> frozenset[str]:
    """Origins from ALLOWED_ORIGINS (comma or space separated, e.g. ``https://chat.example.org``)."""
    raw = (values if values is not None else settings()).get("ALLOWED_ORIGINS", "")
    return frozenset(item.rstrip("/").lower() for item in raw.replace(",", " ").split() if item)


def own_origins(environ: Mapping[str, Any]) -> set[str]:
    """The address the request came to, and the one a trusted proxy in front says it came to."""
    host = str(environ.get("HTTP_HOST", "")).lower()
    scheme = str(environ.get("wsgi.url_scheme", "http")).lower()
    origins = {f"{scheme}://{host}"} if host else set()
    forwarded_host = str(environ.get("HTTP_X_FORWARDED_HOST", "")).split(",")[0].strip().lower()
    forwarded_proto = str(environ.get("HTTP_X_FORWARDED_PROTO", "")).split(",")[0].strip().lower()
    if forwarded_host or forwarded_proto:
        origins.add(f"{forwarded_proto or scheme}://{forwarded_host or host}")
    return origins


def origin_allowed(
    origin: str | None, environ: Mapping[str, Any], allowed: frozenset[str] | None = None
) -> bool:
    """Whether a socket from ``origin`` may connect (no Origin header: not a browser, allowed)."""
    if not origin:
        return True
    origin = origin.rstrip("/").lower()
    allowed = configured_origins() if allowed is None else allowed
    return origin in allowed or origin in own_origins(environ)
