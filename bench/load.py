"""Load on one Rasa server: many conversations at once, then a soak that watches memory.

Starts the real action server and Rasa server (as `make run` does, SQLite tracker store), then:
1. one burst of 50 concurrent conversations of 10 turns each over REST: errors, turn latency
   percentiles and throughput in turns per second;
   then the same 50 conversations at a person's pace (a message every few seconds each, with
   `--pace-seconds`), because back-to-back sending measures how work queues, not what people feel;
2. a soak: bursts like it, one after another, for 10 minutes, and the Rasa server's resident
   memory before and after (measured after the first bursts, so start-up allocations don't count).

    .venv/bin/python bench/load.py                    # the issue's figures (about 11 minutes)
    .venv/bin/python bench/load.py --soak-minutes 1   # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.latency import CONVERSATION, percentile, rss_mb  # noqa: E402
from tests.servers import Assistant, environment_for_mail  # noqa: E402

TURNS = CONVERSATION[:10]
TURN_TIMEOUT = 30  # seconds: a turn slower than this counts as an error


@dataclass
class Burst:
    """What one burst of concurrent conversations measured."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def turns_per_second(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0


async def conversation(
    session: aiohttp.ClientSession, url: str, burst: Burst, pace: float = 0.0, seed: int = 0
) -> None:
    """One person's 10 turns, each waiting for the answer before the next (as a person would).

    With ``pace`` > 0 the person also reads and types: a pause of 0.5 to 1.5 times ``pace``
    seconds before each message (and a random start), so people don't all send at once.
    """
    sender = f"load-{uuid.uuid4().hex[:12]}"
    rng = random.Random(seed)
    for text in TURNS:
        if pace:
            await asyncio.sleep(pace * rng.uniform(0.5, 1.5))
        started = time.perf_counter()
        try:
            async with session.post(url, json={"sender": sender, "message": text}) as reply:
                body = await reply.json(content_type=None)
                if reply.status != 200 or not body:
                    burst.errors.append(f"HTTP {reply.status}, {len(body or [])} messages")
                    continue
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            burst.errors.append(type(exc).__name__)
            continue
        burst.latencies_ms.append((time.perf_counter() - started) * 1000)


async def run_burst(base_url: str, conversations: int, pace: float = 0.0) -> Burst:
    """``conversations`` people talking at the same time (``pace``: see ``conversation``)."""
    burst = Burst()
    timeout = aiohttp.ClientTimeout(total=TURN_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=conversations)
    url = f"{base_url}/webhooks/rest/webhook"
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        started = time.perf_counter()
        people = (conversation(session, url, burst, pace, n) for n in range(conversations))
        await asyncio.gather(*people)
        burst.seconds = time.perf_counter() - started
    return burst


def row(name: str, value: str, target: str = "", meets: bool | None = None) -> str:
    verdict = "" if meets is None else ("meets" if meets else "MISSES")
    return f"  {name:<44} {value:>16}  {target:<14} {verdict}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--soak-minutes", type=float, default=10.0)
    parser.add_argument(
        "--pace-seconds",
        type=float,
        default=5.0,
        help="average pause before each message in the paced run (0 skips it)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bot = Assistant(Path(tmp), environment_for_mail(None, Path(tmp) / "outbox")).start()
        try:
            bot.say("warm-up", "hello")
            rasa_pid = bot.processes[1].pid
            first = asyncio.run(run_burst(bot.url, args.conversations))
            paced = asyncio.run(run_burst(bot.url, args.conversations, args.pace_seconds))
            memory_before = rss_mb(rasa_pid)
            soak_end = time.monotonic() + args.soak_minutes * 60
            soak_turns, soak_errors, rounds = 0, 0, 0
            while time.monotonic() < soak_end:
                burst = asyncio.run(run_burst(bot.url, args.conversations))
                soak_turns += len(burst.latencies_ms)
                soak_errors += len(burst.errors)
                rounds += 1
            memory_after = rss_mb(rasa_pid)
        finally:
            bot.stop()

    growth = (memory_after - memory_before) / memory_before * 100
    p50, p95 = percentile(first.latencies_ms, 50), percentile(first.latencies_ms, 95)
    print(f"One Rasa server, {args.conversations} concurrent conversations of {len(TURNS)} turns:")
    print(row("figure", "value", "target"))
    print(row("errors", str(len(first.errors)), "0", not first.errors))
    print(row("turn latency, p50", f"{p50:.0f} ms"))
    print(row("turn latency, p95", f"{p95:.0f} ms", "<= 500 ms", p95 <= 500))
    print(row("throughput", f"{first.turns_per_second:.1f} turns/s"))
    if args.pace_seconds:
        print(f"The same at a person's pace (a message every {args.pace_seconds:g} s on average):")
        paced_p50 = percentile(paced.latencies_ms, 50)
        paced_p95 = percentile(paced.latencies_ms, 95)
        print(row("errors", str(len(paced.errors)), "0", not paced.errors))
        print(row("turn latency, p50", f"{paced_p50:.0f} ms"))
        print(row("turn latency, p95", f"{paced_p95:.0f} ms", "<= 500 ms", paced_p95 <= 500))
        print(row("throughput", f"{paced.turns_per_second:.1f} turns/s"))
    print(
        f"Soak: {rounds} more bursts in {args.soak_minutes:g} minutes, "
        f"{soak_turns} turns, {soak_errors} errors"
    )
    print(row("Rasa server memory, before the soak", f"{memory_before:.0f} MB"))
    print(row("Rasa server memory, after the soak", f"{memory_after:.0f} MB"))
    print(row("memory growth", f"{growth:+.1f}%", "<= 10%", growth <= 10))
    for error in sorted(set(first.errors))[:5]:
        print(f"  error seen: {error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
