"""Pairwise precision, recall and F1 of dedup on the labelled evaluation set.

    .venv/bin/python bench/dedup_eval.py            # evaluate tests/data/dedup_eval/
    .venv/bin/python bench/dedup_eval.py --write    # regenerate the set (seeded)

The set (``tests/data/dedup_eval/articles.jsonl``) is generated once from templates by
``dedup_corpus`` and kept in the repository, so the test and this script score the
same articles. Goal: F1 >= 0.95 with precision >= 0.98.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

EVAL = ROOT / "tests" / "data" / "dedup_eval" / "articles.jsonl"


def write_set(path: Path, seed: int = 20260511) -> None:
    from dedup_corpus import Corpus

    c = Corpus(seed)
    rows = []
    for story in range(1, 241):
        orig = c.bulletin(story)
        rows.append(orig)
        if story <= 80:  # 80 stories reposted 1-5 times; 160 hard negatives alone
            rows += c.reposts(orig, c.rng.randrange(1, 6))
    c.rng.shuffle(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for a in rows:
            fh.write(json.dumps(a.as_json(), ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} articles, {len({a.story for a in rows})} stories to {path}")


def evaluate(path: Path, verbose: bool = False) -> dict:
    from archive import Archive
    from archive.dedup import run_dedup
    from archive.dedup.evaluate import clustering, load_labelled, pairwise, store_labelled

    rows = load_labelled(path)
    with tempfile.TemporaryDirectory() as tmp:
        archive = Archive.open(Path(tmp))
        labels = store_labelled(archive, rows)
        t0 = time.perf_counter()
        run_dedup(archive)
        seconds = time.perf_counter() - t0
        scores = pairwise(clustering(archive, labels), labels)
        archive.close()
    kinds = {i + 1: r.get("kind", "") for i, r in enumerate(rows)}
    missed = Counter(
        kinds[b] if kinds[a] == "original" else kinds[a] for a, b in scores.missed_pairs
    )
    out = scores.as_json() | {"articles": len(rows), "seconds": round(seconds, 2)}
    if verbose:
        out["missed_by_kind"] = dict(missed.most_common(10))
        out["false_pairs"] = scores.false_pairs[:10]
        out["missed_pairs"] = scores.missed_pairs[:10]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="regenerate the labelled set")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.write:
        write_set(EVAL)
    result = evaluate(EVAL, args.verbose)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    goal = result["f1"] >= 0.95 and result["precision"] >= 0.98
    print(
        f"precision {result['precision']:.3f}  recall {result['recall']:.3f}  F1 {result['f1']:.3f}"
        f"  -> goal (F1 >= 0.95, precision >= 0.98) {'met' if goal else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
