"""A million bulletins (issue 18): every stage, as a user runs it, at N and at N/10.

    .venv/bin/python bench/scale.py --n 20000 --out /tmp/scale/20k.json   # a few minutes
    nohup .venv/bin/python bench/scale.py --n 1000000 --workdir /tmp/scale/w1m \\
        --out /tmp/scale/1m.json > /tmp/scale/1m.log 2>&1 &                  # hours
    .venv/bin/python bench/scale.py --n 20000 --db pg                       # PostgreSQL
    .venv/bin/python bench/scale.py --n 1000000 --baseline /tmp/scale/100k.json  # N only
    .venv/bin/python bench/scale.py --n 1000000 --workdir W --generate-only  # in parts:
    .venv/bin/python bench/scale.py --n 1000000 --workdir W --reuse --stages index search

Generates N realistic bulletins with the generators of ``bench/dedup_corpus.py``
(police bulletins of a dozen fraud types sharing template sentences; clusters of 1-4
reposts with headers, sign-offs, edits, truncations, Traditional copies) plus short
notices made of a lead, the police's advice and the standard warnings (many
bulletins sharing their warnings, none sharing a case). The first N/10 of them go into
a small archive, all N into a large one: SQLite files in ``--workdir``, or PostgreSQL
(127.0.0.1:5432, database ``test``, a schema of this bench's own, dropped unless
``--keep``). Rows are inserted in bulk (the per-article pipeline, ``archive.store``,
takes minutes per 100,000) but are the rows that pipeline stores: text, ``norm_text``
(``archive.normalize``), ``content_hash``, source, published time and precision,
``extra`` with the page's zone, fraud types, images, the indicators table
(``archive.extract.indicators``), ``needs_dedup`` and ``needs_index`` set. Two
shortcuts, both to keep 1,000,000 within minutes: the fraud type is the generator's
own (the type named in the bulletin's lead, mapped with ``resolve_type``; the
classifier only where the name has no alias), and a repost gets the indicators of
its original (a repost is the same text with a header or an edit).

Then, each in a child process the way a user runs it (``python -m fanzha ...``), with
peak memory sampled from /proc (the process and its children, e.g. dedup's workers)
and ``ru_maxrss`` of the child:

- ``fanzha dedup`` on N/10, then N;
- ``fanzha export`` (JSON lines to /dev/null) on N/10, then N;
- ``fanzha index`` on N/10, then N;
- the increment: 5,000 new articles (``--new``: new stories with reposts) into the
  large archive and into an empty one, ``fanzha dedup`` then ``fanzha index`` on each;
- search latencies on N/10 and N (``--queries`` random 2-4 character runs from the
  stored texts, the sampler of ``bench/search.py``): the index alone top-10 and the
  default ``search()`` (collapse, copies, facets, snippets), p50/p95;
- ``fanzha serve`` on N/10 and N: ``--clients`` clients on ``/api/search`` for
  ``--web-seconds`` (the load loop of ``bench/web_load.py``), p95 and errors; the
  ``/clusters``, largest ``/clusters/{id}`` and ``/stats`` pages, slowest of 3.

Printed: a table (stage, N, seconds, rate, peak MB, growth = t(N)/t(N/10)); the
figures also go to ``--out`` (JSON, rewritten after every stage: a run stopped early
keeps what it measured). ``--stages`` picks stages; the order is the one above.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "bench"
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))
sys.path.append(str(HERE))  # bench modules after the packages (bench/search.py vs search)

PG_URL = os.environ.get("FANZHA_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FANZHA = [sys.executable, "-m", "fanzha"]
STAGES = ("dedup", "export", "index", "increment", "search", "web")


# -- generation ------------------------------------------------------------------------


def stories(seed: int, host: str = "example", story0: int = 0) -> Iterator[list[Any]]:
    """Stories as lists of articles (the original first): the loop of
    ``dedup_corpus.Corpus.corpus`` (same share of reposts), plus one short notice in
    ten (a lead, the advice and the standard warnings, no case told)."""
    from dedup_corpus import Corpus

    corpus = Corpus(seed, details=True, host=host)
    dup_share = 0.3
    story = story0
    while True:
        story += 1
        orig = corpus.bulletin(story)
        if corpus.rng.random() < 0.1:
            yield [_notice(orig)]
            continue
        out = [orig]
        if corpus.rng.random() < dup_share / (1 - dup_share) / 2.5:
            out += corpus.reposts(orig, corpus.rng.randrange(1, 5))
        yield out


def _notice(a: Any) -> Any:
    """A short notice: the bulletin's lead, advice and warnings, without its case."""
    paras = a.text.split("\n")
    advice = next(
        i for i, p in enumerate(paras) if p.startswith(("警方提醒", "民警提醒", "反诈民警提示"))
    )
    a.text = "\n".join([paras[0], *paras[advice:]])
    a.kind = "notice"
    return a


def fraud_type(text: str, title: str) -> list[str]:
    """The generator's fraud type, named in the lead, as the taxonomy names it."""
    from dedup_corpus import TYPES

    from archive.extract.relevance import classify, resolve_type

    lead = text.split("\n", 1)[0]
    for name in TYPES:
        if name in lead:
            try:
                return [resolve_type(name)]
            except Exception:  # no alias for this name: the classifier
                break
    return list(classify(title, text).fraud_types)


def features(item: tuple[str, str, bool]) -> tuple[str, str, list[str], list[tuple[str, str, str]]]:
    """In a pool process: norm_text, content hash, fraud types, indicators (originals)."""
    from archive.extract.indicators import extract_indicators
    from archive.normalize import normalize
    from archive.store import content_hash

    title, text, original = item
    norm = normalize(text)
    types = fraud_type(text, title) if original else []
    found = extract_indicators(f"{title}\n{text}") if original else []
    inds = list({(f.kind, f.value): (f.kind, f.value[:512], f.role) for f in found}.values())
    return norm, content_hash(norm, title), types, inds


def generate(n: int, seed: int, pool: Any, host: str = "example", story0: int = 0):
    """``n`` article rows (dicts for ``insert(Article)``, with ``_source`` and
    ``_indicators``), in batches of 5,000."""
    from archive.times import with_offset

    now = datetime.now(UTC)
    made = 0
    last: tuple[int, list[str], list] = (-1, [], [])
    it = stories(seed, host, story0)
    while made < n:
        batch: list[Any] = []
        while len(batch) < min(5000, n - made):
            batch += next(it)
        batch = batch[: n - made]
        made += len(batch)
        feats = pool.map(
            features,
            [(a.title, a.text, a.kind in ("original", "notice")) for a in batch],
            chunksize=250,
        )
        rows = []
        for a, (norm, digest, types, inds) in zip(batch, feats, strict=True):
            if a.kind in ("original", "notice"):
                last = (a.story, types, inds)
            elif last[0] == a.story:  # a repost: its original's (they come right after it)
                types, inds = last[1], last[2]
            rows.append(
                {
                    "url": a.url,
                    "title": a.title,
                    "author": a.author,
                    "published_at": a.published,
                    "published_precision": "datetime",
                    "fetched_at": now,
                    "text": a.text,
                    "norm_text": norm,
                    "content_hash": digest,
                    "fraud_types": types,
                    "image_urls": [f"img{i}.jpg" for i in range(a.images)],
                    "extra": with_offset({"story": a.story}, a.published),
                    "version_count": 1,
                    "changed_at": now,
                    "needs_dedup": True,
                    "needs_index": True,
                    "_source": a.source,
                    "_indicators": inds,
                }
            )
        yield rows


class Loader:
    """Bulk inserts into one archive (ids given here, sources created on first sight)."""

    def __init__(self, archive: Any) -> None:
        from sqlalchemy import func, select

        from archive.models import Article, Source

        self.archive = archive
        with archive.session() as s:
            self.next_id = (s.scalar(select(func.max(Article.id))) or 0) + 1
            self.sources = {k: i for i, k in s.execute(select(Source.id, Source.key))}

    def add(self, rows: list[dict[str, Any]]) -> None:
        from sqlalchemy import insert

        from archive.models import Article, Indicator, Source

        with self.archive.session() as s:
            for r in rows:
                if r["_source"] not in self.sources:
                    src = Source(key=r["_source"], name=r["_source"])
                    s.add(src)
                    s.flush()
                    self.sources[r["_source"]] = src.id
            arts, inds = [], []
            for r in rows:
                aid = self.next_id
                self.next_id += 1
                row = {k: v for k, v in r.items() if not k.startswith("_")}
                arts.append(row | {"id": aid, "source_id": self.sources[r["_source"]]})
                inds += [
                    {"article_id": aid, "kind": k, "value": v, "role": role}
                    for k, v, role in r["_indicators"]
                ]
            s.execute(insert(Article), arts)
            if inds:
                s.execute(insert(Indicator), inds)

    def close(self) -> None:
        """PostgreSQL: the id sequence past the ids given here."""
        from sqlalchemy import text

        if self.archive.engine.dialect.name == "postgresql":
            with self.archive.session() as s:
                s.execute(
                    text(
                        "SELECT setval(pg_get_serial_sequence('article', 'id'), "
                        "(SELECT coalesce(max(id), 1) FROM article))"
                    )
                )
        self.archive.close()


# -- archives --------------------------------------------------------------------------


class Target:
    """One archive: a home folder and, on PostgreSQL, a schema of its own."""

    def __init__(self, work: Path, name: str, db: str, tag: str) -> None:
        self.home = work / name
        self.home.mkdir(parents=True, exist_ok=True)
        self.db_url: str | None = None
        self.schema: str | None = None
        if db == "pg":
            import psycopg

            self.schema = f"scale_{tag}_{name}".replace("-", "_")
            plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(plain, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
                conn.execute(f"CREATE SCHEMA {self.schema}")
            sep = "&" if "?" in PG_URL else "?"
            self.db_url = f"{PG_URL}{sep}options=-csearch_path%3D{self.schema}"

    def open(self) -> Any:
        from archive import Archive

        return Archive.open(self.home, self.db_url)

    def env(self) -> dict[str, str]:
        env = dict(os.environ, FANZHA_HOME=str(self.home), PYTHONPATH=str(ROOT))
        env.pop("FANZHA_DB", None)
        if self.db_url:
            env["FANZHA_DB"] = self.db_url
        return env

    def drop(self) -> None:
        if self.schema:
            import psycopg

            plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(plain, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")


# -- measuring a child -----------------------------------------------------------------


def run_child(
    cmd: list[str], env: dict[str, str], stdout: Any = subprocess.PIPE, timeout: float | None = None
) -> dict[str, Any]:
    """Run ``cmd``; its seconds, exit code, stdout, and peak memory: the largest sum of
    resident sizes of it and its descendants (sampled every 0.2 s) and its ru_maxrss."""
    from dedup import PeakMemory  # bench/dedup.py's /proc walk

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=stdout, stderr=subprocess.PIPE, cwd=ROOT)
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    readers = []
    for stream, sink in ((proc.stdout, out_chunks), (proc.stderr, err_chunks)):
        if stream is not None:
            t = threading.Thread(
                target=lambda st=stream, sk=sink: sk.append(st.read()), daemon=True
            )
            t.start()
            readers.append(t)
    deadline = None if timeout is None else time.monotonic() + timeout
    with PeakMemory(proc.pid, every=0.2) as memory:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline and time.monotonic() > deadline:
                proc.kill()
            time.sleep(0.05)
    seconds = time.perf_counter() - t0
    peak = memory.peak
    for t in readers:
        t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "seconds": round(seconds, 2),
        "code": proc.returncode,
        "peak_mb": round(max(peak, usage.ru_maxrss) / 1024, 1),
        "maxrss_mb": round(usage.ru_maxrss / 1024, 1),
        "stdout": b"".join(out_chunks).decode("utf-8", "replace"),
        "stderr": b"".join(err_chunks).decode("utf-8", "replace")[-2000:],
    }


def fanzha(target: Target, *args: str, devnull: bool = False) -> dict[str, Any]:
    if devnull:
        with open(os.devnull, "wb") as sink:
            r = run_child([*FANZHA, *args], target.env(), stdout=sink)
    else:
        r = run_child([*FANZHA, *args], target.env())
    if r["code"]:
        print(f"  fanzha {' '.join(args)} exited {r['code']}: {r['stderr'][-500:]}", flush=True)
    return r


def pair_truth(target: Target) -> dict[str, Any]:
    """Pair precision and recall of the clusters against the generator's stories
    (``extra.story``): of the pairs of articles put in one cluster, the share telling
    one story; of the pairs telling one story, the share put in one cluster."""
    from collections import Counter

    from sqlalchemy import text

    arc = target.open()
    sqlite = arc.engine.dialect.name == "sqlite"
    story = "json_extract(a.extra, '$.story')" if sqlite else "(a.extra ->> 'story')::bigint"
    with arc.session() as s:
        rows = s.execute(
            text(
                f"SELECT m.cluster_id, {story} FROM article a LEFT JOIN member m ON m.article_id = a.id"
            )
        )
        clusters: Counter[int] = Counter()
        stories: Counter[int] = Counter()
        both: Counter[tuple[int, int]] = Counter()
        for cluster, st in rows:
            stories[st] += 1
            if cluster is not None:
                clusters[cluster] += 1
                both[cluster, st] += 1
    arc.close()

    def pairs(counts: Counter[Any]) -> int:
        return sum(c * (c - 1) // 2 for c in counts.values())

    right, found, true = pairs(both), pairs(clusters), pairs(stories)
    return {
        "pair_precision": round(right / found, 4) if found else None,
        "pair_recall": round(right / true, 4) if true else None,
        "largest_cluster": max(clusters.values(), default=0),
    }


# -- search and web (in child processes) ----------------------------------------------


def child_search(home: str, db_url: str, queries: int) -> None:
    """Latencies on an indexed archive: queries sampled from 3,000 random stored texts."""
    import importlib.util
    import random

    from sqlalchemy import func, select

    from archive import Archive
    from archive.models import Article
    from archive.normalize import normalize
    from search import array_eval, search
    from search.analysis import fold
    from search.indexer import open_index
    from search.query import build_query
    from search.results import clear_result_cache

    spec = importlib.util.spec_from_file_location("bench_search", HERE / "search.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)  # type: ignore[union-attr]
    arc = Archive.open(Path(home), db_url or None)
    with arc.session() as s:
        top = s.scalar(select(func.max(Article.id))) or 0
        ids = random.Random(7).sample(range(1, top + 1), min(3000, top))
        rows = s.execute(select(Article.title, Article.norm_text).where(Article.id.in_(ids))).all()
    texts = [fold(normalize(r.title or "")) + "\n" + fold(r.norm_text or "") for r in rows]
    qs = bench.sample_queries(texts, queries)
    t = time.perf_counter()
    search(arc, "热身预热热身")
    first = time.perf_counter() - t
    array_eval.clear_cache()
    default, index_top = [], []
    for q in qs:
        clear_result_cache()  # each answer computed (the samples repeat some words)
        t = time.perf_counter()
        search(arc, q)
        default.append(time.perf_counter() - t)
    array_eval.clear_cache()
    with open_index(arc).searcher() as s:
        for q in qs:
            t = time.perf_counter()
            wq, _ = build_query(q, s.reader())
            array_eval.top(array_eval.Evaluator(s).evaluate(wq), 10)
            index_top.append(time.perf_counter() - t)

    def ms(v: list[float], q: float) -> float:
        return round(bench.pct(v, q) * 1000, 1)

    print(
        json.dumps(
            {
                "queries": len(qs),
                "first_s": round(first, 2),
                "top10_p50_ms": ms(index_top, 0.5),
                "top10_p95_ms": ms(index_top, 0.95),
                "default_p50_ms": ms(default, 0.5),
                "default_p95_ms": ms(default, 0.95),
            }
        )
    )
    arc.close()


def web_stage(target: Target, clients: int, seconds: float, log: Path) -> dict[str, Any]:
    """``fanzha serve`` (default workers): the load of bench/web_load.py, then pages."""
    import web_load

    saved = os.environ.copy()
    os.environ.update(target.env())
    if not target.db_url:
        os.environ.pop("FANZHA_DB", None)
    try:
        t0 = time.perf_counter()
        proc, base = web_load.start_server(target.home, web_load.default_workers(), log)
        started = time.perf_counter() - t0
    finally:
        os.environ.clear()
        os.environ.update(saved)
    from dedup import PeakMemory

    with PeakMemory(proc.pid, every=0.5) as memory:
        return _loaded(proc, base, started, memory, clients, seconds)


def _loaded(
    proc: Any, base: str, started: float, memory: Any, clients: int, seconds: float
) -> dict[str, Any]:
    """The load and the pages on a started server; stops it."""
    import httpx
    import web_load

    try:
        asyncio.run(web_load.load(base, clients, min(4.0, seconds), 2000))  # warm-up
        r = asyncio.run(web_load.load(base, clients, seconds, 20000))
        pages: dict[str, float] = {}
        codes: dict[str, int] = {}
        with httpx.Client(timeout=60) as http:
            clusters = http.get(f"{base}/api/clusters?limit=1").json()
            biggest = clusters[0]["id"] if clusters else 1
            for name, path in (
                ("clusters", "/clusters"),
                ("cluster", f"/clusters/{biggest}"),
                ("stats", "/stats"),
            ):
                times = []
                for _ in range(3):
                    t = time.perf_counter()
                    resp = http.get(base + path)
                    times.append(time.perf_counter() - t)
                    codes[name] = resp.status_code
                pages[name] = round(max(times), 3)
    finally:
        web_load.stop_server(proc)
    lat = sorted(r.latencies)
    return {
        "start_s": round(started, 1),
        "requests": len(lat),
        "req_per_s": round(len(lat) / r.seconds, 1) if r.seconds else 0,
        "p50_ms": round(statistics.median(lat) * 1000) if lat else None,
        "p95_ms": round(web_load.pct(lat, 95) * 1000) if lat else None,
        "errors": len(r.errors),
        "error_sample": r.errors[:3],
        "pages_s": pages,
        "page_codes": codes,
        "peak_mb": round(memory.peak / 1024, 1),
        "peak_anon_mb": round(memory.anon_peak / 1024, 1),  # RSS counts the mapped index
    }


# -- the run ---------------------------------------------------------------------------


class Report:
    def __init__(
        self, out: Path | None, meta: dict[str, Any], baseline: list[dict[str, Any]] = ()
    ) -> None:
        self.out = out
        self.data: dict[str, Any] = {"meta": meta, "rows": []}
        self.baseline = list(baseline)  # rows of an earlier run at N/10 (``--baseline``)

    def add(self, db: str, stage: str, n: int, r: dict[str, Any], **more: Any) -> dict[str, Any]:
        row = {"db": db, "stage": stage, "n": n} | {
            k: v for k, v in r.items() if k not in ("stdout", "stderr")
        }
        row |= more
        if r.get("seconds") and n:
            row["rate"] = round(n / r["seconds"], 1)
        small = [
            x
            for x in [*self.data["rows"], *self.baseline]
            if x["db"] == db and x["stage"] == stage and x["n"] and x["n"] * 10 == n
        ]
        if small and small[0].get("seconds") and r.get("seconds"):
            row["growth"] = round(r["seconds"] / small[0]["seconds"], 2)
        self.data["rows"].append(row)
        print(self.line(row), flush=True)
        self.save()
        return row

    @staticmethod
    def line(row: dict[str, Any]) -> str:
        extra = {
            k: v
            for k, v in row.items()
            if k not in ("db", "stage", "n", "seconds", "rate", "peak_mb", "growth", "maxrss_mb")
        }
        secs = f"{row['seconds']:9.1f}" if row.get("seconds") is not None else f"{'':9}"
        rate = f"{row['rate']:9.0f}" if row.get("rate") else f"{'':9}"
        peak = f"{row['peak_mb']:8.0f}" if row.get("peak_mb") is not None else f"{'':8}"
        growth = f"{row['growth']:7.2f}" if row.get("growth") else f"{'':7}"
        return (
            f"{row['db']:6} {row['stage']:<22} {row['n']:>9} {secs} {rate} {peak} {growth}  "
            f"{json.dumps(extra, ensure_ascii=False) if extra else ''}"
        )

    def save(self) -> None:
        if self.out:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.out.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.data, ensure_ascii=False, indent=1))
            tmp.replace(self.out)


HEADER = (
    f"{'db':6} {'stage':<22} {'N':>9} {'seconds':>9} {'per s':>9} {'peak MB':>8} "
    f"{'growth':>7}  (growth: t(N)/t(N/10))"
)


def run_db(db: str, args: argparse.Namespace, work: Path, report: Report, pool: Any) -> None:
    n_big, n_small = args.n, args.n // 10
    tag = f"{os.getpid()}_{uuid.uuid4().hex[:4]}"
    big = Target(work, f"{db}-big", db, tag)
    empty = Target(work, f"{db}-empty", db, tag)
    if args.baseline:  # N/10 measured by an earlier run: no small archive
        small, n_small = None, 0
        sizes: tuple[tuple[Target, int], ...] = ((big, n_big),)
    else:
        small = Target(work, f"{db}-small", db, tag)
        sizes = ((small, n_small), (big, n_big))
    targets = [t for t in (small, big, empty) if t is not None]
    marker = work / f"{db}-generated.json"
    made = {"n": n_big, "small": n_small, "seed": args.seed}
    try:
        if args.reuse and db == "sqlite" and marker.exists():
            if json.loads(marker.read_text()) != made:
                raise SystemExit(f"{marker} holds another run: {marker.read_text()}")
            print(f"  reusing the archives of {marker}", flush=True)
        else:
            generate_into(big, small, n_big, n_small, args, report, db, pool)
            marker.write_text(json.dumps(made))
        if db == "sqlite":  # a new empty archive (a reused work folder's had an increment)
            shutil.rmtree(empty.home)
            empty.home.mkdir()
        Loader(empty.open()).close()  # an empty archive, schema made
        if args.generate_only:
            return
        run_stages(db, args, sizes, big, empty, report, pool)
    finally:
        if not args.keep:
            for t in targets:
                t.drop()


def generate_into(
    big: Target,
    small: Target | None,
    n_big: int,
    n_small: int,
    args: argparse.Namespace,
    report: Report,
    db: str,
    pool: Any,
) -> None:
    """The first N/10 into both archives, the rest into the large one."""
    t0 = time.perf_counter()
    loaders = {"big": Loader(big.open())}
    if small is not None:
        loaders["small"] = Loader(small.open())
    done = 0
    for rows in generate(n_big, args.seed, pool):
        if done < n_small:
            loaders["small"].add(rows[: n_small - done])
        loaders["big"].add(rows)
        done += len(rows)
        if done % 100_000 < 5000:
            print(f"  generated {done}/{n_big} ({time.perf_counter() - t0:.0f} s)", flush=True)
    for loader in loaders.values():
        loader.close()
    gen_s = time.perf_counter() - t0
    report.add(db, "generate+insert", n_big + n_small, {"seconds": round(gen_s, 1)})


def run_stages(
    db: str,
    args: argparse.Namespace,
    sizes: tuple[tuple[Target, int], ...],
    big: Target,
    empty: Target,
    report: Report,
    pool: Any,
) -> None:
    """The stages picked by ``--stages``, in their order, on the generated archives."""
    n_big = args.n
    stages = set(args.stages)
    if "dedup" in stages:
        for target, n in sizes:
            r = fanzha(target, "dedup", "--json")
            report.add(db, "dedup", n, r, code=r["code"], **pair_truth(target))
    if "export" in stages:
        for target, n in sizes:
            r = fanzha(target, "export", "--format", "jsonl", devnull=True)
            report.add(db, "export jsonl", n, r, code=r["code"])
    if "index" in stages:
        for target, n in sizes:
            r = fanzha(target, "index", "--json")
            report.add(db, "index", n, r, code=r["code"])
    if "increment" in stages:
        host = f"new-{uuid.uuid4().hex[:6]}"  # URLs of their own: a second --reuse run adds more
        for target, label in ((empty, "empty"), (big, f"{n_big}")):
            loader = Loader(target.open())
            for rows in generate(args.new, args.seed + 1, pool, host=host, story0=10**8):
                loader.add(rows)
            loader.close()
            for stage in ("dedup", "index"):
                r = fanzha(target, stage, "--json")
                report.add(db, f"+{args.new} {stage} into {label}", args.new, r, code=r["code"])
        for stage in ("dedup", "index"):
            rows_ = {
                x["stage"]: x
                for x in report.data["rows"]
                if x["db"] == db and x["stage"].startswith(f"+{args.new} {stage}")
            }
            a = rows_.get(f"+{args.new} {stage} into {n_big}")
            b = rows_.get(f"+{args.new} {stage} into empty")
            if a and b and b["seconds"]:
                print(
                    f"       increment ratio {stage}: into {n_big} / into empty = "
                    f"{a['seconds'] / b['seconds']:.2f}",
                    flush=True,
                )
                report.data.setdefault("ratios", {})[f"{db} +{args.new} {stage}"] = round(
                    a["seconds"] / b["seconds"], 2
                )
    if "search" in stages:
        for target, n in sizes:
            r = run_child(
                [
                    sys.executable,
                    __file__,
                    "--child-search",
                    str(target.home),
                    target.db_url or "",
                    str(args.queries),
                ],
                target.env(),
            )
            figures = json.loads(r["stdout"].strip().splitlines()[-1]) if not r["code"] else {}
            if r["code"]:
                print(f"  search child failed: {r['stderr'][-800:]}", flush=True)
            report.add(db, "search latency", n, {"peak_mb": r["peak_mb"]}, **figures)
    if "web" in stages:
        for target, n in sizes:
            log = big.home.parent / f"serve-{db}-{n}.log"
            w = web_stage(target, args.clients, args.web_seconds, log)
            report.add(db, "web /api/search", n, {"peak_mb": w.pop("peak_mb")}, **w)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=1_000_000, help="articles (and N/10 beside)")
    ap.add_argument("--db", choices=("sqlite", "pg", "both"), default="sqlite")
    ap.add_argument("--new", type=int, default=5000, help="articles of the increment")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--web-seconds", type=float, default=20.0)
    ap.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES))
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--jobs", type=int, default=2, help="generation processes")
    ap.add_argument("--workdir", type=Path, help="kept afterwards (default: a temp folder)")
    ap.add_argument("--keep", action="store_true", help="keep the PostgreSQL schemas")
    ap.add_argument("--out", type=Path, help="the figures as JSON")
    ap.add_argument(
        "--baseline",
        type=Path,
        help="the JSON of an earlier run at N/10: its figures stand for N/10 (growth "
        "against them), and no small archive is made",
    )
    ap.add_argument(
        "--generate-only",
        action="store_true",
        help="make the archives in --workdir and stop (a later --reuse runs the stages)",
    )
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="SQLite: the archives an earlier run generated in --workdir (same --n, "
        "--seed), not new ones",
    )
    ap.add_argument("--child-search", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child_search:
        child_search(args.child_search[0], args.child_search[1], int(args.child_search[2]))
        return 0
    import tempfile

    work = args.workdir or Path(tempfile.mkdtemp(prefix="fz-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    meta = {
        "n": args.n,
        "small": args.n // 10,
        "new": args.new,
        "db": args.db,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "load": os.getloadavg()[0],
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }
    baseline = json.loads(args.baseline.read_text())["rows"] if args.baseline else []
    report = Report(args.out, meta, baseline)
    print(
        f"bench/scale.py N={args.n} and N/10={args.n // 10}, db {args.db}, work {work}, "
        f"load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    print(HEADER, flush=True)
    dbs = ["sqlite", "pg"] if args.db == "both" else [args.db]
    ctx = multiprocessing.get_context("forkserver")
    failed = False
    with ctx.Pool(args.jobs) as pool:
        for db in dbs:
            run_db(db, args, work, report, pool)
    failed = any(row.get("code") for row in report.data["rows"])
    failed = failed or any(row.get("errors") for row in report.data["rows"])
    report.data["meta"]["ended"] = datetime.now(UTC).isoformat(timespec="seconds")
    report.data["meta"]["self_maxrss_mb"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
    )
    report.save()
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
