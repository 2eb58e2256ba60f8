"""Hands-free use of the speech channel: listen, send what was said, play the reply, listen again.

Plain module (no Rasa): it talks to a running assistant over HTTP, like any other client of
``POST /webhooks/voice/webhook``. The pieces:

- ``UtteranceSegmenter`` cuts a stream of 16 kHz samples into utterances with a voice activity
  detector (Silero, bundled with faster-whisper; a loudness threshold when it can't load);
- ``Microphone`` and ``Speaker`` use the sound card through sounddevice (PortAudio);
  ``WavFileMicrophone`` and ``RecordingSpeaker`` stand in for them on a machine without one;
- ``SpeechClient`` posts each utterance as WAV and decodes the JSON answer;
- ``run_loop`` ties them together until the person says stop.

The loop never hears itself: capture is paused while the reply plays and whatever was queued
before the reply is dropped. Sounds too short to be a word (a cough, a click, a door) are dropped
quietly rather than answered with "Sorry, I didn't catch that": on a speaker that nobody is
looking at, a bot that talks back to every noise is worse than one that waits. Real speech the
recogniser can't make out still gets the server's own "didn't catch that" line.
"""

from __future__ import annotations

import base64
import io
import logging
import queue
import threading
import time
import wave
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

import numpy as np
import requests

from channels.audio import MODEL_RATE, read_wav, write_wav

logger = logging.getLogger(__name__)

# Printed, not spoken: the assistant only answers speech, and its words live in the content files.
INTRO = "Listening. Say hello to start, or stop to finish. (Ctrl-C also stops.)"
PORTAUDIO_MISSING = "PortAudio is missing: on Debian or Ubuntu run `sudo apt install libportaudio2`"

WINDOW = 512  # samples per VAD decision at 16 kHz (32 ms): what Silero was trained on
_CONTEXT = 64  # Silero looks at the last 64 samples of the previous window too


class SoundDeviceError(RuntimeError):
    """The microphone or the speaker can't be used; the message says what to do."""


class SpeechError(RuntimeError):
    """The assistant refused an utterance (an HTTP 4xx with a reason)."""


# --- Voice activity detection -------------------------------------------------------------------


class VoiceDetector(Protocol):
    """Speech probability of each 512-sample window, in order; keeps state between calls."""

    def probabilities(self, windows: np.ndarray) -> np.ndarray:
        """One probability (0..1) per row of ``windows`` (shape ``(n, 512)``)."""

    def reset(self) -> None:
        """Forget the audio heard so far."""


class SileroDetector:
    """The Silero VAD that faster-whisper bundles, run on a stream.

    faster-whisper's own wrapper restarts the model's memory on every call; this one carries the
    LSTM state and the 64-sample context from window to window, which gives the same
    probabilities as running the model over the whole recording at once.
    """

    def __init__(self) -> None:
        from faster_whisper.vad import get_vad_model  # loads onnxruntime and the model

        self._session = get_vad_model().session
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)

    def probabilities(self, windows: np.ndarray) -> np.ndarray:
        if len(windows) == 0:
            return np.zeros(0, dtype=np.float32)
        windows = windows.astype(np.float32, copy=False)
        contexts = np.vstack([self._context[None, :], windows[:-1, -_CONTEXT:]])
        batch = np.concatenate([contexts, windows], axis=1)
        probs, self._h, self._c = self._session.run(
            None, {"input": batch, "h": self._h, "c": self._c}
        )
        self._context = windows[-1, -_CONTEXT:].copy()
        return np.asarray(probs, dtype=np.float32).ravel()


class EnergyDetector:
    """Fallback: a window is speech when it is louder than ``threshold`` (RMS, full scale = 1).

    0.01 is about -40 dBFS: above a quiet room, below normal speech at arm's length.
    """

    def __init__(self, threshold: float = 0.01) -> None:
        self.threshold = threshold

    def reset(self) -> None:
        """Nothing to forget."""

    def probabilities(self, windows: np.ndarray) -> np.ndarray:
        rms = np.sqrt(np.mean(np.square(windows, dtype=np.float64), axis=1))
        return (rms >= self.threshold).astype(np.float32)


def make_detector() -> VoiceDetector:
    """Silero when onnxruntime and the bundled model load; the loudness threshold otherwise."""
    try:
        return SileroDetector()
    except Exception as error:  # noqa: BLE001 - any failure to load: fall back, and say so
        logger.warning("Silero VAD unavailable (%s); using a loudness threshold.", error)
        return EnergyDetector()


# --- Cutting a stream into utterances -----------------------------------------------------------


class UtteranceSegmenter:
    """Feed 16 kHz float32 mono chunks of any length; get back complete utterances.

    An utterance starts at the first window the detector calls speech (with ``preroll`` seconds
    of the audio before it, so the first syllable isn't clipped) and ends after ``end_silence``
    seconds without speech (keeping ``tail`` seconds of that silence). One longer than
    ``max_seconds`` is cut there and the rest carries on as the next utterance. Utterances with
    less than ``min_speech`` seconds of speech are noises, and are dropped.
    """

    def __init__(
        self,
        detector: VoiceDetector | None = None,
        *,
        threshold: float = 0.5,
        end_silence: float = 0.8,
        preroll: float = 0.3,
        tail: float = 0.3,
        max_seconds: float = 30.0,
        min_speech: float = 0.25,
    ) -> None:
        self.detector = detector if detector is not None else make_detector()
        self.threshold = threshold
        # Below this a window is silence; between the two it continues what came before.
        self.neg_threshold = max(threshold - 0.15, 0.01)
        self.end_windows = _windows(end_silence)
        self.tail_windows = _windows(tail)
        self.max_windows = int(max_seconds * MODEL_RATE) // WINDOW
        self.min_speech_windows = _windows(min_speech)
        self._preroll: deque[np.ndarray] = deque(maxlen=_windows(preroll))
        self.reset()

    def reset(self) -> None:
        """Drop any partial utterance and the detector's memory (after the reply has played)."""
        self._pending = np.zeros(0, dtype=np.float32)
        self._preroll.clear()
        self._current: list[np.ndarray] = []
        self._speech_windows = 0
        self._silent_run = 0
        self.detector.reset()

    def feed(self, chunk: np.ndarray) -> list[np.ndarray]:
        """Add samples; returns the utterances they completed (usually none)."""
        samples = np.concatenate([self._pending, np.asarray(chunk, dtype=np.float32).ravel()])
        whole = len(samples) // WINDOW * WINDOW
        self._pending = samples[whole:]
        if whole == 0:
            return []
        windows = samples[:whole].reshape(-1, WINDOW)
        done: list[np.ndarray] = []
        for window, prob in zip(windows, self.detector.probabilities(windows), strict=True):
            utterance = self._step(window, float(prob))
            if utterance is not None:
                done.append(utterance)
        return done

    def flush(self) -> np.ndarray | None:
        """The utterance in progress when the audio ends, if it holds enough speech."""
        utterance = self._finish(trim=False) if self._current else None
        self.reset()
        return utterance

    def _step(self, window: np.ndarray, prob: float) -> np.ndarray | None:
        if not self._current:
            if prob >= self.threshold:
                self._current = [*self._preroll, window]
                self._preroll.clear()
                self._speech_windows, self._silent_run = 1, 0
            else:
                self._preroll.append(window)
            return None
        self._current.append(window)
        if prob >= self.threshold:
            self._speech_windows += 1
            self._silent_run = 0
        elif prob < self.neg_threshold or self._silent_run:
            self._silent_run += 1
        else:
            self._speech_windows += 1  # unsure, right after speech: still speech
        if self._silent_run >= self.end_windows:
            return self._finish(trim=True)
        if len(self._current) >= self.max_windows:
            return self._finish(trim=False, carry_on=True)
        return None

    def _finish(self, trim: bool, carry_on: bool = False) -> np.ndarray | None:
        windows = self._current
        if trim:
            keep = len(windows) - max(0, self._silent_run - self.tail_windows)
            windows = windows[:keep]
        enough = self._speech_windows >= self.min_speech_windows
        self._current, self._speech_windows, self._silent_run = [], 0, 0
        if carry_on:
            # Still talking: the next utterance starts after the cut, never overlapping it.
            self._preroll.clear()
        return np.concatenate(windows) if enough and windows else None


def _windows(seconds: float) -> int:
    return max(1, round(seconds * MODEL_RATE / WINDOW))


# --- Microphones and speakers -------------------------------------------------------------------


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


# --- The assistant ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """What the speech channel answered to one utterance."""

    transcript: str
    text: str
    audio: bytes
    end: bool
    checking: str | None
    messages: list[dict[str, Any]]


class SpeechClient:
    """Posts utterances to ``<url>/webhooks/voice/webhook?sender=<sender>``."""

    def __init__(self, url: str, sender: str, timeout: float = 120.0) -> None:
        # Generous timeout: the first request may wait for the speech models to load.
        self.base = url.rstrip("/")
        self.sender = sender
        self.timeout = timeout
        self.session = requests.Session()

    @property
    def webhook(self) -> str:
        """The address utterances go to."""
        return f"{self.base}/webhooks/voice/webhook"

    def ready(self) -> bool:
        """True when the speech channel answers."""
        try:
            return self.session.get(f"{self.base}/webhooks/voice/", timeout=3).ok
        except requests.RequestException:
            return False

    def wait_until_ready(self, timeout: float = 300.0, every: float = 1.0) -> bool:
        """Poll until the speech channel answers or ``timeout`` seconds have passed."""
        deadline = time.monotonic() + timeout
        while not self.ready():
            if time.monotonic() >= deadline:
                return False
            time.sleep(every)
        return True

    def send(self, wav: bytes) -> Reply:
        """One utterance in, the assistant's reply out; SpeechError on a refused utterance."""
        response = self.session.post(
            self.webhook,
            params={"sender": self.sender},
            data=wav,
            headers={"Content-Type": "audio/wav"},
            timeout=self.timeout,
        )
        if 400 <= response.status_code < 500:
            try:
                reason = response.json().get("error") or response.reason
            except ValueError:
                reason = response.reason
            raise SpeechError(f"{response.status_code}: {reason}")
        response.raise_for_status()
        body = response.json()
        return Reply(
            transcript=body.get("transcript") or "",
            text=body.get("text") or "",
            audio=base64.b64decode(body.get("audio") or ""),
            end=bool(body.get("end")),
            checking=body.get("checking"),
            messages=list(body.get("messages") or []),
        )


# --- The loop -----------------------------------------------------------------------------------


def run_loop(
    microphone: Source,
    speaker: Sink,
    client: SpeechClient,
    on_event: Callable[[str], Any] = print,
    segmenter: UtteranceSegmenter | None = None,
) -> int:
    """Listen, send each utterance, play the reply; returns the number of turns.

    Ends when the assistant says the session is over (``end: true``, after "stop" or "goodbye")
    or when the microphone ends. Ctrl-C (KeyboardInterrupt) is left to the caller.
    """
    segmenter = segmenter if segmenter is not None else UtteranceSegmenter()
    turns = 0

    def turn(utterance: np.ndarray) -> bool:
        """One exchange; True when the session is over."""
        nonlocal turns
        microphone.pause()
        on_event(f"(heard {len(utterance) / MODEL_RATE:.1f} s of speech, thinking...)")
        try:
            reply = client.send(write_wav(utterance, MODEL_RATE))
        except SpeechError as error:
            on_event(f"The assistant could not use that audio ({error}). Listening again.")
            microphone.resume()
            return False
        finally:
            segmenter.reset()
        turns += 1
        on_event(f"You: {reply.transcript or '(nothing clear)'}")
        on_event(f"Assistant: {reply.text}")
        if reply.audio:
            speaker.play(reply.audio)
        if reply.end:
            return True
        microphone.resume()  # only after the reply has played: it never hears itself
        return False

    on_event(INTRO)
    with microphone:
        for chunk in microphone.chunks():
            utterances = segmenter.feed(chunk)
            # Anything after the first utterance in this chunk was said before the reply: drop it.
            if utterances and turn(utterances[0]):
                return turns
        last = segmenter.flush()
        if last is not None and turn(last):
            return turns
    return turns
