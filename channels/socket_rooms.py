"""Web chat replies across several Rasa servers: socket.io rooms shared through Redis.

The page keeps one conversation in a socket.io room named after its session id, and Rasa sends
each reply to that room. A room lives in one server's memory, so with two Rasa servers behind a
load balancer, a second tab (or a reconnect) that lands on the other server hears nothing of
what the first tab's server answers. When the servers already share Redis for the lock store
(``LOCK_STORE=redis``), the same Redis carries every reply to every server (python-socketio's
``AsyncRedisManager``, publish/subscribe), and each server delivers it to its own sockets in
the room. One server, or no Redis: the rooms stay in memory, as before.

If Redis goes down, a server still delivers to its own sockets (python-socketio hands a reply
to the local room before publishing it) and the publish failure is logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

import socketio


def _get(env: Mapping[str, str], name: str, default: str = "") -> str:
    return (env.get(name) or "").strip() or default


def redis_url(env: Mapping[str, str]) -> str | None:
    """The Redis the lock store uses, as a URL, or ``None`` when the lock store is in memory."""
    kind = _get(env, "LOCK_STORE", "in_memory").lower().replace("-", "_")
    if kind != "redis":
        return None
    password = env.get("REDIS_PASSWORD") or ""  # not stripped: spaces may belong to it
    auth = f":{quote(password, safe='')}@" if password else ""
    host = _get(env, "REDIS_HOST", "localhost")
    port = _get(env, "REDIS_PORT", "6379")
    db = _get(env, "REDIS_DB", "1")
    return f"redis://{auth}{host}:{port}/{db}"


def channel_name(env: Mapping[str, str]) -> str:
    """The publish/subscribe channel; ``REDIS_KEY_PREFIX`` keeps two deployments apart."""
    return f"{_get(env, 'REDIS_KEY_PREFIX')}mbc-webchat"


def share_rooms(sio: socketio.AsyncServer, env: Mapping[str, str]) -> bool:
    """Share ``sio``'s rooms through Redis when the lock store is Redis; says whether it did.

    Must run before the first connection: python-socketio starts its manager on that one.
    """
    url = redis_url(env)
    if url is None:
        return False
    manager = socketio.AsyncRedisManager(url, channel=channel_name(env))
    sio.manager = manager
    manager.set_server(sio)
    return True
