"""Audio made at test time: phrases said by the Piper voice or by espeak-ng, as WAV bytes.

Nothing here is committed audio; every clip is synthesized when a test asks for it, and kept for
the rest of the session so the same phrase is only made once.
"""

from __future__ import annotations

import functools
import io
import wave

import numpy as np

from channels.speech_settings import SpeechSettings
from channels.synthesizer import EspeakSynthesizer, PiperSynthesizer


@functools.lru_cache(maxsize=1)
def piper() -> PiperSynthesizer:
    settings = SpeechSettings.from_env()
    # Steady: the same phrase always sounds the same, so a test passes or fails every time.
    return PiperSynthesizer(settings.voice_path, settings.voice_config(), steady=True).load()


@functools.lru_cache(maxsize=256)
def said(text: str, voice: str = "piper") -> bytes:
    """``text`` spoken by ``voice`` ("piper" or "espeak") as 16-bit mono WAV bytes."""
    synthesizer = piper() if voice == "piper" else EspeakSynthesizer()
    return synthesizer.speak(text)


def wav(samples: np.ndarray, rate: int = 16000, channels: int = 1, width: int = 2) -> bytes:
    """A WAV file from raw samples, with any channel count and sample width."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


def tone(seconds: float, rate: int = 16000, hz: float = 440.0) -> np.ndarray:
    """A quiet sine tone as int16 samples: audio that holds no speech."""
    t = np.arange(int(seconds * rate)) / rate
    return (0.2 * 32767 * np.sin(2 * np.pi * hz * t)).astype("<i2")


def recording(wav_bytes: bytes, container: str = "webm", codec: str = "libopus") -> bytes:
    """``wav_bytes`` re-encoded as a browser would record it (WebM/Opus by default), with PyAV."""
    import av

    with wave.open(io.BytesIO(wav_bytes), "rb") as source:
        rate, pcm = source.getframerate(), source.readframes(source.getnframes())
    samples = np.frombuffer(pcm, dtype="<i2").reshape(1, -1)
    out = io.BytesIO()
    with av.open(out, mode="w", format=container) as muxer:
        stream = muxer.add_stream(codec, rate=48000)
        stream.layout = "mono"
        resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=48000)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = rate
        for chunk in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(chunk):
                muxer.mux(packet)
        for packet in stream.encode(None):
            muxer.mux(packet)
    return out.getvalue()
