"""Training from scratch: how long `rasa train --force` takes on this machine."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def main() -> int:
    with tempfile.TemporaryDirectory() as out:
        started = time.monotonic()
        subprocess.run(
            [str(BIN / "rasa"), "train", "--force", "--out", out, "--quiet"],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        seconds = time.monotonic() - started
    print(f"Training from scratch: {seconds:.0f} s (target <= 300 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
