"""Alexa request checks, with a real certificate hierarchy generated for the tests.

Nothing in the verification is mocked: only the download (``fetch``) and the clock are injected.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from channels.alexa_verify import (
    AlexaVerificationError,
    SignatureError,
    SignatureVerifier,
    TimestampError,
    _https_fetch,
    check_cert_url,
    check_timestamp,
)

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"
BODY = b'{"version":"1.0","request":{"type":"LaunchRequest","timestamp":"2026-03-01T12:00:00Z"}}'


# --- certificate hierarchy ---------------------------------------------------------------


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


@dataclass(frozen=True)
class Issued:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate


def _issue(
    common_name: str,
    key: rsa.RSAPrivateKey,
    issuer: Issued | None,
    *,
    ca: bool,
    dns_names: tuple[str, ...] | None = ("echo-api.amazon.com",),
    not_before: datetime = NOW - timedelta(days=30),
    not_after: datetime = NOW + timedelta(days=60),
) -> Issued:
    """A certificate shaped like a Web PKI one; ``issuer=None`` makes it self-signed."""
    issuer_name = issuer.cert.subject if issuer else _name(common_name)
    issuer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=not ca,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        if dns_names is not None:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(name) for name in dns_names]),
                critical=False,
            )
    return Issued(key, builder.sign(issuer_key, hashes.SHA256()))


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs)


@dataclass(frozen=True)
class Pki:
    root: Issued
    intermediate: Issued
    leaf: Issued
    other_key: rsa.RSAPrivateKey
    leaf_without_echo_san: Issued
    leaf_without_san: Issued
    expired_leaf: Issued
    future_leaf: Issued
    rogue_root: Issued
    rogue_leaf: Issued


@pytest.fixture(scope="session")
def pki() -> Pki:
    # RSA key generation is the slow part: a handful of keys, reused by every test.
    root_key, intermediate_key, leaf_key, other_key, rogue_key = (_key() for _ in range(5))
    root = _issue(
        "Test Root CA",
        root_key,
        None,
        ca=True,
        not_before=NOW - timedelta(days=365),
        not_after=NOW + timedelta(days=3650),
    )
    intermediate = _issue(
        "Test Intermediate CA",
        intermediate_key,
        root,
        ca=True,
        not_before=NOW - timedelta(days=365),
        not_after=NOW + timedelta(days=1825),
    )
    rogue_root = _issue(
        "Rogue Root CA",
        rogue_key,
        None,
        ca=True,
        not_before=NOW - timedelta(days=365),
        not_after=NOW + timedelta(days=3650),
    )
    return Pki(
        root=root,
        intermediate=intermediate,
        leaf=_issue("echo-api.amazon.com", leaf_key, intermediate, ca=False),
        other_key=other_key,
        leaf_without_echo_san=_issue(
            "echo-api.amazon.com", leaf_key, intermediate, ca=False, dns_names=("example.com",)
        ),
        leaf_without_san=_issue(
            "echo-api.amazon.com", leaf_key, intermediate, ca=False, dns_names=None
        ),
        expired_leaf=_issue(
            "echo-api.amazon.com",
            leaf_key,
            intermediate,
            ca=False,
            not_before=NOW - timedelta(days=90),
            not_after=NOW - timedelta(seconds=1),
        ),
        future_leaf=_issue(
            "echo-api.amazon.com",
            leaf_key,
            intermediate,
            ca=False,
            not_before=NOW + timedelta(days=1),
            not_after=NOW + timedelta(days=90),
        ),
        rogue_root=rogue_root,
        rogue_leaf=_issue("echo-api.amazon.com", leaf_key, rogue_root, ca=False),
    )


# --- helpers -----------------------------------------------------------------------------


class FakeFetch:
    """Serves fixed bodies by URL and records every download."""

    def __init__(self, pages: dict[str, bytes]) -> None:
        self.pages = pages
        self.calls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        return self.pages[url]  # an unknown URL raises, like a 404


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _sign(key: rsa.RSAPrivateKey, body: bytes = BODY) -> str:
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


def _headers(signature: str, url: str = URL) -> dict[str, str]:
    return {"SignatureCertChainUrl": url, "Signature-256": signature}


def _verifier(
    pki: Pki, chain: bytes, clock: Clock | None = None
) -> tuple[SignatureVerifier, FakeFetch]:
    fetch = FakeFetch({URL: chain})
    verifier = SignatureVerifier(trusted_roots=[pki.root.cert], fetch=fetch, clock=clock or Clock())
    return verifier, fetch


def _reason(excinfo: pytest.ExceptionInfo[AlexaVerificationError]) -> str:
    return excinfo.value.reason


# --- signature: the good case ------------------------------------------------------------


def test_good_request_passes(pki: Pki) -> None:
    verifier, fetch = _verifier(pki, _pem(pki.leaf.cert, pki.intermediate.cert))
    verifier.verify(_headers(_sign(pki.leaf.key)), BODY)
    assert fetch.calls == [URL]


def test_header_names_are_case_insensitive(pki: Pki) -> None:
    verifier, _ = _verifier(pki, _pem(pki.leaf.cert, pki.intermediate.cert))
    verifier.verify(
        {"signaturecertchainurl": URL, "SIGNATURE-256": _sign(pki.leaf.key)}, bytearray(BODY)
    )


def test_chain_that_includes_the_root_passes(pki: Pki) -> None:
    chain = _pem(pki.leaf.cert, pki.intermediate.cert, pki.root.cert)
    verifier, _ = _verifier(pki, chain)
    verifier.verify(_headers(_sign(pki.leaf.key)), BODY)


def test_the_normalised_url_is_downloaded(pki: Pki) -> None:
    verifier, fetch = _verifier(pki, _pem(pki.leaf.cert, pki.intermediate.cert))
    odd = "HTTPS://S3.AmazonAWS.com:443/echo.api/../echo.api/echo-api-cert-test.pem#x"
    verifier.verify(_headers(_sign(pki.leaf.key), url=odd), BODY)
    assert fetch.calls == [URL]


# --- signature: refusals -----------------------------------------------------------------


def test_tampered_body_fails(pki: Pki) -> None:
    verifier, _ = _verifier(pki, _pem(pki.leaf.cert, pki.intermediate.cert))
    with pytest.raises(SignatureError) as excinfo:
        verifier.verify(_headers(_sign(pki.leaf.key)), BODY.replace(b"Launch", b"Lunch"))
    assert _reason(excinfo) == "signature does not match the request body"


def test_signature_from_another_key_fails(pki: Pki) -> None:
    verifier, _ = _verifier(pki, _pem(pki.leaf.cert, pki.intermediate.cert))
    with pytest.raises(SignatureError, match="does not match"):
        verifier.verify(_headers(_sign(pki.other_key)), BODY)


def test_sha1_signature_fails(pki: Pki) -> None:
    # The legacy SHA-1 signature (the old "Signature" header) is not accepted as Signature-256.
    verifier, _ = _verifier(pki, _pem(pki.leaf.cert, pki.intermediate.cert))
    sha1 = pki.leaf.key.sign(BODY, padding.PKCS1v15(), hashes.SHA1())
    with pytest.raises(SignatureError, match="does not match"):
        verifier.verify(_headers(base64.b64encode(sha1).decode()), BODY)


@pytest.mark.parametrize("leaf_name", ["leaf_without_echo_san", "leaf_without_san"])
def test_leaf_without_echo_api_san_fails(pki: Pki, leaf_name: str) -> None:
    leaf: Issued = getattr(pki, leaf_name)
    verifier, _ = _verifier(pki, _pem(leaf.cert, pki.intermediate.cert))
    with pytest.raises(SignatureError) as excinfo:
        verifier.verify(_headers(_sign(leaf.key)), BODY)
    assert _reason(excinfo) == "signing certificate is not issued for echo-api.amazon.com"


def test_expired_leaf_fails(pki: Pki) -> None:
    verifier, _ = _verifier(pki, _pem(pki.expired_leaf.cert, pki.intermediate.cert))
    with pytest.raises(SignatureError) as excinfo:
        verifier.verify(_headers(_sign(pki.expired_leaf.key)), BODY)
    assert _reason(excinfo) == "signing certificate has expired"


def test_leaf_not_valid_yet_fails(pki: Pki) -> None:
    verifier, _ = _verifier(pki, _pem(pki.future_leaf.cert, pki.intermediate.cert))
    with pytest.raises(SignatureError, match="not valid yet"):
        verifier.verify(_headers(_sign(pki.future_leaf.key)), BODY)


def test_chain_from_untrusted_root_fails(pki: Pki) -> None:
    verifier, _ = _verifier(pki, _pem(pki.rogue_leaf.cert, pki.rogue_root.cert))
    with pytest.raises(SignatureError) as excinfo:
        verifier.verify(_headers(_sign(pki.rogue_leaf.key)), BODY)
    assert _reason(excinfo) == "certificate chain does not lead to a trusted root"


def test_chain_without_its_intermediate_fails(pki: Pki) -> None:
    verifier, _ = _verifier(pki, _pem(pki.leaf.cert))
    with pytest.raises(SignatureError, match="trusted root"):
        verifier.verify(_headers(_sign(pki.leaf.key)), BODY)


def test_default_roots_do_not_trust_the_test_hierarchy(pki: Pki) -> None:
    fetch = FakeFetch({URL: _pem(pki.leaf.cert, pki.intermediate.cert)})
    verifier = SignatureVerifier(fetch=fetch, clock=Clock())  # certifi roots
    with pytest.raises(SignatureError, match="trusted root"):
        verifier.verify(_headers(_sign(pki.leaf.key)), BODY)


@pytest.mark.parametrize(
    "headers, reason",
    [
        ({}, "missing SignatureCertChainUrl header"),
        ({"SignatureCertChainUrl": URL}, "missing Signature-256 header"),
        ({"Signature-256": "AAAA"}, "missing SignatureCertChainUrl header"),
        ({"SignatureCertChainUrl": URL, "Signature-256": "  "}, "missing Signature-256 header"),
        (
            {"SignatureCertChainUrl": URL, "Signature": "AAAA"},  # legacy SHA-1 header only
            "missing Signature-256 header",
        ),
    ],
)
def test_missing_headers_fail(pki: Pki, headers: dict[str, str], reason: str) -> None:
    verifier, fetch = _verifier(pki, _pem(pki.leaf.cert, pki.intermediate.cert))
    with pytest.raises(SignatureError) as excinfo:
        verifier.verify(headers, BODY)
    assert _reason(excinfo) == reason
    assert fetch.calls == []


def test_conflicting_headers_fail(pki: Pki) -> None:
    verifier, _ = _verifier(pki, _pem(pki.leaf.cert, pki.intermediate.cert))
    headers = {"SignatureCertChainUrl": URL, "Signature-256": "AAAA", "signature-256": "BBBB"}
    with pytest.raises(SignatureError, match="conflicting Signature-256 headers"):
        verifier.verify(headers, BODY)


@pytest.mark.parametrize("bad", ["not base64!", "AAA", "QUJD\u00e9", "===="])
def test_bad_base64_fails(pki: Pki, bad: str) -> None:
    verifier, fetch = _verifier(pki, _pem(pki.leaf.cert, pki.intermediate.cert))
    with pytest.raises(SignatureError) as excinfo:
        verifier.verify(_headers(bad), BODY)
    assert _reason(excinfo) == "Signature-256 header is not valid base64"
    assert fetch.calls == []  # refused before any download


def test_bad_url_is_refused_before_download(pki: Pki) -> None:
    verifier, fetch = _verifier(pki, _pem(pki.leaf.cert, pki.intermediate.cert))
    bad = "https://notamazon.com/echo.api/echo-api-cert.pem"
    with pytest.raises(SignatureError, match="host must be s3.amazonaws.com"):
        verifier.verify(_headers(_sign(pki.leaf.key), url=bad), BODY)
    assert fetch.calls == []


def test_fetch_failure_fails(pki: Pki) -> None:
    def broken(url: str) -> bytes:
        raise TimeoutError("timed out")

    verifier = SignatureVerifier(trusted_roots=[pki.root.cert], fetch=broken, clock=Clock())
    with pytest.raises(SignatureError) as excinfo:
        verifier.verify(_headers(_sign(pki.leaf.key)), BODY)
    assert _reason(excinfo) == "could not download the certificate chain"


@pytest.mark.parametrize(
    "chain, reason",
    [
        (b"", "certificate chain is not valid PEM"),
        (b"<html>Access Denied</html>", "certificate chain is not valid PEM"),
        (b"x" * (64 * 1024 + 1), "certificate chain is too large"),
    ],
)
def test_unusable_download_fails(pki: Pki, chain: bytes, reason: str) -> None:
    verifier, _ = _verifier(pki, chain)
    with pytest.raises(SignatureError) as excinfo:
        verifier.verify(_headers(_sign(pki.leaf.key)), BODY)
    assert _reason(excinfo) == reason


def test_str_body_is_a_programming_error(pki: Pki) -> None:
    verifier, _ = _verifier(pki, _pem(pki.leaf.cert, pki.intermediate.cert))
    with pytest.raises(TypeError):
        verifier.verify(_headers(_sign(pki.leaf.key)), BODY.decode())  # type: ignore[arg-type]


def test_empty_trusted_roots_are_refused() -> None:
    with pytest.raises(ValueError):
        SignatureVerifier(trusted_roots=[])


# --- cache ---------------------------------------------------------------------------------


def test_download_is_cached(pki: Pki) -> None:
    verifier, fetch = _verifier(pki, _pem(pki.leaf.cert, pki.intermediate.cert))
    verifier.verify(_headers(_sign(pki.leaf.key)), BODY)
    other_body = BODY.replace(b"LaunchRequest", b"SessionEndedRequest")
    verifier.verify(_headers(_sign(pki.leaf.key, other_body)), other_body)
    assert fetch.calls == [URL]


def test_cached_chain_still_rejects_bad_signatures(pki: Pki) -> None:
    verifier, fetch = _verifier(pki, _pem(pki.leaf.cert, pki.intermediate.cert))
    verifier.verify(_headers(_sign(pki.leaf.key)), BODY)
    with pytest.raises(SignatureError, match="does not match"):
        verifier.verify(_headers(_sign(pki.other_key)), BODY)
    assert len(fetch.calls) == 1


def test_cache_expires_with_the_leaf(pki: Pki) -> None:
    clock = Clock()
    verifier, fetch = _verifier(pki, _pem(pki.leaf.cert, pki.intermediate.cert), clock)
    verifier.verify(_headers(_sign(pki.leaf.key)), BODY)
    clock.now = pki.leaf.cert.not_valid_after_utc + timedelta(seconds=1)
    with pytest.raises(SignatureError, match="has expired"):
        verifier.verify(_headers(_sign(pki.leaf.key)), BODY)
    assert fetch.calls == [URL, URL]  # the stale entry was dropped and the URL fetched again


def test_failed_chains_are_not_cached(pki: Pki) -> None:
    verifier, fetch = _verifier(pki, _pem(pki.leaf.cert))  # intermediate missing
    for _ in range(2):
        with pytest.raises(SignatureError):
            verifier.verify(_headers(_sign(pki.leaf.key)), BODY)
    assert len(fetch.calls) == 2


# --- certificate URL -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
        "HTTPS://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/./echo-api-cert.pem",
    ],
)
def test_good_cert_urls_pass(url: str) -> None:
    check_cert_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://notamazon.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem",
        "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem",
        "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem",
        # Beyond Amazon's examples: ways to leave /echo.api/ or the host after normalising.
        "https://s3.amazonaws.com/echo.api/../evil/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/%2e%2e/evil/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api",
        "https://s3.amazonaws.com.evil.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com@evil.com/echo.api/echo-api-cert.pem",
        "https://user@s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com:notaport/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com\\@evil.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/ echo-api-cert.pem",
        "file:///echo.api/echo-api-cert.pem",
        "//s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "",
    ],
)
def test_bad_cert_urls_fail(url: str) -> None:
    with pytest.raises(SignatureError):
        check_cert_url(url)


def test_default_fetch_refuses_plain_http() -> None:
    with pytest.raises(ValueError):
        _https_fetch("http://s3.amazonaws.com/echo.api/echo-api-cert.pem")


# --- timestamp -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "timestamp",
    [
        "2026-03-01T12:00:00Z",
        "2026-03-01T11:57:30Z",  # exactly 150 s old
        "2026-03-01T12:02:30Z",  # exactly 150 s ahead
        "2026-03-01T11:58:00.123Z",
        "2026-03-01T11:58:00.123456789Z",
        "2026-03-01T11:59:00+00:00",
        "2026-03-01T13:59:00+02:00",
        "2026-03-01T06:59:00-05:00",
    ],
)
def test_timestamp_within_tolerance_passes(timestamp: str) -> None:
    check_timestamp(timestamp, now=NOW)


@pytest.mark.parametrize(
    "timestamp",
    [
        "2026-03-01T11:57:29Z",  # 151 s old
        "2026-03-01T12:02:31Z",  # 151 s in the future
        "2026-03-01T11:57:29.999+00:00",
        "2026-03-01T12:00:00+01:00",  # an hour off once the offset is applied
        "2025-03-01T12:00:00Z",
    ],
)
def test_timestamp_outside_tolerance_fails(timestamp: str) -> None:
    with pytest.raises(TimestampError, match="away from the server time"):
        check_timestamp(timestamp, now=NOW)


@pytest.mark.parametrize(
    "timestamp",
    [
        "",
        "garbage",
        "2026-03-01",
        "2026-03-01T12:00:00",  # no offset: the moment would be a guess
        "2026-03-01 12:00:00Z",
        "2026-13-01T12:00:00Z",
        "2026-03-01T12:00:60Z",
        "2026-03-01T12:00:00+24:00",
        "2026-03-01T12:00:00Z trailing",
        "\u0662\u0660\u0662\u0666-03-01T12:00:00Z",  # non-ASCII digits
        None,
    ],
)
def test_unparseable_timestamp_fails(timestamp: str) -> None:
    with pytest.raises(TimestampError, match="not an ISO 8601"):
        check_timestamp(timestamp, now=NOW)


def test_timestamp_defaults_to_the_current_time() -> None:
    recent = (datetime.now(timezone.utc) - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    check_timestamp(recent)


def test_timestamp_with_naive_now_is_utc() -> None:
    check_timestamp("2026-03-01T12:00:00Z", now=NOW.replace(tzinfo=None))


def test_errors_share_a_base_and_carry_their_reason() -> None:
    with pytest.raises(AlexaVerificationError) as excinfo:
        check_timestamp("garbage", now=NOW)
    assert str(excinfo.value) == excinfo.value.reason
    assert not issubclass(TimestampError, SignatureError)
