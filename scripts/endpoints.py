"""Write Rasa's endpoints file from the environment: which tracker store and lock store to use.

Rasa's ``endpoints.yml`` can read ``${VAR}`` values but cannot choose a store type from the
environment, so ``scripts/run.sh`` calls this module to write ``.rasa/endpoints.yml`` before it
starts the Rasa server. With no store variables set, the file says what the committed
``endpoints.yml`` says: the project's SQL store on SQLite (``tracker.db``) and an in-memory lock
store.

Variables (from the environment or a ``.env`` file; the environment wins):

- ``TRACKER_STORE``: ``sqlite`` (default) or ``postgresql``. A ``DATABASE_URL`` alone means
  ``postgresql``.
- ``SQLITE_PATH``: the SQLite file (default ``tracker.db``).
- ``DATABASE_URL`` (``postgresql://user:password@host:5432/name``), or the parts ``DB_HOST``,
  ``DB_PORT``, ``DB_NAME``, ``DB_USER``, ``DB_PASSWORD``; ``DB_LOGIN_DB`` names a database to log
  in to first so Rasa can create ``DB_NAME`` when it is missing.
- ``LOCK_STORE``: ``in_memory`` (default) or ``redis`` (written as
  ``stores.lock_store.AtomicRedisLockStore``); ``REDIS_HOST``, ``REDIS_PORT``,
  ``REDIS_PASSWORD``, ``REDIS_DB``, ``REDIS_KEY_PREFIX``.
- ``ACTION_ENDPOINT_URL``, or ``ACTION_PORT`` for the action server on 127.0.0.1.

Plain module: no Rasa import, so it runs in a second and is unit-tested on its own.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / ".rasa" / "endpoints.yml"
TRACKER_STORES = ("sqlite", "postgresql")
# Rasa's SQL store, but failing closed with a clear answer when the database is down (Rasa's own
# fallback would forget the person's profile and guide), and deleting a conversation when the
# person asks: see stores/tracker_store.py. Used for SQLite and PostgreSQL alike.
SQL_STORE = "stores.tracker_store.DurableSQLTrackerStore"
LOCK_STORES = ("in_memory", "redis")
# Rasa's Redis lock store, but issuing and returning tickets atomically in Redis (see
# stores/lock_store.py): Rasa's own can let two servers serve one conversation at once.
REDIS_LOCK_STORE = "stores.lock_store.AtomicRedisLockStore"


class _Dumper(yaml.SafeDumper):
    """Quotes any string holding a ``$``.

    Rasa expands ``${VAR}`` in plain YAML scalars only; quoting keeps a password such as
    ``pa${ss`` exactly as it was typed instead of failing as an unset variable.
    """


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = '"' if "$" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


class ConfigError(ValueError):
    """A store variable has a value the assistant can't use; the message says which and why."""


def _get(env: Mapping[str, str], name: str, default: str = "") -> str:
    """A variable's value with surrounding spaces dropped; empty counts as unset."""
    value = (env.get(name) or "").strip()
    return value or default


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    """A TCP port from the environment, refused with a clear message when it isn't one."""
    raw = _get(env, name, str(default))
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"{name} must be a port number from 1 to 65535, not {raw!r}")
    return int(raw)


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    """One of ``allowed``, case-insensitively, or a clear error naming the choices."""
    value = _get(env, name, default).lower().replace("-", "_")
    # "postgres" is what people type most often; SQLAlchemy only knows "postgresql".
    value = {"postgres": "postgresql", "inmemory": "in_memory", "memory": "in_memory"}.get(
        value, value
    )
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def database_url(raw: str) -> str:
    """``DATABASE_URL`` checked and normalised for SQLAlchemy 1.4.

    SQLAlchemy 1.4 dropped the ``postgres://`` alias that many hosting platforms still hand
    out, so it is rewritten to ``postgresql://``; any other scheme is refused because the
    assistant is tested on PostgreSQL only.
    """
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme == "postgres":
        raw = "postgresql" + raw[len(parts.scheme) :]
    elif not (scheme == "postgresql" or scheme.startswith("postgresql+")):
        raise ConfigError("DATABASE_URL must start with postgresql:// (or postgres://)")
    if not urlsplit(raw).hostname:
        raise ConfigError("DATABASE_URL has no host")
    return raw


def tracker_store_config(env: Mapping[str, str]) -> dict[str, Any]:
    """The ``tracker_store`` section: SQLite by default, PostgreSQL when asked for."""
    url = _get(env, "DATABASE_URL")
    kind = _choice(env, "TRACKER_STORE", TRACKER_STORES, "postgresql" if url else "sqlite")
    if kind == "sqlite":
        path = _get(env, "SQLITE_PATH", "tracker.db")
        return {"type": SQL_STORE, "dialect": "sqlite", "db": path}
    if url:
        # Rasa passes `url` to SQLTrackerStore as its host, and a host holding "://" is used
        # as the whole SQLAlchemy URL.
        return {"type": SQL_STORE, "dialect": "postgresql", "url": database_url(url)}
    config: dict[str, Any] = {
        "type": SQL_STORE,
        "dialect": "postgresql",
        "url": _get(env, "DB_HOST", "localhost"),  # Rasa's key for the host; `host` clashes
        "port": _port(env, "DB_PORT", 5432),
        "db": _get(env, "DB_NAME", "rasa"),
        "username": _get(env, "DB_USER", "rasa"),
    }
    if _get(env, "DB_PASSWORD"):
        config["password"] = env["DB_PASSWORD"]  # not stripped: spaces may belong to it
    if _get(env, "DB_LOGIN_DB"):
        config["login_db"] = _get(env, "DB_LOGIN_DB")
    return config


def lock_store_config(env: Mapping[str, str]) -> dict[str, Any]:
    """The ``lock_store`` section: in memory by default, Redis when several servers share work."""
    kind = _choice(env, "LOCK_STORE", LOCK_STORES, "in_memory")
    if kind == "in_memory":
        return {"type": "in_memory"}
    db = _get(env, "REDIS_DB", "1")
    if not db.isdigit():
        raise ConfigError(f"REDIS_DB must be a database number such as 1, not {db!r}")
    config: dict[str, Any] = {
        "type": REDIS_LOCK_STORE,
        "url": _get(env, "REDIS_HOST", "localhost"),
        "port": _port(env, "REDIS_PORT", 6379),
        "db": int(db),
    }
    if _get(env, "REDIS_PASSWORD"):
        config["password"] = env["REDIS_PASSWORD"]
    prefix = _get(env, "REDIS_KEY_PREFIX")
    if prefix:
        # Rasa silently ignores a prefix that isn't alphanumeric; say so instead.
        if not prefix.isalnum():
            raise ConfigError(f"REDIS_KEY_PREFIX must be letters and digits only, not {prefix!r}")
        config["key_prefix"] = prefix
    return config


def action_endpoint_config(env: Mapping[str, str]) -> dict[str, Any]:
    """The action server: on 127.0.0.1 at ACTION_PORT unless a whole URL is given."""
    url = _get(env, "ACTION_ENDPOINT_URL")
    if not url:
        url = f"http://127.0.0.1:{_port(env, 'ACTION_PORT', 5055)}/webhook"
    return {"url": url}


def endpoints_config(env: Mapping[str, str]) -> dict[str, Any]:
    """The whole endpoints file as a dictionary."""
    return {
        "action_endpoint": action_endpoint_config(env),
        "tracker_store": tracker_store_config(env),
        "lock_store": lock_store_config(env),
    }


def warnings_for(config: Mapping[str, Any]) -> list[str]:
    """Settings that work on one server but not on several, said before anything goes wrong."""
    shared = config["tracker_store"].get("dialect") == "postgresql"
    if shared and config["lock_store"]["type"] == "in_memory":
        return [
            "PostgreSQL is shared but the lock store is in memory: with more than one Rasa "
            "server, set LOCK_STORE=redis so two servers never handle one conversation at once."
        ]
    return []


def write_endpoints(path: Path, env: Mapping[str, str]) -> Path:
    """Write the endpoints file readable by its owner only, since it may hold passwords."""
    config = endpoints_config(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "# Written by scripts/endpoints.py from the environment; edits are overwritten.\n"
    text += yaml.dump(config, Dumper=_Dumper, sort_keys=False, default_flow_style=False)
    # Create with mode 0600 from the start, so no other user can read it even for a moment.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)  # an older file keeps its mode through O_TRUNC
    return path


def environment() -> dict[str, str]:
    """The .env values overlaid with the process environment, as the actions read them."""
    sys.path.insert(0, str(ROOT))
    from actions.environment import settings

    return settings()


def main(argv: list[str] | None = None) -> int:
    """Write the file and print its path; a bad setting ends with one clear line and code 2."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="file to write")
    args = parser.parse_args(argv)
    env = environment()
    try:
        path = write_endpoints(args.out, env)
    except ConfigError as error:
        print(f"Store settings: {error}", file=sys.stderr)
        return 2
    for warning in warnings_for(endpoints_config(env)):
        print(f"Store settings: {warning}", file=sys.stderr)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
