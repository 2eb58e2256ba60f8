"""Every response the actions send exists in domain.yml, and every response there is used."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
# The Rasa server's own code says one response (the action server down: stores/action_outage.py).
ACTIONS_SOURCE = (ROOT / "actions" / "actions.py").read_text() + (
    ROOT / "stores" / "action_outage.py"
).read_text()
RULES = (ROOT / "data" / "rules.yml").read_text()

# Responses chosen by name at run time: f"utter_ask_{question}" and the like.
DYNAMIC_PREFIXES = (
    "utter_ask_",
    "utter_email_problem_",
    "utter_rate_",
    "utter_what_can_i_say_",
)
DYNAMIC_NAMES = {"utter_emergency", "utter_crisis"}


def named_in_actions() -> set[str]:
    return set(re.findall(r'"(utter_\w+)"', ACTIONS_SOURCE))


def test_every_response_the_actions_send_exists():
    missing = named_in_actions() - set(DOMAIN["responses"])
    assert not missing


def test_every_response_in_the_domain_is_used():
    used = named_in_actions() | set(re.findall(r"action: (utter_\w+)", RULES))
    unused = {
        name
        for name in DOMAIN["responses"]
        if name not in used and not name.startswith(DYNAMIC_PREFIXES) and name not in DYNAMIC_NAMES
    }
    assert not unused


def test_every_profile_question_has_a_response():
    from actions.actions import PROFILE_QUESTIONS

    for question in PROFILE_QUESTIONS:
        assert f"utter_ask_{question}" in DOMAIN["responses"]


def test_every_email_problem_has_a_response():
    for problem in ("empty", "line_break", "several_recipients", "invalid"):
        assert f"utter_email_problem_{problem}" in DOMAIN["responses"]


def test_every_custom_action_is_declared():
    declared = set(DOMAIN["actions"])
    defined = set(re.findall(r'return "(action_\w+)"', ACTIONS_SOURCE))
    assert defined == declared


def test_the_action_server_registers_exactly_the_domain_actions():
    # Imports every module under actions/ as the action server does at start.
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == set(DOMAIN["actions"])


def test_every_voice_control_answer_has_a_response():
    from actions.actions import PROFILE_QUESTIONS

    for intent in ("slower", "faster"):
        assert f"utter_rate_{intent}" in DOMAIN["responses"]
        assert f"utter_rate_limit_{intent}" in DOMAIN["responses"]
    for state in PROFILE_QUESTIONS + ("email_address", "remove_which", "pick_option"):
        assert f"utter_what_can_i_say_{state}" in DOMAIN["responses"]


def test_voice_variants_keep_the_buttons_of_their_response():
    # A spoken question must offer the same numbered choices as the written one.
    for name, variants in DOMAIN["responses"].items():
        default = [v for v in variants if "channel" not in v]
        voice = [v for v in variants if v.get("channel") == "voice"]
        for variant in voice:
            assert variant.get("buttons") == default[0].get("buttons"), name
