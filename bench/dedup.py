"""Dedup at scale: the whole stage on generated corpora, beside a plain datasketch baseline.

    .venv/bin/python bench/dedup.py                 # 2,000 and 10,000 articles, increments
    .venv/bin/python bench/dedup.py --sizes 10000 100000 --base 100000

For each size N a corpus of N generated bulletins (about 1.6 KB each, ~25% reposts:
headers, sign-offs, edits, truncations, Traditional copies) is written into a fresh
SQLite archive (not timed); then, each in its own process so that peak memory is its
own, are timed:

- ``fanzha``: ``run_dedup`` — features, signatures and bands stored, candidates,
  verification, clustering, recorded differences — reading from and writing to the
  archive, with its default worker processes (one beside the main process on two
  cores); and ``fanzha-1p``, the same in one process (``workers=0``), on a copy;
- ``baseline``: datasketch ``MinHash(num_perm=128)`` over character 5-grams of the
  normalised text (``update_batch``) and ``MinHashLSH(threshold=0.8)`` insert + query,
  texts already in memory (nothing read or written).

Then the incremental case: 1,000 new articles (new stories and their reposts, so that
the clustering work is the same) added to an archive of ``--base`` articles already
deduplicated, against the same 1,000 added to an empty archive: what the archive's
size costs (look-ups of the stored bands; nothing is rebuilt from every article).
Each is timed ``--rounds`` times on fresh copies, alternately, and the medians compared.

Printed: articles/s, peak memory (resident, the process and its workers together,
sampled from /proc), the growth ratio (seconds per article at the largest size over
the smallest) and pairwise precision/recall against the generator's labels.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def build(home: Path, n: int, seed: int, *, extra: int = 0) -> Path:
    """A fresh archive of n generated articles (and ``extra`` more kept aside in a file)."""
    from dedup_corpus import Corpus
    from sqlalchemy import insert

    from archive import Archive
    from archive.models import Article
    from archive.normalize import normalize
    from archive.store import content_hash

    corpus = Corpus(seed, details=True)
    articles = corpus.corpus(n)
    archive = Archive.open(home)
    rows = []
    for a in articles:
        norm = normalize(a.text)
        rows.append(
            {
                "url": a.url,
                "title": a.title,
                "text": a.text,
                "norm_text": norm,
                "content_hash": content_hash(norm, a.title),
                "published_at": a.published,
                "published_precision": "datetime",
                "image_urls": [f"i{i}.jpg" for i in range(a.images)],
                "extra": {"story": a.story},
            }
        )
    with archive.session() as s:
        for i in range(0, len(rows), 5000):
            s.execute(insert(Article), rows[i : i + 5000])
    archive.close()
    if extra:  # new articles: new stories with their reposts (the same work either way)
        fresh = Corpus(seed + 1, details=True, host="new")
        new = fresh.corpus(extra)
        for a in new:
            a.story += 10_000_000
        path = home / "new.jsonl"
        with open(path, "w", encoding="utf-8") as fh:
            for a in new[:extra]:
                fh.write(json.dumps(a.as_json(), ensure_ascii=False) + "\n")
    return home


def add_new(home: Path) -> int:
    """Store the articles kept aside by ``build`` (not timed)."""
    from archive import Archive
    from archive.dedup.evaluate import load_labelled, store_labelled

    archive = Archive.open(home)
    n = len(store_labelled(archive, load_labelled(home / "new.jsonl")))
    archive.close()
    return n


class PeakMemory:
    """Peak resident memory of this process and its descendants (dedup's worker
    processes), sampled every 50 ms from /proc. ``ru_maxrss`` would not do: it counts
    neither the workers (children of the forkserver) nor only this process (the
    maximum survives ``exec`` from the parent that spawned this one)."""

    def __init__(self, root: int | None = None, every: float = 0.05) -> None:
        self.peak = 0  # KB
        self.anon_peak = 0  # KB of anonymous memory (RssAnon: not the mapped files)
        self.root = root  # whose family (default: this process's)
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        root = self.root or os.getpid()
        while not self._stop.wait(self.every):
            family = _family(root)
            self.peak = max(self.peak, sum(_rss_kb(p) for p in family))
            self.anon_peak = max(self.anon_peak, sum(_status_kb(p, "RssAnon") for p in family))

    @property
    def mb(self) -> float:
        return max(self.peak, _hwm_kb()) / 1024


def _family(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    family, todo = [root], [root]
    while todo:
        pid = todo.pop()
        kids = [c for c, p in parents.items() if p == pid]
        family += kids
        todo += kids
    return family


def _status_kb(pid: int | str, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _rss_kb(pid: int) -> int:
    return _status_kb(pid, "VmRSS")


def _hwm_kb() -> int:
    return _status_kb("self", "VmHWM")


def child(mode: str, home: str) -> None:
    """Run one timed job and print its figures as JSON (in its own process)."""
    from archive import Archive

    archive = Archive.open(Path(home))
    out: dict = {"mode": mode}
    with PeakMemory() as memory:
        _timed_job(mode, archive, out)
    out["maxrss_mb"] = memory.mb
    if mode.startswith("fanzha"):  # after the peak: the check reads every article
        out |= _quality(archive)
    archive.close()
    print(json.dumps(out))


def _timed_job(mode: str, archive, out: dict) -> None:
    """The timed work of ``child``: its figures go into ``out``."""
    if mode.startswith("fanzha"):
        from archive.dedup import run_dedup

        t0 = time.perf_counter()
        # "fanzha": the default (worker processes for a large run); "fanzha-1p": one process
        report = run_dedup(archive, workers=0 if mode == "fanzha-1p" else None)
        out["seconds"] = time.perf_counter() - t0
        out["report"] = report.as_json()
        out["n"] = report.processed
    else:
        import numpy as np
        from datasketch import MinHash, MinHashLSH
        from sqlalchemy import select

        from archive.models import Article

        with archive.session() as s:
            rows = s.execute(select(Article.id, Article.norm_text)).all()
        t0 = time.perf_counter()
        lsh = MinHashLSH(threshold=0.8, num_perm=128)
        pairs = 0
        for aid, text in rows:
            m = MinHash(num_perm=128)
            m.update_batch([text[i : i + 5].encode() for i in range(max(1, len(text) - 4))])
            pairs += len(lsh.query(m))
            lsh.insert(aid, m)
        out["seconds"] = time.perf_counter() - t0
        out["n"] = len(rows)
        out["pairs"] = pairs
        del np


def _quality(archive) -> dict:
    """Pairwise precision and recall against the generator's story labels."""
    from sqlalchemy import select

    from archive.dedup.evaluate import clustering, pairwise
    from archive.models import Article

    with archive.session() as s:
        labels = {
            aid: (extra or {}).get("story")
            for aid, extra in s.execute(select(Article.id, Article.extra))
        }
    labels = {aid: (story if story is not None else f"new{aid}") for aid, story in labels.items()}
    scores = pairwise(clustering(archive, labels), labels)
    return {"precision": round(scores.precision, 4), "recall": round(scores.recall, 4)}


def copy_home(home: Path, suffix: str) -> Path:
    """A copy of an archive that has not been deduplicated yet (for a second run)."""
    other = home.with_name(home.name + suffix)
    shutil.copytree(home, other, ignore=shutil.ignore_patterns("new.jsonl"))
    return other


def timed(mode: str, home: Path) -> dict:
    return run_child(__file__, mode, str(home))


def run_child(script: str, *args: str) -> dict:
    """Run ``script --child ARGS`` in a fresh process; the JSON of its last line."""
    proc = subprocess.run(
        [sys.executable, script, "--child", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def increment_archives(
    tmp: Path, base: int, new: int, big: Path | None = None
) -> tuple[Path, Path]:
    """An archive of ``base`` articles already deduplicated (``big``, else built and
    deduplicated, not timed) and an empty one, both holding the same ``new`` articles
    kept aside."""
    if big is None:
        big = build(tmp / "base", base, seed=7, extra=new)
        timed("fanzha", big)
    empty = build(tmp / "empty", 0, seed=0)
    shutil.copy(big / "new.jsonl", empty / "new.jsonl")
    return big, empty


def alternate_rounds(
    big: Path, empty: Path, rounds: int, run: Callable[[Path], dict]
) -> tuple[list[dict], list[dict]]:
    """``run`` on a fresh copy of each archive with its kept-aside articles stored
    (copied, stored and written out to disk, not timed: the copy's write-back would
    compete with the run), alternately, ``rounds`` times."""
    into_big: list[dict] = []
    into_empty: list[dict] = []
    for r in range(rounds):
        for src, out in ((big, into_big), (empty, into_empty)):
            home = src.with_name(f"{src.name}-round{r}")
            shutil.copytree(src, home)
            add_new(home)
            os.sync()
            try:
                out.append(run(home))
            finally:
                shutil.rmtree(home)
    return into_big, into_empty


def line(label: str, r: dict) -> str:
    rate = r["n"] / r["seconds"] if r["seconds"] else float("inf")
    extra = ""
    if "precision" in r:
        extra = f"  P {r['precision']:.3f} R {r['recall']:.3f}  clusters {r['report']['clusters']}"
    return (
        f"{label:<28} {r['n']:>7} articles {r['seconds']:8.2f} s {rate:9.0f} articles/s "
        f"peak {r['maxrss_mb']:7.0f} MB{extra}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    ap.add_argument("--base", type=int, default=10000, help="archive size for the increment")
    ap.add_argument("--new", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3, help="increment timings (median)")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    results = {}
    homes = {}
    with tempfile.TemporaryDirectory(prefix="fz-bench-") as tmp:
        for n in args.sizes:
            home = build(Path(tmp) / f"n{n}", n, seed=n, extra=args.new if n == args.base else 0)
            homes[n] = home
            base = timed("baseline", home)
            alone = timed("fanzha-1p", copy_home(home, "-1p"))
            ours = timed("fanzha", home)
            results[n] = (ours, base, alone)
            print(line(f"fanzha dedup stage N={n}", ours))
            print(line("  same, in one process", alone))
            print(line(f"datasketch baseline N={n}", base))
            print(
                f"{'':28} speed ratio fanzha/baseline: {base['seconds'] / ours['seconds']:.2f}x "
                f"(in one process: {base['seconds'] / alone['seconds']:.2f}x)"
            )
            sys.stdout.flush()
        if len(args.sizes) > 1:
            lo, hi = min(args.sizes), max(args.sizes)
            for name, k in (("fanzha", 0), ("baseline", 1), ("fanzha-1p", 2)):
                g = (results[hi][k]["seconds"] / hi) / (results[lo][k]["seconds"] / lo)
                print(f"growth ratio {name:<9} (s/article at {hi} over {lo}): {g:.2f}")
        # the incremental case: rounds of (into the archive, into empty), alternated,
        # each on a fresh copy; the median of each (this machine is noisy)
        big, empty = increment_archives(Path(tmp), args.base, args.new, homes.get(args.base))
        into_big, into_empty = alternate_rounds(
            big, empty, args.rounds, lambda home: timed("fanzha", home)
        )
        for r, (b, e) in enumerate(zip(into_big, into_empty, strict=True)):
            print(
                f"  round {r + 1}: into {args.base} {b['seconds']:.2f} s, "
                f"into empty {e['seconds']:.2f} s"
            )
        inc_big, inc_empty = _median(into_big), _median(into_empty)
        print(line(f"+{args.new} into {args.base}", inc_big))
        print(line(f"+{args.new} into empty", inc_empty))
        print(
            f"increment ratio (into {args.base} / into empty, medians of {args.rounds}): "
            f"{inc_big['seconds'] / inc_empty['seconds']:.2f}"
        )


def _median(results: list[dict]) -> dict:
    return sorted(results, key=lambda r: r["seconds"])[len(results) // 2]


if __name__ == "__main__":
    main()
