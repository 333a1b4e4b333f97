"""Precision and recall of indicator extraction, per kind, on the hand-labelled set.

    .venv/bin/python bench/indicators.py [--show] [--set tests/data/indicators/heldout.jsonl]

Scores ``archive.extract.indicators`` on ``tests/data/indicators/bulletins.jsonl`` and,
where jionlp is installed (``pip install jionlp``), jionlp's own extractors for the
kinds it has (phone, url, qq, wechat; money through ``extract_money`` is not in
jionlp 1.5, so amounts are ours alone), in the same run. Goals: P >= 0.95 and R >= 0.9
for phone, url, qq, wechat, bank_account; P >= 0.9, R >= 0.8 for app; P >= 0.9 and
R >= 0.85 for loss amounts.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.extract.indicators import KINDS, extract_indicators  # noqa: E402
from archive.extract.indicators_eval import load_labelled, score  # noqa: E402

SET = ROOT / "tests" / "data" / "indicators" / "bulletins.jsonl"
ROWS = [*KINDS, "loss"]


def ours(text: str):
    return [(i.kind, i.value, i.role) for i in extract_indicators(text)]


def jionlp_extractor():
    try:
        import jionlp as jio
    except ImportError:
        return None

    def run(text: str):
        out = []
        for p in jio.extract_phone_number(text):
            out.append(("phone", re.sub(r"\D", "", p).removeprefix("86"), "suspect"))
        for u in jio.extract_url(text):
            u = re.sub(r"^https?://", "", u.lower()).split("?")[0].rstrip("/")
            out.append(("url", u, "suspect"))
        out += [("qq", q, "suspect") for q in jio.extract_qq(text)]
        out += [("wechat", w, "suspect") for w in jio.extract_wechat_id(text)]
        return out

    return run


def table(name: str, scores, roles: float, kinds) -> None:
    print(f"\n{name}   (role right on {roles:.0%} of the right values)")
    print(f"{'kind':<14}{'P':>7}{'R':>7}{'tp':>6}{'fp':>5}{'fn':>5}")
    for k in kinds:
        s = scores[k]
        print(f"{k:<14}{s.precision:>7.3f}{s.recall:>7.3f}{s.tp:>6}{s.fp:>5}{s.fn:>5}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show", action="store_true", help="list every miss and wrong value")
    ap.add_argument(
        "--set",
        type=Path,
        default=SET,
        help="labelled JSONL to score (default: the tuning set; heldout.jsonl was written blind)",
    )
    args = ap.parse_args()
    rows = load_labelled(args.set)
    print(f"{len(rows)} bulletins, {sum(len(r['indicators']) for r in rows)} labelled indicators")
    t = time.perf_counter()
    scores, roles = score(rows, ours, ROWS)
    took = time.perf_counter() - t
    table(f"fanzha rules ({took * 1000:.0f} ms)", scores, roles, ROWS)
    if args.show:
        for k in ROWS:
            for line in scores[k].wrong:
                print("  wrong", line)
            for line in scores[k].misses:
                print("  miss ", line)
    jio = jionlp_extractor()
    if jio is None:
        print("\njionlp not installed: its column skipped (pip install jionlp)")
        return
    t = time.perf_counter()
    jscores, jroles = score(rows, jio, ["phone", "url", "qq", "wechat"])
    table(
        f"jionlp {jio.__module__} ({(time.perf_counter() - t) * 1000:.0f} ms)",
        jscores,
        jroles,
        ["phone", "url", "qq", "wechat"],
    )


if __name__ == "__main__":
    main()
