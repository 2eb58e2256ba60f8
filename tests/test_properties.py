"""Property-based tests (hypothesis) of the normalisers and validators.

Example-based tests elsewhere pin the wordings people use; these check what must hold for every
input: a spoken address comes back as the address, a validator never lets a second recipient or a
line break through, no normaliser raises on arbitrary text, numbers and yes/no answers read the
same however they are embedded, and the profile stays consistent whatever facts arrive in
whatever order. Everything here runs without a Rasa server.
"""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from actions.actions import SPEECH_RATES, next_rate
from actions.content.catalog import catalog, normalize_name
from actions.content.eligibility import Profile, hormone_receptor_status
from actions.email_address import extract_email, spell_out, validate_email
from actions.guide import extract_own_question, parse_position
from actions.profile_state import (
    SPREAD_SITES,
    YES_NO_ANSWERS,
    answer_yes_no,
    leading_yes_no,
    update_from_entities,
)
from actions.safety import classify_danger
from channels.alexa_request import RequestError, parse_request
from channels.alexa_verify import TimestampError, check_timestamp
from channels.audio import AudioError, read_audio, read_wav
from channels.socketio_session import message_problem
from channels.voice import RATES, rate_from, sender_is_valid

# Pure functions are fast; a few hundred examples each keep the whole module near ten seconds.
settings.register_profile(
    "properties", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
PROPERTIES = settings.get_profile("properties")

# Anything a person, a recogniser or a hostile client could send: all of Unicode, controls too.
any_text = st.text(max_size=200)
# JSON values of any shape, as a client might put in a body.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)

# ---------------------------------------------------------------------------------------------
# Email addresses

# Words a spoken address gives a meaning to: as a domain label they would read as a symbol.
_SPOKEN_WORDS = {"at", "dot", "period", "underscore", "dash", "hyphen", "minus", "plus"}
# Words that tell where a spoken address starts ("my email is ..."), never part of a name.
_FILLER = {"is", "its", "my", "email", "address", "to", "me", "the", "was"}

_alnum = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=8)
_label = st.from_regex(r"[a-z][a-z0-9]{0,9}", fullmatch=True).filter(
    lambda label: label not in _SPOKEN_WORDS
)
_tld = st.from_regex(r"[a-z]{2,6}", fullmatch=True).filter(lambda tld: tld not in _SPOKEN_WORDS)


@st.composite
def addresses(draw: st.DrawFn) -> str:
    """A valid lower-case ASCII address: pieces joined by . _ - + before the @, labels after."""
    pieces = draw(st.lists(_alnum, min_size=1, max_size=3))
    joiners = draw(st.lists(st.sampled_from("._-+"), min_size=len(pieces) - 1, max_size=3))
    local = pieces[0] + "".join(j + p for j, p in zip(joiners, pieces[1:], strict=False))
    labels = draw(st.lists(_label, min_size=1, max_size=3))
    # A hyphen inside a label ("my-mail"), never at its ends.
    if draw(st.booleans()):
        labels[0] = f"{labels[0]}-{draw(_label)}"
    address = f"{local}@{'.'.join(labels)}.{draw(_tld)}"
    assume(validate_email(address).ok)
    return address


_name_word = st.from_regex(r"[a-z]{2,8}", fullmatch=True).filter(
    lambda word: word not in _SPOKEN_WORDS | _FILLER
)


@given(addresses())
@PROPERTIES
def test_a_spelled_back_address_is_read_as_the_same_address(address: str) -> None:
    # What the assistant says back ("s a m dot r i v e r a at example dot org") is what a
    # person repeats; heard again, it must give the same address.
    assert extract_email(spell_out(address)) == address


@given(addresses(), st.sampled_from(["", "my email is ", "it's ", "send it to "]))
@PROPERTIES
def test_a_spelled_address_in_a_sentence_is_found(address: str, lead: str) -> None:
    assert extract_email(f"{lead}{spell_out(address)} thanks") == address


@given(
    st.lists(_name_word, min_size=1, max_size=3),
    st.lists(st.sampled_from(["dot", "underscore", "dash", "plus"]), min_size=2, max_size=2),
    st.lists(_label, min_size=1, max_size=2),
    _tld,
)
@example(["jane", "doe"], ["dot", "dot"], ["example"], "com")
@PROPERTIES
def test_an_address_said_in_words_normalises_to_the_typed_one(
    names: list[str], joiners: list[str], labels: list[str], tld: str
) -> None:
    symbols = {"dot": ".", "underscore": "_", "dash": "-", "plus": "+"}
    spoken_local = names[0] + "".join(f" {j} {n}" for j, n in zip(joiners, names[1:], strict=False))
    typed_local = names[0] + "".join(
        symbols[j] + n for j, n in zip(joiners, names[1:], strict=False)
    )
    spoken = f"{spoken_local} at {' dot '.join(labels)} dot {tld}"
    typed = f"{typed_local}@{'.'.join(labels)}.{tld}"
    assert extract_email(spoken) == typed
    # Said in capitals (a recogniser's "Jane Dot Doe At Example Dot Com") changes nothing.
    assert extract_email(spoken.title()) == typed


@given(addresses(), st.sampled_from(["", "it's ", "Send it to <", "(", '"']))
@PROPERTIES
def test_a_typed_address_in_a_sentence_is_taken_as_written(address: str, lead: str) -> None:
    closing = {"Send it to <": ">.", "(": ").", '"': '"'}.get(lead, " please")
    assert extract_email(f"{lead}{address}{closing}") == address


@given(any_text)
@PROPERTIES
def test_the_email_functions_never_raise_on_any_text(text: str) -> None:
    found = extract_email(text)
    assert found is None or "@" in found
    check = validate_email(text)
    assert check.ok == (check.problem is None)
    spell_out(text)


@given(st.one_of(any_text, addresses(), addresses().map(str.upper)))
@PROPERTIES
def test_an_accepted_address_is_one_safe_recipient_and_stays_accepted(text: str) -> None:
    check = validate_email(text)
    assume(check.ok)
    address = check.address
    # Nothing that could add a recipient or a mail header gets through.
    assert address.count("@") == 1
    assert not any(char in address for char in ",;<>\"'\\")
    assert not any(char.isspace() or not char.isprintable() for char in address)
    # Validation is idempotent: the normalised address passes unchanged.
    assert validate_email(address) == check


@given(addresses(), st.sampled_from(["\n", "\r\n", "%0a", "%0D", "&#10;", "&#x0d;", "\\n"]))
@PROPERTIES
def test_a_line_break_anywhere_is_refused(address: str, line_break: str) -> None:
    cut = len(address) // 2
    check = validate_email(address[:cut] + line_break + "Bcc: x@evil.example" + address[cut:])
    assert not check.ok and check.problem in ("line_break", "several_recipients")


@given(addresses(), addresses(), st.sampled_from([", ", ",", ";", " ; "]))
@PROPERTIES
def test_two_addresses_are_never_one_recipient(first: str, second: str, joiner: str) -> None:
    assert validate_email(first + joiner + second).problem == "several_recipients"
    # Found in one sentence, both are kept so that validation refuses them together.
    assert validate_email(extract_email(f"{first} and {second}") or "").ok is False


@given(addresses())
@PROPERTIES
def test_spelling_back_uses_only_letters_digits_and_words(address: str) -> None:
    # It is read aloud and put in SSML: no symbol may reach the speech engine.
    assert set(spell_out(address)) <= set(string.ascii_lowercase + string.digits + " ")


# ---------------------------------------------------------------------------------------------
# Numbers: positions in a list, button choices, speech rates

_ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"]
_CARDINALS = ["one", "two", "three", "four", "five", "six", "seven", "eight"]


@given(st.integers(1, 100), st.data())
@PROPERTIES
def test_a_typed_or_spoken_number_picks_that_position(size: int, data: st.DataObject) -> None:
    number = data.draw(st.integers(1, size))
    forms = [str(number), f"number {number}", f"the {number}. one", f"#{number} please"]
    if number <= len(_ORDINALS):
        forms += [f"the {_ORDINALS[number - 1]} one", f"number {_CARDINALS[number - 1]}"]
    for text in forms:
        assert parse_position(text, size) == number - 1, text
    assert parse_position("the last one", size) == size - 1


@given(st.integers(0, 100), st.integers(0, 999))
@PROPERTIES
def test_a_number_outside_the_list_picks_nothing(size: int, number: int) -> None:
    assume(not 1 <= number <= size)
    assert parse_position(f"number {number}", size) is None


@given(any_text, st.integers(0, 50))
@PROPERTIES
def test_a_position_is_inside_the_list_or_none(text: str, size: int) -> None:
    position = parse_position(text, size)
    assert position is None or 0 <= position < size


@given(json_values)
@example(float("inf"))
@example(float("-inf"))
@example("1e999")
@example(1e308)
@PROPERTIES
def test_a_speech_rate_is_in_range_or_refused_for_any_json_value(value: object) -> None:
    # A JSON body can hold 1e999, which Python reads as infinity: refused, never a crash.
    rate = rate_from(value)
    assert rate is None or rate in RATES


@given(st.integers(RATES.start, RATES.stop - 1), st.sampled_from(["{}", " {} ", "{}.0"]))
@PROPERTIES
def test_every_rate_in_range_is_accepted_as_text(rate: int, form: str) -> None:
    assert rate_from(form.format(rate)) == (rate if form != "{}.0" else None)
    assert rate_from(rate) == rate


@given(json_values, st.sampled_from(["slower", "faster"]))
@example(float("inf"), "slower")
@example(float("nan"), "faster")
@PROPERTIES
def test_slower_and_faster_stay_in_the_steps_and_move_the_right_way(
    current: object, intent: str
) -> None:
    rate = next_rate(current, intent)
    assert rate in SPEECH_RATES
    again = next_rate(rate, intent)
    assert again <= rate if intent == "slower" else again >= rate


# ---------------------------------------------------------------------------------------------
# Yes and no, statuses, the profile

_YES = ["yes", "yeah", "yep", "sure", "correct", "i have", "i did", "it is", "positive"]
_NO = ["no", "nope", "nah", "never", "not yet", "i haven't", "i have not", "negative"]
# What may follow a yes or no that starts a sentence: a pause, or more words.
_tail = st.one_of(st.just(""), st.text(string.ascii_letters + " ,.!", max_size=30).map(" ".__add__))
_lead = st.sampled_from(["", " ", "...", '"', "(("])


@given(st.sampled_from(_YES), _tail, _lead, st.booleans())
@PROPERTIES
def test_a_leading_yes_is_a_yes(word: str, tail: str, lead: str, upper: bool) -> None:
    assume(not tail.strip(" ,.!").lower().startswith(("not", "never", "n't")))
    text = f"{lead}{word.upper() if upper else word}{tail}"
    assert leading_yes_no(text) == "affirm", text


@given(st.sampled_from(_NO), _tail, _lead)
@PROPERTIES
def test_a_leading_no_is_a_no(word: str, tail: str, lead: str) -> None:
    assume(not tail.strip(" ,.!").lower().startswith(("idea", "clue")))
    assert leading_yes_no(f"{lead}{word}{tail}") == "deny"


@given(
    st.sampled_from(["i have", "I have", "i did", "it is", "i've", "I am"]),
    st.sampled_from([" not", " never", "n't", " not really"]),
    _tail,
)
@example("I have", " not", " been through menopause")
@example("i have", " never", " had hormone therapy")
@PROPERTIES
def test_a_negated_yes_is_never_a_yes(start: str, negation: str, tail: str) -> None:
    # "I have not been through menopause" must not count as having been through it.
    assert leading_yes_no(f"{start}{negation}{tail}") != "affirm"


@given(st.sampled_from(["yesterday", "nobody", "notice", "sureness", "correction", "nothing"]))
@PROPERTIES
def test_a_word_that_only_starts_like_yes_or_no_is_neither(word: str) -> None:
    assert leading_yes_no(f"{word} happened") is None


@given(any_text)
@PROPERTIES
def test_yes_no_never_raises(text: str) -> None:
    assert leading_yes_no(text) in ("affirm", "deny", None)


_STATUS = st.sampled_from(["positive", "negative", "unknown", "Positive", "NEGATIVE"])
_entity = st.one_of(
    st.fixed_dictionaries(
        {
            "entity": st.sampled_from(["er_status", "pr_status", "hr_status", "her2_status"]),
            "value": _STATUS,
        }
    ),
    st.fixed_dictionaries(
        {"entity": st.just("menopause"), "value": st.sampled_from(["post", "pre", "unknown"])}
    ),
    st.fixed_dictionaries(
        {
            "entity": st.just("prior_hormone"),
            "value": st.sampled_from(["yes", "no", "unknown", "letrozole"]),
        }
    ),
    st.fixed_dictionaries(
        {"entity": st.just("spread_site"), "value": st.sampled_from([*SPREAD_SITES, "skin"])}
    ),
    st.fixed_dictionaries({"entity": st.just("subtype"), "value": st.just("triple_negative")}),
)
# What an NLU model or a typed payload ("/inform_profile{...}") could hand over.
_odd_entity = st.dictionaries(
    st.sampled_from(["entity", "value", "start", "role"]), json_values, max_size=4
)
_VALID = {
    "er": {"positive", "negative", "unknown", None},
    "pr": {"positive", "negative", "unknown", None},
    "hr": {"positive", "negative", "unknown", None},
    "her2": {"positive", "negative", "unknown", None},
    "menopause": {"post", "pre", "unknown", None},
    "prior_hormone": {"yes", "no", "unknown", None},
}


def _consistent(slots: dict) -> bool:
    """ER, PR and the overall hormone receptor answer don't contradict each other."""
    er, pr, hr = slots.get("er"), slots.get("pr"), slots.get("hr")
    if hr == "negative" and "positive" in (er, pr):
        return False
    if hr == "positive" and er == "negative" and pr == "negative":
        return False
    return True


@given(st.lists(st.lists(_entity | _odd_entity, max_size=5), max_size=6))
@PROPERTIES
def test_any_messages_leave_a_valid_and_consistent_profile(messages: list[list[dict]]) -> None:
    slots: dict = {}
    for entities in messages:
        update = update_from_entities(slots, entities)
        slots = {**slots, **update.values}
        for slot, value in slots.items():
            if slot == "spread":
                assert value and set(value) <= set(SPREAD_SITES) | {"unknown"}
            else:
                assert value in _VALID[slot], (slot, value)
        assert _consistent(slots), slots
        # The read-back and the eligibility rules agree on what was said.
        status = hormone_receptor_status(Profile.from_slots(slots))
        if "positive" in (slots.get("er"), slots.get("pr")):
            assert status == "positive"


@given(st.lists(st.lists(_entity, max_size=5), max_size=4), st.lists(_entity, max_size=5))
@PROPERTIES
def test_saying_the_same_thing_twice_changes_nothing_the_second_time(
    history: list[list[dict]], message: list[dict]
) -> None:
    slots: dict = {}
    for entities in [*history, message]:
        slots = {**slots, **update_from_entities(slots, entities).values}
    assert update_from_entities(slots, message).empty


@given(st.sampled_from(sorted(YES_NO_ANSWERS)), st.sampled_from(["affirm", "deny", "dont_know"]))
@PROPERTIES
def test_a_yes_or_no_answers_exactly_the_question_asked(question: str, intent: str) -> None:
    update = answer_yes_no({}, question, intent)
    yes, no = YES_NO_ANSWERS[question]
    expected = {"affirm": yes, "deny": no, "dont_know": "unknown"}[intent]
    assert update.values[question] == expected
    # Only "no" to the overall hormone receptor question says something about ER and PR.
    others = set(update.values) - {question}
    assert others == ({"er", "pr"} if (question, intent) == ("hr", "deny") else set())


# ---------------------------------------------------------------------------------------------
# Other normalisers: names, safety words, own questions

_DANGER = {
    "emergency": ["chest pain", "can't breathe", "coughing up blood", "call 911", "seizure"],
    "crisis": ["want to die", "kill myself", "end my life", "better off dead", "hopeless"],
}


@given(
    st.sampled_from([(kind, p) for kind, phrases in _DANGER.items() for p in phrases]),
    st.text(string.ascii_letters + " ,.", max_size=40),
    st.text(string.ascii_letters + " ,.", max_size=40),
    st.booleans(),
)
@PROPERTIES
def test_danger_words_are_found_in_any_sentence(
    danger: tuple[str, str], before: str, after: str, upper: bool
) -> None:
    kind, phrase = danger
    text = f"{before} {phrase.upper() if upper else phrase}. {after}"
    found = classify_danger(text)
    # Crisis outranks emergency; either way it is never missed.
    assert found == kind or (found == "crisis" and kind == "emergency")


@given(any_text)
@PROPERTIES
def test_name_lookup_is_idempotent_and_never_raises(text: str) -> None:
    once = normalize_name(text)
    assert normalize_name(once) == once
    assert catalog().find(text) is catalog().find(once) or not once


@given(st.sampled_from([item.name for item in catalog().items]), st.booleans(), st.booleans())
@PROPERTIES
def test_every_drug_is_found_whatever_its_case_and_spacing(
    name: str, upper: bool, spaced: bool
) -> None:
    spoken = name.upper() if upper else name
    if spaced:
        spoken = "-".join(spoken.split())
    assert catalog().find(f"  {spoken} ") is catalog().find(name)


@given(any_text)
@PROPERTIES
def test_an_own_question_is_tidy_and_short(text: str) -> None:
    question = extract_own_question(f"add: {text}")
    if question is not None:
        assert question == question.strip() and question[-1] in "?.!"
        assert len(question) <= 301


# ---------------------------------------------------------------------------------------------
# What the channels read from a request: only their own errors, never a crash

_ids = st.text(string.ascii_letters + string.digits + "_.:@-", min_size=1, max_size=128)


@given(_ids)
@PROPERTIES
def test_every_sender_made_of_allowed_characters_is_valid(sender: str) -> None:
    assert sender_is_valid(sender)


@given(any_text)
@PROPERTIES
def test_a_valid_sender_has_no_space_slash_or_control(sender: str) -> None:
    if sender_is_valid(sender):
        assert not any(c.isspace() or c in "/\\?#%" or not c.isprintable() for c in sender)


@given(json_values)
@PROPERTIES
def test_socketio_payloads_are_judged_never_crash(data: object) -> None:
    problem = message_problem(data)
    assert problem is None or isinstance(problem, str)


def _alexa_like() -> st.SearchStrategy[object]:
    """Envelopes shaped like Amazon's, with any part replaced by any JSON value."""
    part = st.one_of(json_values, st.text(max_size=20))
    return st.fixed_dictionaries(
        {},
        optional={
            "version": part,
            "session": st.fixed_dictionaries(
                {},
                optional={
                    "new": part,
                    "sessionId": part,
                    "application": st.fixed_dictionaries({}, optional={"applicationId": part})
                    | part,
                    "user": st.fixed_dictionaries({}, optional={"userId": part}) | part,
                },
            )
            | part,
            "context": part,
            "request": st.fixed_dictionaries(
                {},
                optional={
                    "type": st.sampled_from(["IntentRequest", "LaunchRequest"]) | part,
                    "timestamp": part,
                    "intent": st.fixed_dictionaries(
                        {}, optional={"name": part, "slots": json_values}
                    )
                    | part,
                },
            )
            | part,
        },
    )


@given(st.one_of(st.binary(max_size=300), _alexa_like().map(lambda v: json.dumps(v).encode())))
@example(b"\xff\xfe")
@example(b"[]")
@example(b"[" * 50_000)
@example(b'{"request": {"type": "IntentRequest", "intent": {"slots": {"a": 1}}}}')
@PROPERTIES
def test_an_alexa_body_parses_or_gets_a_4xx(body: bytes) -> None:
    try:
        parse_request(body)
    except RequestError as error:
        assert 400 <= error.status < 500


@given(
    st.one_of(
        any_text,
        st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
        st.from_regex(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)", fullmatch=True
        ),
    )
)
@example("0001-01-01T00:00:00+14:00")
@example("9999-12-31T23:59:59-14:00")
@PROPERTIES
def test_an_alexa_timestamp_is_accepted_or_refused_never_a_crash(timestamp: str) -> None:
    # A moment that leaves the years 1 to 9999 in UTC used to raise OverflowError: a 500.
    try:
        check_timestamp(timestamp)
    except TimestampError:
        pass


@given(st.binary(max_size=200))
@settings(PROPERTIES, max_examples=200)
def test_a_speech_body_that_looks_like_wav_decodes_or_gets_a_4xx(tail: bytes) -> None:
    for body in (tail, b"RIFF" + tail[:4] + b"WAVE" + tail[4:], b"RIFF\x00\x00\x00\x00WAVEfmt "):
        try:
            read_wav(body)
        except AudioError as error:
            assert 400 <= error.status < 500


@given(
    st.sampled_from([b"\x1a\x45\xdf\xa3", b"OggS", b"\x00\x00\x00\x20ftypisom"]),
    st.binary(max_size=400),
)
@settings(PROPERTIES, max_examples=150)
def test_a_body_that_looks_like_a_browser_recording_decodes_or_gets_a_4xx(
    magic: bytes, tail: bytes
) -> None:
    # WebM, Ogg and MP4 go to PyAV: whatever it makes of the bytes, the channel answers 4xx.
    try:
        read_audio(magic + tail)
    except AudioError as error:
        assert 400 <= error.status < 500


@pytest.mark.parametrize("value", ["1e999", "-1e999", "NaN"])
def test_json_infinity_is_not_a_rate(value: str) -> None:
    # The standard library reads these as float('inf') / nan: the /speak body can carry them.
    assert rate_from(json.loads(f"[{value}]")[0]) is None
