"""Publication dates on real Chinese pages: fanzha against htmldate, same run.

Two hand-labelled sets, read from ``../shared`` (never copied into the project):

- ``realpages-gne``: 60 news pages, each labelled with its publication date (and time);
  the pages carry no URL, so the URL cannot answer.
- ``realpages``: the 4 pages whose truth gives a date, plus every page whose URL carries
  a date, extracted *without* the URL (so the URL cannot answer for it).

A page counts as right when the extracted date (the day, in the page's zone or China
time) equals the label. htmldate is run as its documentation advises for a
publication date (``original_date=True``) and with its defaults; both are printed.

Usage: ``.venv/bin/python bench/dates.py [--show]`` (``--show`` lists the misses)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.extract.dates import url_date  # noqa: E402
from archive.extract.encoding import decode_html  # noqa: E402
from archive.extract.html import extract  # noqa: E402

SHARED = ROOT.parent / "shared"


def fanzha_date(raw: bytes, url: str | None) -> str | None:
    page, _ = decode_html(raw)
    ex = extract(page, url)
    return ex.published.value.date().isoformat() if ex.published and ex.published.value else None


def htmldate_method(original: bool) -> Callable[[bytes, str | None], str | None]:
    def run(raw: bytes, url: str | None) -> str | None:
        from htmldate import find_date

        page, _ = decode_html(raw)
        try:
            return find_date(page, url=url, original_date=original)
        except Exception:  # htmldate raises on some broken trees; count as a miss
            return None

    return run


METHODS: dict[str, Callable[[bytes, str | None], str | None]] = {
    "fanzha": fanzha_date,
    "htmldate (original_date=True)": htmldate_method(True),
    "htmldate (defaults)": htmldate_method(False),
}


def gne_cases(base: Path) -> list[tuple[Path, str | None, str]]:
    entries = json.loads((base / "manifest.json").read_text("utf-8"))
    return [(base / "pages" / e["file"], None, e["published"]) for e in entries]


def realpages_cases(base: Path) -> list[tuple[Path, str | None, str]]:
    """(page, URL handed to the extractor, true date)."""
    cases = []
    for e in json.loads((base / "manifest.json").read_text("utf-8")):
        if e.get("date"):
            cases.append((base / e["file"], e["url"], e["date"]))
            continue
        from_url = url_date(e["url"])
        if from_url is not None and from_url.value is not None:
            cases.append((base / e["file"], None, from_url.value.date().isoformat()))
    return cases


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show", action="store_true", help="list the pages each method misses")
    args = ap.parse_args(argv)
    sets = {
        "realpages-gne": (SHARED / "realpages-gne", gne_cases),
        "realpages": (SHARED / "realpages", realpages_cases),
    }
    for name, (base, read) in sets.items():
        if not (base / "manifest.json").exists():
            print(f"{name}: skipped, {base}/manifest.json not found")
            continue
        cases = read(base)
        print(f"== {name}: {len(cases)} pages with a labelled date")
        for method, fn in METHODS.items():
            hits, misses = 0, []
            start = time.perf_counter()
            for path, url, truth in cases:
                got = fn(path.read_bytes(), url)
                if got == truth:
                    hits += 1
                else:
                    misses.append((path.name, truth, got))
            ms = 1000 * (time.perf_counter() - start) / len(cases)
            print(
                f"  {method:30} {hits}/{len(cases)} = {hits / len(cases):.1%}  ({ms:.0f} ms/page)"
            )
            if args.show:
                for file, truth, got in misses:
                    print(f"      miss {file}: want {truth}, got {got}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
