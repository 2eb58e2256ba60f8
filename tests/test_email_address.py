"""Email addresses typed and spoken: extraction, validation and spelling back."""

from __future__ import annotations

import dataclasses

import pytest

from actions.email_address import EmailCheck, extract_email, spell_out, validate_email


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sam@example.com", "sam@example.com"),
        ("it's Sam.Rivera@Example.org please", "Sam.Rivera@example.org"),
        ("Send it to <jo@MAIL.com>.", "jo@mail.com"),
        ("mailto:Sam@Example.COM", "Sam@example.com"),
        ("sam.rivera at example.com", "sam.rivera@example.com"),
    ],
)
def test_extracts_typed_addresses(text: str, expected: str) -> None:
    assert extract_email(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sam dot rivera at example dot org", "sam.rivera@example.org"),
        ("s a m underscore r at example dot co dot uk", "sam_r@example.co.uk"),
        ("jo dash lee at mail dot com", "jo-lee@mail.com"),
        ("jo hyphen lee at mail dot com", "jo-lee@mail.com"),
        ("my email is sam at example dot org", "sam@example.org"),
        ("Sam Dot Rivera At Example Dot ORG", "sam.rivera@example.org"),
        ("sam plus news at gmail dot com", "sam+news@gmail.com"),
        ("sam period rivera at example dot org", "sam.rivera@example.org"),
        ("it's s a m 4 2 at example dot com", "sam42@example.com"),
        ("S. A. M. at example dot org.", "sam@example.org"),
        ("my e mail is j o h n at my dash mail dot com thanks", "john@my-mail.com"),
        ("It’s sam at example dot org", "sam@example.org"),
    ],
)
def test_extracts_spoken_addresses(text: str, expected: str) -> None:
    assert extract_email(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "yes please", "I am at home.", "meet at home. Then go", "at this point I know"],
)
def test_no_address_gives_none(text: str) -> None:
    assert extract_email(text) is None


def test_several_addresses_are_kept_for_validation_to_refuse() -> None:
    # Picking one of them silently could send health information to the wrong person.
    found = extract_email("a@x.com, b@y.com")
    assert found == "a@x.com, b@y.com"
    assert validate_email(found).problem == "several_recipients"


def test_invalid_candidate_is_still_returned() -> None:
    assert extract_email("sam@@example.com") == "sam@@example.com"


def test_valid_address_is_normalised() -> None:
    check = validate_email("  Sam.Rivera@Example.ORG ")
    assert check == EmailCheck(ok=True, address="Sam.Rivera@example.org", problem=None)


def test_email_check_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        validate_email("sam@example.com").ok = False  # type: ignore[misc]


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("a@x.com\nBcc: b@y.com", "line_break"),
        ("a@x.com\r\nSubject: hi", "line_break"),
        ("a@x.com\r", "line_break"),
        ("a@x.com%0aBcc:b@y.com", "line_break"),
        ("a@x.com%0D%0ABcc:b@y.com", "line_break"),
        ("a@x.com&#10;", "line_break"),
        ("a@x.com, b@y.com", "several_recipients"),
        ("a@x.com;b@y.com", "several_recipients"),
        ("a@b@x.com", "several_recipients"),
        ("not-an-email", "invalid"),
        ("sam@example", "invalid"),
        ("sam..r@example.com", "invalid"),
        ("sam rivera@example.com", "invalid"),
    ],
)
def test_validation_refusals(address: str, problem: str) -> None:
    check = validate_email(address)
    assert not check.ok
    assert check.problem == problem


@pytest.mark.parametrize(
    ("address", "spoken"),
    [
        ("sam.rivera@example.org", "s a m dot r i v e r a at example dot org"),
        ("sam_r@example.co.uk", "s a m underscore r at example dot co dot uk"),
        ("jo-lee@my-mail.com", "j o dash l e e at my dash mail dot com"),
        ("Sam+42@Example.com", "s a m plus 4 2 at example dot com"),
    ],
)
def test_spell_out(address: str, spoken: str) -> None:
    assert spell_out(address) == spoken


def test_spoken_address_round_trip() -> None:
    found = extract_email("s a m dot r i v e r a at example dot org")
    assert found is not None
    check = validate_email(found)
    assert check.ok
    assert spell_out(check.address) == "s a m dot r i v e r a at example dot org"
