"""Search latency on an archive that already has an index (no indexing here).

    .venv/bin/python bench/search.py --n 20000 --skip-baselines --jieba-n 0 --workdir W
    .venv/bin/python bench/search_latency.py W/home            # this checkout's code
    PYTHONPATH=OLD .venv/bin/python bench/search_latency.py W/home   # another checkout's

Samples ``--queries`` random 2-4 character runs from the stored texts (the same
sampler and seed as bench/search.py) and prints p50/p95 of: the default ``search()``
(one hit per cluster with ``copies``, facets, snippets from the archive); ``search()``
top-10 with ``all_copies`` and no facets; and the index alone (parse, evaluate, the
ten best). It also prints a digest of the default results (totals, hit ids, matching
copies, facets), so that two versions of the code can be checked to answer alike.
Run the versions one after the other on the same index: read the ratios.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# this checkout's packages, not bench/search.py as ``search``
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from sqlalchemy import select  # noqa: E402

import search as search_pkg  # noqa: E402
from archive import Archive  # noqa: E402
from archive.models import Article  # noqa: E402
from archive.normalize import normalize  # noqa: E402
from search import array_eval, search  # noqa: E402
from search.analysis import fold  # noqa: E402
from search.indexer import open_index  # noqa: E402
from search.query import build_query  # noqa: E402
from search.results import clear_result_cache  # noqa: E402


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_search", HERE / "search.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("home", type=Path, help="an archive home with a search index")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--save", type=Path, default=None, help="write the results here (JSON)")
    ap.add_argument("--no-cache", action="store_true", help="no postings cache (code that has one)")
    args = ap.parse_args()
    if args.no_cache and hasattr(array_eval, "CACHE_POSTINGS"):
        array_eval.CACHE_POSTINGS = 0
    clear = getattr(array_eval, "clear_cache", lambda: None)
    bench = _bench_module()
    arc = Archive.open(args.home)
    with arc.session() as s:
        rows = s.execute(select(Article.title, Article.norm_text).order_by(Article.id)).all()
    texts = [fold(normalize(r.title or "")) + "\n" + fold(r.norm_text or "") for r in rows]
    queries = bench.sample_queries(texts, args.queries)
    print(f"code {Path(search_pkg.__file__).parent}; {len(rows)} articles, {len(queries)} queries")

    t = time.perf_counter()
    search(arc, "热身预热热身")  # jieba, the searcher, per-index arrays: outside the timings
    print(f"first search (loads jieba and per-index data): {time.perf_counter() - t:.2f} s")
    clear()
    default, top10_full, top10_index, results = [], [], [], []
    for q in queries:
        clear_result_cache()  # each answer computed, not recalled
        t = time.perf_counter()
        r = search(arc, q)
        default.append(time.perf_counter() - t)
        results.append(
            [
                r["total"],
                [h["id"] for h in r["hits"]],
                [h["matching_copies"] for h in r["hits"]],
                r["facets"],
            ]
        )
    clear()  # each phase runs each query once: no cached postings from the last phase
    for q in queries:
        clear_result_cache()
        t = time.perf_counter()
        search(arc, q, all_copies=True, facets=False)
        top10_full.append(time.perf_counter() - t)
    clear()
    with open_index(arc).searcher() as s:
        for q in queries:
            t = time.perf_counter()
            wq, _ = build_query(q, s.reader())
            array_eval.top(array_eval.Evaluator(s).evaluate(wq), 10)
            top10_index.append(time.perf_counter() - t)

    def ms(values: list[float], q: float) -> float:
        return round(bench.pct(values, q) * 1000, 1)

    out = {
        "articles": len(rows),
        "queries": len(queries),
        "default_p50_ms": ms(default, 0.5),
        "default_p95_ms": ms(default, 0.95),
        "search_top10_p50_ms": ms(top10_full, 0.5),
        "search_top10_p95_ms": ms(top10_full, 0.95),
        "index_top10_p50_ms": ms(top10_index, 0.5),
        "index_top10_p95_ms": ms(top10_index, 0.95),
        "results_digest": hashlib.sha256(
            json.dumps(results, ensure_ascii=False).encode()
        ).hexdigest()[:16],
    }
    print(
        f"default search (collapse, copies, facets, snippets) p50/p95 "
        f"{out['default_p50_ms']}/{out['default_p95_ms']} ms\n"
        f"search() top-10, all copies, no facets        p50/p95 "
        f"{out['search_top10_p50_ms']}/{out['search_top10_p95_ms']} ms\n"
        f"index alone top-10                            p50/p95 "
        f"{out['index_top10_p50_ms']}/{out['index_top10_p95_ms']} ms"
    )
    print(json.dumps(out))
    if args.save:
        args.save.write_text(json.dumps(results, ensure_ascii=False))
    arc.close()


if __name__ == "__main__":
    main()
