"""Audio in, WAV out: the audio checks and conversions of the speech channel.

Plain module (NumPy, the standard library, and PyAV for browser recordings). The speech channel
accepts 16-bit PCM WAV at any common rate, mono (stereo is mixed down), and the compressed
recordings browsers make with MediaRecorder (WebM or Ogg with Opus, MP4 with AAC), at most 60
seconds; anything else is refused with a status and a reason a person can act on.
"""

from __future__ import annotations

import io
import itertools
import wave
from dataclasses import dataclass

import numpy as np

MODEL_RATE = 16000  # what the speech recogniser wants
MAX_SECONDS = 60.0
# A 60-second stereo WAV at 48 kHz is about 11.5 MB: refuse bigger bodies before parsing them.
MAX_BODY_BYTES = 12 * 1024 * 1024
COMMON_RATES = frozenset({8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000})


class AudioError(ValueError):
    """A body the speech channel can't use; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Clip:
    """Mono speech at ``MODEL_RATE``, as float32 samples between -1 and 1."""

    samples: np.ndarray
    source_rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / MODEL_RATE


# How a browser recording starts: WebM/Matroska (EBML), Ogg, and MP4 ("ftyp" at byte 4).
_RECORDING_MAGIC = (b"\x1a\x45\xdf\xa3", b"OggS")


def is_recording(body: bytes) -> bool:
    """Whether ``body`` looks like a compressed browser recording rather than WAV."""
    return body[:4] in _RECORDING_MAGIC or body[4:8] == b"ftyp"


def read_audio(body: bytes | None) -> Clip:
    """Check and decode WAV or a browser recording; raises AudioError (400, 413 or 415)."""
    if body and len(body) <= MAX_BODY_BYTES and is_recording(body):
        return read_recording(body)
    return read_wav(body)


def read_recording(body: bytes) -> Clip:
    """Decode a WebM, Ogg or MP4 recording (what MediaRecorder gives) to 16 kHz mono."""
    import av  # installed with faster-whisper; imported here so WAV-only use stays light

    limit = int(MAX_SECONDS * MODEL_RATE)
    pieces: list[np.ndarray] = []
    total = 0
    try:
        with av.open(io.BytesIO(body), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioError(415, "The recording has no sound track.")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=MODEL_RATE)
            # Lazily, so a long recording is refused before all of it is decoded; the final
            # None flushes the resampler.
            for frame in itertools.chain(container.decode(audio=0), [None]):
                if frame is not None:
                    frame.pts = None  # browser recordings often carry broken timestamps
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1)
                    pieces.append(chunk)
                    total += chunk.size
                if total > limit:
                    raise AudioError(
                        413, f"The audio is too long. Send at most {int(MAX_SECONDS)} seconds."
                    )
    except AudioError:
        raise
    except (av.error.FFmpegError, ValueError, IndexError) as error:
        raise AudioError(415, f"The recording could not be read ({error}).") from None
    if total == 0:
        raise AudioError(400, "The recording holds no sound.")
    samples = np.concatenate(pieces).astype(np.float32) / 32768.0
    return Clip(samples=samples, source_rate=MODEL_RATE)


def read_wav(body: bytes | None) -> Clip:
    """Check and decode a WAV body; raises AudioError (400, 413 or 415) when it can't be used."""
    if not body:
        raise AudioError(400, "The request has no audio. Send a WAV file as the request body.")
    if len(body) > MAX_BODY_BYTES:
        raise AudioError(413, f"The audio is too long. Send at most {int(MAX_SECONDS)} seconds.")
    if body[:4] != b"RIFF" or body[8:12] != b"WAVE":
        raise AudioError(
            415,
            "The body is not WAV audio. Send 16-bit PCM WAV, or a WebM, Ogg or MP4 recording.",
        )
    try:
        with wave.open(io.BytesIO(body), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            frames = wav.getnframes()
            if width != 2:
                raise AudioError(415, "The WAV must be 16-bit PCM.")
            if rate not in COMMON_RATES:
                raise AudioError(415, f"The sample rate {rate} Hz is not supported.")
            # Streamed WAVs (espeak-ng --stdout, some recorders) give a huge placeholder frame
            # count: read at most a little past the limit and measure what is really there.
            limit = int(MAX_SECONDS * rate)
            raw = wav.readframes(min(frames, limit + 1))
            if len(raw) // (2 * channels) > limit:
                raise AudioError(
                    413, f"The audio is too long. Send at most {int(MAX_SECONDS)} seconds."
                )
    except AudioError:
        raise
    # RuntimeError: the standard library's chunk reader raises it for a chunk size that points
    # past the end of the file.
    except (wave.Error, EOFError, ValueError, RuntimeError) as error:
        raise AudioError(415, f"The WAV file could not be read ({error or 'bad chunk'}).") from None
    samples = np.frombuffer(raw[: len(raw) - len(raw) % (2 * channels)], dtype="<i2")
    if samples.size == 0:
        raise AudioError(400, "The WAV file holds no sound.")
    mono = samples.reshape(-1, channels).astype(np.float32).mean(axis=1) / 32768.0
    return Clip(samples=resample(mono, rate, MODEL_RATE), source_rate=rate)


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Linear-interpolation resampling; good enough for speech recognition at 16 kHz."""
    if rate == target or samples.size == 0:
        return samples.astype(np.float32)
    count = max(1, int(round(samples.size * target / rate)))
    positions = np.linspace(0, samples.size - 1, count)
    return np.interp(positions, np.arange(samples.size), samples).astype(np.float32)


def write_wav(samples: np.ndarray, rate: int) -> bytes:
    """16-bit PCM mono WAV bytes from float samples (-1..1) or int16 samples."""
    if samples.dtype != np.int16:
        samples = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


def silence(seconds: float, rate: int) -> np.ndarray:
    """Int16 silence, for pauses between spoken lines."""
    return np.zeros(int(seconds * rate), dtype=np.int16)
