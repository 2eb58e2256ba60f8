"""Intent and entity F1 on the held-out NLU split (data training never sees).

Runs `rasa test nlu` on the split, prints the figures and, with --min-f1, exits non-zero when
either is below the floor.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def scores(model: Path, data: Path, out: Path) -> dict[str, float]:
    """Run the evaluation and read the weighted-average F1 of intents and entities."""
    subprocess.run(
        [
            str(BIN / "rasa"),
            "test",
            "nlu",
            "--model",
            str(model),
            "--nlu",
            str(data),
            "--out",
            str(out),
            "--quiet",
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    intents = json.loads((out / "intent_report.json").read_text())
    entities = json.loads((out / "DIETClassifier_report.json").read_text())
    figures = {
        "intent_f1": intents["weighted avg"]["f1-score"],
        "entity_f1": entities["weighted avg"]["f1-score"],
        "intent_examples": intents["weighted avg"]["support"],
        "entity_tokens": entities["weighted avg"]["support"],
    }
    worst = sorted(
        (v["f1-score"], k)
        for k, v in intents.items()
        if isinstance(v, dict) and "f1-score" in v and k not in ("macro avg", "weighted avg")
    )[:3]
    figures["weakest_intents"] = worst
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=str(ROOT / "models" / "mbc-guide.tar.gz"))
    parser.add_argument("--data", default=str(ROOT / "tests" / "nlu" / "holdout.yml"))
    parser.add_argument("--out", default=str(ROOT / "results" / "nlu"))
    parser.add_argument("--min-f1", type=float, default=None)
    args = parser.parse_args()
    figures = scores(Path(args.model), Path(args.data), Path(args.out))
    print(
        f"held-out intent F1 (weighted): {figures['intent_f1']:.3f} "
        f"on {figures['intent_examples']} messages"
    )
    print(
        f"held-out entity F1 (weighted): {figures['entity_f1']:.3f} "
        f"on {figures['entity_tokens']} entity tokens"
    )
    print("weakest intents: " + ", ".join(f"{k} {f:.2f}" for f, k in figures["weakest_intents"]))
    if args.min_f1 is not None:
        low = [k for k in ("intent_f1", "entity_f1") if figures[k] < args.min_f1]
        if low:
            print(f"FAILED: {', '.join(low)} below {args.min_f1}")
            return 1
        print(f"both at or above {args.min_f1}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
