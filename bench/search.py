"""Search benchmark: fanzha's index against two baselines on the same articles.

    .venv/bin/python bench/search.py --n 10000            # a quick run
    .venv/bin/python bench/search.py --n 100000 --baseline-n 20000

Generates ``--n`` realistic bulletins (1-3 KB Chinese bodies; sentences of the real
pages in ../shared/realpages mixed in when that folder is there), stores them in a
fresh SQLite archive, then measures, for fanzha (``search.update_index`` /
``search.search``), stock Whoosh with ``NgramTokenizer(2, 2)`` and SQLite FTS5 with the
trigram tokenizer:

- indexing speed (docs/s) and index size;
- recall and precision over ``--queries`` random 2-4 character runs taken from the
  stored texts (the truth: which texts contain the run, after the same folding);
- p50/p95 latency of top-10 queries, and for fanzha also the full search (collapse,
  facets, snippets from the archive);
- for fanzha, an incremental index of 1,000 new articles into the index of ``--n``.

The baselines index the first ``--baseline-n`` articles (default: all); their figures
are compared with fanzha's on the same subset (measured in the same run). Benchmarks
are noisy on a shared machine: read the ratios.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the corpus generator lives with the tests

from sqlalchemy import insert, select  # noqa: E402

from archive import Archive  # noqa: E402
from archive.models import Article, Source  # noqa: E402
from archive.normalize import normalize  # noqa: E402
from search import array_eval, update_index  # noqa: E402
from search import search as fanzha_search  # noqa: E402
from search.analysis import fold  # noqa: E402
from search.indexer import current_dir, open_index  # noqa: E402
from search.query import build_query  # noqa: E402
from search.results import clear_result_cache  # noqa: E402
from tests.search_corpus import generate  # noqa: E402

REALPAGES = ROOT.parent / "shared" / "realpages" / "manifest.json"
CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


def real_sentences() -> list[str]:
    if not REALPAGES.exists():
        print(f"(no {REALPAGES}: generated sentences only)")
        return []
    out = []
    for entry in json.loads(REALPAGES.read_text()):
        for s in re.split(r"(?<=[。！？])", entry.get("body") or ""):
            s = s.strip()
            if 8 <= len(s) <= 120 and CJK_RUN.search(s):
                out.append(s)
    return out


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def fill_archive(arc: Archive, arts: list[Any], start: int = 0) -> None:
    """Bulk insert (the bench measures indexing, not import)."""
    with arc.session() as s:
        sources = {r.name: r.id for r in s.execute(select(Source.id, Source.name))}
        for a in arts:
            if a.source not in sources:
                src = Source(key=a.source, name=a.source, kind=a.kind)
                s.add(src)
                s.flush()
                sources[a.source] = src.id
        rows = []
        now = datetime.now(UTC)
        for i, a in enumerate(arts):
            norm = normalize(a.text)
            rows.append(
                {
                    "url": a.url if not start else f"{a.url}?new={start + i}",
                    "source_id": sources[a.source],
                    "title": a.title,
                    "published_at": a.published,
                    "published_precision": "datetime",
                    "fetched_at": now,
                    "text": a.text,
                    "norm_text": norm,
                    "content_hash": hashlib.sha256(f"{a.title}\n{norm}".encode()).hexdigest(),
                    "fraud_types": a.fraud_types,
                    "image_urls": [],
                    "extra": {},
                    "version_count": 1,
                    "changed_at": now,
                    "needs_dedup": True,
                    "needs_index": True,
                }
            )
        for i in range(0, len(rows), 5000):
            s.execute(insert(Article), rows[i : i + 5000])


def sample_queries(texts: list[str], n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        t = texts[rng.randrange(len(texts))]
        runs = CJK_RUN.findall(t)
        if not runs:
            continue
        run = rng.choice(runs)
        size = rng.randint(2, min(4, len(run)))
        start = rng.randrange(len(run) - size + 1)
        out.append(run[start : start + size])
    return out


def recall_precision(found: list[set[int]], truth: list[set[int]]) -> tuple[float, float]:
    hit = sum(len(f & t) for f, t in zip(found, truth, strict=True))
    want = sum(len(t) for t in truth)
    got = sum(len(f) for f in found)
    return (hit / want if want else 1.0), (hit / got if got else 1.0)


# -- fanzha ----------------------------------------------------------------------


def bench_fanzha(arc: Archive, queries: list[str], truth: list[set[int]]) -> dict[str, Any]:
    t = time.perf_counter()
    report = update_index(arc, rebuild=True)
    secs = time.perf_counter() - t
    out: dict[str, Any] = {
        "docs": report.total,
        "index_s": round(secs, 1),
        "docs_per_s": round(report.total / secs, 1),
        "size_mb": round(dir_size(current_dir(arc.index_dir)) / 2**20, 1),
    }
    ix = open_index(arc)
    found = []
    top10_index, top10_full, full = [], [], []
    with ix.searcher() as s:
        col = s.reader().column_reader("info")
        build_query("热身预热热身", s.reader())  # load jieba once, outside the timings
        for q in queries:
            wq, _ = build_query(q, s.reader())
            docnums = [d for d, _ in array_eval.matches(array_eval.Evaluator(s).evaluate(wq))]
            found.append({int(col[d].decode().rsplit("\t", 1)[1]) for d in docnums})
        array_eval.clear_cache()  # each timed phase starts with no posting list cached
        for q in queries:  # the index alone: parse, evaluate, the ten best
            t = time.perf_counter()
            wq, _ = build_query(q, s.reader())
            array_eval.top(array_eval.Evaluator(s).evaluate(wq), 10)
            top10_index.append(time.perf_counter() - t)
    array_eval.clear_cache()
    for q in queries:
        clear_result_cache()  # each answer computed, not recalled
        t = time.perf_counter()
        fanzha_search(arc, q, all_copies=True, facets=False)
        top10_full.append(time.perf_counter() - t)
    array_eval.clear_cache()
    for q in queries:
        clear_result_cache()
        t = time.perf_counter()
        fanzha_search(arc, q)
        full.append(time.perf_counter() - t)
    rec, prec = recall_precision(found, truth)
    out.update(
        recall=round(rec, 4),
        precision=round(prec, 4),
        top10_p50_ms=round(pct(top10_index, 0.5) * 1000, 1),
        top10_p95_ms=round(pct(top10_index, 0.95) * 1000, 1),
        search_top10_p50_ms=round(pct(top10_full, 0.5) * 1000, 1),
        search_top10_p95_ms=round(pct(top10_full, 0.95) * 1000, 1),
        collapse_facets_p50_ms=round(pct(full, 0.5) * 1000, 1),
        collapse_facets_p95_ms=round(pct(full, 0.95) * 1000, 1),
    )
    return out


def bench_incremental(arc: Archive, new: list[Any], offset: int) -> dict[str, Any]:
    fill_archive(arc, new, start=offset)
    t = time.perf_counter()
    report = update_index(arc)
    secs = time.perf_counter() - t
    return {
        "added": report.indexed,
        "into": report.total - report.indexed,
        "seconds": round(secs, 1),
    }


# -- stock Whoosh bigrams ------------------------------------------------------------


def bench_stock(workdir: Path, docs: list[tuple[int, str, str]], queries, truth) -> dict[str, Any]:
    from whoosh import index
    from whoosh import query as wq
    from whoosh.analysis import NgramTokenizer
    from whoosh.fields import ID, TEXT, Schema

    ana = NgramTokenizer(2, 2)
    schema = Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=ana, phrase=True),
        body=TEXT(analyzer=ana, phrase=True),
    )
    path = workdir / "stock"
    path.mkdir()
    ix = index.create_in(str(path), schema)
    t = time.perf_counter()
    w = ix.writer(limitmb=256)
    for aid, title, body in docs:
        w.add_document(id=str(aid), title=title, body=body)
    w.commit()
    secs = time.perf_counter() - t

    def make(field: str, q: str) -> Any:
        toks = [tok.text for tok in ana(q)]
        return wq.Term(field, toks[0]) if len(toks) == 1 else wq.Phrase(field, toks)

    found, lat = [], []
    with ix.searcher() as s:
        for q in queries:
            qq = wq.Or([make("title", q), make("body", q)])
            found.append({int(s.stored_fields(d)["id"]) for d in s.docs_for_query(qq)})
        for q in queries:
            t = time.perf_counter()
            s.search(wq.Or([make("title", q), make("body", q)]), limit=10)
            lat.append(time.perf_counter() - t)
    rec, prec = recall_precision(found, truth)
    return {
        "docs": len(docs),
        "index_s": round(secs, 1),
        "docs_per_s": round(len(docs) / secs, 1),
        "size_mb": round(dir_size(path) / 2**20, 1),
        "recall": round(rec, 4),
        "precision": round(prec, 4),
        "top10_p50_ms": round(pct(lat, 0.5) * 1000, 1),
        "top10_p95_ms": round(pct(lat, 0.95) * 1000, 1),
    }


# -- SQLite FTS5 trigram --------------------------------------------------------------


def bench_fts5(workdir: Path, docs: list[tuple[int, str, str]], queries, truth) -> dict[str, Any]:
    path = workdir / "fts.db"
    con = sqlite3.connect(path)
    try:
        con.execute("CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize='trigram')")
    except sqlite3.OperationalError as exc:
        return {"error": f"FTS5 trigram not available in SQLite {sqlite3.sqlite_version}: {exc}"}
    t = time.perf_counter()
    con.executemany("INSERT INTO fts(rowid, title, body) VALUES (?, ?, ?)", docs)
    con.commit()
    secs = time.perf_counter() - t

    def run(q: str, limit: int | None) -> list[int]:
        lim = f" LIMIT {limit}" if limit else ""
        if len(q) >= 3:
            sql = f"SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rank{lim}"
            return [r[0] for r in con.execute(sql, (f'"{q}"',))]
        # trigrams cannot serve two characters: LIKE, a scan (FTS5 trigram supports it)
        sql = f"SELECT rowid FROM fts WHERE title LIKE ? OR body LIKE ?{lim}"
        return [r[0] for r in con.execute(sql, (f"%{q}%", f"%{q}%"))]

    found = [set(run(q, None)) for q in queries]
    lat = []
    for q in queries:
        t = time.perf_counter()
        run(q, 10)
        lat.append(time.perf_counter() - t)
    short = [i for i, q in enumerate(queries) if len(q) < 3]
    con.close()
    rec, prec = recall_precision(found, truth)
    match_only = [found[i] if len(queries[i]) >= 3 else set() for i in range(len(queries))]
    rec_match, _ = recall_precision(match_only, truth)
    return {
        "docs": len(docs),
        "index_s": round(secs, 1),
        "docs_per_s": round(len(docs) / secs, 1),
        "size_mb": round(path.stat().st_size / 2**20, 1),
        "recall": round(rec, 4),
        "recall_match_only": round(rec_match, 4),
        "precision": round(prec, 4),
        "two_char_queries_by_like_scan": len(short),
        "top10_p50_ms": round(pct(lat, 0.5) * 1000, 1),
        "top10_p95_ms": round(pct(lat, 0.95) * 1000, 1),
    }


# -- jieba (recall only, on a small subset) ---------------------------------------


def bench_jieba(
    workdir: Path, docs: list[tuple[int, str, str]], queries: list[str]
) -> dict[str, Any]:
    from jieba.analyse import ChineseAnalyzer
    from whoosh import index
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.qparser import QueryParser

    schema = Schema(id=ID(stored=True), body=TEXT(analyzer=ChineseAnalyzer()))
    path = workdir / "jieba"
    path.mkdir()
    ix = index.create_in(str(path), schema)
    w = ix.writer(limitmb=256)
    for aid, title, body in docs:
        w.add_document(id=str(aid), body=f"{title}\n{body}")
    w.commit()
    texts = {aid: f"{title}\n{body}" for aid, title, body in docs}
    truth = [{a for a, t in texts.items() if q in t} for q in queries]
    found = []
    with ix.searcher() as s:
        parser = QueryParser("body", schema)
        for q in queries:
            found.append({int(s.stored_fields(d)["id"]) for d in s.docs_for_query(parser.parse(q))})
    rec, prec = recall_precision(found, truth)
    return {"docs": len(docs), "recall": round(rec, 4), "precision": round(prec, 4)}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=10000, help="articles to index")
    ap.add_argument("--baseline-n", type=int, default=None, help="articles for the baselines")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument(
        "--jieba-n", type=int, default=2000, help="articles for the jieba recall check (0: skip)"
    )
    ap.add_argument("--skip-baselines", action="store_true")
    ap.add_argument("--workdir", type=Path, default=None, help="kept afterwards if given")
    args = ap.parse_args()
    bn = min(args.baseline_n or args.n, args.n)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="fanzha-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"workdir {workdir}; sqlite {sqlite3.sqlite_version}")
    extra = real_sentences()
    t = time.perf_counter()
    arts = generate(args.n + 1000, seed=2024, extra=extra)
    base, new = arts[: args.n], arts[args.n :]
    print(
        f"generated {len(arts)} articles in {time.perf_counter() - t:.0f} s "
        f"(mean body {statistics.mean(len(a.text.encode()) for a in base) / 1024:.1f} KB)"
    )
    arc = Archive.open(workdir / "home")
    fill_archive(arc, base)
    with arc.session() as s:
        rows = s.execute(
            select(Article.id, Article.title, Article.norm_text).order_by(Article.id)
        ).all()
    docs = [(r.id, normalize(r.title), r.norm_text) for r in rows]
    folded = {aid: fold(title) + "\n" + fold(body) for aid, title, body in docs}
    queries = sample_queries([folded[a] for a, _, _ in docs], args.queries)

    def truth_for(ids: set[int] | None) -> list[set[int]]:
        pool = folded if ids is None else {a: folded[a] for a in ids}
        return [{a for a, text in pool.items() if q in text} for q in queries]

    results: dict[str, Any] = {"n": args.n, "baseline_n": bn, "queries": len(queries)}
    if not args.skip_baselines:
        sub = docs[:bn]
        sub_truth = truth_for({a for a, _, _ in sub})
        if bn < args.n:  # fanzha on the same subset, for a fair ratio
            sub_arc = Archive.open(workdir / "home-sub")
            fill_archive(sub_arc, base[:bn])
            with sub_arc.session() as s:
                sub_ids = [r for r in s.scalars(select(Article.id).order_by(Article.id))]
            remap = dict(zip([a for a, _, _ in sub], sub_ids, strict=True))
            results["fanzha_subset"] = bench_fanzha(
                sub_arc, queries, [{remap[a] for a in t} for t in sub_truth]
            )
            print("fanzha (subset)", results["fanzha_subset"], flush=True)
        results["stock_whoosh_bigram"] = bench_stock(workdir, sub, queries, sub_truth)
        print("stock whoosh", results["stock_whoosh_bigram"], flush=True)
        results["sqlite_fts5_trigram"] = bench_fts5(workdir, sub, queries, sub_truth)
        print("fts5", results["sqlite_fts5_trigram"], flush=True)
        if args.jieba_n:
            results["jieba_whoosh"] = bench_jieba(workdir, docs[: args.jieba_n], queries)
            print("jieba", results["jieba_whoosh"], flush=True)
    results["fanzha"] = bench_fanzha(arc, queries, truth_for(None))
    print("fanzha", results["fanzha"], flush=True)
    results["fanzha_incremental"] = bench_incremental(arc, new, args.n)
    print("incremental", results["fanzha_incremental"], flush=True)

    print()
    fz = results.get("fanzha_subset", results["fanzha"])
    rows_out = [("fanzha", results["fanzha"])]
    if "fanzha_subset" in results:
        rows_out.append((f"fanzha@{bn}", results["fanzha_subset"]))
    for name in ("stock_whoosh_bigram", "sqlite_fts5_trigram"):
        if name in results and "error" not in results[name]:
            rows_out.append((name, results[name]))
    print(
        f"{'':22}{'docs':>8}{'docs/s':>9}{'MB':>8}{'recall':>8}{'prec':>7}{'p50 ms':>8}{'p95 ms':>8}"
    )
    for name, r in rows_out:
        print(
            f"{name:22}{r['docs']:>8}{r['docs_per_s']:>9}{r['size_mb']:>8}{r['recall']:>8}"
            f"{r['precision']:>7}{r['top10_p50_ms']:>8}{r['top10_p95_ms']:>8}"
        )
    stock = results.get("stock_whoosh_bigram")
    if stock:
        print(
            f"indexing speed vs stock Whoosh bigram: {fz['docs_per_s'] / stock['docs_per_s']:.2f}x"
        )
    f = results["fanzha"]
    print(
        f"fanzha search() top-10 with snippets p50/p95 {f['search_top10_p50_ms']}/"
        f"{f['search_top10_p95_ms']} ms; collapse+facets p50/p95 {f['collapse_facets_p50_ms']}/"
        f"{f['collapse_facets_p95_ms']} ms"
    )
    inc = results["fanzha_incremental"]
    print(f"incremental: {inc['added']} new articles into {inc['into']} in {inc['seconds']} s")
    if "jieba_whoosh" in results:
        print(
            f"jieba ChineseAnalyzer recall {results['jieba_whoosh']['recall']} "
            f"on {results['jieba_whoosh']['docs']} articles"
        )
    print(json.dumps(results, ensure_ascii=False))
    arc.close()
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
