"""The Alexa skill package (manifest and interaction model) and the request fixtures."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from channels.alexa_intents import BUILT_IN_INTENTS, CATCH_ALL_INTENT, UTTERANCE_SLOT
from tests import alexa_fixtures

PACKAGE = Path(__file__).resolve().parent.parent / "skill-package"
MANIFEST = PACKAGE / "skill.json"
MODELS = sorted((PACKAGE / "interactionModels" / "custom").glob("*.json"))
WEBHOOK_PATH = "/webhooks/alexa/webhook"

SKILL_ID = "amzn1.ask.skill.00000000-1111-2222-3333-444444444444"
USER_ID = "amzn1.ask.account.TESTUSER"
SESSION_ID = "amzn1.echo-api.session.11111111-2222-3333-4444-555555555555"

# Amazon's certification needs these built-ins in every custom skill.
REQUIRED_BUILT_INS = {
    "AMAZON.StopIntent",
    "AMAZON.CancelIntent",
    "AMAZON.HelpIntent",
    "AMAZON.FallbackIntent",
}


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return load(MANIFEST)["manifest"]


def language_model(path: Path) -> dict[str, Any]:
    return load(path)["interactionModel"]["languageModel"]


def parse_timestamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


# --- interaction model ------------------------------------------------------------------------


def test_there_is_an_en_us_model():
    assert [path.name for path in MODELS] == ["en-US.json"]


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_invocation_name_is_lower_case_and_at_least_two_words(path):
    name = language_model(path)["invocationName"]
    assert name == "treatment guide"
    assert name == name.lower()
    assert len(name.split()) >= 2
    assert re.fullmatch(r"[a-z ]+", name)


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_catch_all_intent_has_the_utterance_slot_of_a_defined_type(path):
    model = language_model(path)
    intents = {intent["name"]: intent for intent in model["intents"]}
    catch_all = intents[CATCH_ALL_INTENT]
    assert [slot["name"] for slot in catch_all["slots"]] == [UTTERANCE_SLOT]
    slot_type = catch_all["slots"][0]["type"]
    assert slot_type in {t["name"] for t in model.get("types", [])}
    assert f"{{{UTTERANCE_SLOT}}}" in catch_all["samples"]


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_catch_all_slot_type_has_many_unique_values(path):
    model = language_model(path)
    catch_all = next(i for i in model["intents"] if i["name"] == CATCH_ALL_INTENT)
    slot_type = catch_all["slots"][0]["type"]
    values = [
        value["name"]["value"]
        for t in model["types"]
        if t["name"] == slot_type
        for value in t["values"]
    ]
    assert len(values) >= 60
    normalised = [" ".join(value.lower().split()) for value in values]
    assert len(normalised) == len(set(normalised)), "duplicate slot values"
    assert all(value.strip() for value in values)


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_every_built_in_the_channel_maps_is_in_the_model(path):
    names = {intent["name"] for intent in language_model(path)["intents"]}
    assert set(BUILT_IN_INTENTS) <= names


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_model_has_no_intent_the_channel_does_not_handle(path):
    names = [intent["name"] for intent in language_model(path)["intents"]]
    assert len(names) == len(set(names)), "an intent is declared twice"
    unhandled = [n for n in names if n != CATCH_ALL_INTENT and n not in BUILT_IN_INTENTS]
    assert unhandled == []


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_model_has_the_built_ins_certification_needs(path):
    names = {intent["name"] for intent in language_model(path)["intents"]}
    assert REQUIRED_BUILT_INS <= names


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_every_declared_slot_type_is_used(path):
    model = language_model(path)
    used = {slot["type"] for intent in model["intents"] for slot in intent.get("slots", [])}
    assert {t["name"] for t in model.get("types", [])} <= used


# --- skill manifest ---------------------------------------------------------------------------


def test_manifest_is_a_custom_skill_in_health_and_fitness(manifest):
    assert manifest["manifestVersion"] == "1.0"
    assert "custom" in manifest["apis"]
    assert manifest["publishingInformation"]["category"] == "HEALTH_AND_FITNESS"
    assert "en-US" in manifest["publishingInformation"]["locales"]


def test_every_locale_has_a_model_and_the_other_way_round(manifest):
    assert set(manifest["publishingInformation"]["locales"]) == {path.stem for path in MODELS}


def test_every_description_carries_the_disclaimer(manifest):
    for locale, info in manifest["publishingInformation"]["locales"].items():
        description = info["description"].lower()
        assert re.search(r"(not|n't) (give )?medical advice", description), locale
        assert "911" in description, locale
        assert "care team" in description or "doctor" in description, locale
        assert "metastatic breast cancer" in description, locale


def test_example_phrases_use_the_invocation_name(manifest):
    invocation = language_model(MODELS[0])["invocationName"]
    for locale, info in manifest["publishingInformation"]["locales"].items():
        phrases = info["examplePhrases"]
        assert 1 <= len(phrases) <= 3, locale
        for phrase in phrases:
            assert phrase.startswith("Alexa, "), phrase
            assert invocation in phrase.lower(), phrase


def test_summary_and_name_fit_the_store_limits(manifest):
    for locale, info in manifest["publishingInformation"]["locales"].items():
        assert 0 < len(info["name"]) <= 50, locale
        assert 0 < len(info["summary"]) <= 160, locale
        assert 0 < len(info["description"]) <= 4000, locale
        assert 0 < len(info["keywords"]) <= 30, locale


def test_privacy_and_compliance(manifest):
    privacy = manifest["privacyAndCompliance"]
    assert privacy["allowsPurchases"] is False
    assert privacy["usesPersonalInfo"] is True
    assert privacy["isChildDirected"] is False
    assert privacy["isExportCompliant"] is True
    assert privacy["containsAds"] is False
    # A skill that collects personal information needs a privacy policy in every locale.
    for locale in manifest["publishingInformation"]["locales"]:
        assert privacy["locales"][locale]["privacyPolicyUrl"].startswith("https://")


def test_endpoint_is_the_rasa_alexa_webhook_over_trusted_https(manifest):
    endpoints = [manifest["apis"]["custom"]["endpoint"]]
    endpoints += [r["endpoint"] for r in manifest["apis"]["custom"].get("regions", {}).values()]
    for endpoint in endpoints:
        uri = urlparse(endpoint["uri"])
        assert uri.scheme == "https"
        assert uri.path.endswith(WEBHOOK_PATH)
        assert endpoint["sslCertificateType"] == "Trusted"


# --- request fixtures -------------------------------------------------------------------------


def assert_amazon_envelope(envelope: dict[str, Any], request_type: str) -> dict[str, Any]:
    assert envelope["version"] == "1.0"
    session = envelope["session"]
    assert session["sessionId"] == SESSION_ID
    assert isinstance(session["new"], bool)
    assert session["attributes"] == {}
    assert session["application"]["applicationId"] == SKILL_ID
    assert session["user"]["userId"] == USER_ID
    system = envelope["context"]["System"]
    assert system["application"]["applicationId"] == SKILL_ID
    assert system["user"]["userId"] == USER_ID
    assert system["device"]["deviceId"]
    assert isinstance(system["device"]["supportedInterfaces"], dict)
    assert system["apiEndpoint"].startswith("https://")
    request = envelope["request"]
    assert request["type"] == request_type
    assert request["requestId"].startswith("amzn1.echo-api.request.")
    assert request["locale"] == "en-US"
    assert "dialogState" not in request
    stamp = parse_timestamp(request["timestamp"])
    assert abs(datetime.now(timezone.utc) - stamp) < timedelta(seconds=5)
    json.dumps(envelope)  # plain JSON, as it goes over the wire
    return request


def test_launch_envelope():
    envelope = alexa_fixtures.launch(SKILL_ID, USER_ID, SESSION_ID)
    assert_amazon_envelope(envelope, "LaunchRequest")
    assert envelope["session"]["new"] is True


def test_intent_envelope_for_a_built_in_has_no_slots():
    envelope = alexa_fixtures.intent(SKILL_ID, USER_ID, SESSION_ID, "AMAZON.HelpIntent")
    request = assert_amazon_envelope(envelope, "IntentRequest")
    assert envelope["session"]["new"] is False
    assert request["intent"] == {"name": "AMAZON.HelpIntent", "confirmationStatus": "NONE"}


def test_utterance_envelope_carries_the_words_in_the_catch_all_slot():
    envelope = alexa_fixtures.utterance(SKILL_ID, USER_ID, SESSION_ID, "what is tamoxifen")
    request = assert_amazon_envelope(envelope, "IntentRequest")
    assert request["intent"] == {
        "name": CATCH_ALL_INTENT,
        "confirmationStatus": "NONE",
        "slots": {
            UTTERANCE_SLOT: {
                "name": UTTERANCE_SLOT,
                "value": "what is tamoxifen",
                "confirmationStatus": "NONE",
            }
        },
    }


def test_session_ended_envelope():
    envelope = alexa_fixtures.session_ended(SKILL_ID, USER_ID, SESSION_ID)
    request = assert_amazon_envelope(envelope, "SessionEndedRequest")
    assert request["reason"] == "USER_INITIATED"
    assert "error" not in request
    error = alexa_fixtures.session_ended(SKILL_ID, USER_ID, SESSION_ID, reason="ERROR")
    assert error["request"]["error"]["type"]


def test_fixture_timestamps_can_be_set_for_replay_checks():
    old = datetime(2024, 5, 1, 12, 34, 56, tzinfo=timezone.utc)
    envelope = alexa_fixtures.launch(SKILL_ID, USER_ID, SESSION_ID, timestamp=old)
    assert envelope["request"]["timestamp"] == "2024-05-01T12:34:56Z"
    raw = alexa_fixtures.intent(SKILL_ID, USER_ID, SESSION_ID, "X", timestamp="not a time")
    assert raw["request"]["timestamp"] == "not a time"


def test_each_fixture_request_has_its_own_id():
    first = alexa_fixtures.utterance(SKILL_ID, USER_ID, SESSION_ID, "one")
    second = alexa_fixtures.utterance(SKILL_ID, USER_ID, SESSION_ID, "one")
    assert first["request"]["requestId"] != second["request"]["requestId"]
