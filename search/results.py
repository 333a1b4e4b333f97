"""``search()``: run a query, collapse reposts, count facets, cut snippets.

Collapsing and counting use per-document arrays (``search.docvalues``: cluster,
canonical flag, source, year, fraud types, date, article id by docnum, decoded from
the index's ``info`` column once per segment) and numpy over the matching docnums,
with no per-hit Python. Per cluster the hit shown is the canonical copy when it
matches, else the best-scoring (or, sorting by date, the newest) matching copy;
``copies`` is the cluster's size in the archive and ``matching_copies`` how many of
its copies matched. ``total`` and the facets count what is listed: stories when
collapsing, articles with ``all_copies``.

Queries are evaluated by ``search.array_eval`` (arrays, numpy) where it handles their
shape, else by Whoosh. ``facets=False`` with ``all_copies=True`` and relevance order
is the fast way to the ten best articles: phrases are checked only for the
hits returned, and ``total`` then counts the documents holding every bigram of the
query (``"total_exact": false`` says so when some were not checked).
"""

from __future__ import annotations

import copy
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.scoring import BM25F

from archive import Archive
from archive.indicators import of_articles
from archive.models import Article, Cluster, Member, Source
from archive.times import published_of

from . import array_eval
from .article_select import article_select, published_columns
from .docvalues import collapse, doc_values
from .errors import QueryError
from .highlight import snippet
from .indexer import live_searcher
from .query import build_query, filter_query
from .types import SearchHit, SearchResult

log = logging.getLogger(__name__)

SORTS = ("relevance", "date")
MAX_LIMIT = 1000


def _check(limit: int, offset: int, sort: str) -> None:
    if sort not in SORTS:
        raise QueryError(f"sort {sort!r} is not one of: {', '.join(SORTS)}")
    if not 0 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit {limit} must be between 0 and {MAX_LIMIT}")
    if offset < 0:
        raise QueryError(f"offset {offset} must not be negative")


def _scan(searcher: Any, q: wq.Query, allow: set[int] | None) -> list[tuple[int, float]]:
    """Every matching (docnum, score), filtered by ``allow``."""
    m = q.matcher(searcher, searcher.context())
    out: list[tuple[int, float]] = []
    append = out.append
    while m.is_active():
        d = m.id()
        if allow is None or d in allow:
            append((d, m.score()))
        m.next()
    return out


@dataclass(frozen=True)
class _Ranked:
    """What the index answers for a search: the page's article ids, their scores and
    matching copies, the total, the facets, the query's texts (for snippets)."""

    ids: list[int]
    scores: list[float]
    copies: dict[int, int]
    total: int
    facets: Any
    exact: bool
    texts: Any


# Answers of recent searches, per process, keyed by the search and by the index as it
# is (its segments and their live documents): any index update makes a new key. The
# snippets are cut from the archive each time. Searches repeat (a word of the day, a
# facet clicked, a page turned), and at a million articles a common word's answer
# takes a few hundred milliseconds to compute.
RESULT_CACHE = 256
_RESULTS: OrderedDict[tuple[Any, ...], _Ranked] = OrderedDict()
_RESULTS_LOCK = threading.Lock()


def clear_result_cache() -> None:
    """Forget the cached answers (benchmarks: cold figures)."""
    with _RESULTS_LOCK:
        _RESULTS.clear()


def _index_state(searcher: Any) -> tuple[Any, ...]:
    return tuple(
        (seg.segment_id() if (seg := r.segment()) is not None else id(r), r.doc_count())
        for r, _ in searcher.reader().leaf_readers()
    )


def search(
    archive: Archive,
    query: str,
    *,
    source: str | None = None,
    fraud_type: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 10,
    offset: int = 0,
    all_copies: bool = False,
    sort: str = "relevance",
    facets: bool = True,
    site: str | None = None,
) -> SearchResult:
    """Search the index; docs/contracts.md's ``search`` shape plus ``facets`` (see the module doc)."""
    _check(limit, offset, sort)
    fq = filter_query(source=source, fraud_type=fraud_type, since=since, until=until, site=site)
    with live_searcher(archive, weighting=BM25F()) as s:
        key = (
            _index_state(s),
            query,
            (source, fraud_type, since, until, site),
            (limit, offset, all_copies, sort, facets),
        )
        with _RESULTS_LOCK:
            ranked = _RESULTS.get(key)
            if ranked is not None:
                _RESULTS.move_to_end(key)
        if ranked is None:
            ranked = _rank(s, query, fq, limit, offset, all_copies, sort, facets)
            with _RESULTS_LOCK:
                _RESULTS[key] = ranked
                while len(_RESULTS) > RESULT_CACHE:
                    _RESULTS.popitem(last=False)
    hits = _hits(archive, ranked.ids, ranked.scores, ranked.texts, ranked.copies)
    result: SearchResult = {"query": query, "total": ranked.total, "offset": offset, "hits": hits}
    if not ranked.exact:
        result["total_exact"] = False
    if ranked.facets is not None:
        result["facets"] = copy.deepcopy(ranked.facets)
    return result


def _rank(
    s: Any,
    query: str,
    fq: Any,
    limit: int,
    offset: int,
    all_copies: bool,
    sort: str,
    facets: bool,
) -> _Ranked:
    """The index's answer to a search (``search`` adds the articles and snippets)."""
    q, texts = build_query(query, s.reader())
    dv = doc_values(s)
    allow = sorted(s.docs_for_query(fq)) if fq is not None else None
    try:
        part = array_eval.restrict(
            array_eval.Evaluator(s).evaluate(q),
            np.asarray(allow, dtype=np.int64) if allow is not None else None,
        )
    except array_eval.Unsupported as exc:
        log.debug("query %r evaluated by Whoosh (%s)", query, exc)
        part = None
    exact = True
    if all_copies and not facets and sort == "relevance":
        if part is not None:
            best, total, exact = array_eval.top(part, offset + limit)
            picked = best[offset:]
        else:
            r = s.search(q, limit=offset + limit or 1, filter=fq)
            picked = [(h.docnum, h.score) for h in r][offset : offset + limit]
            total = len(r)
        out_facets = None
        matching: dict[int, int] = {}
    else:
        if part is not None:
            m_ids, m_scores = array_eval.match_arrays(part)
        else:
            found = _scan(s, q, set(allow) if allow is not None else None)
            m_ids = np.fromiter((d for d, _ in found), np.int64, len(found))
            m_scores = np.fromiter((sc for _, sc in found), np.float64, len(found))
        c = collapse(
            dv, m_ids, m_scores, all_copies=all_copies, sort=sort, offset=offset, limit=limit
        )
        picked, total, out_facets, matching = c.picked, c.total, c.facets, c.matching
    ids = [int(dv.aid[d]) for d, _ in picked]
    copies = {aid: matching.get(d, 1) for aid, (d, _) in zip(ids, picked, strict=True)}
    return _Ranked(ids, [sc for _, sc in picked], copies, total, out_facets, exact, texts)


def _hits(
    archive: Archive,
    ids: list[int],
    scores: list[float],
    texts: list[str],
    matching: dict[int, int],
) -> list[SearchHit]:
    """The hits in order, read from the archive (the index stores no body)."""
    if not ids:
        return []
    with archive.session() as s:
        rows = s.execute(
            article_select(
                Article.id,
                Article.url,
                Article.title,
                Article.text,
                Article.author,
                *published_columns(),
                Article.fraud_types,
                Source.name,
                Article.site,
                Member.cluster_id,
                Cluster.size,
                Cluster.canonical_id,
            ).where(Article.id.in_(ids))
        ).all()
        named = of_articles(s, ids)
    by_id = {r.id: r for r in rows}
    hits: list[SearchHit] = []
    for aid, score in zip(ids, scores, strict=True):
        r = by_id.get(aid)
        if r is None:  # deleted from the archive since the last index run
            continue
        snip = snippet(r.text, texts)
        hits.append(
            {
                "id": r.id,
                "url": r.url,
                "title": r.title,
                "source": r.name,
                "site": r.site,
                "author": r.author,
                "published": published_of(r),
                "fraud_types": list(r.fraud_types or []),
                "snippet": snip.marked,
                "snippet_text": snip.text,
                "highlights": [list(sp) for sp in snip.spans],
                "score": round(float(score), 4),
                "cluster": r.cluster_id,
                "canonical": r.cluster_id is None or r.canonical_id in (None, r.id),
                "copies": int(r.size or 1),
                "matching_copies": matching.get(aid, 1),
                "indicators": named.get(aid, []),
            }
        )
    return hits
