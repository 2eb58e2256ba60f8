"""A durable outbox for guide emails: one table in a database, and a worker that retries.

No Rasa imports. The email action puts a composed message in the queue (:meth:`MailQueue.enqueue`
returns at once) and makes the first attempt itself; :class:`MailWorker` delivers whatever is due
later, with exponential backoff, so a guide asked for while the mail server is down goes out when
it comes back, also after a restart (the rows are in the database, not in memory).

Exactly once, and where that ends. A worker *claims* a row with one conditional UPDATE (``WHERE
id = ? AND state = 'pending' AND next_attempt_at <= now``, then checks the row count), so two
workers, in two threads or two action servers on one database, never both send it. A claim is a
lease: a worker that dies mid-send leaves the row in ``sending``, and once ``lease_until`` has
passed another worker takes it again. The row is marked ``sent`` right after the mail server
accepts the message. If the process dies in the few milliseconds between the server's "250 OK"
and that UPDATE, or a send outlives its lease (keep the lease above the longest SMTP session), the
row is sent a second time: at-least-once in that window, exactly once everywhere else. The second
copy carries the same Message-ID, which lets many receiving servers drop it.

Privacy. Until it is sent a row holds the recipient address and the message (the guide's
questions), because it must be able to send them after a restart. Once sent, or given up, both
are erased; what stays is counters and times for the rate limits, keyed by keyed hashes
(HMAC-SHA256) of the conversation id and of the address, and rows older than the longest rate
window are deleted. The conversation id is hashed too: the rate limit only needs to count, and a
raw id would link the queue to the conversation's health information in the tracker store. The
hash key comes from ``MAIL_HASH_KEY``; without it a random key is made once and kept in the
database (weaker: someone holding the database could test guessed addresses against it). Nothing
logged carries an address or message text.

Timestamps are seconds since the epoch (floats) so a test can inject its clock, and the SQL is
plain SQLAlchemy Core, so a PostgreSQL URL works as well as the SQLite file of the default.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    and_,
    create_engine,
    event,
    func,
    or_,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from actions.mailer import DeliveryResult, scrub_addresses

__all__ = [
    "PENDING",
    "SENDING",
    "SENT",
    "FAILED",
    "MailQueue",
    "MailWorker",
    "Outcome",
    "QueueSettings",
    "RateLimited",
    "RowStatus",
    "Ticket",
]

logger = logging.getLogger(__name__)

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"

_MAX_ERROR = 200
# A deliver function takes the message bytes and the one recipient.
Deliver = Callable[[bytes, str], DeliveryResult]

metadata = MetaData()

mail_queue_table = Table(
    "mail_queue",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_hash", String(64), nullable=False, index=True),
    Column("recipient_hash", String(64), nullable=False, index=True),
    # Erased (NULL) once the row is sent or given up.
    Column("recipient", String(320), nullable=True),
    Column("message", LargeBinary, nullable=True),
    Column("state", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False),
    Column("lease_until", Float, nullable=True),
    Column("claim_token", String(32), nullable=True),
    Column("last_error", String(_MAX_ERROR), nullable=True),
    Column("created_at", Float, nullable=False, index=True),
    Column("sent_at", Float, nullable=True),
)

# One row (id 1): the hash key made on first use when MAIL_HASH_KEY is not set.
mail_queue_key_table = Table(
    "mail_queue_key",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("hash_key", String(64), nullable=False),
)


def _number(environ: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    """A number from the environment, or ``default`` when unset; a clear error when wrong."""
    text = (environ.get(name) or "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number (got {text!r}).") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum:g} (got {value:g}).")
    return value


@dataclass(frozen=True)
class QueueSettings:
    """How the queue stores, retries and limits. Built from the environment with :meth:`from_env`.

    Retries wait ``retry_first`` seconds, then twice as long each time up to ``retry_max``; a
    message is given up after ``max_attempts`` attempts or ``give_up_after`` seconds. At most
    ``per_conversation`` guides per conversation in ``conversation_window`` seconds and
    ``per_address`` to one address in ``address_window`` seconds (0 switches a limit off).
    ``lease`` must be longer than the longest SMTP session (each SMTP step may take up to
    SMTP_TIMEOUT). ``send_wait`` is how long the person waits for the first attempt.
    """

    url: str = "sqlite:///mail_queue.db"
    retry_first: float = 30.0
    retry_max: float = 600.0
    give_up_after: float = 24 * 3600.0
    max_attempts: int = 200
    lease: float = 300.0
    per_conversation: int = 3
    conversation_window: float = 3600.0
    per_address: int = 5
    address_window: float = 24 * 3600.0
    hash_key: str | None = None
    poll_interval: float = 5.0
    send_wait: float = 3.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> QueueSettings:
        """Read MAIL_QUEUE_URL, MAIL_RETRY_*, MAIL_GIVE_UP_HOURS, MAIL_LIMIT_*, MAIL_HASH_KEY.

        Empty values count as unset. Raises ValueError with a clear message for a bad number.
        """
        url = (environ.get("MAIL_QUEUE_URL") or "").strip() or cls.url
        return cls(
            url=url,
            retry_first=_number(environ, "MAIL_RETRY_FIRST_SECONDS", cls.retry_first, minimum=1),
            retry_max=_number(environ, "MAIL_RETRY_MAX_SECONDS", cls.retry_max, minimum=1),
            give_up_after=3600
            * _number(environ, "MAIL_GIVE_UP_HOURS", cls.give_up_after / 3600, minimum=0.01),
            per_conversation=int(
                _number(environ, "MAIL_LIMIT_PER_CONVERSATION", cls.per_conversation, minimum=0)
            ),
            per_address=int(_number(environ, "MAIL_LIMIT_PER_ADDRESS", cls.per_address, minimum=0)),
            hash_key=(environ.get("MAIL_HASH_KEY") or "").strip() or None,
            send_wait=_number(environ, "MAIL_SEND_WAIT_SECONDS", cls.send_wait, minimum=0),
        )

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt: 30, 60, 120 ... capped."""
        return min(self.retry_first * 2 ** max(attempts - 1, 0), self.retry_max)

    @property
    def keep_records(self) -> float:
        """How long a sent or failed row (no address, no text) is kept: the longest window."""
        return max(self.conversation_window, self.address_window)


class RateLimited(Exception):
    """Refused by a rate limit. ``kind`` is "conversation" or "address"."""

    def __init__(self, kind: str, limit: int, window: float) -> None:
        super().__init__(f"at most {limit} guide emails per {kind} in {window:g} s")
        self.kind = kind
        self.limit = limit
        self.window = window


@dataclass(frozen=True)
class Ticket:
    """A queued message: its row id and, when the caller holds the claim, the claim token."""

    id: int
    token: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What one attempt did: ``state`` is the row's state after it (sent, pending or failed).

    ``via`` and ``path`` come from the delivery ("smtp" or "outbox", the .eml file); ``error``
    is short and carries no address; ``retry_in`` is set when the row waits for another try.
    """

    id: int
    state: str
    via: str | None = None
    path: str | None = None
    error: str | None = None
    retry_in: float | None = None


@dataclass(frozen=True)
class RowStatus:
    """A row as the database has it, without the address or the message."""

    id: int
    state: str
    attempts: int
    next_attempt_at: float
    last_error: str | None
    created_at: float
    sent_at: float | None
    has_recipient: bool
    has_message: bool


def _normalise_address(address: str) -> str:
    """One form per mailbox for the rate limit: case folded, a "+tag" dropped."""
    local, _, domain = address.strip().casefold().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite waits for a busy file instead of failing at once.

    ``hide_parameters`` keeps the address and the guide out of database error messages, which
    end up in logs.
    """
    connect_args: dict[str, Any] = {}
    if url.startswith("sqlite"):
        # Several threads (the action server's and the worker's) share the file.
        connect_args = {"timeout": 30, "check_same_thread": False}
    engine = create_engine(url, future=True, connect_args=connect_args, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_secure_delete)
    return engine


def _sqlite_secure_delete(connection: Any, _record: Any) -> None:
    """Make SQLite overwrite erased values on disk, so an erased address is gone from the file."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


class MailQueue:
    """The queue table: enqueue, claim, record what happened, and the rate limits.

    Safe to share between threads; several MailQueue objects (threads, processes, servers) may
    use one database at the same time. ``clock`` returns seconds since the epoch.
    """

    def __init__(
        self,
        settings: QueueSettings | None = None,
        *,
        clock: Callable[[], float] = time.time,
        engine: Engine | None = None,
    ) -> None:
        self.settings = settings or QueueSettings()
        self.clock = clock
        self.engine = engine or make_engine(self.settings.url)
        metadata.create_all(self.engine)
        self._key = self._hash_key().encode()

    # --- putting messages in ------------------------------------------------------------

    def enqueue(
        self, conversation_id: str, recipient: str, message: bytes, *, claim: bool = False
    ) -> Ticket:
        """Store a message for ``recipient``, due now; raise :class:`RateLimited` when over.

        With ``claim`` the caller holds the first attempt (state ``sending`` under a lease) and
        must call :meth:`attempt` with the returned ticket; if it never does (the process died),
        the lease runs out and a worker sends it. Returns at once: nothing is sent here.

        The limit counts and the insert are not serialised between servers: two requests for one
        address at the same instant from two conversations may both pass. Requests of one
        conversation cannot race (Rasa's lock store runs them one at a time).
        """
        now = self.clock()
        conversation_hash = self._hash("conversation", conversation_id)
        recipient_hash = self._hash("address", _normalise_address(recipient))
        table = mail_queue_table
        limits = [
            (
                "conversation",
                table.c.conversation_hash == conversation_hash,
                self.settings.per_conversation,
                self.settings.conversation_window,
            ),
            (
                "address",
                table.c.recipient_hash == recipient_hash,
                self.settings.per_address,
                self.settings.address_window,
            ),
        ]
        token = secrets.token_hex(16) if claim else None
        with self.engine.begin() as connection:
            # Every request counts, sent or not: a refused address must not be tried forever.
            for kind, same, limit, window in limits:
                if limit <= 0:
                    continue
                count = connection.execute(
                    select(func.count())
                    .select_from(table)
                    .where(and_(same, table.c.created_at > now - window))
                ).scalar_one()
                if count >= limit:
                    logger.info("Guide email refused by the %s rate limit.", kind)
                    raise RateLimited(kind, limit, window)
            result = connection.execute(
                table.insert().values(
                    conversation_hash=conversation_hash,
                    recipient_hash=recipient_hash,
                    recipient=recipient,
                    message=message,
                    state=SENDING if claim else PENDING,
                    attempts=1 if claim else 0,
                    next_attempt_at=now,
                    lease_until=now + self.settings.lease if claim else None,
                    claim_token=token,
                    created_at=now,
                )
            )
            row_id = int(result.inserted_primary_key[0])
        logger.info("Guide email %d queued.", row_id)
        return Ticket(row_id, token)

    # --- taking them out ----------------------------------------------------------------

    def due_ids(self, limit: int = 20) -> list[int]:
        """Rows to attempt now: pending and due, or claimed by a worker whose lease ran out."""
        now = self.clock()
        table = mail_queue_table
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(table.c.id)
                .where(self._claimable(now))
                .order_by(table.c.next_attempt_at, table.c.id)
                .limit(limit)
            )
            return [int(row[0]) for row in rows]

    def claim(self, row_id: int) -> Ticket | None:
        """Take a due row for one attempt; None when it is not due or another worker has it.

        One conditional UPDATE: the database lets exactly one claimant see a row count of 1.
        """
        now = self.clock()
        token = secrets.token_hex(16)
        table = mail_queue_table
        with self.engine.begin() as connection:
            result = connection.execute(
                table.update()
                .where(and_(table.c.id == row_id, self._claimable(now)))
                .values(
                    state=SENDING,
                    claim_token=token,
                    lease_until=now + self.settings.lease,
                    attempts=table.c.attempts + 1,
                )
            )
            if result.rowcount != 1:
                return None
        return Ticket(row_id, token)

    def attempt(self, ticket: Ticket, deliver: Deliver) -> Outcome:
        """Deliver a claimed row once and record the result; never raises for a failed send.

        Blocking (it runs ``deliver``): call it from a thread, not from the event loop.
        """
        table = mail_queue_table
        with self.engine.connect() as connection:
            row = connection.execute(
                select(table.c.recipient, table.c.message).where(
                    and_(table.c.id == ticket.id, table.c.claim_token == ticket.token)
                )
            ).first()
        if row is None or row.recipient is None or row.message is None:
            # Reclaimed by another worker after our lease ran out: it is theirs now.
            return Outcome(ticket.id, self._state_of(ticket.id), error="claimed elsewhere")
        try:
            result = deliver(bytes(row.message), str(row.recipient))
        except Exception as exc:  # a broken mail set-up is a failed attempt, not a dead worker
            result = DeliveryResult(sent=False, via="smtp", error=type(exc).__name__)
        return self._record(ticket, result)

    def run_once(self, deliver: Deliver) -> list[Outcome]:
        """Forget old records, then claim and attempt every due row. Returns the attempts."""
        self.purge()
        outcomes = []
        for row_id in self.due_ids():
            ticket = self.claim(row_id)
            if ticket is not None:
                outcomes.append(self.attempt(ticket, deliver))
        return outcomes

    def next_due_in(self) -> float | None:
        """Seconds until the next pending row is due (0 if one is due), None when none waits."""
        table = mail_queue_table
        with self.engine.connect() as connection:
            soonest = connection.execute(
                select(func.min(table.c.next_attempt_at)).where(table.c.state == PENDING)
            ).scalar_one()
            # A row in "sending" becomes due again when its lease runs out.
            lease = connection.execute(
                select(func.min(table.c.lease_until)).where(table.c.state == SENDING)
            ).scalar_one()
        times = [t for t in (soonest, lease) if t is not None]
        if not times:
            return None
        return max(min(times) - self.clock(), 0.0)

    # --- looking and tidying ------------------------------------------------------------

    def status(self, row_id: int) -> RowStatus | None:
        """One row without its address or message, or None when there is no such row."""
        table = mail_queue_table
        with self.engine.connect() as connection:
            row = connection.execute(select(table).where(table.c.id == row_id)).first()
        if row is None:
            return None
        return RowStatus(
            id=row.id,
            state=row.state,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_error=row.last_error,
            created_at=row.created_at,
            sent_at=row.sent_at,
            has_recipient=row.recipient is not None,
            has_message=row.message is not None,
        )

    def purge(self) -> int:
        """Delete sent and failed rows older than the longest rate window; returns how many."""
        table = mail_queue_table
        cutoff = self.clock() - self.settings.keep_records
        with self.engine.begin() as connection:
            result = connection.execute(
                table.delete().where(
                    and_(table.c.state.in_((SENT, FAILED)), table.c.created_at < cutoff)
                )
            )
            return int(result.rowcount or 0)

    def dispose(self) -> None:
        """Close the database connections."""
        self.engine.dispose()

    # --- inside -------------------------------------------------------------------------

    def _claimable(self, now: float) -> Any:
        table = mail_queue_table
        return or_(
            and_(table.c.state == PENDING, table.c.next_attempt_at <= now),
            and_(table.c.state == SENDING, table.c.lease_until < now),
        )

    def _record(self, ticket: Ticket, result: DeliveryResult) -> Outcome:
        """Write what an attempt did, only while the claim is still ours."""
        now = self.clock()
        table = mail_queue_table
        mine = and_(table.c.id == ticket.id, table.c.claim_token == ticket.token)
        error = scrub_addresses(" ".join((result.error or "").split()))[:_MAX_ERROR] or None
        erased = {"recipient": None, "message": None, "claim_token": None, "lease_until": None}
        with self.engine.begin() as connection:
            if result.sent:
                # Sent: erase the address and the guide in the same step that marks it.
                values: dict[str, Any] = {**erased, "state": SENT, "sent_at": now}
                values["last_error"] = None
                outcome = Outcome(ticket.id, SENT, via=result.via, path=result.path)
            else:
                row = connection.execute(
                    select(table.c.attempts, table.c.created_at).where(mine)
                ).first()
                attempts = row.attempts if row is not None else 0
                age = now - row.created_at if row is not None else 0.0
                if (
                    result.permanent
                    or attempts >= self.settings.max_attempts
                    or age >= self.settings.give_up_after
                ):
                    values = {**erased, "state": FAILED, "last_error": error}
                    outcome = Outcome(ticket.id, FAILED, via=result.via, error=error)
                else:
                    wait = self.settings.backoff(attempts)
                    values = {
                        "state": PENDING,
                        "claim_token": None,
                        "lease_until": None,
                        "next_attempt_at": now + wait,
                        "last_error": error,
                    }
                    outcome = Outcome(
                        ticket.id, PENDING, via=result.via, error=error, retry_in=wait
                    )
            updated = connection.execute(table.update().where(mine).values(**values)).rowcount
        if updated != 1:
            # Our lease ran out during the send and another worker took the row: it may go twice.
            logger.warning(
                "Guide email %d: the claim was lost during the attempt (lease too short?).",
                ticket.id,
            )
            return Outcome(ticket.id, self._state_of(ticket.id), via=result.via, error=error)
        if outcome.state == SENT:
            logger.info("Guide email %d sent via %s.", ticket.id, result.via)
        elif outcome.state == FAILED:
            logger.warning("Guide email %d given up: %s", ticket.id, error)
        else:
            logger.info(
                "Guide email %d not sent yet (%s); next try in %.0f s.",
                ticket.id,
                error,
                outcome.retry_in,
            )
        return outcome

    def _state_of(self, row_id: int) -> str:
        status = self.status(row_id)
        return status.state if status else FAILED

    def _hash(self, purpose: str, value: str) -> str:
        return hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def _hash_key(self) -> str:
        """MAIL_HASH_KEY, else the key kept in the database (made on first use)."""
        if self.settings.hash_key:
            return self.settings.hash_key
        table = mail_queue_key_table
        with self.engine.begin() as connection:
            key = connection.execute(
                select(table.c.hash_key).where(table.c.id == 1)
            ).scalar_one_or_none()
        if key is not None:
            return str(key)
        try:
            with self.engine.begin() as connection:
                connection.execute(table.insert().values(id=1, hash_key=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another process made it first: use theirs
        with self.engine.connect() as connection:
            return str(
                connection.execute(select(table.c.hash_key).where(table.c.id == 1)).scalar_one()
            )


class MailWorker:
    """A background thread that delivers due rows until stopped.

    It sleeps until the next row is due (at most ``poll_interval`` seconds, so rows another
    server queued are seen) or until :meth:`wake` is called. A database or mail error never ends
    it: it is logged and tried again on the next round.
    """

    def __init__(
        self, queue: MailQueue, deliver: Deliver, *, poll_interval: float | None = None
    ) -> None:
        self.queue = queue
        self.deliver = deliver
        self.poll_interval = (
            poll_interval if poll_interval is not None else queue.settings.poll_interval
        )
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> MailWorker:
        """Start the thread (once); it first delivers whatever was left from before."""
        if not self.running:
            self._stop.clear()
            # A daemon thread never holds the server up at exit; an unfinished send is retried.
            self._thread = threading.Thread(target=self._loop, name="mail-worker", daemon=True)
            self._thread.start()
        return self

    def wake(self) -> None:
        """Look at the queue now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to stop and wait up to ``timeout`` seconds for it."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            wait = self.poll_interval
            try:
                self.queue.run_once(self.deliver)
                due = self.queue.next_due_in()
                if due is not None:
                    wait = min(wait, max(due, 0.05))
            except Exception:
                logger.exception("The mail worker could not read the queue; trying again soon.")
            self._wake.wait(wait)
            self._wake.clear()
