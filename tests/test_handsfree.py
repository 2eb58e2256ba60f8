"""Hands-free loop: the utterance segmenter on real synthesized speech, and one spoken
conversation through the real speech channel (a WAV file as the microphone)."""

from __future__ import annotations

import socket
from typing import Any

import numpy as np
import pytest

from channels.audio import MODEL_RATE, read_wav, write_wav
from channels.speech_settings import SpeechSettings
from channels.synthesizer import PiperSynthesizer
from handsfree.devices import RecordingSpeaker, WavFileMicrophone
from handsfree.loop import Reply, SpeechClient, SpeechError, run_loop
from handsfree.vad import WINDOW, EnergyDetector, SileroDetector, UtteranceSegmenter
from tests.servers import MODEL

NOISE_LEVEL = 0.003  # about -50 dBFS: a quiet room
CAP_SECONDS = 30.0


@pytest.fixture(scope="module")
def voice() -> PiperSynthesizer:
    settings = SpeechSettings.from_env()
    return PiperSynthesizer(settings.voice_path, settings.voice_config()).load()


def say(voice: PiperSynthesizer, text: str) -> np.ndarray:
    """Piper speech as 16 kHz float32 samples."""
    return read_wav(voice.speak(text)).samples


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * MODEL_RATE), dtype=np.float32)


def with_noise(samples: np.ndarray, seed: int = 7) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0.0, NOISE_LEVEL, samples.size)
    return (samples + noise).astype(np.float32)


def speech_span(samples: np.ndarray) -> float:
    """Seconds from the first to the last clearly audible sample of a clean clip."""
    loud = np.flatnonzero(np.abs(samples) > 0.02)
    return (loud[-1] - loud[0]) / MODEL_RATE


def segment(segmenter: UtteranceSegmenter, audio: np.ndarray, chunk: int = 1000) -> list:
    """Feed ``audio`` in chunks that don't line up with the VAD windows; flush at the end."""
    found = []
    for start in range(0, audio.size, chunk):
        found.extend(segmenter.feed(audio[start : start + chunk]))
    last = segmenter.flush()
    return found + ([last] if last is not None else [])


def test_the_streaming_detector_matches_silero_on_the_whole_clip(voice):
    from faster_whisper.vad import get_vad_model

    audio = np.concatenate([quiet(0.5), say(voice, "Hello there."), quiet(0.5)])
    audio = audio[: audio.size // WINDOW * WINDOW]
    whole = np.asarray(get_vad_model()(audio)).ravel()
    detector = SileroDetector()
    windows = audio.reshape(-1, WINDOW)
    streamed = np.concatenate(
        [detector.probabilities(windows[i : i + 7]) for i in range(0, len(windows), 7)]
    )
    assert np.allclose(streamed, whole, atol=1e-5)


def test_two_phrases_separated_by_silence_are_two_utterances(voice):
    first = say(voice, "What is tamoxifen?")
    second = say(voice, "Tell me about the side effects of chemotherapy.")
    audio = with_noise(np.concatenate([quiet(1.0), first, quiet(1.5), second, quiet(1.5)]))

    utterances = segment(UtteranceSegmenter(), audio)

    assert len(utterances) == 2
    for utterance, clip in zip(utterances, (first, second), strict=True):
        seconds = utterance.size / MODEL_RATE
        # The speech itself, plus about 0.3 s of pre-roll, 0.3 s of tail and the VAD's lag.
        assert speech_span(clip) - 0.1 <= seconds <= speech_span(clip) + 0.9, seconds
    assert utterances[1].size > utterances[0].size  # the longer phrase gave the longer utterance


def test_silence_and_low_noise_are_no_utterance():
    assert segment(UtteranceSegmenter(), quiet(5.0)) == []
    assert segment(UtteranceSegmenter(), with_noise(quiet(10.0))) == []


def test_a_long_monologue_is_cut_at_the_cap(voice):
    sentence = say(
        voice,
        "Metastatic breast cancer is treated with hormone therapy, targeted drugs "
        "and chemotherapy, often one after another.",
    )
    sentence = sentence[: np.flatnonzero(np.abs(sentence) > 0.02)[-1] + 1]  # no trailing pause
    breath = quiet(0.2)  # between sentences: never the 0.8 s that ends an utterance
    repeats = int(np.ceil(40.0 * MODEL_RATE / (sentence.size + breath.size)))
    monologue = np.concatenate([sentence, breath] * repeats)
    audio = with_noise(np.concatenate([quiet(0.5), monologue, quiet(1.5)]))
    rest = monologue.size / MODEL_RATE - CAP_SECONDS + 0.3  # what the second utterance gets

    utterances = segment(UtteranceSegmenter(max_seconds=CAP_SECONDS), audio)

    lengths = [u.size / MODEL_RATE for u in utterances]
    assert len(utterances) == 2, lengths
    assert CAP_SECONDS - 0.1 <= lengths[0] <= CAP_SECONDS
    assert rest - 1.0 <= lengths[1] <= rest + 1.0, (lengths, rest)
    assert max(lengths) <= CAP_SECONDS


class Steps:
    """A detector that says speech (1) or silence (0) per window, from a script."""

    def __init__(self, script: list[int]) -> None:
        self.script = list(script)

    def reset(self) -> None:
        pass

    def probabilities(self, windows: np.ndarray) -> np.ndarray:
        taken, self.script = self.script[: len(windows)], self.script[len(windows) :]
        return np.array(taken + [0] * (len(windows) - len(taken)), dtype=np.float32)


def test_a_click_too_short_to_be_a_word_is_dropped():
    # 4 windows (0.13 s) of "speech", then silence: below the 0.25 s minimum.
    script = [0] * 20 + [1] * 4 + [0] * 60
    audio = np.zeros(len(script) * WINDOW, dtype=np.float32)
    assert segment(UtteranceSegmenter(Steps(script)), audio) == []
    script = [0] * 20 + [1] * 12 + [0] * 60
    (utterance,) = segment(UtteranceSegmenter(Steps(script)), audio)
    # pre-roll (9 windows) + speech (12) + tail (9)
    assert utterance.size == (9 + 12 + 9) * WINDOW


def test_the_energy_detector_hears_speech_and_not_a_quiet_room(voice):
    audio = with_noise(np.concatenate([quiet(1.0), say(voice, "Hello."), quiet(1.5)]))
    assert len(segment(UtteranceSegmenter(EnergyDetector()), audio)) == 1
    assert segment(UtteranceSegmenter(EnergyDetector()), with_noise(quiet(3.0))) == []


class FakeClient:
    """Answers every utterance; the third one ends the session. Records pauses of the mic."""

    def __init__(self, microphone: Any) -> None:
        self.microphone = microphone
        self.sent: list[bytes] = []

    def send(self, wav: bytes) -> Reply:
        assert self.microphone.paused, "the microphone must not listen while the assistant talks"
        self.sent.append(wav)
        if len(self.sent) == 2:
            raise SpeechError("400: The WAV file holds no sound.")
        reply_audio = write_wav(np.zeros(MODEL_RATE, dtype=np.float32), MODEL_RATE)
        return Reply("hi", f"reply {len(self.sent)}", reply_audio, len(self.sent) == 3, None, [])


class ScriptedMicrophone(WavFileMicrophone):
    def __init__(self, audio: np.ndarray) -> None:
        super().__init__(wav=write_wav(audio, MODEL_RATE))
        self.paused = False

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False


def test_the_loop_pauses_the_microphone_and_stops_when_the_assistant_says_so():
    speech, gap = [1] * 20, [0] * 40
    script = gap + (speech + gap) * 4  # four utterances; the session ends on the third reply
    microphone = ScriptedMicrophone(np.zeros(len(script) * WINDOW, dtype=np.float32))
    client, speaker, events = FakeClient(microphone), RecordingSpeaker(), []

    turns = run_loop(microphone, speaker, client, events.append, UtteranceSegmenter(Steps(script)))

    assert turns == 2  # the refused utterance is not a turn
    assert len(client.sent) == 3 and len(speaker.played) == 2
    assert any("could not use that audio" in line for line in events)
    assert events[-1] == "Assistant: reply 3"


def test_an_assistant_that_cannot_be_reached_is_said_and_the_loop_keeps_listening():
    speech, gap = [1] * 20, [0] * 40
    script = gap + (speech + gap) * 2
    microphone = ScriptedMicrophone(np.zeros(len(script) * WINDOW, dtype=np.float32))
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    client, events = SpeechClient(closed, "nobody", timeout=2), []

    turns = run_loop(
        microphone, RecordingSpeaker(), client, events.append, UtteranceSegmenter(Steps(script))
    )

    assert turns == 0
    assert sum("can't be reached" in line for line in events) == 2  # both utterances, no crash
    assert microphone.paused is False


@pytest.mark.e2e
@pytest.mark.skipif(not MODEL.exists(), reason="needs a trained model: run `make train`")
def test_a_spoken_conversation_through_the_speech_channel(assistant, voice, tmp_path):
    """What is tamoxifen, then stop; the "hello" after stop must never be sent."""
    recording = np.concatenate(
        [
            quiet(0.8),
            say(voice, "What is tamoxifen?"),
            quiet(2.0),
            say(voice, "Stop."),
            quiet(2.0),
            say(voice, "Hello."),
            quiet(2.0),
        ]
    )
    path = tmp_path / "microphone.wav"
    path.write_bytes(write_wav(with_noise(recording), MODEL_RATE))

    replies: list[Reply] = []

    class Client(SpeechClient):
        def send(self, wav: bytes) -> Reply:
            replies.append(super().send(wav))
            return replies[-1]

    speaker, events = RecordingSpeaker(), []
    client = Client(assistant.url, "handsfree-e2e")
    turns = run_loop(WavFileMicrophone(path), speaker, client, events.append)

    assert turns == 2, events
    assert len(speaker.played) == 2
    for wav in speaker.played:
        assert read_wav(wav).seconds > 0.5
    assert "tamoxifen" in replies[0].transcript.lower(), replies[0]
    assert "tamoxifen" in replies[0].text.lower(), replies[0].text
    assert not replies[0].end
    assert replies[1].end, replies[1]
