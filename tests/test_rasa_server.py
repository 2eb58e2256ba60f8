"""scripts/rasa_server.py: Rasa's HTTP API behind a token that is not on any command line."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "rasa_server.py"
spec = importlib.util.spec_from_file_location("rasa_server", SCRIPT)
rasa_server = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rasa_server)

ARGS = ["--model", "m.tar.gz", "--port", "5005"]


def test_no_token_keeps_the_api_off():
    assert rasa_server.rasa_arguments(ARGS, {}) == ["rasa", "run", *ARGS]
    assert rasa_server.rasa_arguments(ARGS, {"RASA_API_TOKEN": "  "}) == ["rasa", "run", *ARGS]


def test_a_token_turns_the_api_on_behind_it():
    argv = rasa_server.rasa_arguments(ARGS, {"RASA_API_TOKEN": "s3cret"})
    assert argv == ["rasa", "run", *ARGS, "--enable-api", "--auth-token", "s3cret"]


@pytest.mark.parametrize("given", [["--auth-token", "x"], ["--auth-token=x"]])
def test_a_token_on_the_command_line_is_refused(given):
    with pytest.raises(SystemExit, match="RASA_API_TOKEN"):
        rasa_server.rasa_arguments([*ARGS, *given], {})
