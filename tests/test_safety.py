import pytest

from actions.safety import classify_danger


@pytest.mark.parametrize(
    "text, expected",
    [
        ("I don't want to go on", "crisis"),
        ("i cant go on anymore", "crisis"),
        ("I want to end my life", "crisis"),
        ("i have no hope left", "crisis"),
        ("thinking about killing myself", "crisis"),
        ("crushing chest pain", "emergency"),
        ("i cant breath", "emergency"),
        ("my face is drooping", "emergency"),
        ("Call 911", "emergency"),
        ("I need an ambulance", "emergency"),
        ("I don't want to go on chemo", None),
        ("what is tamoxifen", None),
        ("", None),
    ],
)
def test_danger_words(text, expected):
    assert classify_danger(text) == expected
