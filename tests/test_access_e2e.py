"""End-to-end: with no RASA_API_TOKEN, Rasa's HTTP API is not there at all.

The conversations hold health information; Rasa's API would hand any of them out by sender id
(``/conversations/<id>/tracker``). With a token set, ``scripts/run.sh`` turns the API on behind
it (tested in tests/test_run_command.py).
"""

from __future__ import annotations

import pytest
import requests

from tests.servers import MODEL

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: run `make train`"),
]


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/conversations/someone/tracker"),
        ("POST", "/conversations/someone/messages"),
        ("POST", "/model/parse"),
        ("GET", "/status"),
        ("GET", "/domain"),
    ],
)
def test_the_http_api_is_off_without_a_token(assistant, method, path):
    assistant.say("access-check", "hello")  # there is a conversation to ask for
    response = requests.request(method, f"{assistant.url}{path}", json={"text": "hi"}, timeout=10)
    assert response.status_code == 404
