"""Voice activity detection: cut a stream of 16 kHz samples into utterances.

``UtteranceSegmenter`` does the cutting with a voice activity detector: Silero (bundled with
faster-whisper) run on a stream, or a loudness threshold when it can't load.

Sounds too short to be a word (a cough, a click, a door) are dropped quietly rather than answered
with "Sorry, I didn't catch that": on a speaker that nobody is looking at, a bot that talks back
to every noise is worse than one that waits. Real speech the recogniser can't make out still gets
the server's own "didn't catch that" line.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Protocol

import numpy as np

from channels.audio import MODEL_RATE

logger = logging.getLogger(__name__)

WINDOW = 512  # samples per VAD decision at 16 kHz (32 ms): what Silero was trained on
_CONTEXT = 64  # Silero looks at the last 64 samples of the previous window too


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
