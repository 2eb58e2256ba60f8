"""Text to speech, offline: a Piper voice, with espeak-ng as the fallback.

Both take the plain text of a voice-shaped turn (one line per sentence or list item) and give WAV
bytes. A short pause goes between lines, as the SSML breaks do on a smart speaker. The speaking
rate is the person's ``speech_rate`` slot (100 = normal).
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from channels.audio import silence, write_wav

logger = logging.getLogger(__name__)

LINE_PAUSE_SECONDS = 0.35
ESPEAK_WORDS_PER_MINUTE = 165  # espeak-ng's normal rate is a little fast for this audience
# Piper reads "HER2" letter by letter well, but these read better spelled for the ear.
_SAY_AS = {
    r"\bER\b": "E R",
    r"\bPR\b": "P R",
    r"\bHER2\b": "her two",
    r"\bT-DM1\b": "T D M one",
}


class Synthesizer(Protocol):
    """Anything that turns text into WAV bytes."""

    name: str

    def speak(self, text: str, rate: int = 100) -> bytes:
        """WAV bytes (16-bit PCM mono) for ``text`` at ``rate`` percent of normal speed."""


def for_the_ear(text: str) -> str:
    """Spell out the abbreviations a voice would otherwise mangle."""
    for pattern, spoken in _SAY_AS.items():
        text = re.sub(pattern, spoken, text)
    return text


def spoken_lines(text: str) -> list[str]:
    """The non-blank lines of a turn, ready to be said."""
    return [for_the_ear(line.strip()) for line in text.splitlines() if line.strip()]


class PiperSynthesizer:
    """The bundled Piper voice (joe, US English, 22 kHz)."""

    name = "piper"

    def __init__(
        self, voice_path: str, config_path: str | None = None, steady: bool = False
    ) -> None:
        self.voice_path = voice_path
        self.config_path = config_path
        # Piper varies each reading a little (noise in the model); steady=True turns that off so
        # the same text always gives the same audio (tests that must not be flaky use it).
        self.steady = steady
        self._voice: Any = None
        self._lock = threading.Lock()

    def load(self) -> PiperSynthesizer:
        with self._lock:
            if self._voice is None:
                from piper import PiperVoice  # heavy import: only when speech is used

                self._voice = PiperVoice.load(self.voice_path, config_path=self.config_path)
        return self

    def speak(self, text: str, rate: int = 100) -> bytes:
        from piper import SynthesisConfig

        self.load()
        rate_hz = self._voice.config.sample_rate
        config = SynthesisConfig(length_scale=100.0 / max(50, min(150, rate)))
        if self.steady:
            config.noise_scale = config.noise_w_scale = 0.0
        pieces: list[np.ndarray] = []
        with self._lock:
            for line in spoken_lines(text):
                for chunk in self._voice.synthesize(line, syn_config=config):
                    pieces.append(chunk.audio_int16_array)
                pieces.append(silence(LINE_PAUSE_SECONDS, rate_hz))
        audio = np.concatenate(pieces) if pieces else silence(0.1, rate_hz)
        return write_wav(audio, rate_hz)


class EspeakSynthesizer:
    """Debian's espeak-ng: robotic but always there, and quick."""

    name = "espeak-ng"

    def __init__(self, voice: str = "en-us", command: str | None = None) -> None:
        self.voice = voice
        self.command = command or shutil.which("espeak-ng") or "espeak-ng"

    def speak(self, text: str, rate: int = 100) -> bytes:
        words_per_minute = int(ESPEAK_WORDS_PER_MINUTE * max(50, min(150, rate)) / 100)
        # Each line ends as a sentence, so espeak-ng pauses between lines.
        spoken = "\n".join(line if line[-1] in ".?!" else line + "." for line in spoken_lines(text))
        with tempfile.TemporaryDirectory() as folder:
            # A file, not --stdout: a streamed WAV header carries no length.
            path = Path(folder) / "reply.wav"
            subprocess.run(
                [self.command, "-v", self.voice, "-s", str(words_per_minute), "-w", str(path)],
                input=(spoken or " ").encode("utf-8"),
                capture_output=True,
                timeout=60,
                check=True,
            )
            return path.read_bytes()


class FallbackSynthesizer:
    """Piper first; espeak-ng when Piper can't load or fails on a text."""

    def __init__(self, primary: Synthesizer | None, fallback: Synthesizer) -> None:
        self.primary = primary
        self.fallback = fallback
        self.last_used = ""

    @property
    def name(self) -> str:
        return self.primary.name if self.primary else self.fallback.name

    def speak(self, text: str, rate: int = 100) -> bytes:
        if self.primary is not None:
            try:
                audio = self.primary.speak(text, rate)
                self.last_used = self.primary.name
                return audio
            except Exception:  # noqa: BLE001 - any failure of the voice: say it with the fallback
                logger.exception("The %s voice failed; using %s.", self.primary.name, "espeak-ng")
        self.last_used = self.fallback.name
        return self.fallback.speak(text, rate)


def make_synthesizer(engine: str, voice_path: str, config_path: str | None) -> FallbackSynthesizer:
    """The voice the settings ask for, with espeak-ng behind it."""
    primary = PiperSynthesizer(voice_path, config_path) if engine == "piper" else None
    return FallbackSynthesizer(primary, EspeakSynthesizer())
