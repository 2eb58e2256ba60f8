from pathlib import Path

import yaml

from actions.choices import choose, parse_payload

DOMAIN = yaml.safe_load((Path(__file__).resolve().parent.parent / "domain.yml").read_text())


def test_numbers_pick_buttons():
    assert choose(DOMAIN, "utter_ask_her2", "1") == ("affirm", [])
    assert choose(DOMAIN, "utter_ask_her2", "number two") == ("deny", [])
    assert choose(DOMAIN, "utter_ask_her2", "the third one") == ("dont_know", [])
    assert choose(DOMAIN, "utter_ask_spread", "3") == (
        "inform_profile",
        [{"entity": "spread_site", "value": "liver"}],
    )


def test_out_of_range_or_no_number_picks_nothing():
    assert choose(DOMAIN, "utter_ask_her2", "9") is None
    assert choose(DOMAIN, "utter_ask_her2", "maybe") is None
    assert choose(DOMAIN, "utter_no_such_response", "1") is None


def test_bad_payloads_are_refused():
    assert parse_payload("hello") is None
    assert parse_payload('/inform{"broken"') is None
