"""Delete conversations nobody has touched for a while: ``make forget-old`` (schedule it daily).

Conversations hold health information. Keeping them only as long as they help (a person coming
back to their guide) limits what a leak or a lost laptop could expose. A conversation is deleted
whole, every event of it, when its newest event is older than ``RETENTION_DAYS`` (default 90).
The same settings that choose the tracker store choose the database (scripts/endpoints.py):
SQLite by default, PostgreSQL when TRACKER_STORE or DATABASE_URL say so.

    .venv/bin/python -m stores.retention              # delete, and say how many
    .venv/bin/python -m stores.retention --dry-run    # only count
    .venv/bin/python -m stores.retention --days 30
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DAYS = 90
SECONDS_PER_DAY = 86_400


class RetentionError(ValueError):
    """A setting that can't be used; the message says which and why."""


def retention_days(env: Mapping[str, str]) -> int:
    """Days to keep a quiet conversation, from RETENTION_DAYS (at least 1)."""
    raw = (env.get("RETENTION_DAYS") or "").strip()
    if not raw:
        return DEFAULT_DAYS
    try:
        days = int(raw)
    except ValueError:
        raise RetentionError(
            f"RETENTION_DAYS must be a whole number of days, not {raw!r}"
        ) from None
    if days < 1:
        raise RetentionError("RETENTION_DAYS must be at least 1")
    return days


def tracker_database_url(env: Mapping[str, str]) -> sa.engine.URL | str:
    """The SQLAlchemy URL of the tracker store the endpoints generator would configure."""
    sys.path.insert(0, str(ROOT))
    from scripts.endpoints import tracker_store_config

    config = tracker_store_config(env)
    if config["dialect"] == "sqlite":
        path = Path(config["db"])
        # Rasa opens a relative path from where the server runs: the project folder.
        return f"sqlite:///{path if path.is_absolute() else ROOT / path}"
    if "://" in str(config["url"]):
        return str(config["url"])
    return sa.engine.URL.create(
        "postgresql",
        username=config.get("username"),
        password=config.get("password"),
        host=config["url"],
        port=config.get("port"),
        database=config.get("db"),
    )


def _quiet_senders(cutoff: float) -> sa.sql.Select:
    events = sa.table("events", sa.column("sender_id"), sa.column("timestamp"))
    return (
        sa.select(events.c.sender_id)
        .group_by(events.c.sender_id)
        .having(sa.func.max(events.c.timestamp) < cutoff)
    )


def forget_quiet_conversations(
    engine: sa.engine.Engine, days: int, now: float | None = None, dry_run: bool = False
) -> int:
    """Delete every conversation whose newest event is more than ``days`` old; how many.

    One statement inside one transaction, so a conversation that gets a new turn while this
    runs is either kept whole or was already quiet long enough to go.
    """
    if not sa.inspect(engine).has_table("events"):
        return 0  # no conversation was ever stored
    cutoff = (time.time() if now is None else now) - days * SECONDS_PER_DAY
    quiet = _quiet_senders(cutoff).subquery()
    events = sa.table("events", sa.column("sender_id"))
    with engine.begin() as connection:
        count = connection.execute(sa.select(sa.func.count()).select_from(quiet)).scalar_one()
        if count and not dry_run:
            connection.execute(
                sa.delete(events).where(events.c.sender_id.in_(sa.select(quiet.c.sender_id)))
            )
    return int(count)


def main(argv: list[str] | None = None) -> int:
    """Delete (or count) quiet conversations; a bad setting ends with one clear line, code 2."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, help="override RETENTION_DAYS")
    parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from actions.environment import settings

    env = settings()
    try:
        days = args.days if args.days is not None else retention_days(env)
        if days < 1:
            raise RetentionError("--days must be at least 1")
        url = tracker_database_url(env)
    except (RetentionError, ValueError) as error:
        print(f"Retention: {error}", file=sys.stderr)
        return 2
    engine = sa.create_engine(url)
    try:
        count = forget_quiet_conversations(engine, days, dry_run=args.dry_run)
    except sa.exc.SQLAlchemyError as error:
        # The kind of error only: database messages can quote stored data.
        kind = type(error).__name__
        print(f"Retention: the database could not be used ({kind}).", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    cutoff = datetime.fromtimestamp(time.time() - days * SECONDS_PER_DAY, timezone.utc)
    verb = "Would delete" if args.dry_run else "Deleted"
    print(f"{verb} {count} conversation(s) quiet since before {cutoff:%Y-%m-%d %H:%M} UTC.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
