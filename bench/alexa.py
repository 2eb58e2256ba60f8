"""Smart-speaker figures: Alexa webhook latency and the length of spoken turns.

Starts the real action server and Rasa server, holds whole profile conversations through
``POST /webhooks/alexa/webhook`` in Amazon's request format, and prints the webhook's latency
percentiles (target: p95 at most 300 ms) and the longest and mean spoken turn in words
(target: mean at most 40 words).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.latency import percentile  # noqa: E402
from channels.speech import word_count  # noqa: E402
from tests import alexa_fixtures as fx  # noqa: E402
from tests.servers import ALEXA_TEST_ENV, TEST_SKILL_ID, Assistant  # noqa: E402

# A whole profile told by voice, then what a listener does next. None = the launch.
CONVERSATION: list[str | None] = [
    None,
    "find my options",
    "AMAZON.YesIntent",
    "her two negative",
    "i went through the change",
    "AMAZON.NoIntent",
    "it spread to my bones",
    "AMAZON.MoreIntent",
    "what is letrozole",
    "save the hormone therapy questions",
    "read my guide",
    "AMAZON.RepeatIntent",
    "AMAZON.StopIntent",
]


def envelope(step: str | None, user: str, session: str) -> dict:
    """The Alexa request for one step of the conversation."""
    if step is None:
        return fx.launch(TEST_SKILL_ID, user, session)
    if step.startswith("AMAZON."):
        return fx.intent(TEST_SKILL_ID, user, session, step)
    return fx.utterance(TEST_SKILL_ID, user, session, step)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {"SMTP_HOST": "", "OUTBOX_DIR": str(Path(tmp) / "outbox"), **ALEXA_TEST_ENV}
        assistant = Assistant(Path(tmp), env).start()
        try:
            latencies: list[float] = []
            words: list[int] = []
            longest = (0, "")
            for _ in range(args.conversations):
                user = f"amzn1.ask.account.{uuid.uuid4().hex}"
                session = f"amzn1.echo-api.session.{uuid.uuid4()}"
                for step in CONVERSATION:
                    started = time.perf_counter()
                    response = assistant.alexa(envelope(step, user, session))
                    latencies.append((time.perf_counter() - started) * 1000)
                    response.raise_for_status()
                    ssml = response.json()["response"]["outputSpeech"]["ssml"]
                    text = " ".join(" ".join(ET.fromstring(ssml).itertext()).split())
                    count = word_count(text)
                    words.append(count)
                    if count > longest[0]:
                        longest = (count, text)
        finally:
            assistant.stop()
    print(f"Alexa webhook, {len(latencies)} requests over {args.conversations} conversations:")
    print(
        f"  p50 {percentile(latencies, 50):.0f} ms, p95 {percentile(latencies, 95):.0f} ms "
        f"(target <= 300 ms), max {max(latencies):.0f} ms"
    )
    print(
        f"Spoken turn length: mean {statistics.mean(words):.1f} words (target <= 40), "
        f"longest {longest[0]} words:"
    )
    print(f"  {longest[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
