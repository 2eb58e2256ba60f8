import numpy as np
import pytest

from channels.audio import (
    MAX_SECONDS,
    MODEL_RATE,
    AudioError,
    read_audio,
    read_wav,
    resample,
    write_wav,
)
from tests.speech_audio import recording, tone, wav


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 48000])
def test_any_common_rate_becomes_16k_of_the_same_length(rate):
    clip = read_wav(wav(tone(2.0, rate), rate))
    assert clip.source_rate == rate
    assert clip.seconds == pytest.approx(2.0, abs=0.01)
    assert clip.samples.dtype == np.float32
    assert 0.15 < np.abs(clip.samples).max() <= 0.21


def test_stereo_is_mixed_down_to_mono():
    left = tone(1.0)
    stereo = np.column_stack([left, np.zeros_like(left)]).ravel()
    clip = read_wav(wav(stereo, channels=2))
    assert clip.seconds == pytest.approx(1.0, abs=0.01)
    assert np.abs(clip.samples).max() == pytest.approx(0.1, abs=0.01)


@pytest.mark.parametrize(
    "body, status, words",
    [
        (b"", 400, "no audio"),
        (None, 400, "no audio"),
        (b'{"message": "hi"}', 415, "not wav"),
        (b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk", 415, "could not be read"),
        (b"ID3\x03\x00" + b"\x00" * 100, 415, "not wav"),
    ],
)
def test_bodies_that_are_not_audio_are_refused_with_a_reason(body, status, words):
    with pytest.raises(AudioError) as refused:
        read_wav(body)
    assert refused.value.status == status
    assert words in refused.value.reason.lower()


def test_eight_bit_or_odd_rates_are_refused():
    with pytest.raises(AudioError, match="16-bit") as eight_bit:
        read_wav(wav(np.full(1600, 128, dtype=np.uint8), width=1))
    assert eight_bit.value.status == 415
    with pytest.raises(AudioError, match="12345 Hz"):
        read_wav(wav(tone(0.5, 12345), 12345))


def test_an_empty_wav_is_refused():
    with pytest.raises(AudioError, match="no sound") as empty:
        read_wav(wav(np.zeros(0, dtype="<i2")))
    assert empty.value.status == 400


def test_longer_than_a_minute_is_413():
    with pytest.raises(AudioError, match="too long") as long:
        read_wav(wav(np.zeros(int((MAX_SECONDS + 1) * 8000), dtype="<i2"), 8000))
    assert long.value.status == 413


def test_a_streamed_wav_with_no_length_in_its_header_is_read():
    # espeak-ng --stdout and some recorders write 0x7fffffff frames in the header.
    body = bytearray(wav(tone(1.5)))
    body[40:44] = (0x7FFFFFFF).to_bytes(4, "little")
    assert read_wav(bytes(body)).seconds == pytest.approx(1.5, abs=0.01)


def test_write_then_read_round_trip():
    samples = tone(0.5, MODEL_RATE).astype(np.float32) / 32768
    assert read_wav(write_wav(samples, MODEL_RATE)).seconds == pytest.approx(0.5, abs=0.01)


def test_resample_keeps_duration():
    assert resample(np.ones(44100, dtype=np.float32), 44100, 16000).size == 16000


@pytest.mark.parametrize(
    "container, codec", [("webm", "libopus"), ("ogg", "libopus"), ("mp4", "aac")]
)
def test_browser_recordings_are_decoded_to_16_khz_mono(container: str, codec: str) -> None:
    body = recording(wav(tone(2.0, 16000)), container, codec)
    clip = read_audio(body)
    assert clip.source_rate == MODEL_RATE
    assert clip.seconds == pytest.approx(2.0, abs=0.05)
    # The tone survives the codec: it is loud, not silence.
    assert float(np.abs(clip.samples).max()) > 0.1


def test_wav_still_goes_through_read_audio() -> None:
    assert read_audio(wav(tone(1.0, 22050), 22050)).seconds == pytest.approx(1.0, abs=0.01)


def test_a_broken_or_too_long_recording_is_refused() -> None:
    good = recording(wav(tone(1.0, 16000)))
    with pytest.raises(AudioError, match="could not be read") as broken:
        read_audio(good[:40] + b"\x00" * 200)
    assert broken.value.status == 415
    long = recording(wav(np.zeros(int((MAX_SECONDS + 2) * 16000), dtype="<i2")), "ogg")
    with pytest.raises(AudioError, match="too long") as too_long:
        read_audio(long)
    assert too_long.value.status == 413
