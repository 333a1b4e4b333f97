"""The search page: ``GET /?q=…`` with filters, facets, highlighted snippets, paging."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from archive.extract.relevance import resolve_type
from search import IndexCorrupt, IndexMissing, SearchResult, search

from ...errors import UsageError
from .. import queries
from ..inputs import bool_param, int_param, parse_day
from ..pages import render
from ..snippets import hit_segments
from ..state import archive_of

router = APIRouter(include_in_schema=False)
PER_PAGE = 10
MAX_QUERY = 500  # characters
SORTS = ("relevance", "date")


def search_params(request: Request) -> dict[str, Any]:
    """The search filters of a request, checked (UsageError names a bad one; a type is
    resolved from a short name, ``?type=杀猪盘``, or is ``UnknownFraudType``: 400)."""
    qp = request.query_params
    fraud_type = qp.get("type")
    sort = qp.get("sort") or "relevance"
    if sort not in SORTS:
        raise UsageError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    return {
        "source": qp.get("source") or None,
        "site": qp.get("site") or None,
        "fraud_type": resolve_type(fraud_type) if fraud_type else None,
        "since": parse_day(qp.get("since"), "since"),
        "until": parse_day(qp.get("until"), "until"),
        "all_copies": bool_param(qp.get("all_copies")),
        "sort": sort,
    }


def listing_filters(params: dict[str, Any]) -> dict[str, Any]:
    """The filters the latest-articles listing (no query) applies: all but sort/copies."""
    keys = ("source", "site", "fraud_type", "since", "until")
    return {k: params[k] for k in keys if params.get(k)}


def run_search(
    request: Request, query: str, params: dict[str, Any], limit: int, offset: int
) -> SearchResult:
    """The search, or 503 with the reason when the index is missing or damaged (the
    rest of the site keeps working: it reads the archive, not the index)."""
    try:
        return search(archive_of(request), query, limit=limit, offset=offset, **params)
    except (IndexMissing, IndexCorrupt) as exc:
        raise HTTPException(503, f"search is unavailable: {exc}") from exc


@router.get("/", response_class=HTMLResponse)
def search_page(request: Request) -> HTMLResponse:
    query = (request.query_params.get("q") or "").strip()
    if len(query) > MAX_QUERY:
        raise UsageError(f"query too long: {len(query)} characters (at most {MAX_QUERY})")
    params = search_params(request)
    page = int_param(request.query_params.get("page"), "page", 1, 1, 10_000)
    archive = archive_of(request)
    with archive.session() as s:
        counts = queries.counts(s)
        sources = queries.source_names(s)
        types = queries.fraud_type_names(s)
        recent = [] if query else queries.recent_articles(s, **listing_filters(params))
    ctx: dict[str, Any] = {
        "q": query,
        "params": params,
        "page": page,
        "counts": counts,
        "sources": sources,
        "types": types,
        "recent": recent,
        "result": None,
        "filtered": bool(listing_filters(params)),
    }
    if query:
        try:
            result = run_search(request, query, params, PER_PAGE, (page - 1) * PER_PAGE)
        except HTTPException as exc:  # the page still offers the form and the latest
            with archive.session() as s:
                ctx["recent"] = queries.recent_articles(s, **listing_filters(params))
            ctx["unavailable"] = exc.detail
            return render(request, "search.html", ctx, exc.status_code)
        segments = [hit_segments(hit) for hit in result["hits"]]
        pages = max(1, -(-result["total"] // PER_PAGE))
        ctx.update(result=result, segments=segments, pages=pages)
    return render(request, "search.html", ctx)
