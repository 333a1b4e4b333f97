"""Publisher and author accuracy on real pages with hand-checked labels.

Reads ``../shared/realpages-gne/manifest.json`` (relative to the repository root; the
pages stay there and are never copied into the project) and prints, for fanzha's
extractor (``archive.extract.extract``):

- publisher right: on the pages whose label names a publisher, the extracted
  ``source`` equals the label or one of its ``publisher_alt`` readings;
- publisher absent: on the pages that name none, how often nothing was extracted;
- author right: on the pages whose label names an author, the extracted ``author``
  equals the label or an ``author_alt`` reading (several names compared as a set);
- author absent: on the pages that name no author, how often nothing was extracted
  (an editor, 责任编辑, given as the author counts as wrong);
- the same two figures on even- and odd-numbered pages (a split-half check against
  tuning to particular pages).

Then the same publisher figure on the crawler's fixture sites (``tests/sites/www``):
each article page whose title is a corpus bulletin's is expected to name that
bulletin's ``source`` (portal pages print ``来源：``; the police site reposts under its
own name), a WeChat page its account, a blog post nothing.

Comparison ignores whitespace. Usage:
``.venv/bin/python bench/metadata.py [--pages DIR] [--show]`` (``--show`` lists misses).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.errors import InputError  # noqa: E402
from archive.extract.encoding import decode_html  # noqa: E402
from archive.extract.html import extract  # noqa: E402

_NAME_SEP = re.compile(r"[、,，;；\s]+|(?<=[\u4e00-\u9fff])和(?=[\u4e00-\u9fff])")


def squash(s: str | None) -> str:
    return re.sub(r"\s+", "", s or "")


def names(s: str | None) -> frozenset[str]:
    return frozenset(n for n in _NAME_SEP.split(s or "") if n)


def publisher_right(got: str | None, entry: dict) -> bool:
    wanted = [entry.get("publisher"), *list(entry.get("publisher_alt") or [])]
    return any(w and squash(got) == squash(w) for w in wanted)


def author_right(got: str | None, entry: dict) -> bool:
    wanted = [entry.get("author"), *list(entry.get("author_alt") or [])]
    return any(w and names(got) == names(w) for w in wanted)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", default=str(ROOT.parent / "shared" / "realpages-gne"))
    ap.add_argument("--show", action="store_true", help="list the pages got wrong")
    args = ap.parse_args(argv)
    base = Path(args.pages)
    manifest = base / "manifest.json"
    if not manifest.exists():
        print(f"skipped: {manifest} not found (the real pages are not on this machine)")
        return 0
    entries = json.loads(manifest.read_text("utf-8"))
    tally = {k: [0, 0] for k in ("pub", "pub_none", "auth", "auth_none")}
    halves = {k: {0: [0, 0], 1: [0, 0]} for k in ("pub", "auth")}
    misses: list[str] = []
    for i, e in enumerate(entries):
        page, _ = decode_html((base / "pages" / e["file"]).read_bytes())
        ex = extract(page, None)
        for field, got, right, label in (
            ("pub", ex.source, publisher_right, e.get("publisher")),
            ("auth", ex.author, author_right, e.get("author")),
        ):
            if label:
                ok = right(got, e)
                tally[field][0] += ok
                tally[field][1] += 1
                halves[field][i % 2][0] += ok
                halves[field][i % 2][1] += 1
            else:
                ok = not got
                tally[field + "_none"][0] += ok
                tally[field + "_none"][1] += 1
            if not ok:
                misses.append(f"  {e['file']:<22} {field:<4} got {got!r}  want {label!r}")
    print(f"{len(entries)} pages from {base}")
    for key, what in (
        ("pub", "publisher right (page names one)"),
        ("pub_none", "publisher absent (page names none)"),
        ("auth", "author right (page names one)"),
        ("auth_none", "author absent (page names none)"),
    ):
        hit, n = tally[key]
        print(f"  {what}: {hit}/{n} = {hit / max(n, 1):.0%}")
    for key in ("pub", "auth"):
        (e_hit, e_n), (o_hit, o_n) = halves[key][0], halves[key][1]
        print(f"  split-half {key}: even {e_hit}/{e_n}, odd {o_hit}/{o_n}")
    if args.show:
        print("\n".join(misses))
    fixture_sites(args.show)
    return 0


def fixture_sites(show: bool) -> None:
    """Publisher right on the fixture sites' article pages (see the module doc)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from sites.corpus import BULLETINS
    from sites.templates import wechat_article

    account = wechat_article.__kwdefaults__["account"]
    by_title = {b.title: b for b in BULLETINS}
    www = ROOT / "tests" / "sites" / "www"
    hit = n = 0
    for path in sorted(www.rglob("*.html")):
        try:
            page, _ = decode_html(path.read_bytes())
        except InputError:
            continue  # the fixture of a binary page
        ex = extract(page, None)
        b = by_title.get(ex.title)
        if b is None:
            continue  # a list, tag or navigation page
        part = path.relative_to(www).parts[0]
        # the police site reposts under its own name (tests/sites/build.py, build_police)
        want = {"wechat": account, "blog": None, "police": "平安市公安局"}.get(part, b.source)
        n += 1
        hit += ex.source == want
        if show and ex.source != want:
            print(f"  {path.relative_to(www)} got {ex.source!r} want {want!r}")
    print(f"fixture sites: publisher right on {hit}/{n} article pages")


if __name__ == "__main__":
    raise SystemExit(main())
