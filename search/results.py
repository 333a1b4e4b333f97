"""``search()``: run a query, collapse reposts, count facets, cut snippets.

One pass over the matching documents does the collapsing and the counting: each
document's ``info`` column gives its cluster, canonical flag, source, year, fraud
types and date without reading stored fields. Per cluster the hit shown is the
canonical copy when it matches, else the best-scoring (or, sorting by date, the
newest) matching copy; ``copies`` is the cluster's size in the archive and
``matching_copies`` how many of its copies matched. ``total`` and the facets count
what is listed: stories when collapsing, articles with ``all_copies``.

``facets=False`` with ``all_copies=True`` and relevance order takes Whoosh's own top-N
path (block-max skipping), the fast way to get the ten best articles.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from whoosh import query as wq
from whoosh.scoring import BM25F

from archive import Archive
from archive.models import Article, Cluster, Member, Source

from .errors import QueryError
from .highlight import snippet
from .indexer import open_index
from .query import build_query, filter_query

log = logging.getLogger(__name__)

CST = timezone(timedelta(hours=8), "CST")
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


def _info(raw: bytes) -> list[str]:
    return raw.decode("utf-8").split("\t")


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
) -> dict[str, Any]:
    """Search the index; DESIGN's ``search`` shape plus ``facets`` (see the module doc)."""
    _check(limit, offset, sort)
    fq = filter_query(source=source, fraud_type=fraud_type, since=since, until=until)
    ix = open_index(archive)
    with ix.searcher(weighting=BM25F()) as s:
        q, texts = build_query(query, s.reader())
        if all_copies and not facets and sort == "relevance":
            r = s.search(q, limit=offset + limit or 1, filter=fq)
            picked = [(h.docnum, h.score) for h in r][offset : offset + limit]
            total = len(r)
            out_facets = None
            matching = {}
        else:
            allow = set(s.docs_for_query(fq)) if fq is not None else None
            matches = _scan(s, q, allow)
            picked, total, out_facets, matching = _collapse(
                s, matches, all_copies=all_copies, sort=sort, offset=offset, limit=limit
            )
        col = s.reader().column_reader("info")
        ids = [int(_info(col[d])[6]) for d, _ in picked]
    copies = {aid: matching.get(d, 1) for aid, (d, _) in zip(ids, picked, strict=True)}
    hits = _hits(archive, ids, [sc for _, sc in picked], texts, copies)
    result: dict[str, Any] = {"query": query, "total": total, "offset": offset, "hits": hits}
    if out_facets is not None:
        result["facets"] = out_facets
    return result


def _collapse(
    searcher: Any,
    matches: list[tuple[int, float]],
    *,
    all_copies: bool,
    sort: str,
    offset: int,
    limit: int,
) -> tuple[list[tuple[int, float]], int, dict[str, Any], dict[int, int]]:
    col = searcher.reader().column_reader("info")
    best: dict[str, tuple[tuple[Any, ...], int, float, list[str]]] = {}
    count: Counter[str] = Counter()
    for d, score in matches:
        info = _info(col[d])
        key = str(d) if all_copies else info[0]
        date = int(info[5]) if info[5] else 0
        rank = (info[1] == "1", score if sort == "relevance" else date, -d)
        count[key] += 1
        cur = best.get(key)
        if cur is None or rank > cur[0]:
            best[key] = (rank, d, score, info)
    facet_source: Counter[str] = Counter()
    facet_year: Counter[str] = Counter()
    facet_type: Counter[str] = Counter()
    for _, _, _, info in best.values():
        if info[2]:
            facet_source[info[2]] += 1
        if info[3]:
            facet_year[info[3]] += 1
        for t in info[4].split("|") if info[4] else ():
            facet_type[t] += 1
    if sort == "relevance":
        order = sorted(best.values(), key=lambda b: (-b[2], b[1]))
    else:
        order = sorted(
            best.values(), key=lambda b: (-(int(b[3][5]) if b[3][5] else -(2**62)), -b[2])
        )
    page = order[offset : offset + limit]
    facets = {
        "source": dict(facet_source.most_common()),
        "year": dict(sorted(facet_year.items(), reverse=True)),
        "fraud_type": dict(facet_type.most_common()),
    }
    matching = {b[1]: count[str(b[1]) if all_copies else b[3][0]] for b in page}
    return [(b[1], b[2]) for b in page], len(best), facets, matching


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(CST).isoformat()


def _hits(
    archive: Archive,
    ids: list[int],
    scores: list[float],
    texts: list[str],
    matching: dict[int, int],
) -> list[dict[str, Any]]:
    """The hits in order, read from the archive (the index stores no body)."""
    if not ids:
        return []
    with archive.session() as s:
        rows = s.execute(
            select(
                Article.id,
                Article.url,
                Article.title,
                Article.text,
                Article.author,
                Article.published_at,
                Article.fraud_types,
                Source.name,
                Member.cluster_id,
                Cluster.size,
                Cluster.canonical_id,
            )
            .outerjoin(Source, Article.source_id == Source.id)
            .outerjoin(Member, Member.article_id == Article.id)
            .outerjoin(Cluster, Cluster.id == Member.cluster_id)
            .where(Article.id.in_(ids))
        ).all()
    by_id = {r.id: r for r in rows}
    hits = []
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
                "author": r.author,
                "published": _iso(r.published_at),
                "fraud_types": list(r.fraud_types or []),
                "snippet": snip.marked,
                "snippet_text": snip.text,
                "highlights": [list(sp) for sp in snip.spans],
                "score": round(float(score), 4),
                "cluster": r.cluster_id,
                "canonical": r.cluster_id is None or r.canonical_id in (None, r.id),
                "copies": int(r.size or 1),
                "matching_copies": matching.get(aid, 1),
            }
        )
    return hits
