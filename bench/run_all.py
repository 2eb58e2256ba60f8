"""Print every figure the targets ask for: NLU, latency, memory, speech, web chat, training."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

for script in (
    "nlu_scores.py",
    "latency.py",
    "alexa.py",
    "speech.py",
    "webchat.py",
    "train_time.py",
):
    print(f"== {script}", flush=True)
    subprocess.run([sys.executable, str(HERE / script)], check=True)
