"""Speech to text, offline: faster-whisper with the tiny.en model, biased toward the domain's words.

The domain prompt (drug names, ER, PR, HER2, menopause) is Whisper's ``initial_prompt``: it makes
"palbociclib" come out as one word rather than "pal bo cyclic lib", and "HER2" rather than "her
too". The model loads once, on first use, and one transcription runs at a time.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from actions.content.catalog import catalog

# Words the recogniser should expect. Drug names come from the content catalog (one source).
_TERMS = "ER-positive, PR-negative, HER2-positive, HER2-negative, triple-negative, menopause"
# What people say to the assistant itself, so "read my guide" isn't heard as "breathe my guide".
_COMMANDS = (
    "Find my options. Read my guide. Email my guide to jane at example dot com. "
    "Repeat, more, go back, slower, faster, stop."
)
# While the assistant waits for an email address, the prompt shows addresses spoken word by word,
# so "jane at example dot com" stays words the email normaliser reads, not "janeedexample.com".
EMAIL_PROMPT = "Spoken email addresses: jane at example dot com, sam dot rivera at example dot org."
# While it waits for the answer to a profile question, the answers it expects follow the domain
# prompt (the end of a prompt weighs most): "I am e r positive" then comes out as "ER-positive"
# rather than "the R-positive", and a drug question asked instead is still heard.
ANSWER_PROMPTS = {
    "hr": "Is it ER-positive or PR-positive? I am ER-positive. ER-negative and PR-positive.",
    "pr": "Is it PR-positive? I am PR-positive. It is PR-negative.",
    "her2": "Is it HER2-positive? I am HER2-negative. It is HER2-positive.",
    "menopause": "Have you been through menopause? Yes, I went through menopause. Not yet.",
    "prior_hormone": "Have you had hormone therapy before? Yes, I took tamoxifen. No, never.",
    "spread": "Where has it spread? To my bones, liver, lungs, brain or skin.",
}
_ANSWERS = " Yes. No. I don't know."


def domain_prompt() -> str:
    """Whisper's initial prompt: the assistant's commands, the tests' words, every drug name.

    Treatment families ("chemotherapy") are everyday words Whisper knows; the drug and brand
    names are the ones it needs. Whisper keeps only the last 223 tokens of a prompt, and this one
    stays under that.
    """
    names: list[str] = []
    for item in catalog().items:
        if item.kind == "drug":
            names.append(item.name)
            names.extend(item.brands)
    return f"{_COMMANDS} {_TERMS}, {', '.join(names)}, T-DM1."


def prompt_for(waiting_for: str | None) -> str:
    """The prompt for what the assistant waits for (its ``pending`` slot), else the domain's."""
    if waiting_for == "email_address":
        return EMAIL_PROMPT
    if waiting_for in ANSWER_PROMPTS:
        return f"{domain_prompt()} {ANSWER_PROMPTS[waiting_for]}{_ANSWERS}"
    return domain_prompt()


@dataclass(frozen=True)
class Transcript:
    """What the recogniser heard, with how sure it was."""

    text: str
    avg_logprob: float  # mean log-probability per token, 0 is certain; below about -0.8 is shaky
    no_speech_prob: float

    @property
    def confidence(self) -> float:
        """A 0..1 figure for people: the mean token probability."""
        return round(math.exp(self.avg_logprob), 3) if self.text else 0.0


class Transcriber:
    """A loaded Whisper model; ``transcribe`` takes 16 kHz mono float32 samples."""

    def __init__(self, model_path: str, use_prompt: bool = True, cpu_threads: int = 2) -> None:
        self.model_path = model_path
        self.prompt = domain_prompt() if use_prompt else None
        self.cpu_threads = cpu_threads
        self._model: Any = None
        self._lock = threading.Lock()

    def load(self) -> Transcriber:
        """Load the model now (it is otherwise loaded on the first transcription)."""
        with self._lock:
            if self._model is None:
                from faster_whisper import WhisperModel  # heavy import: only when speech is used

                self._model = WhisperModel(
                    self.model_path,
                    device="cpu",
                    compute_type="int8",
                    cpu_threads=self.cpu_threads,
                    local_files_only=True,
                )
        return self

    def transcribe(self, samples: np.ndarray, prompt: str | None | bool = True) -> Transcript:
        """Transcribe one utterance.

        ``prompt`` is True for the domain prompt, False for none, or the prompt itself.
        """
        self.load()
        initial = self.prompt if prompt is True else (prompt or None)
        with self._lock:
            segments, _ = self._model.transcribe(
                samples,
                language="en",
                beam_size=1,
                initial_prompt=initial,
                without_timestamps=True,
                condition_on_previous_text=False,
                vad_filter=False,
            )
            segments = list(segments)
        return combine(segments)


def combine(segments: list[Any]) -> Transcript:
    """One transcript from Whisper's segments: joined text, length-weighted log-probability."""
    text = " ".join(s.text.strip() for s in segments if s.text.strip()).strip()
    if not text:
        return Transcript(text="", avg_logprob=-math.inf, no_speech_prob=1.0)
    weights = [max(1, len(s.tokens)) for s in segments]
    logprob = sum(w * s.avg_logprob for w, s in zip(weights, segments, strict=True)) / sum(weights)
    return Transcript(
        text=text,
        avg_logprob=float(logprob),
        no_speech_prob=float(max(s.no_speech_prob for s in segments)),
    )
