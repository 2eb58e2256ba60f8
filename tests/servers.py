"""Start the real servers for end-to-end tests: aiosmtpd, the action server and the Rasa server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import requests
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "mbc-guide.tar.gz"
# The store the product uses (scripts/endpoints.py), so the tests see what people would.
SQL_STORE = "stores.tracker_store.DurableSQLTrackerStore"
TEST_SKILL_ID = "amzn1.ask.skill.00000000-test-4000-8000-000000000000"
# The e2e servers take unsigned requests; the signature path is tested in test_alexa_verify.py.
ALEXA_TEST_ENV = {"ALEXA_SKILL_ID": TEST_SKILL_ID, "ALEXA_VERIFY_SIGNATURE": "false"}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class MailCatcher:
    """Collects every message the real SMTP server receives."""

    messages: list[tuple[str, list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content))
        )
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 20.0) -> list[tuple[str, list[str], Message]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.1)
        return self.messages


def start_smtp(port: int | None = None) -> tuple[Controller, MailCatcher]:
    """A real aiosmtpd server on a loopback port (a free one unless ``port`` is given)."""
    catcher = MailCatcher()
    controller = Controller(catcher, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    return controller, catcher


def wait_http(url: str, process: subprocess.Popen, log: Path, timeout: float = 240.0) -> None:
    """Wait until ``url`` answers; fail with the server's log if it dies or never answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"server did not start in {timeout} s:\n{log.read_text()[-4000:]}")


@dataclass
class Assistant:
    """The action server and the Rasa server, started as a person's `make run` would."""

    workdir: Path
    env: dict[str, str]
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def endpoints_file(self) -> Path:
        path = self.workdir / "endpoints.yml"
        path.write_text(
            f'action_endpoint:\n  url: "http://127.0.0.1:{self.action_port}/webhook"\n'
            f"tracker_store:\n  type: {SQL_STORE}\n"
            f'  dialect: "sqlite"\n  db: "{self.workdir}/tracker.db"\n'
            "lock_store:\n  type: in_memory\n"
        )
        return path

    def _env(self) -> dict[str, str]:
        env = {**os.environ, **self.env, "SANIC_HOST": "127.0.0.1"}
        # The mail queue's database sits beside the tracker's, in this assistant's own folder,
        # so tests and benchmarks never share one (or the project's) queue.
        env["MAIL_QUEUE_URL"] = self.env.get(
            "MAIL_QUEUE_URL", f"sqlite:///{self.workdir / 'mail_queue.db'}"
        )
        env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
        return env

    def _spawn_actions(self) -> subprocess.Popen:
        log = self.workdir / "actions.log"
        command = ["-m", "rasa_sdk", "--actions", "actions", "--port", str(self.action_port)]
        return subprocess.Popen(
            [str(BIN / "python"), *command],
            cwd=ROOT,
            env=self._env(),
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
        )

    def start(self) -> Assistant:
        rasa_log = self.workdir / "rasa.log"
        actions = self._spawn_actions()
        self.processes.append(actions)
        rasa = subprocess.Popen(
            [
                str(BIN / "rasa"),
                "run",
                "--model",
                str(MODEL),
                "--port",
                str(self.rasa_port),
                "--credentials",
                str(ROOT / "credentials.yml"),
                "--endpoints",
                str(self.endpoints_file()),
            ],
            cwd=ROOT,
            env=self._env(),
            stdout=rasa_log.open("a"),
            stderr=subprocess.STDOUT,
        )
        self.processes.append(rasa)
        try:
            self._wait_actions(actions)
            wait_http(f"{self.url}/", rasa, rasa_log)
        except Exception:
            self.stop()  # leave no server behind when one of them fails to start
            raise
        return self

    def _wait_actions(self, actions: subprocess.Popen) -> None:
        url = f"http://127.0.0.1:{self.action_port}/health"
        wait_http(url, actions, self.workdir / "actions.log")

    def stop_actions(self) -> None:
        """Stop the action server only (a fault test); the Rasa server keeps running."""
        actions = self.processes[0]
        actions.terminate()
        actions.wait(timeout=20)

    def restart_actions(self) -> None:
        """Start the action server again on the same port, and wait until it answers."""
        actions = self._spawn_actions()
        self.processes[0] = actions
        self._wait_actions(actions)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def say(self, sender: str, message: Any, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Send one message over the REST channel; returns the bot's messages."""
        response = requests.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=timeout,
        )
        response.raise_for_status()
        return response.json()

    def alexa(self, envelope: Any, raw: bytes | None = None) -> requests.Response:
        """POST one Alexa request (a dict, or raw bytes) to the smart-speaker channel."""
        return requests.post(
            f"{self.url}/webhooks/alexa/webhook",
            data=raw if raw is not None else json.dumps(envelope),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )

    def text(self, sender: str, message: Any) -> str:
        """The bot's reply as one lower-cased string, for assertions."""
        return "\n".join(m.get("text", "") for m in self.say(sender, message)).lower()


def environment_for_mail(smtp_port: int | None, outbox: Path) -> dict[str, str]:
    """The mail settings of the environment contract, pointing at the test's SMTP server."""
    env = {"OUTBOX_DIR": str(outbox), "MAIL_FROM": "guide@test.example"}
    if smtp_port:
        env.update({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMTP_SECURITY": "none"})
    else:
        env["SMTP_HOST"] = ""
    return env
