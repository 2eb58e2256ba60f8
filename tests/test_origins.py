"""Which web sites may open the web chat's socket (channels/origins.py)."""

from __future__ import annotations

import pytest
import requests

from channels.origins import configured_origins, origin_allowed
from tests.servers import MODEL

ENVIRON = {"HTTP_HOST": "localhost:5005", "wsgi.url_scheme": "http"}


def test_the_page_itself_and_non_browsers_may_connect():
    assert origin_allowed("http://localhost:5005", ENVIRON, frozenset())
    assert origin_allowed(None, ENVIRON, frozenset())
    assert origin_allowed("", ENVIRON, frozenset())


def test_another_web_site_may_not():
    for origin in ("https://evil.example", "http://localhost:5006", "https://localhost:5005"):
        assert not origin_allowed(origin, ENVIRON, frozenset())


def test_configured_origins_may_connect():
    allowed = configured_origins({"ALLOWED_ORIGINS": "https://chat.example.org/, https://b.org"})
    assert allowed == {"https://chat.example.org", "https://b.org"}
    assert origin_allowed("https://CHAT.example.org", ENVIRON, allowed)
    assert not origin_allowed("https://c.org", ENVIRON, allowed)
    assert configured_origins({}) == frozenset()


def test_the_address_a_proxy_in_front_was_asked_for_counts_as_the_page():
    behind = {**ENVIRON, "HTTP_X_FORWARDED_HOST": "chat.example.org", "wsgi.url_scheme": "https"}
    behind["HTTP_X_FORWARDED_PROTO"] = "https"
    assert origin_allowed("https://chat.example.org", behind, frozenset())


@pytest.mark.e2e
@pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: run `make train`")
def test_a_socket_from_another_web_site_is_refused(assistant):
    handshake = f"{assistant.url}/socket.io/?EIO=4&transport=polling"
    refused = requests.get(handshake, headers={"Origin": "https://evil.example"}, timeout=10)
    assert refused.status_code == 400
    own = requests.get(handshake, headers={"Origin": assistant.url}, timeout=10)
    assert own.status_code == 200 and own.text.startswith("0{")
