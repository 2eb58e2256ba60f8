"""REST turn latency over whole profile conversations, start-up time and server memory.

Starts the real action server and Rasa server (as `make run` does), measures how long the Rasa
server takes from start to its first answer, then holds whole profile conversations and prints
turn latency percentiles and the Rasa server's resident memory.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import Assistant, environment_for_mail  # noqa: E402

CONVERSATION = [
    "hi",
    "help me find treatments that fit me",
    "yes",
    "no",
    "I went through the change",
    "yes I took tamoxifen",
    "it spread to my bones and liver",
    "what are the side effects of fulvestrant",
    "save the hormone therapy questions",
    "add: can I still travel during treatment?",
    "read my guide",
    "actually it's HER2 positive",
]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bot = Assistant(Path(tmp), environment_for_mail(None, Path(tmp) / "outbox"))
        started = time.monotonic()
        bot.start()
        bot.say("warm-up", "hello")
        start_to_answer = time.monotonic() - started
        try:
            turns: list[float] = []
            for _ in range(args.conversations):
                sender = f"bench-{uuid.uuid4().hex[:8]}"
                for message in CONVERSATION:
                    t0 = time.perf_counter()
                    bot.say(sender, message)
                    turns.append((time.perf_counter() - t0) * 1000)
            rasa_pid = bot.processes[1].pid
            memory = rss_mb(rasa_pid)
        finally:
            bot.stop()
    print(f"Rasa server start to first answer: {start_to_answer:.1f} s (target <= 30 s)")
    print(f"REST turns measured: {len(turns)} over {args.conversations} whole conversations")
    print(f"REST turn latency p50: {statistics.median(turns):.0f} ms")
    print(f"REST turn latency p95: {percentile(turns, 95):.0f} ms (target <= 150 ms)")
    print(f"REST turn latency max: {max(turns):.0f} ms")
    print(f"Rasa server resident memory: {memory:.0f} MB (target <= 1536 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
