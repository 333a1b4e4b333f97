"""Precision and recall of fraud-type tags on the hand-labelled bulletins.

    .venv/bin/python bench/fraud_types.py [--show] [--set tests/data/fraud_types/labelled.jsonl]

Scores ``archive.extract.relevance.classify`` (the tags every article gets) against
``tests/data/fraud_types/labelled.jsonl``: micro P/R over (bulletin, type) decisions,
the same without the general type, and per type; ``--show`` lists the bulletins tagged
differently from their labels.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.extract.fraud_types_eval import load_labelled, score  # noqa: E402

SET = ROOT / "tests" / "data" / "fraud_types" / "labelled.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", default=str(SET), help="labelled JSON lines")
    ap.add_argument("--show", action="store_true", help="list the bulletins tagged wrongly")
    args = ap.parse_args()
    rows = load_labelled(args.set)
    s = score(rows)
    print(f"{len(rows)} bulletins, {sum(len(r['types']) for r in rows)} labels ({args.set})")
    print(f"{'':<24}{'P':>7}{'R':>7}{'tp':>5}{'fp':>5}{'fn':>5}")
    rows_out = [("micro (all tags)", s.micro), ("micro (specific types)", s.specific)]
    rows_out += sorted(s.per_type.items())
    for name, t in rows_out:
        print(f"{name:<24}{t.precision:>7.3f}{t.recall:>7.3f}{t.tp:>5}{t.fp:>5}{t.fn:>5}")
    print(f"bulletins tagged exactly as labelled: {len(rows) - len(s.misses)}/{len(rows)}")
    print(f"bulletins about fraud judged off-topic (no tag at all): {s.not_relevant}")
    if args.show:
        for m in s.misses:
            print(f"  {m['id']}: want {m['want']} got {m['got']}")


if __name__ == "__main__":
    main()
