"""Microphones and speakers for the hands-free loop.

``Microphone`` and ``Speaker`` use the sound card through sounddevice (PortAudio);
``WavFileMicrophone`` and ``RecordingSpeaker`` stand in for them on a machine without one.
"""

from __future__ import annotations

import io
import logging
import queue
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Protocol

import numpy as np

from channels.audio import MODEL_RATE, read_wav

logger = logging.getLogger(__name__)

PORTAUDIO_MISSING = "PortAudio is missing: on Debian or Ubuntu run `sudo apt install libportaudio2`"


class SoundDeviceError(RuntimeError):
    """The microphone or the speaker can't be used; the message says what to do."""


class Source(Protocol):
    """Where the loop's audio comes from: 16 kHz float32 mono chunks until it ends."""

    def __enter__(self) -> Source:
        ...

    def __exit__(self, *exc: object) -> None:
        ...

    def chunks(self) -> Iterator[np.ndarray]:
        """Chunks of samples, in order; the iterator ends when the source does."""

    def pause(self) -> None:
        """Stop hearing (the reply is playing)."""

    def resume(self) -> None:
        """Hear again, without anything captured while paused."""


class Sink(Protocol):
    """Where the replies go."""

    def play(self, wav: bytes) -> None:
        """Play WAV bytes and return when they have been heard."""


def _sounddevice() -> Any:
    try:
        import sounddevice
    except OSError as error:  # the Python package is there, the C library isn't
        raise SoundDeviceError(PORTAUDIO_MISSING) from error
    except ImportError as error:
        raise SoundDeviceError("sounddevice is not installed: run `make install`.") from error
    return sounddevice


class Microphone:
    """The default (or chosen) input device at 16 kHz mono, through a queue of chunks."""

    def __init__(self, device: int | str | None = None, chunk_seconds: float = 0.064) -> None:
        self.device = device
        self.blocksize = int(chunk_seconds * MODEL_RATE)
        self._queue: queue.Queue[np.ndarray] = queue.Queue()
        self._muted = threading.Event()
        self._stream: Any = None

    def check(self) -> Microphone:
        """Raise SoundDeviceError now, rather than when listening starts, if nothing can record."""
        sd = _sounddevice()
        try:
            sd.check_input_settings(
                device=self.device, channels=1, dtype="float32", samplerate=MODEL_RATE
            )
        except (sd.PortAudioError, ValueError) as error:
            raise SoundDeviceError(_no_microphone(error)) from error
        return self

    def __enter__(self) -> Microphone:
        sd = _sounddevice()
        try:
            self._stream = sd.InputStream(
                samplerate=MODEL_RATE,
                channels=1,
                dtype="float32",
                blocksize=self.blocksize,
                device=self.device,
                callback=self._callback,
            )
            self._stream.start()
        except (sd.PortAudioError, ValueError) as error:
            self._stream = None
            raise SoundDeviceError(_no_microphone(error)) from error
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None

    def _callback(self, indata: np.ndarray, frames: int, when: Any, status: Any) -> None:
        if status:
            logger.debug("Microphone: %s", status)
        if not self._muted.is_set():
            self._queue.put(indata[:, 0].copy())

    def chunks(self) -> Iterator[np.ndarray]:
        """Chunks as they arrive, for as long as the stream is open."""
        while self._stream is not None:
            try:
                yield self._queue.get(timeout=0.5)
            except queue.Empty:
                continue

    def pause(self) -> None:
        """Drop what the microphone hears from now on (the reply is playing)."""
        self._muted.set()

    def resume(self) -> None:
        """Throw away anything queued before or during the reply, then hear again."""
        _drain(self._queue)
        self._muted.clear()


def _no_microphone(error: Exception) -> str:
    return (
        f"Could not open the microphone ({error}). Check that one is plugged in and allowed, "
        "pick another with --input-device, or use --wav FILE."
    )


class Speaker:
    """The default (or chosen) output device; ``play`` blocks until the reply has been heard."""

    def __init__(self, device: int | str | None = None) -> None:
        self.device = device

    def check(self) -> Speaker:
        """Raise SoundDeviceError now, rather than at the first reply, if nothing can play."""
        sd = _sounddevice()
        try:
            sd.check_output_settings(device=self.device, channels=1, dtype="int16")
        except (sd.PortAudioError, ValueError) as error:
            raise SoundDeviceError(
                f"Could not open the speaker ({error}). Pick another with --output-device, "
                "or save the replies with --save-replies DIR."
            ) from error
        return self

    def play(self, wav: bytes) -> None:
        """Play the WAV and wait for it to finish."""
        samples, rate = wav_samples(wav)
        sd = _sounddevice()
        try:
            sd.play(samples, rate, device=self.device, blocking=True)
        except sd.PortAudioError as error:
            raise SoundDeviceError(f"Could not play the reply ({error}).") from error


def wav_samples(wav: bytes) -> tuple[np.ndarray, int]:
    """Int16 mono samples and the sample rate of 16-bit WAV bytes (stereo is mixed down)."""
    with wave.open(io.BytesIO(wav), "rb") as reader:
        channels, rate = reader.getnchannels(), reader.getframerate()
        raw = reader.readframes(reader.getnframes())
    samples = np.frombuffer(raw[: len(raw) - len(raw) % (2 * channels)], dtype="<i2")
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1).astype(np.int16)
    return samples, rate


class WavFileMicrophone:
    """A WAV file (any common rate) as the microphone: its chunks, then the end.

    Unlike a room, the file waits while the reply plays (``pause``/``resume`` do nothing), so
    a recording of several things said one after the other is heard in full. With
    ``realtime=True`` chunks come at the speed of speech, as from a sound card.
    """

    def __init__(
        self, path: str | Path | None = None, *, wav: bytes | None = None, realtime: bool = False
    ) -> None:
        body = wav if wav is not None else Path(path or "").read_bytes()
        self.samples = read_wav(body).samples
        self.realtime = realtime
        self.chunk = int(0.064 * MODEL_RATE)

    def __enter__(self) -> WavFileMicrophone:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def chunks(self) -> Iterator[np.ndarray]:
        """The file in 64 ms chunks."""
        for start in range(0, len(self.samples), self.chunk):
            if self.realtime:
                time.sleep(self.chunk / MODEL_RATE)
            yield self.samples[start : start + self.chunk]

    def pause(self) -> None:
        """The file waits for the reply: nothing to do."""

    def resume(self) -> None:
        """Nothing was captured while paused."""


@dataclass
class RecordingSpeaker:
    """Keeps every reply it is asked to play; writes them to ``folder`` as reply-001.wav, ...

    With ``forward`` set, it also plays them there.
    """

    folder: Path | None = None
    forward: Sink | None = None
    played: list[bytes] = field(default_factory=list)

    def play(self, wav: bytes) -> None:
        """Keep (and save, and forward) the reply."""
        self.played.append(wav)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / f"reply-{len(self.played):03d}.wav").write_bytes(wav)
        if self.forward is not None:
            self.forward.play(wav)


def _drain(chunks: queue.Queue[np.ndarray]) -> None:
    while True:
        try:
            chunks.get_nowait()
        except queue.Empty:
            return
