"""The guide email's way out of the action server: settings, the durable queue and its worker.

No Rasa imports. The email action calls :func:`send`: it queues the composed message, makes the
first attempt at once and waits a few seconds for it; whatever is not sent by then stays in the
queue, and the worker thread of this process (or of any other action server on the same
database) sends it when the mail server answers again. The worker starts when the action server
imports the actions (:func:`start_in_action_server`), so rows left from before a restart go out
without waiting for the next request, and otherwise on first use. Plain imports, such as the
tests', start no thread.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from actions.environment import settings as environment
from actions.mail_queue import SENDING, MailQueue, MailWorker, Outcome, QueueSettings
from actions.mailer import DeliveryResult, MailSettings, deliver_bytes

__all__ = ["MailService", "deliver_now", "in_action_server", "send", "service", "stop_all"]

logger = logging.getLogger(__name__)


def deliver_now(raw: bytes, recipient: str) -> DeliveryResult:
    """Deliver with the mail settings of this moment, so a fixed set-up helps queued rows too."""
    return deliver_bytes(raw, recipient, MailSettings.from_env())


@dataclass
class MailService:
    """One queue and the worker that empties it."""

    queue: MailQueue
    worker: MailWorker

    def stop(self) -> None:
        """Stop the worker and close the database connections."""
        self.worker.stop()
        self.queue.dispose()


_lock = threading.Lock()
_services: dict[QueueSettings, MailService] = {}
_owner_pid = os.getpid()


def service(queue_settings: QueueSettings | None = None) -> MailService:
    """The running service for these settings (from the environment by default), started once.

    Blocking the first time (it creates the table): call it from a thread in async code.
    """
    global _owner_pid
    queue_settings = queue_settings or QueueSettings.from_env(environment())
    with _lock:
        if _owner_pid != os.getpid():
            # A forked server worker has no threads of its parent: it starts its own.
            _services.clear()
            _owner_pid = os.getpid()
        running = _services.get(queue_settings)
        if running is None or not running.worker.running:
            queue = MailQueue(queue_settings)
            running = MailService(queue, MailWorker(queue, deliver_now).start())
            _services[queue_settings] = running
            # The URL without its password: the log says where the queue is, not how to get in.
            logger.info(
                "Mail queue worker started on %s.",
                queue.engine.url.render_as_string(hide_password=True),
            )
        return running


def stop_all() -> None:
    """Stop every worker of this process (at exit, and after each test)."""
    with _lock:
        services = list(_services.values())
        _services.clear()
    for running in services:
        running.stop()


# A clean exit lets a send in progress finish, so it is recorded rather than sent again later.
atexit.register(stop_all)


def in_action_server() -> bool:
    """Whether this process is the action server (`python -m rasa_sdk` or `rasa run actions`)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name == "rasa_sdk.__main__":
        return True
    return Path(sys.argv[0]).name == "rasa" and sys.argv[1:3] == ["run", "actions"]


def start_in_action_server() -> bool:
    """Start the worker when this process is the action server; never raises.

    A queue that cannot be opened (a bad MAIL_QUEUE_URL, a database that is down) must not stop
    the action server: it is logged, and the first email tries again.
    """
    if not in_action_server():
        return False
    try:
        service()
    except Exception:
        logger.exception("The mail queue could not be opened; it is tried again on first use.")
        return False
    return True


async def send(conversation_id: str, recipient: str, message: bytes) -> Outcome:
    """Queue ``message`` for ``recipient``, attempt it at once, and wait a little for the result.

    Returns the outcome of the first attempt (state sent, pending or failed), or state
    ``sending`` when it took longer than MAIL_SEND_WAIT_SECONDS: the attempt goes on in its
    thread and records its own result, and the worker retries if it fails. Raises
    :class:`actions.mail_queue.RateLimited` when a limit refuses the message, and database
    errors as they come (nothing was queued then).
    """
    running = await asyncio.to_thread(service)
    queue = running.queue
    ticket = await asyncio.to_thread(queue.enqueue, conversation_id, recipient, message, claim=True)
    attempt = asyncio.ensure_future(asyncio.to_thread(queue.attempt, ticket, deliver_now))
    attempt.add_done_callback(_log_failure)
    try:
        return await asyncio.wait_for(asyncio.shield(attempt), queue.settings.send_wait)
    except asyncio.TimeoutError:
        return Outcome(ticket.id, SENDING)


def _log_failure(task: asyncio.Future) -> None:
    """Log an attempt that raised after nobody waited for it any more (its row is retried)."""
    if not task.cancelled() and task.exception() is not None:
        logger.error("A guide email attempt failed: %s", type(task.exception()).__name__)
