"""Checks that a request really comes from Alexa, by Amazon's rules for web-service skills.

Amazon's rules ("Host a Custom Skill as a Web Service", "Verify that the request was sent by
Alexa"):

1. The ``SignatureCertChainUrl`` header, once normalised, is ``https``, host
   ``s3.amazonaws.com``, path starting with ``/echo.api/`` and port 443 if one is given.
2. The PEM chain at that URL: the signing (first) certificate is valid now, names
   ``echo-api.amazon.com`` in its subject alternative names, and the chain leads to a trusted
   root CA.
3. The ``Signature-256`` header is the base64 RSA signature (PKCS#1 v1.5, SHA-256) of the raw
   request body, made with the signing certificate's key.
4. The request's ``timestamp`` is within 150 seconds of now (:func:`check_timestamp`).

Plain module on purpose (no Rasa import), so that it can be tested on its own.
"""

from __future__ import annotations

import base64
import binascii
import re
import ssl
import threading
import urllib.request
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import Message
from typing import IO, Callable, Mapping
from urllib.parse import urlsplit, urlunsplit

import certifi
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import PolicyBuilder, Store
from cryptography.x509.verification import VerificationError as ChainVerificationError

__all__ = [
    "AlexaVerificationError",
    "SignatureError",
    "SignatureVerifier",
    "TimestampError",
    "check_cert_url",
    "check_timestamp",
]

CERT_URL_HEADER = "SignatureCertChainUrl"
SIGNATURE_HEADER = "Signature-256"
ECHO_API_DOMAIN = "echo-api.amazon.com"
CERT_URL_HOST = "s3.amazonaws.com"
CERT_URL_PATH_PREFIX = "/echo.api/"
CERT_URL_PORT = 443
TIMESTAMP_TOLERANCE_SECONDS = 150
FETCH_TIMEOUT_SECONDS = 5.0
# Amazon's chain is a few kilobytes; the cap keeps a hostile or broken server from making us
# read (and parse) an unbounded body.
MAX_CHAIN_BYTES = 64 * 1024
# Amazon uses a handful of chain URLs at a time; the bound keeps the cache small regardless.
MAX_CACHED_CHAINS = 16

# RFC 3986 section 2.3: percent-encoded unreserved characters mean the same as the characters.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PEM_CERTIFICATE = re.compile(
    rb"-----BEGIN CERTIFICATE-----\r?\n.+?-----END CERTIFICATE-----", re.DOTALL
)
_PERCENT_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))",
    re.ASCII,
)


class AlexaVerificationError(Exception):
    """A request failed one of Amazon's checks; ``reason`` says which, briefly."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignatureError(AlexaVerificationError):
    """The certificate URL, the certificate chain or the body signature is not acceptable."""


class TimestampError(AlexaVerificationError):
    """The request timestamp is unparseable or too far from the current time."""


def check_cert_url(url: str) -> None:
    """Check a ``SignatureCertChainUrl`` value against Amazon's format.

    Raises:
        SignatureError: the URL is not one Amazon would use for its signing certificate.

    """
    _normalise_cert_url(url)


def check_timestamp(
    timestamp: str,
    now: datetime | None = None,
    tolerance_seconds: int = TIMESTAMP_TOLERANCE_SECONDS,
) -> None:
    """Check that an Alexa request timestamp is within ``tolerance_seconds`` of ``now``.

    ``timestamp`` is ISO 8601 with a UTC offset, e.g. ``2026-11-28T03:31:25Z``, optionally
    with fractional seconds or an offset such as ``+00:00``. A timestamp without an offset is
    refused: its moment would be a guess. ``now`` defaults to the current time (a naive
    ``now`` is taken as UTC). Both directions count: a timestamp from the future is as
    suspicious as an old one.

    Raises:
        TimestampError: the timestamp is unparseable or outside the tolerance.
        ValueError: ``tolerance_seconds`` is negative.

    """
    if tolerance_seconds < 0:
        raise ValueError("tolerance_seconds must not be negative")
    moment = _parse_timestamp(timestamp)
    reference = _as_utc(now) if now is not None else datetime.now(timezone.utc)
    skew = abs((reference - moment).total_seconds())
    if skew > tolerance_seconds:
        raise TimestampError(
            f"timestamp is {int(skew)} s away from the server time (limit {tolerance_seconds} s)"
        )


@dataclass(frozen=True)
class _CachedChain:
    not_before: datetime
    expires: datetime  # earliest notAfter in the verified chain
    public_key: rsa.RSAPublicKey


class SignatureVerifier:
    """Checks the ``SignatureCertChainUrl`` and ``Signature-256`` headers of Alexa requests.

    Verified chains are cached by (normalised) URL until the chain expires, so the download
    happens once per certificate rather than once per request. :meth:`verify` is blocking
    (the first request for a URL downloads the chain); it is safe to call from several threads.

    Args:
        trusted_roots: root CA certificates to trust; ``None`` means the certifi bundle.
        fetch: downloads a URL and returns its body; ``None`` means an HTTPS GET with a 5 s
            timeout, no redirects and a size cap. Tests inject a fake here.
        clock: returns the current time; ``None`` means ``datetime.now(timezone.utc)``.

    """

    def __init__(
        self,
        trusted_roots: list[x509.Certificate] | None = None,
        fetch: Callable[[str], bytes] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        roots = _certifi_roots() if trusted_roots is None else list(trusted_roots)
        if not roots:
            raise ValueError("trusted_roots must not be empty")
        self._store = Store(roots)
        self._fetch = fetch if fetch is not None else _https_fetch
        self._clock = clock if clock is not None else _utc_now
        self._cache: dict[str, _CachedChain] = {}
        self._lock = threading.Lock()

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Check that ``body`` was signed by Alexa, as the request ``headers`` claim.

        ``headers`` is looked up case-insensitively; ``body`` must be the raw request bytes,
        exactly as received (a re-serialised JSON body would not match the signature).

        Raises:
            SignatureError: a header is missing or malformed, the certificate URL or chain is
                not acceptable, the chain cannot be downloaded, or the signature does not match.

        """
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise TypeError("body must be the raw request bytes")
        cert_url = _header(headers, CERT_URL_HEADER)
        signature = _decode_signature(_header(headers, SIGNATURE_HEADER))
        # The URL is checked before anything is downloaded: that is the point of the check.
        url = _normalise_cert_url(cert_url)
        public_key = self._signing_key(url)
        try:
            public_key.verify(signature, bytes(body), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise SignatureError("signature does not match the request body") from None

    def _signing_key(self, url: str) -> rsa.RSAPublicKey:
        now = _as_utc(self._clock())
        with self._lock:
            cached = self._cache.get(url)
        if cached is not None:
            if cached.not_before <= now <= cached.expires:
                return cached.public_key
            with self._lock:
                self._cache.pop(url, None)
        entry = self._download_and_check(url, now)
        with self._lock:
            self._remember(url, entry, now)
        return entry.public_key

    def _download_and_check(self, url: str, now: datetime) -> _CachedChain:
        try:
            data = self._fetch(url)
        except Exception as exc:  # any transport failure means "cannot verify"
            raise SignatureError("could not download the certificate chain") from exc
        if not isinstance(data, (bytes, bytearray)):
            raise SignatureError("could not download the certificate chain")
        if len(data) > MAX_CHAIN_BYTES:
            raise SignatureError("certificate chain is too large")
        try:
            certs = x509.load_pem_x509_certificates(bytes(data))
        except ValueError:
            raise SignatureError("certificate chain is not valid PEM") from None
        leaf, intermediates = certs[0], certs[1:]
        # These two checks are also part of the chain verification below; doing them first
        # gives a precise reason instead of a generic "untrusted".
        _check_validity(leaf, now)
        _check_echo_api_san(leaf)
        verifier = (
            PolicyBuilder()
            .store(self._store)
            .time(now)
            .build_server_verifier(x509.DNSName(ECHO_API_DOMAIN))
        )
        try:
            chain = verifier.verify(leaf, intermediates)
        except ChainVerificationError as exc:  # the cause keeps cryptography's detail for logs
            raise SignatureError("certificate chain does not lead to a trusted root") from exc
        public_key = leaf.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise SignatureError("signing certificate does not have an RSA key")
        return _CachedChain(
            not_before=leaf.not_valid_before_utc,
            expires=min(cert.not_valid_after_utc for cert in chain),
            public_key=public_key,
        )

    def _remember(self, url: str, entry: _CachedChain, now: datetime) -> None:
        # Called with the lock held. Expired entries go first, then the oldest ones.
        for stale in [key for key, value in self._cache.items() if value.expires < now]:
            del self._cache[stale]
        while len(self._cache) >= MAX_CACHED_CHAINS:
            del self._cache[next(iter(self._cache))]
        self._cache[url] = entry


def _header(headers: Mapping[str, str], name: str) -> str:
    """Case-insensitive lookup; two different values for one header are refused as ambiguous."""
    wanted = name.lower()
    values = {value.strip() for key, value in headers.items() if key.lower() == wanted}
    if not values or values == {""}:
        raise SignatureError(f"missing {name} header")
    if len(values) > 1:
        raise SignatureError(f"conflicting {name} headers")
    return values.pop()


def _decode_signature(value: str) -> bytes:
    try:
        signature = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{SIGNATURE_HEADER} header is not valid base64") from None
    if not signature:
        raise SignatureError(f"{SIGNATURE_HEADER} header is empty")
    return signature


def _normalise_cert_url(url: str) -> str:
    """Return the normalised certificate URL, the one to download, or raise SignatureError."""
    if not isinstance(url, str) or not url:
        raise SignatureError("certificate URL is missing")
    # Non-ASCII, whitespace and backslashes are never in Amazon's URLs; parsers disagree on
    # them, so refusing them avoids checking one URL and fetching another.
    if not url.isascii() or "\\" in url or any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url):
        raise SignatureError("certificate URL contains invalid characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise SignatureError("certificate URL is malformed") from None
    if parts.scheme.lower() != "https":
        raise SignatureError("certificate URL must use https")
    if parts.username is not None or parts.password is not None:
        raise SignatureError("certificate URL must not contain credentials")
    if (parts.hostname or "").lower() != CERT_URL_HOST:
        raise SignatureError(f"certificate URL host must be {CERT_URL_HOST}")
    if port is not None and port != CERT_URL_PORT:
        raise SignatureError(f"certificate URL port must be {CERT_URL_PORT}")
    path = _remove_dot_segments(_decode_unreserved(parts.path))
    if not path.startswith(CERT_URL_PATH_PREFIX):  # case-sensitive, as Amazon requires
        raise SignatureError(f"certificate URL path must start with {CERT_URL_PATH_PREFIX}")
    return urlunsplit(("https", CERT_URL_HOST, path, parts.query, ""))


def _decode_unreserved(path: str) -> str:
    """Decode %XX escapes of unreserved characters, so ``%2e%2e`` counts as ``..``."""

    def replace(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _PERCENT_ESCAPE.sub(replace, path)


def _remove_dot_segments(path: str) -> str:
    """Resolve ``.`` and ``..`` segments of an absolute path (RFC 3986 section 5.2.4)."""
    if not path.startswith("/"):
        return path
    segments = path.split("/")[1:]
    output: list[str] = []
    for index, segment in enumerate(segments):
        is_last = index == len(segments) - 1
        if segment in (".", ".."):
            if segment == ".." and output:
                output.pop()
            if is_last:
                output.append("")  # "/a/b/.." is the directory "/a/"
        else:
            output.append(segment)
    return "/" + "/".join(output)


def _check_validity(cert: x509.Certificate, now: datetime) -> None:
    if now < cert.not_valid_before_utc:
        raise SignatureError("signing certificate is not valid yet")
    if now > cert.not_valid_after_utc:
        raise SignatureError("signing certificate has expired")


def _check_echo_api_san(cert: x509.Certificate) -> None:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise SignatureError(f"signing certificate is not issued for {ECHO_API_DOMAIN}") from None
    names = {name.lower() for name in san.get_values_for_type(x509.DNSName)}
    if ECHO_API_DOMAIN not in names:
        raise SignatureError(f"signing certificate is not issued for {ECHO_API_DOMAIN}")


def _parse_timestamp(timestamp: str) -> datetime:
    # Hand-written because datetime.fromisoformat in Python 3.10 rejects "Z" and fractions
    # that are not 3 or 6 digits long, both of which are valid ISO 8601.
    match = _TIMESTAMP.fullmatch(timestamp) if isinstance(timestamp, str) else None
    if match is None:
        raise TimestampError("timestamp is not an ISO 8601 date-time with a UTC offset")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    microsecond = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        if zulu:
            tz = timezone.utc
        else:
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
            tz = timezone(-offset if sign == "-" else offset)
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), microsecond, tz
        )
        return moment.astimezone(timezone.utc)
    # ValueError: month 13, second 60, an offset of 24 hours or more. OverflowError: a moment
    # that leaves the years 1 to 9999 in UTC ("0001-01-01T00:00:00+14:00").
    except (ValueError, OverflowError):
        raise TimestampError("timestamp is not an ISO 8601 date-time with a UTC offset") from None


def _as_utc(moment: datetime) -> datetime:
    """Aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _certifi_roots() -> list[x509.Certificate]:
    """The certifi bundle's roots, skipping any that this cryptography release cannot parse.

    One by one because the bundle holds a root with a non-positive serial number: cryptography
    warns about it today and will refuse it later, which must not take the whole bundle down.
    """
    with open(certifi.where(), "rb") as bundle:
        pem = bundle.read()
    roots = []
    for block in _PEM_CERTIFICATE.findall(pem):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", CryptographyDeprecationWarning)
                roots.append(x509.load_pem_x509_certificate(block))
        except ValueError:
            continue
    return roots


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Turns redirects into errors: a redirect could lead away from the URL we checked."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


def _https_fetch(url: str) -> bytes:
    """Download ``url`` over HTTPS (certifi roots, no redirects, timeout, size cap)."""
    if not url.lower().startswith("https://"):
        raise ValueError("only https URLs are downloaded")
    context = ssl.create_default_context(cafile=certifi.where())
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context), _NoRedirects()
    )
    with opener.open(url, timeout=FETCH_TIMEOUT_SECONDS) as response:
        if response.status != 200:
            raise ValueError(f"unexpected HTTP status {response.status}")
        data = response.read(MAX_CHAIN_BYTES + 1)
    if len(data) > MAX_CHAIN_BYTES:
        raise ValueError("response is too large")
    return data
