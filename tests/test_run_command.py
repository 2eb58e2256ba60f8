"""`make run`'s script starts both servers, says where to chat, answers, and stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests import alexa_fixtures as fx
from tests.servers import MODEL, ROOT, TEST_SKILL_ID

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: run `make train`"),
]


def listening_hosts(port: int) -> set[str]:
    """IPv4 addresses listening on ``port``, read from /proc/net/tcp (state 0A is LISTEN)."""
    hosts = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        address, hex_port = fields[1].split(":")
        if int(hex_port, 16) == port and fields[3] == "0A":
            hosts.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return hosts


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


API_TOKEN = "run-test-token-7f3a9c"


def command_lines() -> list[str]:
    """Every process's command line, as any account on the machine can read it."""
    lines = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            lines.append(cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:  # the process ended meanwhile
            pass
    return lines


def test_run_script_serves_rest_and_keeps_the_action_server_local(tmp_path: Path):
    if port_in_use(5005) or port_in_use(5055):
        pytest.skip("ports 5005/5055 are taken by another assistant")
    env = {**os.environ, "LOG_DIR": str(tmp_path / "logs"), "SMTP_HOST": ""}
    env.pop("ALEXA_VERIFY_SIGNATURE", None)  # the default must check signatures
    env["ALEXA_SKILL_ID"] = TEST_SKILL_ID
    env["RASA_API_TOKEN"] = API_TOKEN
    process = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "run.sh")],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,  # no terminal attached
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        output = []
        for line in process.stdout:
            output.append(line)
            if "The assistant is running" in line or time.monotonic() > deadline:
                break
        assert any("The assistant is running" in line for line in output), "".join(output)[-3000:]
        # The addresses follow in the same message, which ends with how to stop.
        for line in process.stdout:
            output.append(line)
            if "Stop with Ctrl-C" in line:
                break
        reply = requests.post(
            "http://127.0.0.1:5005/webhooks/rest/webhook",
            json={"sender": "run-smoke", "message": "what is letrozole"},
            timeout=30,
        ).json()
        assert any("estrogen" in m.get("text", "") for m in reply)
        # The web chat address it prints serves the page and its socket.io client, from here.
        printed = next(line for line in output if "/webhooks/webchat/" in line)
        page_url = printed.split("http://", 1)[1].split()[0]
        page = requests.get(f"http://{page_url}", timeout=10)
        assert page.status_code == 200 and 'role="log"' in page.text
        assert "default-src 'self'" in page.headers["Content-Security-Policy"]
        client = requests.get(f"http://{page_url}vendor/socket.io.min.js", timeout=10)
        assert client.status_code == 200 and "socket.io" in client.text[:400].lower()
        # The smart speaker channel checks signatures by default: unsigned or forged requests
        # from the right skill are refused before anything reaches the assistant.
        launch = json.dumps(fx.launch(TEST_SKILL_ID, "amzn1.ask.account.x", "s")).encode()
        alexa = "http://127.0.0.1:5005/webhooks/alexa/webhook"
        forged = {
            "SignatureCertChainUrl": "https://attacker.example/echo.api/cert.pem",
            "Signature-256": "c2lnbmF0dXJl",
        }
        for headers in ({}, forged):
            refused = requests.post(alexa, data=launch, headers=headers, timeout=30)
            assert refused.status_code == 400 and "signature" in refused.json()["error"]
        # Rasa's HTTP API (conversations, the model) answers only with the token.
        status = "http://127.0.0.1:5005/status"
        assert requests.get(status, timeout=10).status_code == 401
        assert requests.get(status, params={"token": "wrong"}, timeout=10).status_code == 401
        tracker = "http://127.0.0.1:5005/conversations/run-smoke/tracker"
        assert requests.get(tracker, timeout=10).status_code == 401
        assert requests.get(status, params={"token": API_TOKEN}, timeout=10).status_code == 200
        # ...and that token is on no process's command line (`ps` shows those to everyone).
        assert not [cmd for cmd in command_lines() if API_TOKEN in cmd]
        # The action server is not reachable from other machines: it listens on loopback only.
        assert listening_hosts(5055) == {"127.0.0.1"}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    time.sleep(1)
    assert not port_in_use(5005) and not port_in_use(5055)
