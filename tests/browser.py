"""Browser helpers for the web chat tests and benchmark: Debian's chromium through Playwright, axe.

No browser is downloaded: Playwright drives the system chromium (``/usr/bin/chromium``, or
``CHROMIUM_PATH``), headless. Speech tests give it a fake microphone that plays a WAV file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "results" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
WEBCHAT_PATH = "/webhooks/webchat/"

# Quiet and offline: no GPU, no QUIC, no update or sync traffic, audio may play without a click.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def chromium_available() -> bool:
    return Path(CHROMIUM).is_file()


def speech_args(wav: Path) -> list[str]:
    """Flags that make ``wav`` the microphone (played once) and allow it without a prompt."""
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}%noloop",
    ]


def launch(playwright: Any, extra_args: list[str] | None = None) -> Any:
    """A headless chromium browser (Playwright ``Browser``) from the system's chromium."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + list(extra_args or [])
    )


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name


@dataclass
class AxeReport:
    """axe's WCAG 2.1 A/AA violations on a page, with a summary fit for an assertion message."""

    violations: list[dict[str, Any]]

    @property
    def count(self) -> int:
        return len(self.violations)

    def summary(self) -> str:
        if not self.violations:
            return "no axe violations"
        lines = []
        for violation in self.violations:
            lines.append(
                f"{violation['id']} ({violation.get('impact')}): {violation.get('help')}"
                f" [{len(violation.get('nodes', []))} element(s)]"
            )
            for node in violation.get("nodes", [])[:3]:
                target = " ".join(str(t) for t in node.get("target", []))
                why = " ".join((node.get("failureSummary") or "").split())
                lines.append(f"    {target}: {why[:300]}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def axe(page: Any) -> AxeReport:
    """Run axe-core on ``page`` with the WCAG 2.0/2.1 A and AA rules."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return AxeReport(list(results.response.get("violations", [])))
