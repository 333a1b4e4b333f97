"""What an increment costs, part by part: +1,000 into an archive against into empty.

    .venv/bin/python bench/dedup_parts.py                  # base of 100,000 (~3 min)
    .venv/bin/python bench/dedup_parts.py --base 20000 --rounds 5

Builds a generated archive of ``--base`` articles and deduplicates it (not timed), as
``bench/dedup.py`` does; then, ``--rounds`` times and alternately, adds the same
``--new`` articles to a fresh copy of it and to an empty archive and runs ``run_dedup``
in a fresh process with its parts wrapped in timers. Prints the median seconds of each
part for both, and their difference: where the archive's size costs. The parts nest
(``filter`` includes ``stored signatures``; ``chunk`` includes most others;
``verification`` also counts the measures taken while ``clusters written``).
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PARTS = [  # (label, module path, attribute path)
    ("features (read + compute)", "archive.dedup.stage", "_Texts.start"),
    ("chunk", "archive.dedup.stage", "_process_chunk"),
    ("band look-up", "archive.dedup.candidates", "BandIndex.stored_pairs"),
    ("band keys stored", "archive.dedup.stage", "store_bands"),
    ("filter", "archive.dedup.stage", "_filter"),
    ("stored signatures", "archive.dedup.stage", "_stored_signatures"),
    ("verification", "archive.dedup.stage", "measure"),
    ("phrase counts", "archive.dedup.boilerplate", "Boilerplate.settle"),
    ("phrase counts", "archive.dedup.boilerplate", "Boilerplate.flush"),
    ("clusters written", "archive.dedup.cluster", "Clusters.finalize"),
    ("differences", "archive.dedup.differences", "DifferenceWriter.submit"),
    (
        "differences left by a dead run",
        "archive.dedup.differences",
        "DifferenceWriter.record_missing",
    ),
]


def _wrap(times: Counter[str], label: str, module: str, path: str) -> None:
    import importlib

    owner = importlib.import_module(module)
    *outer, name = path.split(".")
    for part in outer:
        owner = getattr(owner, part)
    inner = getattr(owner, name)

    @functools.wraps(inner)
    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            times[label] += time.perf_counter() - t0

    setattr(owner, name, timed)


def child(home: str) -> None:
    from archive import Archive
    from archive.dedup import run_dedup

    times: Counter[str] = Counter()
    for label, module, path in PARTS:
        _wrap(times, label, module, path)
    archive = Archive.open(Path(home))
    t0 = time.perf_counter()
    run_dedup(archive)
    times["total"] = time.perf_counter() - t0
    archive.close()
    print(json.dumps(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=int, default=100_000)
    ap.add_argument("--new", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    from dedup import alternate_rounds, increment_archives, run_child

    with tempfile.TemporaryDirectory(prefix="fz-parts-") as tmp:
        big, empty = increment_archives(Path(tmp), args.base, args.new)
        into_big, into_empty = alternate_rounds(
            big, empty, args.rounds, lambda home: run_child(__file__, str(home))
        )
    labels = ["total", *dict.fromkeys(label for label, _, _ in PARTS)]
    print(f"+{args.new} articles, medians of {args.rounds} rounds (seconds)")
    print(f"{'part':<32} {'into ' + str(args.base):>12} {'into empty':>12} {'extra':>8}")
    for label in labels:
        b = statistics.median(r.get(label, 0.0) for r in into_big)
        e = statistics.median(r.get(label, 0.0) for r in into_empty)
        print(f"{label:<32} {b:12.3f} {e:12.3f} {b - e:+8.3f}")
    ratios = [b["total"] / e["total"] for b, e in zip(into_big, into_empty, strict=True)]
    print("ratio of totals by round: " + ", ".join(f"{r:.2f}" for r in ratios))


if __name__ == "__main__":
    main()
