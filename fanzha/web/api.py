"""The JSON API under ``/api``: the shapes of docs/contracts.md, described at ``/openapi.json``.

Errors are ``{"error": "..."}`` with 400 (bad input), 403 (a POST from another site's
page), 404 (no such thing) or 503 (the database unreachable, the disk full, too many
URL checks running). The response models below
document the shapes; the handlers return the stages' dicts as they are (more
fields than documented are welcome, as docs/contracts.md says).

Each response model mirrors, field for field, the TypedDict its producer declares
(``search.types``, ``archive.indicators``, ...); tests/test_api_types.py keeps the two
in step, so ``/openapi.json`` shows the real shapes.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from archive import runs as crawl_runs
from archive.dedup.queries import cluster_detail, list_clusters

from ..checking import run_check
from . import intel, queries
from .inputs import MAX_BODY, Id, parse_day
from .routes.clusters import diff_context
from .routes.search import MAX_QUERY, run_search
from .state import archive_of, fetcher_of
from .stats import figures as stats_figures


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorOut(BaseModel):
    error: str = Field(description="One line saying what is wrong.")


SOURCE_DOC = (
    "The publisher the page names (来源, a dateline, a WeChat account), "
    "else the display name of the site it was crawled from"
)
SITE_DOC = "The site profile key it was crawled from (null for imported files)"


class IndicatorOut(BaseModel):
    """``archive.indicators.NamedIndicator``, field for field."""

    kind: str = Field(description="phone | url | app | qq | wechat | bank_account | amount")
    value: str = Field(description="Normalised: digits, host/path, the app's name, yuan")
    role: str = Field(description="suspect | official | loss | other")


INDICATORS_DOC = "What the article names: phones, web addresses, apps, accounts, money"


class Hit(Open):
    """``search.types.SearchHit``, field for field."""

    id: int
    url: str
    title: str
    source: str | None = Field(description=SOURCE_DOC)
    site: str | None = Field(description=SITE_DOC)
    author: str | None
    published: str | None = Field(
        description="ISO 8601 in China time, or in the page's own zone; "
        "YYYY-MM-DD when only the day is known (published_precision)"
    )
    fraud_types: list[str]
    snippet: str = Field(description="Text around the matches, each match between 【】")
    snippet_text: str = Field(description="The snippet without the 【】 marks")
    highlights: list[list[int]] = Field(
        description="The matches as [start, end) character offsets into snippet_text"
    )
    score: float
    cluster: int | None
    canonical: bool = Field(description="The story's canonical copy (or in no cluster)")
    copies: int = Field(description="Copies of this story in the archive (1 = no reposts)")
    matching_copies: int = Field(description="Copies of this story that match the query")
    indicators: list[IndicatorOut] = Field(description=INDICATORS_DOC)


class SearchOut(Open):
    """``search.types.SearchResult``, field for field."""

    query: str
    total: int
    offset: int
    hits: list[Hit]
    total_exact: bool = Field(
        True, description="Present (false) only when total is an estimate; absent: exact"
    )
    facets: dict[str, dict[str, int]] = Field(
        default_factory=dict,
        description='{"source": {...}, "site": {...}, "year": {...}, "fraud_type": {...}, '
        '"phone": {...}, "url": {...}, "app": {...}, ...}: per indicator kind its '
        "top 10 values among the stories listed",
    )


class ArticleOut(Open):
    id: int
    url: str
    title: str
    source: str | None = Field(description=SOURCE_DOC)
    site: str | None = Field(None, description=SITE_DOC)
    author: str | None
    published: str | None
    fetched: str | None
    fraud_types: list[str]
    text: str
    cluster: int | None
    raw: bool = Field(description="A raw snapshot is kept: GET /raw/{id}")
    indicators: list[IndicatorOut] = Field(default_factory=list, description=INDICATORS_DOC)


class IndicatorSummaryOut(Open):
    """``archive.indicators.IndicatorSummaryJson``, field for field."""

    kind: str
    value: str
    role: str
    bulletins: int = Field(description="Bulletins naming it")
    sites: int = Field(description="Sites (else sources) those bulletins came from")
    first_seen: str | None = Field(description="Earliest publication (else fetch) date")
    last_seen: str | None = Field(description="Latest publication (else fetch) date")
    fraud_types: list[str]


class BulletinOut(Open):
    """``fanzha.web.intel.Bulletin``, field for field."""

    id: int
    title: str
    url: str
    source: str | None = Field(description=SOURCE_DOC)
    site: str | None = Field(description=SITE_DOC)
    published: str | None


class IndicatorDetailOut(Open):
    """``fanzha.web.intel.IndicatorDetail``, field for field."""

    summary: IndicatorSummaryOut
    bulletins: list[BulletinOut] = Field(description="The bulletins naming it, newest first")


LABELS_DOC = (
    "What the copy changed against the canonical copy: header, signoff, wording, numbers, "
    "truncated, added, removed, script, reordered, layout, metadata"
)


class EvidenceOut(Open):
    """``archive.dedup.lineage.Reason``, field for field."""

    type: Literal["attribution", "shared_edits", "time", "same_time", "canonical"]
    detail: str


class MemberOut(Open):
    """``archive.dedup.queries.ClusterMember``, field for field."""

    id: int
    url: str
    title: str
    similarity: float | None = Field(description="To the canonical copy")
    relation: str | None = Field(description="canonical | exact | near | partial")
    published: str | None
    labels: list[str] = Field(description=LABELS_DOC)
    parent: int | None = Field(
        description="The copy it was most likely taken from (null: the canonical copy)"
    )
    parent_evidence: list[EvidenceOut]


class MemberDetailOut(MemberOut):
    """``archive.dedup.queries.ClusterMemberDetail``, field for field."""

    published_precision: str | None
    source: str | None = Field(description=SOURCE_DOC)
    containment: float | None


class ClusterOut(Open):
    """``archive.dedup.queries.ClusterSummary``, field for field."""

    id: int
    canonical: int | None
    size: int | None
    summary: str = Field(description='e.g. "2 copies changed wording, 1 truncated"')
    substantive: bool = Field(
        description="Some copy changed wording, numbers, added, removed or truncated"
    )
    members: list[MemberOut]


class ClusterDetailOut(ClusterOut):
    """``archive.dedup.queries.ClusterDetail``, field for field."""

    members: list[MemberDetailOut]  # type: ignore[assignment]


class ChangeOut(Open):
    """``archive.diff.Change``, field for field."""

    op: Literal["replace", "insert", "delete"]
    a: str = Field(description="a's characters (empty for an insertion)")
    b: str = Field(description="b's characters (empty for a deletion)")
    kind: Literal["header", "signoff", "body"] = Field(
        description="header: before all shared text; signoff: after it; else body"
    )
    a_start: int = Field(description="[a_start, a_end): character offsets into a's text")
    a_end: int
    b_start: int = Field(description="[b_start, b_end): character offsets into b's text")
    b_end: int
    before: str = Field(description="Context: the line's text just before the change")
    after: str = Field(description="Context: the line's text just after the change")
    paragraphs: int = Field(0, description="Whole paragraphs it adds or drops (absent: none)")
    moved: bool = Field(
        False, description="The same text deleted in one place, inserted in another"
    )
    label: str = Field("", description="One of the labels (see labels)")


class DiffSideOut(Open):
    """``archive.dedup.queries.DiffSide``, field for field."""

    id: int
    url: str
    title: str
    source: str | None = Field(description=SOURCE_DOC)
    published: str | None
    published_precision: str | None


class DiffOut(Open):
    """``archive.dedup.queries.ArticleDiff``, field for field."""

    a: DiffSideOut
    b: DiffSideOut
    similarity: float | None
    changes: list[ChangeOut]
    labels: list[str] = Field(description=LABELS_DOC)
    metadata: dict[str, dict[str, Any]] = Field(
        description='The metadata fields that differ: {field: {"a": ..., "b": ...}}'
    )
    recorded: bool = Field(description="Read from the difference Dedup recorded (else computed)")
    containment: float | None = Field(None, description="Only when computed (recorded false)")
    relation: str | None = Field(None, description="Only when computed (recorded false)")


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(None, description="The text to check (or give url)")
    url: str | None = Field(None, description="An http(s) URL to fetch and check")
    title: str | None = None


class MatchOut(Open):
    """``archive.dedup.queries.CheckMatch``, field for field."""

    id: int
    url: str
    title: str
    similarity: float
    containment: float
    relation: str | None = Field(description="exact | near | partial")
    cluster: int | None


class CheckDiffOut(Open):
    """``archive.dedup.queries.CheckDiff``, field for field."""

    a: int = Field(description="The best match's id (the text checked is b)")
    changes: list[ChangeOut]
    metadata: dict[str, dict[str, Any]]


class CheckInputOut(Open):
    """``fanzha.checking.check.CheckInput``, field for field."""

    url: str | None
    fetched_url: str | None = Field(description="The URL after redirects")
    title: str | None
    text: str
    chars: int


class CheckOut(Open):
    """``fanzha.checking.check.CheckAnswer``, field for field."""

    matches: list[MatchOut] = Field(description="Best first")
    diff: CheckDiffOut | None = Field(None, description="To the best match (absent: none)")
    omitted: dict[str, int] = Field(
        description="What the bounds left out: matches, changes, change_chars"
    )
    input: CheckInputOut
    archived: int | None = Field(description="The URL's own article id, when archived")


class RunErrorOut(Open):
    """``archive.runs.RunError``, field for field."""

    site: str | None
    url: str | None
    status: int | None = Field(description="The HTTP status, when there was a response")
    error: str


class RunOut(Open):
    """``archive.runs.RunJson``, field for field."""

    run: int
    kind: str = Field(description="crawl | nightly")
    status: str = Field(description="running | ok | partial | failed | killed")
    pages: int
    new: int
    updated: int
    unchanged: int
    errors: int = Field(description="How many errors it recorded")
    started: str | None
    finished: str | None
    sites: list[str]
    figures: dict[str, Any] = Field(description="Per site and per stage, as each reports")
    log: str | None
    error_list: list[RunErrorOut] = Field(
        default_factory=list, description="Its errors: the first 5 in a list, all for one run"
    )


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Bad input"},
    403: {"model": ErrorOut, "description": "A POST sent by a page of another site"},
    404: {"model": ErrorOut, "description": "Not found"},
    503: {
        "model": ErrorOut,
        "description": "Database unavailable, disk full, or too many URL checks at once",
    },
}

router = APIRouter(prefix="/api", tags=["api"], responses=ERRORS)


def ok(body: Any) -> JSONResponse:
    return JSONResponse(jsonable_encoder(body))


@router.get("/search", responses={200: {"model": SearchOut}})
def api_search(
    request: Request,
    q: str = Query(
        ...,
        min_length=1,
        max_length=MAX_QUERY,
        description='Words, "phrases", AND/OR/NOT, field:value',
    ),
    source: str | None = Query(None, description="Publisher (source name or key)"),
    site: str | None = Query(None, description="Site profile key it was crawled from"),
    type: str | None = Query(None, description="Fraud type"),
    since: str | None = Query(None, description="YYYY-MM-DD, YYYY-MM or YYYY (China time)"),
    until: str | None = Query(None, description="YYYY-MM-DD, YYYY-MM or YYYY (to its end)"),
    all_copies: bool = Query(False, description="Do not collapse reposts"),
    limit: int = Query(10, ge=1, le=100),
    offset: int = Query(0, ge=0),
    sort: Literal["relevance", "date"] = "relevance",
) -> JSONResponse:
    """Full-text search, one hit per story unless ``all_copies``."""
    params = {
        "source": source or None,
        "site": site or None,
        "fraud_type": type or None,
        "since": parse_day(since, "since"),
        "until": parse_day(until, "until"),
        "all_copies": all_copies,
        "sort": sort,
    }
    return ok(run_search(request, q, params, limit, offset))


@router.get("/articles/{article_id}", responses={200: {"model": ArticleOut}})
def api_article(request: Request, article_id: Id) -> JSONResponse:
    """One article: metadata, text, cluster membership, earlier versions."""
    with archive_of(request).session() as s:
        return ok(queries.article_json(s, queries.get_article(s, article_id)))


@router.get("/indicators", responses={200: {"model": list[IndicatorSummaryOut]}})
def api_indicators(
    request: Request,
    kind: str | None = Query(None, description="phone, url, app, qq, wechat, bank_account, amount"),
    role: str | None = Query(None, description="suspect, official, loss, other"),
    value: str | None = Query(None, max_length=512, description="One exact (normalised) value"),
    limit: int = Query(100, ge=1, le=1000),
) -> JSONResponse:
    """Indicators across the archive, most-named first (``fanzha indicators``)."""
    with archive_of(request).session() as s:
        return ok(intel.indicator_rows(s, kind=kind, role=role, value=value, limit=limit))


@router.get("/indicators/{kind}/{value:path}", responses={200: {"model": IndicatorDetailOut}})
def api_indicator(request: Request, kind: str, value: str) -> JSONResponse:
    """One value: its summary and the bulletins naming it."""
    with archive_of(request).session() as s:
        return ok(intel.indicator_detail(s, kind, value))


@router.get("/clusters", responses={200: {"model": list[ClusterOut]}})
def api_clusters(
    request: Request,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    changed: Literal["substance", "form"] | None = Query(
        None, description="Only clusters whose copies changed substance, or only form"
    ),
) -> JSONResponse:
    """Clusters of near-duplicates (docs/contracts.md ``dups`` shape)."""
    with archive_of(request).session() as s:
        return ok(list_clusters(s, limit=limit, offset=offset, changed=changed))


@router.get("/clusters/{cluster_id}", responses={200: {"model": ClusterDetailOut}})
def api_cluster(request: Request, cluster_id: Id) -> JSONResponse:
    """One cluster, its members in published order."""
    with archive_of(request).session() as s:
        return ok(cluster_detail(s, cluster_id))


@router.get("/diff", responses={200: {"model": DiffOut}})
def api_diff(
    request: Request,
    a: str = Query(..., min_length=1, description="Article id or URL"),
    b: str = Query(..., min_length=1, description="Article id or URL"),
) -> JSONResponse:
    """What changed from article ``a`` to article ``b`` (docs/contracts.md ``diff`` shape)."""
    with archive_of(request).session() as s:
        return ok(diff_context(s, a, b, view=False)["diff"])


@router.post(
    "/check",
    responses={
        200: {"model": CheckOut},
        413: {"model": ErrorOut, "description": f"A body over {MAX_BODY // 2**20} MB"},
    },
)
def api_check(request: Request, body: CheckIn) -> JSONResponse:
    """Near-duplicates already archived of a text, or of the page at a URL."""
    result = run_check(
        archive_of(request), fetcher_of(request), text=body.text, url=body.url, title=body.title
    )
    return ok(result)


@router.get("/runs", responses={200: {"model": list[RunOut]}})
def api_runs(
    request: Request, limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)
) -> JSONResponse:
    """Crawl and nightly runs, newest first, with figures and their first errors."""
    with archive_of(request).session() as s:
        return ok(crawl_runs.list_runs(s, limit=limit, offset=offset, errors=5))


@router.get("/runs/{run_id}", responses={200: {"model": RunOut}})
def api_run(request: Request, run_id: Id) -> JSONResponse:
    """One run with all its errors."""
    with archive_of(request).session() as s:
        return ok(crawl_runs.get_run(s, run_id))


@router.get("/stats")
def api_stats(request: Request) -> JSONResponse:
    """Articles per month by source and fraud types per year (what the charts draw)."""
    with archive_of(request).session() as s:
        return ok(stats_figures(s))
