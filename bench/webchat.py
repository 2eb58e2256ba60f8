"""Web chat page figures: what it weighs, how soon it greets, and what axe says.

Starts the real action server and Rasa server (as `make run` does), then opens the page
``/webhooks/webchat/`` in headless chromium (Debian's, through Playwright; ``CHROMIUM_PATH``
overrides) as a new person each time, once to warm up and ``--loads`` times measured:

- transfer size: every response the page loads until the first assistant message is drawn
  (bodies and headers, from Playwright's ``request.sizes()``; the socket's own frames are not
  counted), before any audio (target < 150 kB);
- time from navigation start to the first assistant message in the log, measured in the page
  (``performance.now()`` when the message is added; target: median < 1 s);
- axe-core's WCAG 2.0/2.1 A and AA violations on the first page (target 0).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.latency import percentile  # noqa: E402
from tests.browser import WEBCHAT_PATH, axe, chromium_available, launch  # noqa: E402
from tests.servers import Assistant, environment_for_mail  # noqa: E402

TARGET_KB = 150
TARGET_FIRST_MESSAGE_MS = 1000
# Notes the moment the first assistant message is added to the log, in page time (ms since the
# navigation started), before any of the page's own scripts run.
FIRST_MESSAGE_PROBE = """
(() => {
  const seen = () => document.querySelector("#transcript li.message.from-assistant");
  const observer = new MutationObserver(() => {
    if (window.__firstAssistant === undefined && seen()) {
      window.__firstAssistant = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, {childList: true, subtree: true});
})();
"""


def load_once(browser: Any, url: str) -> dict[str, Any]:
    """Open the page as a new person; the bytes it loaded and when the first message showed."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.add_init_script(FIRST_MESSAGE_PROBE)
        finished: list[Any] = []
        page.on("requestfinished", lambda request: finished.append(request))
        page.goto(url)
        try:
            page.wait_for_function("() => window.__firstAssistant !== undefined", timeout=30_000)
        except Exception as error:  # Playwright's TimeoutError
            raise SystemExit(
                f"No assistant message reached the page in 30 s ({type(error).__name__}): "
                "check that the socketio channel's replies reach the browser."
            ) from error
        first_ms = page.evaluate("() => window.__firstAssistant")
        by_kind: dict[str, int] = defaultdict(int)
        total = 0
        for request in list(finished):
            sizes = request.sizes()
            size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
            total += size
            path = urlparse(request.url).path
            name = "(the page)" if path.endswith("/") else Path(path).name
            by_kind[name] += size
        return {
            "first_ms": first_ms,
            "bytes": total,
            "requests": len(finished),
            "by_file": dict(by_kind),
            "page": page,
            "context": context,
        }
    except Exception:
        context.close()
        raise


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loads", type=int, default=10)
    args = parser.parse_args()
    if not chromium_available():
        print(
            "chromium is missing (Debian: apt-get install chromium); skipping the web chat figures"
        )
        return 0
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        bot = Assistant(Path(tmp), environment_for_mail(None, Path(tmp) / "outbox")).start()
        try:
            with sync_playwright() as playwright:
                browser = launch(playwright)
                try:
                    url = bot.url + WEBCHAT_PATH
                    warm = load_once(browser, url)  # warms the servers and the browser's caches
                    warm["context"].close()
                    loads = []
                    for _ in range(args.loads):
                        one = load_once(browser, url)
                        if not loads:
                            violations = axe(one["page"])
                        one["context"].close()
                        loads.append(one)
                finally:
                    browser.close()
        finally:
            bot.stop()

    times = [one["first_ms"] for one in loads]
    kb = max(one["bytes"] for one in loads) / 1000
    median, p95 = statistics.median(times), percentile(times, 95)
    rows = [
        ("transfer before any audio", f"{kb:.1f} kB", f"< {TARGET_KB} kB", kb < TARGET_KB),
        (
            "first assistant message, median",
            f"{median:.0f} ms",
            f"< {TARGET_FIRST_MESSAGE_MS} ms",
            median < TARGET_FIRST_MESSAGE_MS,
        ),
        ("first assistant message, p95", f"{p95:.0f} ms", "", None),
        ("axe WCAG 2.1 A/AA violations", str(violations.count), "0", violations.count == 0),
    ]
    print(f"Web chat page, {len(loads)} fresh loads with warm servers (headless chromium):")
    print(f"  {'figure':<34} {'value':>10}  {'target':<10}")
    for name, value, target, ok in rows:
        verdict = "" if ok is None else ("meets" if ok else "MISSES")
        print(f"  {name:<34} {value:>10}  {target:<10} {verdict}")
    print(f"  requests per load: {loads[0]['requests']}; bytes by file (first measured load):")
    for name, size in sorted(loads[0]["by_file"].items(), key=lambda item: -item[1]):
        print(f"    {name:<32} {size / 1000:>8.1f} kB")
    if violations.count:
        print(violations.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
