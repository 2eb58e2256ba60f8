import pytest

pytest.importorskip("rasa")

from rasa.shared.nlu.training_data.message import Message  # noqa: E402

from components.clinical_tokenizer import ClinicalTokenizer, split_words  # noqa: E402


def test_receptor_signs_stay_in_the_token():
    words = [w for w, _ in split_words("I'm ER+/PR- HER2- post-menopausal")]
    assert words == ["I'm", "ER+", "PR-", "HER2-", "post-menopausal"]


def test_email_addresses_are_one_token():
    assert [w for w, _ in split_words("send it to sam.rivera@example.org")][-1] == (
        "sam.rivera@example.org"
    )


@pytest.mark.parametrize("text", ["😀😀", "!!!", " "])
def test_text_without_words_still_gets_a_token(text):
    tokenizer = ClinicalTokenizer(ClinicalTokenizer.get_default_config())
    tokens = tokenizer.tokenize(Message(data={"text": text}), "text")
    assert len(tokens) == 1


def test_offsets_match_the_text():
    text = "ER+ and HER2-"
    for word, start in split_words(text):
        assert text[start : start + len(word)] == word
