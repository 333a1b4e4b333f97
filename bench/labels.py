"""Change-label accuracy on the labelled dedup set (tests/data/dedup_eval/articles.jsonl).

Each repost is compared with its story's original as dedup does; the labels found are
scored per label against the edits the set says the repost was made with
(``archive.labels_eval``). Prints precision and recall per label and the time taken.

Usage: ``.venv/bin/python bench/labels.py``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.dedup.evaluate import load_labelled  # noqa: E402
from archive.labels_eval import score_labels  # noqa: E402

SET = ROOT / "tests" / "data" / "dedup_eval" / "articles.jsonl"


def main() -> None:
    rows = load_labelled(SET)
    start = time.perf_counter()
    scores = score_labels(rows)
    took = time.perf_counter() - start
    print(f"{scores.reposts} reposts labelled in {took:.1f}s")
    print(f"{'label':<10} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7}")
    for label in scores.measured():
        print(
            f"{label:<10} {scores.tp[label]:>4} {scores.fp[label]:>4} {scores.fn[label]:>4} "
            f"{scores.precision(label):>9.2f} {scores.recall(label):>7.2f}"
        )


if __name__ == "__main__":
    main()
