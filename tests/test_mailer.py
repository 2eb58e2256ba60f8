"""The guide email: settings, composition, and delivery to a real local SMTP server."""

from __future__ import annotations

import dataclasses
import datetime
import email
import email.policy
import html
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

from actions.content.catalog import catalog
from actions.mailer import (
    GENERAL_GROUP,
    DeliveryResult,
    GuideEntry,
    MailSettings,
    compose_guide_email,
    deliver,
    deliver_async,
    deliver_bytes,
    scrub_addresses,
)

ENV_NAMES = (
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_SECURITY",
    "MAIL_FROM",
    "OUTBOX_DIR",
    "SMTP_TIMEOUT",
    "SMTP_CA_FILE",
)


# --- helpers and fixtures -------------------------------------------------------------------


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class CollectingHandler:
    """aiosmtpd handler that keeps every envelope it receives."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def parts(message: EmailMessage) -> tuple[str, str]:
    """The decoded plain text and HTML bodies."""
    plain = message.get_body(preferencelist=("plain",))
    rich = message.get_body(preferencelist=("html",))
    assert plain is not None and rich is not None
    return plain.get_content(), rich.get_content()


@pytest.fixture
def smtp_server() -> Iterator[tuple[CollectingHandler, int]]:
    """A real SMTP server on 127.0.0.1 and a free port, with no TLS and no login."""
    handler = CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


@pytest.fixture
def entries() -> list[GuideEntry]:
    return [
        GuideEntry(family=None, text="Can I keep working during treatment?"),
        GuideEntry(family="targeted_therapy", text="Is my cancer HER2-positive?"),
        GuideEntry(family="hormone_therapy", text="How long will I take letrozole?"),
        GuideEntry(family=GENERAL_GROUP, text="What are my ER, PR and HER2 results?"),
        GuideEntry(family="hormone_therapy", text="What side effects should I watch for?"),
    ]


@pytest.fixture
def outbox_settings(tmp_path: Path) -> MailSettings:
    return MailSettings(outbox_dir=tmp_path / "outbox")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No mail variables in the environment; the working folder is an empty tmp folder."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, used by the server and trusted as the CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = folder / "cert.pem"
    key_path = folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


# --- settings -------------------------------------------------------------------------------


def test_settings_defaults_without_host() -> None:
    settings = MailSettings.from_env({})
    assert settings.host is None
    assert settings.security == "none"
    assert settings.port == 25
    assert settings.mail_from == "guide@localhost"
    assert settings.outbox_dir == Path("outbox")
    assert settings.timeout == 15.0


@pytest.mark.parametrize(("security", "port"), [("none", 25), ("starttls", 587), ("TLS", 465)])
def test_settings_default_port_follows_security(security: str, port: int) -> None:
    settings = MailSettings.from_env({"SMTP_HOST": "mail.example.org", "SMTP_SECURITY": security})
    assert settings.port == port
    assert settings.security == security.lower()


def test_settings_read_every_variable() -> None:
    settings = MailSettings.from_env(
        {
            "SMTP_HOST": "mail.example.org",
            "SMTP_PORT": "2525",
            "SMTP_USERNAME": "guide",
            "SMTP_PASSWORD": "s3cret pass",
            "SMTP_SECURITY": "starttls",
            "MAIL_FROM": "guide@example.org",
            "OUTBOX_DIR": "/tmp/elsewhere",
            "SMTP_TIMEOUT": "2.5",
        }
    )
    assert settings.host == "mail.example.org"
    assert settings.port == 2525
    assert settings.username == "guide"
    assert settings.password == "s3cret pass"
    assert settings.mail_from == "guide@example.org"
    assert settings.outbox_dir == Path("/tmp/elsewhere")
    assert settings.timeout == 2.5
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"SMTP_HOST": "h", "SMTP_SECURITY": "ssl3"}, "SMTP_SECURITY"),
        ({"SMTP_HOST": "h", "SMTP_PORT": "twenty"}, "SMTP_PORT"),
        ({"SMTP_HOST": "h", "SMTP_PORT": "70000"}, "SMTP_PORT"),
        ({"SMTP_TIMEOUT": "soon"}, "SMTP_TIMEOUT"),
    ],
)
def test_settings_refuse_bad_values(variables: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MailSettings.from_env(variables)


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        MailSettings().host = "x"  # type: ignore[misc]


def test_settings_load_dotenv_without_overriding_environment(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_env / ".env").write_text(
        "SMTP_HOST=mail.from-file.org\nMAIL_FROM=file@example.org\nSMTP_SECURITY=starttls\n"
    )
    monkeypatch.setenv("MAIL_FROM", "real@example.org")
    settings = MailSettings.from_env()
    assert settings.host == "mail.from-file.org"
    assert settings.port == 587
    assert settings.mail_from == "real@example.org"


def test_settings_ignore_dotenv_when_environ_is_given(clean_env: Path) -> None:
    (clean_env / ".env").write_text("SMTP_HOST=mail.from-file.org\n")
    assert MailSettings.from_env({}).host is None


# --- composing ------------------------------------------------------------------------------


def test_compose_has_plain_and_html_parts(
    entries: list[GuideEntry], outbox_settings: MailSettings
) -> None:
    message = compose_guide_email("Sam@Example.ORG", entries, outbox_settings)
    assert message["Subject"] == "Your Doctor Discussion Guide"
    assert message["To"] == "Sam@example.org"
    assert message["From"] == "guide@localhost"
    assert message["Message-ID"]
    assert message.get_content_type() == "multipart/alternative"
    plain, rich = parts(message)
    assert "How long will I take letrozole?" in plain
    assert "How long will I take letrozole?" in rich


def test_compose_groups_in_family_order_with_own_questions_last(
    entries: list[GuideEntry], outbox_settings: MailSettings
) -> None:
    content = catalog()
    hormone = content.family("hormone_therapy").name
    targeted = content.family("targeted_therapy").name
    plain, rich = parts(compose_guide_email("sam@example.org", entries, outbox_settings))
    lowered = plain.lower()
    hormone_at = lowered.index(hormone.lower())
    targeted_at = lowered.index(targeted.lower())
    general_at = plain.index("What are my ER, PR and HER2 results?")
    own_title_at = plain.index("Your own questions")
    assert hormone_at < targeted_at < general_at < own_title_at
    assert plain.index("Can I keep working during treatment?") > own_title_at
    # One numbering across the whole guide: the person can say "question 4" to the doctor.
    assert "1. How long will I take letrozole?" in plain
    assert "2. What side effects should I watch for?" in plain
    assert "3. Is my cancer HER2-positive?" in plain
    assert "5. Can I keep working during treatment?" in plain
    assert '<ol start="3">' in rich
    assert "Your own questions" in rich


def test_compose_escapes_user_text_in_html(outbox_settings: MailSettings) -> None:
    attack = '<script>alert("x")</script> & more'
    message = compose_guide_email(
        "sam@example.org", [GuideEntry(family=None, text=attack)], outbox_settings
    )
    plain, rich = parts(message)
    assert "<script>" not in rich
    assert html.escape(attack) in rich
    assert attack in plain


def test_compose_adds_disclaimer_review_date_and_sources(
    entries: list[GuideEntry], outbox_settings: MailSettings
) -> None:
    content = catalog()
    plain, rich = parts(compose_guide_email("sam@example.org", entries, outbox_settings))
    reviewed = "Reviewed December 11, 2017 by Laura J. Martin, MD"
    for body, wrap in ((plain, str), (rich, html.escape)):
        assert wrap(content.disclaimer) in body
        assert wrap(reviewed) in body
        sources = content.sources_text()
        assert sources
        for source in sources:
            assert wrap(source) in body
        # The questions come before the closing notes.
        assert body.index(wrap(reviewed)) > body.index("letrozole")


def test_compose_drops_blank_and_repeated_questions(outbox_settings: MailSettings) -> None:
    plain, _ = parts(
        compose_guide_email(
            "sam@example.org",
            [
                GuideEntry(family=None, text="Is it safe to travel?"),
                GuideEntry(family=None, text="  is it safe   to travel? "),
                GuideEntry(family=None, text="   "),
            ],
            outbox_settings,
        )
    )
    assert plain.count("safe to travel") == 1
    assert "2." not in plain.split("Your own questions")[1].split("\n\n")[0]


def test_compose_refuses_bad_recipient_and_empty_guide(
    entries: list[GuideEntry], outbox_settings: MailSettings
) -> None:
    with pytest.raises(ValueError):
        compose_guide_email("a@x.com\nBcc: b@y.com", entries, outbox_settings)
    with pytest.raises(ValueError):
        compose_guide_email("a@x.com, b@y.com", entries, outbox_settings)
    with pytest.raises(ValueError):
        compose_guide_email("sam@example.org", [], outbox_settings)


# --- delivering -----------------------------------------------------------------------------


def test_deliver_by_smtp(
    smtp_server: tuple[CollectingHandler, int], entries: list[GuideEntry]
) -> None:
    handler, port = smtp_server
    settings = MailSettings(host="127.0.0.1", port=port, timeout=5, mail_from="guide@example.org")
    message = compose_guide_email("sam.rivera@example.org", entries, settings)
    result = deliver(message, settings)
    assert result == DeliveryResult(sent=True, via="smtp", path=None, error=None)
    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    assert envelope.rcpt_tos == ["sam.rivera@example.org"]
    assert envelope.mail_from == "guide@example.org"
    assert isinstance(envelope.original_content, bytes)
    received = parse(envelope.original_content)
    assert received["Subject"] == "Your Doctor Discussion Guide"
    plain, rich = parts(received)
    assert "How long will I take letrozole?" in plain
    assert "<ol" in rich


def test_deliver_to_closed_port_reports_failure(entries: list[GuideEntry]) -> None:
    settings = MailSettings(host="127.0.0.1", port=free_port(), timeout=2)
    message = compose_guide_email("sam@example.org", entries, settings)
    result = deliver(message, settings)
    assert result.sent is False
    assert result.via == "smtp"
    assert result.error
    assert len(result.error) <= 200


def test_deliver_to_outbox_writes_parseable_eml(
    entries: list[GuideEntry], outbox_settings: MailSettings
) -> None:
    message = compose_guide_email("sam@example.org", entries, outbox_settings)
    result = deliver(message, outbox_settings)
    assert result.sent is True
    assert result.via == "outbox"
    assert result.error is None
    assert result.path is not None
    path = Path(result.path)
    assert path.parent == outbox_settings.outbox_dir
    assert path.suffix == ".eml"
    # Health information: only the owner may read the file.
    assert path.stat().st_mode & 0o077 == 0
    saved = parse(path.read_bytes())
    assert saved["To"] == "sam@example.org"
    plain, rich = parts(saved)
    assert "How long will I take letrozole?" in plain
    assert "How long will I take letrozole?" in rich
    # Two messages never share a file name.
    second = deliver(message, outbox_settings)
    assert second.path != result.path


def test_deliver_to_unwritable_outbox_reports_failure(
    tmp_path: Path, entries: list[GuideEntry]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    settings = MailSettings(outbox_dir=blocker / "outbox")
    result = deliver(compose_guide_email("sam@example.org", entries, settings), settings)
    assert result.sent is False
    assert result.via == "outbox"
    assert result.error


@pytest.mark.asyncio
async def test_deliver_async_by_smtp(
    smtp_server: tuple[CollectingHandler, int], entries: list[GuideEntry]
) -> None:
    handler, port = smtp_server
    settings = MailSettings(host="127.0.0.1", port=port, timeout=5)
    message = compose_guide_email("sam@example.org", entries, settings)
    result = await deliver_async(message, settings)
    assert result.sent is True
    assert [envelope.rcpt_tos for envelope in handler.envelopes] == [["sam@example.org"]]


@pytest.mark.asyncio
async def test_deliver_async_to_outbox(
    entries: list[GuideEntry], outbox_settings: MailSettings
) -> None:
    message = compose_guide_email("sam@example.org", entries, outbox_settings)
    result = await deliver_async(message, outbox_settings)
    assert result.sent is True
    assert result.path is not None and Path(result.path).is_file()


# --- TLS ------------------------------------------------------------------------------------


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return make_certificate(tmp_path)


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def starttls_server(
    certificate: tuple[Path, Path],
) -> Iterator[tuple[CollectingHandler, int, list[LoginPassword]]]:
    """An SMTP server that requires STARTTLS and a login (guide / s3cret)."""
    handler = CollectingHandler()
    logins: list[LoginPassword] = []

    def authenticator(
        server: object, session: object, envelope: object, mechanism: str, data: object
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append(data)
        # handled=False: aiosmtpd then answers a refusal with "535" itself.
        ok = (data.login, data.password) == (b"guide", b"s3cret")
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=server_context(certificate),
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    controller.start()
    try:
        yield handler, controller.port, logins
    finally:
        controller.stop()


def test_deliver_with_starttls_and_login(
    starttls_server: tuple[CollectingHandler, int, list[LoginPassword]],
    certificate: tuple[Path, Path],
    entries: list[GuideEntry],
) -> None:
    handler, port, logins = starttls_server
    settings = MailSettings.from_env(
        {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(port),
            "SMTP_SECURITY": "starttls",
            "SMTP_USERNAME": "guide",
            "SMTP_PASSWORD": "s3cret",
            "SMTP_CA_FILE": str(certificate[0]),
            "SMTP_TIMEOUT": "5",
        }
    )
    result = deliver(compose_guide_email("sam@example.org", entries, settings), settings)
    assert result.sent is True, result.error
    assert [login.login for login in logins] == [b"guide"]
    assert handler.envelopes[0].rcpt_tos == ["sam@example.org"]


def test_starttls_refuses_an_untrusted_certificate(
    starttls_server: tuple[CollectingHandler, int, list[LoginPassword]],
    entries: list[GuideEntry],
) -> None:
    handler, port, logins = starttls_server
    # No SMTP_CA_FILE: the self-signed certificate is not trusted, so nothing is sent.
    settings = MailSettings(
        host="127.0.0.1", port=port, security="starttls", username="guide", password="s3cret"
    )
    result = deliver(compose_guide_email("sam@example.org", entries, settings), settings)
    assert result.sent is False
    assert result.error and "certificate" in result.error.lower()
    assert logins == []
    assert handler.envelopes == []


def test_starttls_wrong_password_reports_failure(
    starttls_server: tuple[CollectingHandler, int, list[LoginPassword]],
    certificate: tuple[Path, Path],
    entries: list[GuideEntry],
) -> None:
    handler, port, _ = starttls_server
    settings = MailSettings(
        host="127.0.0.1",
        port=port,
        security="starttls",
        username="guide",
        password="wrong",
        ca_file=str(certificate[0]),
        timeout=5,
    )
    result = deliver(compose_guide_email("sam@example.org", entries, settings), settings)
    assert result.sent is False
    assert result.error and "login" in result.error
    assert "wrong" not in result.error
    assert handler.envelopes == []


def test_deliver_with_implicit_tls(
    certificate: tuple[Path, Path], entries: list[GuideEntry]
) -> None:
    handler = CollectingHandler()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        ssl_context=server_context(certificate),
    )
    controller.start()
    try:
        settings = MailSettings(
            host="127.0.0.1",
            port=controller.port,
            security="tls",
            ca_file=str(certificate[0]),
            timeout=5,
        )
        result = deliver(compose_guide_email("sam@example.org", entries, settings), settings)
    finally:
        controller.stop()
    assert result.sent is True, result.error
    assert handler.envelopes[0].rcpt_tos == ["sam@example.org"]


# --- queued messages: bytes, refusals, scrubbed errors ---------------------------------------


class RefusingHandler(CollectingHandler):
    """A server that refuses every recipient with a 5xx reply quoting the address."""

    def __init__(self, code: int = 550) -> None:
        super().__init__()
        self.code = code

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        return f"{self.code} 5.1.1 <{address}>: Recipient address rejected"


def test_deliver_bytes_sends_the_stored_message_unchanged(
    smtp_server: tuple[CollectingHandler, int], entries: list[GuideEntry]
) -> None:
    handler, port = smtp_server
    settings = MailSettings(host="127.0.0.1", port=port, timeout=5, mail_from="guide@example.org")
    message = compose_guide_email("sam@example.org", entries, settings)
    result = deliver_bytes(message.as_bytes(), "sam@example.org", settings)
    assert result.sent is True, result.error
    envelope = handler.envelopes[0]
    assert envelope.rcpt_tos == ["sam@example.org"] and envelope.mail_from == "guide@example.org"
    received = parse(envelope.original_content)
    # The same message: a retry keeps the Message-ID, so receivers can drop a duplicate.
    assert received["Message-ID"] == message["Message-ID"]
    # Only the line ends differ: SMTP carries CRLF.
    assert [part.replace("\r\n", "\n") for part in parts(received)] == list(parts(message))


def test_deliver_bytes_to_the_outbox(outbox_settings: MailSettings) -> None:
    result = deliver_bytes(b"Subject: x\n\nbody\n", "sam@example.org", outbox_settings)
    assert result.sent and result.via == "outbox"
    assert Path(result.path).read_bytes() == b"Subject: x\n\nbody\n"


@pytest.mark.parametrize("code, permanent", [(550, True), (450, False)])
def test_a_refused_recipient_is_permanent_only_for_5xx_and_never_quoted(
    entries: list[GuideEntry], code: int, permanent: bool
) -> None:
    controller = Controller(RefusingHandler(code), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings = MailSettings(host="127.0.0.1", port=controller.port, timeout=5)
        message = compose_guide_email("sam@example.org", entries, settings)
        result = deliver_bytes(message.as_bytes(), "sam@example.org", settings)
    finally:
        controller.stop()
    assert result.sent is False and result.permanent is permanent
    assert "sam@example.org" not in (result.error or "")


def test_scrub_addresses() -> None:
    text = "550 5.1.1 <sam.rivera+x@example.org>: no such user; cc jo@ex.co"
    assert scrub_addresses(text) == "550 5.1.1 <[address]>: no such user; cc [address]"
    assert scrub_addresses("Connection refused") == "Connection refused"
