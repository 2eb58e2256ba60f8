"""Understanding on the independent test set: facts (never opposite, never invented) and intents.

The messages in tests/understanding/ were written by someone who had not seen the training data,
from the source page and the questions the assistant asks. Each message is parsed by the trained
model (intent) and read by the same code the actions use (actions.profile_state.read_turn), so the
figures are what a person would get.

    python bench/understanding.py --model models/mbc-guide.tar.gz [--gate]

Prints accuracy by category and which facts are confused with which; with ``--gate`` exits 1 when
any fact is recorded as its opposite or invented, fact accuracy is below 97% or intent accuracy is
below 95%.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
from pathlib import Path
from typing import Any, Callable, Mapping

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from actions.profile_state import ProfileUpdate, read_turn  # noqa: E402

MESSAGES = ROOT / "tests" / "understanding" / "messages.yml"
MIN_FACT_ACCURACY = 0.97
MIN_INTENT_ACCURACY = 0.95
PROFILE_READING_INTENTS = {
    "inform_profile", "affirm", "deny", "dont_know", "inform_number", "show_options",
    "nlu_fallback",
}  # fmt: skip


def canonical(profile: Mapping[str, Any]) -> dict[str, Any]:
    """Facts in one form: "hormone receptor-negative" is ER- and PR-; spread is a sorted list."""
    out: dict[str, Any] = {}
    for slot, value in profile.items():
        if value is None:
            continue
        if slot == "spread":
            sites = sorted(v for v in (value if isinstance(value, list) else [value]) if v)
            sites = [s for s in sites if s != "unknown"]
            if sites:
                out[slot] = sites
            continue
        if isinstance(value, bool):  # YAML 1.1 "yes"/"no"
            value = "yes" if value else "no"
        out[slot] = str(value)
    if out.get("hr") == "negative":
        out.pop("hr")
        out.setdefault("er", "negative")
        out.setdefault("pr", "negative")
    return out


def _hr_status(p: Mapping[str, Any]) -> str | None:
    if p.get("hr") == "positive" or "positive" in (p.get("er"), p.get("pr")):
        return "positive"
    if p.get("er") == "negative" and p.get("pr") == "negative":
        return "negative"
    return None


def compare(expected: Mapping[str, Any], recorded: Mapping[str, Any]) -> dict[str, Any]:
    """Which expected facts were read right, which were read as their opposite, which invented."""
    exp, rec = canonical(expected), canonical(recorded)
    right, wrong, opposite, missed, invented = [], [], [], [], []
    for slot, value in exp.items():
        got = rec.get(slot)
        if got == value:
            right.append(slot)
        elif slot == "spread" and got is not None:
            # A site missed is a missing fact; a site that was never said is an invented one.
            extra = [site for site in got if site not in value]
            if extra:
                invented.append((slot, extra))
            wrong.append((slot, value, got))
        elif got is None:
            missed.append(slot)
        else:
            wrong.append((slot, value, got))
            if "unknown" not in (value, got):
                opposite.append((slot, value, got))
    for slot, got in rec.items():
        if slot in exp:
            continue
        if slot == "hr" and _hr_status(exp) == got:
            continue  # "hormone receptor-positive" for "ER positive": the same fact
        if slot in ("er", "pr") and exp.get("hr") == got:
            continue
        invented.append((slot, got))
        if _hr_status(exp) and _hr_status(rec) and _hr_status(exp) != _hr_status(rec):
            opposite.append(("hormone receptors", _hr_status(exp), _hr_status(rec)))
    return {
        "right": right,
        "wrong": wrong,
        "opposite": opposite,
        "missed": missed,
        "invented": invented,
    }


def evaluate(messages: list[Mapping[str, Any]], intent_of: Callable[[str], str]) -> dict[str, Any]:
    """Score every message; ``intent_of`` gives the model's intent for a text."""
    rows = []
    for m in messages:
        text = str(m["text"])
        asked = m.get("asked")
        intent = intent_of(text)
        # Only these intents lead to an action that reads profile facts (data/rules.yml).
        reads = intent in PROFILE_READING_INTENTS
        update = read_turn({}, asked, intent, text) if reads else ProfileUpdate()
        result = compare(m.get("facts") or {}, update.values)
        result.update(
            text=text,
            asked=asked,
            category=m.get("category", "plain"),
            intent_expected=m["intent"],
            intent=intent,
            expected=m.get("facts") or {},
            recorded=update.values,
        )
        rows.append(result)
    return {"rows": rows}


def intent_correct(row: Mapping[str, Any]) -> bool:
    """Whether the intent fits: the expected one, or one that leads to the same handling."""
    expected, got = row["intent_expected"], row["intent"]
    if expected == got:
        return True
    # A yes, no or "I don't know" that states a fact is read as the fact: the same turn.
    facts_said = bool(row["expected"])
    # show_options and inform_profile both record the facts, then ask or list the options.
    same_turn = {"inform_profile", "affirm", "deny", "dont_know", "show_options"}
    return facts_said and expected in same_turn and got in same_turn and not row["wrong"]


def summarise(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Totals, by category, and the confusion between expected and recorded values."""
    by_cat: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    confusion: collections.Counter = collections.Counter()
    totals: collections.Counter = collections.Counter()
    for row in rows:
        c = by_cat[row["category"]]
        n_exp = len(canonical(row["expected"]))
        errors = len(row["wrong"]) + len(row["missed"]) + len(row["invented"])
        for bucket in (c, totals):
            bucket["messages"] += 1
            bucket["facts"] += n_exp + len(row["invented"])
            bucket["facts_right"] += len(row["right"])
            bucket["exact"] += int(errors == 0)
            bucket["intent_right"] += int(intent_correct(row))
            bucket["opposite"] += len(row["opposite"])
            bucket["invented"] += len(row["invented"])
        for slot, want, got in row["wrong"]:
            confusion[(f"{slot}={want}", f"{slot}={got}")] += 1
        for slot in row["missed"]:
            confusion[(f"{slot}={canonical(row['expected'])[slot]}", "nothing")] += 1
        for slot, got in row["invented"]:
            confusion[("nothing", f"{slot}={got}")] += 1
    return {"by_category": by_cat, "totals": totals, "confusion": confusion}


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def print_report(summary: Mapping[str, Any], rows: list[Mapping[str, Any]], show: int) -> None:
    """The tables, in Markdown, and the first failing messages."""
    print("| category | messages | fact accuracy | messages exactly right | intent accuracy "
          "| opposite | invented |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- |")
    cats = sorted(summary["by_category"].items()) + [("all", summary["totals"])]
    for name, c in cats:
        print(
            f"| {name} | {c['messages']} | {_pct(c['facts_right'], c['facts'])} "
            f"| {_pct(c['exact'], c['messages'])} | {_pct(c['intent_right'], c['messages'])} "
            f"| {c['opposite']} | {c['invented']} |"
        )
    print("\nConfusions (expected -> recorded):")
    for (want, got), count in summary["confusion"].most_common(25):
        print(f"  {count:3d}  {want:28s} -> {got}")
    bad = [r for r in rows if r["opposite"] or r["invented"] or r["wrong"] or r["missed"]]
    bad += [r for r in rows if not intent_correct(r) and r not in bad]
    if show and bad:
        print(f"\nFirst {min(show, len(bad))} of {len(bad)} messages with a difference:")
        for r in bad[:show]:
            print(
                f"  [{r['category']}] asked={r['asked']} {r['text']!r}\n"
                f"      intent {r['intent_expected']} -> {r['intent']}; "
                f"facts {canonical(r['expected'])} -> {canonical(r['recorded'])}"
            )


def model_intents(model: str) -> Callable[[str], str]:
    """Intent of a text from the trained model (Rasa's own parser, loaded once)."""
    import logging

    import structlog
    from rasa.core.agent import Agent

    # Rasa logs every parse at debug level; the report is what matters here.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    agent = Agent.load(model)
    loop = asyncio.new_event_loop()

    def intent_of(text: str) -> str:
        parsed = loop.run_until_complete(agent.parse_message(text))
        return str((parsed.get("intent") or {}).get("name"))

    return intent_of


def load_messages(path: Path = MESSAGES) -> list[dict[str, Any]]:
    """The held-out messages."""
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["messages"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="trained model; without it, the expected intents are used")
    parser.add_argument("--data", default=str(MESSAGES))
    parser.add_argument("--gate", action="store_true", help="exit 1 below the targets")
    parser.add_argument("--show", type=int, default=40, help="failing messages to print")
    parser.add_argument("--min-facts", type=float, default=MIN_FACT_ACCURACY)
    parser.add_argument("--min-intents", type=float, default=MIN_INTENT_ACCURACY)
    args = parser.parse_args()
    messages = load_messages(Path(args.data))
    if args.model:
        intent_of = model_intents(args.model)
    else:
        expected = {str(m["text"]): str(m["intent"]) for m in messages}
        intent_of = expected.__getitem__
    rows = evaluate(messages, intent_of)["rows"]
    summary = summarise(rows)
    print_report(summary, rows, args.show)
    t = summary["totals"]
    fact_acc = t["facts_right"] / t["facts"] if t["facts"] else 1.0
    intent_acc = t["intent_right"] / t["messages"]
    print(
        f"\nFacts: {fact_acc:.1%} right, {t['opposite']} opposite, {t['invented']} invented; "
        f"intents: {intent_acc:.1%} right ({t['messages']} messages)"
    )
    if not args.gate:
        return 0
    failures = []
    if t["opposite"]:
        failures.append(f"{t['opposite']} facts recorded as their opposite")
    if t["invented"]:
        failures.append(f"{t['invented']} facts invented")
    if fact_acc < args.min_facts:
        failures.append(f"fact accuracy {fact_acc:.1%} < {args.min_facts:.0%}")
    if args.model and intent_acc < args.min_intents:
        failures.append(f"intent accuracy {intent_acc:.1%} < {args.min_intents:.0%}")
    if fact_acc < MIN_FACT_ACCURACY or intent_acc < MIN_INTENT_ACCURACY:
        print(
            f"Below the targets ({MIN_FACT_ACCURACY:.0%} facts, {MIN_INTENT_ACCURACY:.0%} "
            "intents): see the README's understanding section."
        )
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
