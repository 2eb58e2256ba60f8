"""The durable mail queue: delivery to a real aiosmtpd server, backoff, claims, limits, privacy."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from actions import mail_service
from actions.mail_queue import (
    FAILED,
    PENDING,
    SENDING,
    SENT,
    MailQueue,
    MailWorker,
    QueueSettings,
    RateLimited,
)
from actions.mailer import GuideEntry, MailSettings, compose_guide_email, deliver_bytes
from tests.servers import free_port

ADDRESS = "sam.rivera@example.org"
QUESTION = "How long will I take letrozole?"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Collecting:
    """aiosmtpd handler that keeps every envelope it receives (thread-safe enough: appends)."""

    def __init__(self, refuse: bool = False) -> None:
        self.envelopes: list[Envelope] = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.refuse:
            # Real servers echo the address in their refusal: it must not reach the logs.
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Envelope]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.envelopes) < count:
            time.sleep(0.05)
        return self.envelopes


def start_smtp(port: int, refuse: bool = False) -> tuple[Controller, Collecting]:
    handler = Collecting(refuse=refuse)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, handler


@pytest.fixture
def smtp() -> Iterator[tuple[Collecting, int]]:
    port = free_port()
    controller, handler = start_smtp(port)
    try:
        yield handler, port
    finally:
        controller.stop()


def smtp_settings(port: int) -> MailSettings:
    return MailSettings(
        host="127.0.0.1", port=port, security="none", mail_from="guide@test.example", timeout=5
    )


def sender(port: int):
    """A deliver function for the queue: real SMTP to 127.0.0.1:port."""
    settings = smtp_settings(port)
    return lambda raw, to: deliver_bytes(raw, to, settings)


def guide_bytes(to: str = ADDRESS) -> bytes:
    message = compose_guide_email(
        to, [GuideEntry("hormone_therapy", QUESTION)], MailSettings(mail_from="guide@test.example")
    )
    return message.as_bytes()


def our_logs(caplog: pytest.LogCaptureFixture) -> str:
    """Everything logged in this process except by the test's own mail server (aiosmtpd)."""
    return "\n".join(
        f"{record.levelname} {record.name} {record.getMessage()} {record.exc_text or ''}"
        for record in caplog.records
        if not record.name.startswith("mail.log")
    )


def queue_at(path: Path, clock: Clock | None = None, **overrides) -> MailQueue:
    settings = QueueSettings(url=f"sqlite:///{path / 'queue.db'}", **overrides)
    return MailQueue(settings, clock=clock or Clock())


# --- delivering -------------------------------------------------------------------------------


def test_enqueue_then_deliver_once_and_erase_the_address(tmp_path, smtp):
    handler, port = smtp
    queue = queue_at(tmp_path)
    ticket = queue.enqueue("conversation-1", ADDRESS, guide_bytes())
    status = queue.status(ticket.id)
    assert status.state == PENDING and status.has_recipient and status.has_message

    outcomes = queue.run_once(sender(port))
    assert [o.state for o in outcomes] == [SENT]
    assert len(handler.envelopes) == 1
    assert handler.envelopes[0].rcpt_tos == [ADDRESS]
    assert QUESTION.encode() in handler.envelopes[0].content

    status = queue.status(ticket.id)
    assert status.state == SENT and status.sent_at is not None
    assert not status.has_recipient and not status.has_message
    assert queue.run_once(sender(port)) == []  # nothing left: sent exactly once
    assert len(handler.envelopes) == 1


def test_the_address_is_not_in_the_database_file_after_sending(tmp_path, smtp):
    handler, port = smtp
    queue = queue_at(tmp_path)
    queue.enqueue("conversation-1", ADDRESS, guide_bytes())
    queue.run_once(sender(port))
    queue.dispose()
    # The file itself, free pages included: SQLite's secure_delete overwrites the old values.
    data = (tmp_path / "queue.db").read_bytes()
    for secret in (ADDRESS, "conversation-1", QUESTION):
        assert secret.encode() not in data


def test_backoff_doubles_up_to_the_cap_with_an_injected_clock(tmp_path):
    clock = Clock()
    queue = queue_at(tmp_path, clock, retry_first=30, retry_max=120)
    deliver = sender(free_port())  # nobody listens: connection refused
    ticket = queue.enqueue("c", ADDRESS, guide_bytes())

    waits = []
    for _ in range(5):
        outcomes = queue.run_once(deliver)
        assert [o.state for o in outcomes] == [PENDING]
        status = queue.status(ticket.id)
        wait = status.next_attempt_at - clock()
        waits.append(wait)
        clock.advance(wait - 1)
        assert queue.run_once(deliver) == [], "not due a second early"
        clock.advance(1)
    assert waits == [30, 60, 120, 120, 120]
    status = queue.status(ticket.id)
    assert status.attempts == 5 and status.has_recipient
    assert status.last_error and "ConnectionRefused" in status.last_error


def test_backoff_defaults():
    settings = QueueSettings()
    assert [settings.backoff(n) for n in (1, 2, 3, 4, 5, 6, 7)] == [
        30,
        60,
        120,
        240,
        480,
        600,
        600,
    ]


def test_gives_up_after_the_time_limit_and_keeps_nothing_sensitive(tmp_path):
    clock = Clock()
    queue = queue_at(tmp_path, clock, retry_first=3600, retry_max=3600, give_up_after=3 * 3600)
    deliver = sender(free_port())
    ticket = queue.enqueue("c", ADDRESS, guide_bytes())
    states = []
    for _ in range(4):
        states += [o.state for o in queue.run_once(deliver)]
        clock.advance(3600)
    assert states == [PENDING, PENDING, PENDING, FAILED]
    status = queue.status(ticket.id)
    assert status.state == FAILED and not status.has_recipient and not status.has_message
    clock.advance(7 * 24 * 3600)
    assert queue.run_once(deliver) == []


def test_gives_up_after_the_attempt_limit(tmp_path):
    clock = Clock()
    queue = queue_at(tmp_path, clock, max_attempts=2)
    deliver = sender(free_port())
    queue.enqueue("c", ADDRESS, guide_bytes())
    assert [o.state for o in queue.run_once(deliver)] == [PENDING]
    clock.advance(60)
    assert [o.state for o in queue.run_once(deliver)] == [FAILED]


def test_a_refused_address_fails_at_once_and_the_logs_never_show_it(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    port = free_port()
    controller, handler = start_smtp(port, refuse=True)
    try:
        queue = queue_at(tmp_path)
        ticket = queue.enqueue("c", ADDRESS, guide_bytes())
        outcomes = queue.run_once(sender(port))
    finally:
        controller.stop()
    assert [o.state for o in outcomes] == [FAILED]
    status = queue.status(ticket.id)
    assert not status.has_recipient and ADDRESS not in (status.last_error or "")
    logs = our_logs(caplog)
    assert ADDRESS not in logs and QUESTION not in logs
    assert "given up" in logs


def test_info_logs_carry_no_address_and_no_message_text(tmp_path, smtp, caplog):
    caplog.set_level(logging.INFO)
    handler, port = smtp
    clock = Clock()
    queue = queue_at(tmp_path, clock, per_conversation=1)
    queue.enqueue("conversation-1", ADDRESS, guide_bytes())
    queue.run_once(sender(free_port()))  # a failed attempt first
    clock.advance(30)
    queue.run_once(sender(port))
    with pytest.raises(RateLimited):
        queue.enqueue("conversation-1", ADDRESS, guide_bytes())
    assert len(handler.envelopes) == 1
    logs = our_logs(caplog)
    assert "queued" in logs and "sent via smtp" in logs
    assert "next try in 30 s" in logs
    for secret in (ADDRESS, "sam.rivera", QUESTION, "conversation-1"):
        assert secret not in logs


# --- two workers, dead workers, restarts ----------------------------------------------------


def test_two_workers_racing_deliver_each_message_once(tmp_path, smtp):
    handler, port = smtp
    first = queue_at(tmp_path, per_conversation=0, per_address=0)
    second = queue_at(tmp_path, per_conversation=0, per_address=0)
    for number in range(12):
        first.enqueue(f"c{number}", f"person{number}@example.org", guide_bytes())

    start = threading.Barrier(4)
    outcomes = []

    def work(queue: MailQueue) -> None:
        start.wait()
        outcomes.extend(queue.run_once(sender(port)))

    threads = [threading.Thread(target=work, args=(q,)) for q in (first, second, first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    recipients = sorted(r for envelope in handler.envelopes for r in envelope.rcpt_tos)
    assert recipients == sorted(f"person{n}@example.org" for n in range(12))
    assert len([o for o in outcomes if o.state == SENT]) == 12


def test_only_one_claim_wins(tmp_path):
    first = queue_at(tmp_path)
    second = queue_at(tmp_path)
    ticket = first.enqueue("c", ADDRESS, guide_bytes())
    assert first.claim(ticket.id) is not None
    assert second.claim(ticket.id) is None
    assert first.claim(ticket.id) is None


def test_a_row_held_by_a_dead_worker_is_reclaimed_after_the_lease(tmp_path, smtp):
    handler, port = smtp
    clock = Clock()
    dead = queue_at(tmp_path, clock, lease=300)
    alive = queue_at(tmp_path, clock, lease=300)
    ticket = dead.enqueue("c", ADDRESS, guide_bytes())
    stale = dead.claim(ticket.id)  # ... and the worker dies before sending
    assert alive.status(ticket.id).state == SENDING

    clock.advance(299)
    assert alive.run_once(sender(port)) == []
    clock.advance(2)
    assert [o.state for o in alive.run_once(sender(port))] == [SENT]
    assert len(handler.envelopes) == 1

    # The dead worker's late attempt finds its claim gone and sends nothing.
    late = dead.attempt(stale, sender(port))
    assert late.state == SENT and len(handler.envelopes) == 1


def test_a_claim_held_by_the_caller_is_not_taken_by_a_worker_during_its_lease(tmp_path, smtp):
    handler, port = smtp
    clock = Clock()
    queue = queue_at(tmp_path, clock)
    ticket = queue.enqueue("c", ADDRESS, guide_bytes(), claim=True)
    assert queue.run_once(sender(port)) == []
    assert queue.attempt(ticket, sender(port)).state == SENT
    assert len(handler.envelopes) == 1


def test_a_new_queue_on_the_same_file_delivers_what_the_old_one_left(tmp_path):
    clock = Clock()
    port = free_port()
    before = queue_at(tmp_path, clock)
    waiting = before.enqueue("c1", ADDRESS, guide_bytes())
    before.run_once(sender(port))  # the mail server is down: it waits for a retry
    held = before.enqueue("c2", "jo@example.com", guide_bytes("jo@example.com"), claim=True)
    before.dispose()  # the server stops (the held claim was never attempted)

    controller, handler = start_smtp(port)
    try:
        after = queue_at(tmp_path, clock)
        clock.advance(QueueSettings().lease + 1)
        worker = MailWorker(after, sender(port), poll_interval=0.1).start()
        try:
            received = handler.wait_for(2)
            time.sleep(0.5)  # any second copy would arrive now
        finally:
            worker.stop()
    finally:
        controller.stop()
    assert sorted(r for e in received for r in e.rcpt_tos) == ["jo@example.com", ADDRESS]
    assert len(handler.envelopes) == 2
    assert after.status(waiting.id).state == SENT and after.status(held.id).state == SENT


def test_a_mail_server_that_comes_back_gets_the_message_exactly_once(tmp_path):
    port = free_port()
    queue = MailQueue(
        QueueSettings(url=f"sqlite:///{tmp_path / 'queue.db'}", retry_first=0.2, retry_max=0.4)
    )
    worker = MailWorker(queue, sender(port), poll_interval=0.1).start()
    try:
        ticket = queue.enqueue("c", ADDRESS, guide_bytes())
        worker.wake()
        deadline = time.monotonic() + 10
        while queue.status(ticket.id).attempts < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert queue.status(ticket.id).attempts >= 2, "it kept trying while the server was down"
        assert queue.status(ticket.id).state in (PENDING, SENDING)

        controller, handler = start_smtp(port)  # the mail server is back, on the same port
        try:
            assert len(handler.wait_for(1)) == 1
            time.sleep(1.0)
            assert len(handler.envelopes) == 1
            assert handler.envelopes[0].rcpt_tos == [ADDRESS]
        finally:
            controller.stop()
        status = queue.status(ticket.id)
        assert status.state == SENT and not status.has_recipient and not status.has_message
    finally:
        worker.stop()


# --- rate limits ----------------------------------------------------------------------------


def test_per_conversation_limit_in_an_hour(tmp_path):
    clock = Clock()
    queue = queue_at(tmp_path, clock)
    for number in range(3):
        queue.enqueue("talk", f"p{number}@example.org", guide_bytes())
    with pytest.raises(RateLimited) as refused:
        queue.enqueue("talk", "p9@example.org", guide_bytes())
    assert refused.value.kind == "conversation" and refused.value.limit == 3
    queue.enqueue("another talk", "p9@example.org", guide_bytes())
    clock.advance(3601)
    queue.enqueue("talk", "p9@example.org", guide_bytes())


def test_per_address_limit_in_a_day_across_conversations_and_spellings(tmp_path):
    clock = Clock()
    queue = queue_at(tmp_path, clock)
    spellings = [ADDRESS, ADDRESS.upper(), "sam.rivera+guide@example.org", ADDRESS, ADDRESS]
    for number, spelling in enumerate(spellings):
        queue.enqueue(f"talk {number}", spelling, guide_bytes())
    with pytest.raises(RateLimited) as refused:
        queue.enqueue("talk 9", "Sam.Rivera+x@Example.org", guide_bytes())
    assert refused.value.kind == "address"
    queue.enqueue("talk 9", "someone.else@example.org", guide_bytes())
    clock.advance(24 * 3600 + 1)
    queue.enqueue("talk 10", ADDRESS, guide_bytes())


def test_limits_hold_across_queues_on_one_database(tmp_path):
    first = queue_at(tmp_path)
    for number in range(3):
        first.enqueue("talk", f"p{number}@example.org", guide_bytes())
    with pytest.raises(RateLimited):
        queue_at(tmp_path).enqueue("talk", "p9@example.org", guide_bytes())


def test_a_limit_of_zero_switches_it_off(tmp_path):
    queue = queue_at(tmp_path, per_conversation=0, per_address=0)
    for _ in range(10):
        queue.enqueue("talk", ADDRESS, guide_bytes())


def test_old_records_are_purged(tmp_path, smtp):
    handler, port = smtp
    clock = Clock()
    queue = queue_at(tmp_path, clock)
    ticket = queue.enqueue("talk", ADDRESS, guide_bytes())
    queue.run_once(sender(port))
    clock.advance(24 * 3600 + 1)
    assert queue.purge() == 1
    assert queue.status(ticket.id) is None


def test_the_hash_key_from_the_environment_is_used(tmp_path):
    keyed = queue_at(tmp_path, hash_key="k1")
    other = MailQueue(
        QueueSettings(url=f"sqlite:///{tmp_path / 'other.db'}", hash_key="k1"), clock=Clock()
    )
    assert keyed._hash("address", ADDRESS) == other._hash("address", ADDRESS)
    assert keyed._hash("address", ADDRESS) != queue_at(tmp_path)._hash("address", ADDRESS)


# --- settings -------------------------------------------------------------------------------


def test_settings_from_the_environment():
    settings = QueueSettings.from_env(
        {
            "MAIL_QUEUE_URL": "postgresql://u@db/mail",
            "MAIL_RETRY_FIRST_SECONDS": "10",
            "MAIL_RETRY_MAX_SECONDS": "100",
            "MAIL_GIVE_UP_HOURS": "2",
            "MAIL_LIMIT_PER_CONVERSATION": "1",
            "MAIL_LIMIT_PER_ADDRESS": "0",
            "MAIL_HASH_KEY": " secret ",
            "MAIL_SEND_WAIT_SECONDS": "1.5",
        }
    )
    assert settings.url == "postgresql://u@db/mail"
    assert (settings.retry_first, settings.retry_max, settings.give_up_after) == (10, 100, 7200)
    assert (settings.per_conversation, settings.per_address) == (1, 0)
    assert settings.hash_key == "secret" and settings.send_wait == 1.5
    assert QueueSettings.from_env({}) == QueueSettings()


@pytest.mark.parametrize(
    "name, value", [("MAIL_RETRY_FIRST_SECONDS", "soon"), ("MAIL_LIMIT_PER_ADDRESS", "-1")]
)
def test_settings_refuse_bad_values(name, value):
    with pytest.raises(ValueError, match=name):
        QueueSettings.from_env({name: value})


# --- the service the action uses --------------------------------------------------------------


@pytest.fixture
def mail_env(monkeypatch, tmp_path) -> Path:
    monkeypatch.setenv("MAIL_FROM", "guide@test.example")
    monkeypatch.setenv("SMTP_SECURITY", "none")
    monkeypatch.setenv("OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("MAIL_QUEUE_URL", f"sqlite:///{tmp_path / 'queue.db'}")
    return tmp_path


async def test_send_reports_sent_when_the_server_answers(mail_env, monkeypatch, smtp):
    handler, port = smtp
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    outcome = await mail_service.send("talk", ADDRESS, guide_bytes())
    assert outcome.state == SENT and outcome.via == "smtp"
    assert len(handler.envelopes) == 1


async def test_send_reports_pending_when_the_server_is_down(mail_env, monkeypatch):
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(free_port()))
    outcome = await mail_service.send("talk", ADDRESS, guide_bytes())
    assert outcome.state == PENDING and outcome.retry_in == 30


async def test_send_writes_the_outbox_without_a_mail_server(mail_env, monkeypatch):
    monkeypatch.setenv("SMTP_HOST", "")
    outcome = await mail_service.send("talk", ADDRESS, guide_bytes())
    assert outcome.state == SENT and outcome.via == "outbox"
    assert QUESTION.encode() in Path(outcome.path).read_bytes()


async def test_send_raises_when_rate_limited(mail_env, monkeypatch):
    monkeypatch.setenv("SMTP_HOST", "")
    monkeypatch.setenv("MAIL_LIMIT_PER_CONVERSATION", "1")
    await mail_service.send("talk", ADDRESS, guide_bytes())
    with pytest.raises(RateLimited):
        await mail_service.send("talk", ADDRESS, guide_bytes())


def test_tests_are_not_the_action_server():
    assert not mail_service.in_action_server()
    assert mail_service.start_in_action_server() is False


async def test_a_slow_first_attempt_answers_queued_and_still_finishes(mail_env, monkeypatch):
    class Slow(Collecting):
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            await asyncio.sleep(1.5)
            return await super().handle_DATA(server, session, envelope)

    handler = Slow()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(controller.port))
    monkeypatch.setenv("MAIL_SEND_WAIT_SECONDS", "0.3")
    try:
        outcome = await mail_service.send("talk", ADDRESS, guide_bytes())
        assert outcome.state == SENDING, "the person hears it is queued, not a long silence"
        queue = mail_service.service().queue
        deadline = time.monotonic() + 10
        while queue.status(outcome.id).state != SENT and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert queue.status(outcome.id).state == SENT
        assert len(handler.envelopes) == 1
    finally:
        controller.stop()
