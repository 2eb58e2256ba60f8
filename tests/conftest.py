"""Shared fixtures: one real SMTP server and one assistant (Rasa + action server) per session.

Starting the servers takes about half a minute, so every end-to-end module shares them.
"""

from __future__ import annotations

import pytest

from actions import mail_service
from tests.servers import ALEXA_TEST_ENV, Assistant, environment_for_mail, start_smtp


@pytest.fixture(scope="session")
def smtp():
    controller, catcher = start_smtp()
    yield controller, catcher
    controller.stop()


@pytest.fixture(scope="session")
def assistant(tmp_path_factory, smtp):
    controller, _ = smtp
    workdir = tmp_path_factory.mktemp("assistant")
    env = {**environment_for_mail(controller.port, workdir / "outbox"), **ALEXA_TEST_ENV}
    bot = Assistant(workdir, env).start()
    yield bot
    bot.stop()


@pytest.fixture(autouse=True)
def mail_queue_in_tmp(tmp_path_factory, monkeypatch):
    """Every test's mail queue is a fresh SQLite file, and no mail worker outlives its test."""
    folder = tmp_path_factory.mktemp("mail_queue")
    monkeypatch.setenv("MAIL_QUEUE_URL", f"sqlite:///{folder / 'mail_queue.db'}")
    yield
    mail_service.stop_all()
