"""Body-text extraction on real Chinese pages: fanzha against trafilatura, same run.

Reads ``../shared/realpages/manifest.json`` (relative to the repository root; the
pages are read from there, never copied into the project) and prints, per method:

- mean body F1: character-level F1 between extracted and expected text with all
  whitespace removed, where the matched characters are those of the longest common
  subsequence as approximated by ``difflib.SequenceMatcher`` (matching blocks,
  ``autojunk=False``): order matters, unlike a bag-of-characters F1, which is
  printed next to it;
- the share of pages with F1 above 0.9;
- the same on even- and odd-numbered pages (a split-half check against tuning to
  particular pages: the method was tuned looking at even pages only);
- date accuracy: on the pages whose truth gives a date, and on the pages whose URL
  carries a date (extracted *without* the URL, so the URL cannot answer for it);
- title accuracy where the truth gives a title; ``with``/``without`` snippets;
- milliseconds per page (decoding included for fanzha).

Usage: ``.venv/bin/python bench/extraction.py [--pages DIR] [--show N] [--only SUBSTR]``
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.extract.dates import url_date  # noqa: E402
from archive.extract.encoding import decode_html  # noqa: E402
from archive.extract.html import extract  # noqa: E402


def squash(s: str | None) -> str:
    return re.sub(r"\s+", "", s or "")


def lcs_f1(got: str, want: str) -> float:
    a, b = squash(got), squash(want)
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    match = sum(bl.size for bl in sm.get_matching_blocks())
    p, r = match / len(a), match / len(b)
    return 0.0 if match == 0 else 2 * p * r / (p + r)


def bag_f1(got: str, want: str) -> float:
    a, b = Counter(squash(got)), Counter(squash(want))
    if not a and not b:
        return 1.0
    match = sum((a & b).values())
    if not match:
        return 0.0
    p, r = match / sum(a.values()), match / sum(b.values())
    return 2 * p * r / (p + r)


def run_fanzha(raw: bytes, url: str, with_url: bool = True) -> dict:
    page, _ = decode_html(raw)
    ex = extract(page, url if with_url else None)
    return {
        "text": ex.text,
        "title": ex.title,
        "date": ex.published.value.date().isoformat() if ex.published else None,
        "article": ex.looks_like_article,
    }


def run_trafilatura(raw: bytes, url: str, with_url: bool = True) -> dict:
    import trafilatura

    text = trafilatura.extract(raw, url=url if with_url else None) or ""
    meta = trafilatura.extract_metadata(raw, default_url=url if with_url else None)
    return {
        "text": text,
        "title": meta.title if meta else None,
        "date": (meta.date or None) if meta else None,
    }


METHODS = {"fanzha": run_fanzha, "trafilatura": run_trafilatura}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", default=str(ROOT.parent / "shared" / "realpages"))
    ap.add_argument("--show", type=int, default=0, help="list the N worst pages per method")
    ap.add_argument("--only", default="", help="only pages whose file name contains this")
    ap.add_argument("--methods", default="fanzha,trafilatura")
    args = ap.parse_args(argv)
    base = Path(args.pages)
    manifest = base / "manifest.json"
    if not manifest.exists():
        print(f"skipped: {manifest} not found (the real pages are not on this machine)")
        return 0
    entries = json.loads(manifest.read_text("utf-8"))
    entries = [e for e in entries if args.only in e["file"]]
    methods = [m for m in args.methods.split(",") if m]
    print(f"{len(entries)} pages from {base}")
    print(
        "F1: character F1 on whitespace-free text; LCS = difflib matching blocks "
        "(order-aware), bag = multiset of characters\n"
    )
    for name in methods:
        fn = METHODS[name]
        rows = []
        start = time.perf_counter()
        for i, e in enumerate(entries):
            raw = (base / e["file"]).read_bytes()
            out = fn(raw, e["url"])
            rows.append((i, e, out))
        elapsed = time.perf_counter() - start
        report(name, rows, elapsed, args.show)
        # dates without the URL's help, checked against the date the URL carries
        hits = total = 0
        for _, e, _out in rows:
            truth = url_date(e["url"])
            if truth is None or e.get("date"):
                continue
            raw = (base / e["file"]).read_bytes()
            got = fn(raw, e["url"], with_url=False)["date"]
            total += 1
            hits += got == truth.value.date().isoformat()
        if total:
            print(
                f"  date = URL's date (extracted without the URL): {hits}/{total} = {hits / total:.0%}"
            )
        print()
    return 0


def report(name: str, rows: list, elapsed: float, show: int) -> None:
    f1s, bags, halves = [], [], {0: [], 1: []}
    dates = titles = withs = withouts = 0
    date_n = title_n = with_n = without_n = 0
    per_page = []
    for i, e, out in rows:
        text = out["text"]
        if e.get("body"):
            f = lcs_f1(text, e["body"])
            f1s.append(f)
            bags.append(bag_f1(text, e["body"]))
            halves[i % 2].append(f)
            per_page.append((f, e["file"]))
        if e.get("date"):
            date_n += 1
            dates += (out["date"] or "")[:10] == e["date"]
        if e.get("title"):
            title_n += 1
            titles += squash(out["title"]) == squash(e["title"])
        for s in e.get("with", []):
            with_n += 1
            withs += squash(s) in squash(text)
        for s in e.get("without", []):
            without_n += 1
            withouts += squash(s) not in squash(text)
    n = len(rows)
    print(f"== {name}")
    if f1s:
        print(
            f"  body F1 (LCS) mean {statistics.mean(f1s):.3f}  median {statistics.median(f1s):.3f}  "
            f"pages > 0.9: {sum(f > 0.9 for f in f1s) / len(f1s):.0%}  ({len(f1s)} pages with a body)"
        )
        print(f"  body F1 (bag) mean {statistics.mean(bags):.3f}")
    if halves[0] and halves[1]:
        print(
            f"  split-half: even pages {statistics.mean(halves[0]):.3f} (n={len(halves[0])}), "
            f"odd pages {statistics.mean(halves[1]):.3f} (n={len(halves[1])})"
        )
    if date_n:
        print(f"  date right (truth given): {dates}/{date_n}")
    if title_n:
        print(f"  title right (truth given): {titles}/{title_n}")
    if with_n:
        print(
            f"  'with' snippets found: {withs}/{with_n}; 'without' absent: {withouts}/{without_n}"
        )
    print(f"  time: {1000 * elapsed / n:.1f} ms/page")
    if show:
        for f, file in sorted(per_page)[:show]:
            print(f"    {f:.3f} {file}")


if __name__ == "__main__":
    raise SystemExit(main())
