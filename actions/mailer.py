"""Compose and deliver the Doctor Discussion Guide email.

No Rasa imports: the email action calls these functions, and they are tested against a real
local SMTP server. With no SMTP_HOST the message is written as an .eml file under the outbox
folder, so the assistant works with no credentials at all (the embedded default).
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import re
import smtplib
import ssl
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from actions.content.catalog import Catalog, catalog
from actions.content.wording import wording
from actions.email_address import validate_email
from actions.environment import settings

__all__ = [
    "DeliveryResult",
    "GENERAL_GROUP",
    "GuideEntry",
    "MailSettings",
    "compose_guide_email",
    "deliver",
    "deliver_async",
    "deliver_bytes",
    "scrub_addresses",
]

logger = logging.getLogger(__name__)

# GuideEntry.family value for the general questions (catalog().general_questions).
GENERAL_GROUP = "general"


def _words(key: str) -> str:
    """Fixed wording of the email, from actions/content/wording.yml."""
    return str(wording()["email"][key])


_SECURITY_PORTS = {"none": 25, "starttls": 587, "tls": 465}
# Error texts are shown in logs and may be spoken: keep them short.
_MAX_ERROR = 200
# Anything shaped like an address. Mail servers echo the recipient in their refusals
# ("550 <jo@example.com>: no such user"), and logs must never carry an address.
_BARE_LF = re.compile(rb"(?<!\r)\n")
_ADDRESS_LIKE = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")


@dataclass(frozen=True)
class MailSettings:
    """How to send mail. Built from the environment with :meth:`from_env`.

    host None means "no mail server": messages go to ``outbox_dir`` as .eml files.
    ca_file (SMTP_CA_FILE, optional) adds a private certificate authority for TLS; certificate
    and host name checks always stay on.
    """

    host: str | None = None
    port: int = 25
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never printed in logs
    security: str = "none"
    mail_from: str = "guide@localhost"
    outbox_dir: Path = Path("outbox")
    timeout: float = 15.0
    ca_file: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MailSettings:
        """Read SMTP_*, MAIL_FROM, OUTBOX_DIR and SMTP_TIMEOUT.

        With ``environ`` None, the process environment is used, completed by a ``.env`` file
        (found from the working folder upwards, else at the project root); real environment
        variables win over the file. Empty values count as unset. Raises ValueError with a clear
        message for an unknown SMTP_SECURITY or a non-numeric port or timeout.
        """
        if environ is None:
            environ = settings()

        def get(name: str) -> str | None:
            value = environ.get(name)
            if value is None or not value.strip():
                return None
            return value.strip()

        host = get("SMTP_HOST")
        security = (get("SMTP_SECURITY") or "none").lower()
        if security not in _SECURITY_PORTS:
            raise ValueError(
                f"SMTP_SECURITY must be one of none, starttls or tls (got {security!r})."
            )
        port_text = get("SMTP_PORT")
        if port_text is None:
            port = _SECURITY_PORTS[security]
        else:
            try:
                port = int(port_text)
            except ValueError:
                raise ValueError(f"SMTP_PORT must be a number (got {port_text!r}).") from None
            if not 0 < port < 65536:
                raise ValueError(f"SMTP_PORT must be between 1 and 65535 (got {port}).")
        timeout_text = get("SMTP_TIMEOUT")
        try:
            timeout = float(timeout_text) if timeout_text is not None else 15.0
        except ValueError:
            raise ValueError(
                f"SMTP_TIMEOUT must be a number of seconds (got {timeout_text!r})."
            ) from None
        if timeout <= 0:
            raise ValueError(f"SMTP_TIMEOUT must be more than 0 seconds (got {timeout}).")
        # The password is kept as written: spaces can be part of it.
        password = environ.get("SMTP_PASSWORD") or None
        return cls(
            host=host,
            port=port,
            username=get("SMTP_USERNAME"),
            password=password,
            security=security,
            mail_from=get("MAIL_FROM") or "guide@localhost",
            outbox_dir=Path(get("OUTBOX_DIR") or "outbox"),
            timeout=timeout,
            ca_file=get("SMTP_CA_FILE"),
        )


@dataclass(frozen=True)
class GuideEntry:
    """One question in the guide.

    family: a treatment family key, GENERAL_GROUP for the general questions, or None for a
    question the person wrote themselves.
    """

    family: str | None
    text: str


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to a message.

    sent: True when the message was handed over: accepted by the SMTP server (via "smtp") or
    written to the outbox folder (via "outbox", with ``path``). False with a short ``error``
    otherwise (never containing an address); delivery never raises. ``permanent`` marks a failure
    that trying again cannot fix (the server refused the recipient or the message with a 5xx
    reply), so a retrying caller can stop at once.
    """

    sent: bool
    via: str
    path: str | None = None
    error: str | None = None
    permanent: bool = False


def compose_guide_email(
    to: str,
    entries: Sequence[GuideEntry],
    settings: MailSettings,
    *,
    content: Catalog | None = None,
) -> EmailMessage:
    """Build the guide email: plain text and an HTML alternative with the same content.

    Questions are grouped by treatment family (catalog order), then the general questions, then
    the person's own questions, numbered 1..n across the whole guide; then the disclaimer, the
    review date and the sources. All text is HTML-escaped in the HTML part. Raises ValueError when
    ``to`` is not a single valid address or when there is no question to send.
    """
    check = validate_email(to)
    if not check.ok:
        raise ValueError(f"Recipient address refused ({check.problem}).")
    content = content or catalog()
    groups = _group_entries(entries, content)
    if not groups:
        raise ValueError("The guide has no questions to send.")

    reviewed = f"Reviewed {content.review_date_text} by {content.reviewed_by}"
    sources = list(content.sources_text())

    message = EmailMessage()
    message["Subject"] = _words("subject")
    message["From"] = settings.mail_from
    message["To"] = check.address
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = make_msgid(domain=_domain_of(settings.mail_from))
    message.set_content(_plain_body(groups, content.disclaimer, reviewed, sources))
    message.add_alternative(
        _html_body(groups, content.disclaimer, reviewed, sources), subtype="html"
    )
    return message


def guide_text(entries: Sequence[GuideEntry], *, content: Catalog | None = None) -> str:
    """The guide as plain text, exactly as the email's text part says it (for download/print)."""
    content = content or catalog()
    groups = _group_entries(entries, content)
    reviewed = f"Reviewed {content.review_date_text} by {content.reviewed_by}"
    return _plain_body(groups, content.disclaimer, reviewed, list(content.sources_text()))


def deliver(message: EmailMessage, settings: MailSettings) -> DeliveryResult:
    """Send ``message`` by SMTP when a host is set, else write it to the outbox folder.

    Blocking; use :func:`deliver_async` from the action server. Never raises: a failure is
    returned as ``DeliveryResult(sent=False, error=...)``.
    """
    if settings.host:
        return _deliver_smtp(settings, lambda client: client.send_message(message))
    return _deliver_outbox(message.as_bytes(), settings)


def deliver_bytes(raw: bytes, recipient: str, settings: MailSettings) -> DeliveryResult:
    """Send an already composed message (``message.as_bytes()``) to one recipient, unchanged.

    The mail queue stores messages as bytes and hands them back here, so a retry sends exactly
    the message composed the first time (same Message-ID, which lets receiving servers drop a
    rare duplicate). The envelope sender is ``settings.mail_from``. Blocking; never raises.
    """
    if settings.host:
        # SMTP wants CRLF line ends, and smtplib converts them only for str messages; many
        # servers refuse bare LF (it is how SMTP smuggling starts).
        wire = _BARE_LF.sub(b"\r\n", raw)
        return _deliver_smtp(
            settings, lambda client: client.sendmail(settings.mail_from, [recipient], wire)
        )
    return _deliver_outbox(raw, settings)


def scrub_addresses(text: str) -> str:
    """``text`` with anything shaped like an email address replaced by ``[address]``."""
    return _ADDRESS_LIKE.sub("[address]", text)


async def deliver_async(message: EmailMessage, settings: MailSettings) -> DeliveryResult:
    """Run :func:`deliver` in a worker thread so the action server's event loop keeps serving."""
    return await asyncio.to_thread(deliver, message, settings)


# --- composing ------------------------------------------------------------------------------


def _group_entries(entries: Sequence[GuideEntry], content: Catalog) -> list[tuple[str, list[str]]]:
    """Group question texts under titles, in family order, dropping blanks and repeats."""
    family_titles = {family.key: _sentence_case(family.name) for family in content.families}
    order = [family.key for family in content.families] + [GENERAL_GROUP, None]
    titles: dict[str | None, str] = {
        **family_titles,
        GENERAL_GROUP: _words("general_title"),
        None: _words("own_title"),
    }
    buckets: dict[str | None, list[str]] = {key: [] for key in order}
    seen: set[tuple[str | None, str]] = set()
    for entry in entries:
        text = " ".join(entry.text.split())
        if not text:
            continue
        # An unknown family key still reaches the person, among the general questions.
        key = entry.family if entry.family in buckets else GENERAL_GROUP
        marker = (key, text.casefold())
        if marker in seen:
            continue
        seen.add(marker)
        buckets[key].append(text)
    return [(titles[key], buckets[key]) for key in order if buckets[key]]


def _plain_body(
    groups: list[tuple[str, list[str]]], disclaimer: str, reviewed: str, sources: list[str]
) -> str:
    lines = [_words("subject"), "", _words("intro"), ""]
    number = 0
    for title, questions in groups:
        lines.append(title)
        for question in questions:
            number += 1
            lines.append(f"{number}. {question}")
        lines.append("")
    lines.extend([disclaimer, "", reviewed + ".", "", _words("sources_title") + ":"])
    lines.extend(f"- {source}" for source in sources)
    return "\n".join(lines) + "\n"


def _html_body(
    groups: list[tuple[str, list[str]]], disclaimer: str, reviewed: str, sources: list[str]
) -> str:
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8">',
        f"<title>{esc(_words('subject'))}</title></head>",
        '<body style="font-family: sans-serif; font-size: 16px; line-height: 1.5; color: #111;">',
        f"<h1>{esc(_words('subject'))}</h1>",
        f"<p>{esc(_words('intro'))}</p>",
    ]
    number = 1
    for title, questions in groups:
        parts.append(f"<h2>{esc(title)}</h2>")
        # start= keeps one numbering across groups, the same as in the plain text.
        parts.append(f'<ol start="{number}">')
        parts.extend(f"<li>{esc(question)}</li>" for question in questions)
        parts.append("</ol>")
        number += len(questions)
    parts.append(f"<p>{esc(disclaimer)}</p>")
    parts.append(f"<p>{esc(reviewed)}.</p>")
    parts.append(f"<h2>{esc(_words('sources_title'))}</h2>")
    parts.append("<ul>")
    parts.extend(f"<li>{esc(source)}</li>" for source in sources)
    parts.append("</ul>")
    parts.append("</body>")
    parts.append("</html>")
    return "\n".join(parts) + "\n"


def _sentence_case(name: str) -> str:
    """Capitalise a family name for a heading: family names are lower case for mid-sentence."""
    return name[:1].upper() + name[1:]


def _domain_of(address: str) -> str:
    """Domain for the Message-ID; avoids make_msgid's slow host name look-up."""
    domain = address.rpartition("@")[2].strip(" >")
    return domain or "localhost"


# --- delivering -----------------------------------------------------------------------------


def _deliver_smtp(
    settings: MailSettings, send: Callable[[smtplib.SMTP], Mapping[str, object]]
) -> DeliveryResult:
    """Open a session as ``settings`` say (TLS, STARTTLS, login) and ``send`` in it."""
    assert settings.host is not None
    try:
        context = ssl.create_default_context(cafile=settings.ca_file)
        client: smtplib.SMTP
        if settings.security == "tls":
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            client.ehlo_or_helo_if_needed()
            if settings.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if settings.username:
                client.login(settings.username, settings.password or "")
            refused = send(client)
    except smtplib.SMTPAuthenticationError as exc:
        # A login problem is the server's configuration, not the person's: worth retrying.
        return _failed("smtp", f"the mail server refused the login ({exc.smtp_code})")
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        return _failed("smtp", "the mail server refused the address", permanent=permanent)
    except smtplib.SMTPDataError as exc:
        # 5xx after DATA: the server will refuse this message again (too big, policy).
        return _failed(
            "smtp",
            f"the mail server refused the message ({exc.smtp_code})",
            permanent=500 <= exc.smtp_code < 600,
        )
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        # OSError covers refused connections, time-outs and certificate errors (ssl.SSLError).
        return _failed("smtp", f"{type(exc).__name__}: {exc}")
    if refused:
        return _failed("smtp", "the mail server refused the address", permanent=True)
    logger.info("Guide email accepted by the mail server.")
    return DeliveryResult(sent=True, via="smtp")


def _deliver_outbox(raw: bytes, settings: MailSettings) -> DeliveryResult:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    path = Path(settings.outbox_dir) / f"{stamp}-{uuid.uuid4().hex}.eml"
    try:
        # The guide holds health information: only the owner may read the folder and files.
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(raw)
    except OSError as exc:
        return _failed("outbox", f"{type(exc).__name__}: {exc}")
    logger.info("Guide email written to the outbox: %s", path)
    return DeliveryResult(sent=True, via="outbox", path=str(path))


def _failed(via: str, reason: str, *, permanent: bool = False) -> DeliveryResult:
    reason = scrub_addresses(" ".join(reason.split()))[:_MAX_ERROR]
    logger.warning("Guide email not delivered via %s: %s", via, reason)
    return DeliveryResult(sent=False, via=via, error=reason, permanent=permanent)
