"""Hands-free use of the speech channel: listen, send what was said, play the reply, listen again.

Plain module (no Rasa): it talks to a running assistant over HTTP, like any other client of
``POST /webhooks/voice/webhook``. ``SpeechClient`` posts each utterance as WAV and decodes the
JSON answer; ``run_loop`` ties it to a microphone, a speaker (``handsfree.devices``) and the
utterance segmenter (``handsfree.vad``) until the person says stop.

The loop never hears itself: capture is paused while the reply plays and whatever was queued
before the reply is dropped.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import requests

from channels.audio import MODEL_RATE, write_wav
from handsfree.devices import Sink, Source
from handsfree.vad import UtteranceSegmenter

# Printed, not spoken: the assistant only answers speech, and its words live in the content files.
INTRO = "Listening. Say hello to start, or stop to finish. (Ctrl-C also stops.)"


class SpeechError(RuntimeError):
    """The assistant refused an utterance (an HTTP 4xx with a reason)."""


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
        except requests.RequestException as error:
            # The server is restarting or gone: keep listening rather than crash the loop.
            on_event(f"The assistant can't be reached ({type(error).__name__}). Listening again.")
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
