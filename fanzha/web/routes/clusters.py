"""Clusters of near-duplicates, one cluster's members in time order, and the diff view."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from archive.dedup.lineage import tree
from archive.dedup.queries import CHANGED, cluster_detail, diff_articles, list_clusters
from archive.diff import EDGE_KINDS, Change

from ...errors import UsageError
from .. import queries
from ..inputs import Id, int_param
from ..pages import render
from ..sidebyside import side_by_side
from ..state import archive_of

router = APIRouter(include_in_schema=False)
PER_PAGE = 50


@router.get("/clusters", response_class=HTMLResponse)
def clusters_page(request: Request) -> HTMLResponse:
    page = int_param(request.query_params.get("page"), "page", 1, 1, 100_000)
    changed = request.query_params.get("changed") or None
    if changed is not None and changed not in CHANGED:
        raise UsageError(f"changed must be one of {', '.join(CHANGED)} (got {changed!r})")
    with archive_of(request).session() as s:
        rows = list_clusters(s, limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE, changed=changed)
    return render(
        request,
        "clusters.html",
        {
            "clusters": rows[:PER_PAGE],
            "page": page,
            "more": len(rows) > PER_PAGE,
            "changed": changed,
        },
    )


@router.get("/clusters/{cluster_id}", response_class=HTMLResponse)
def cluster_page(request: Request, cluster_id: Id) -> HTMLResponse:
    with archive_of(request).session() as s:
        cluster = cluster_detail(s, cluster_id)
    members = cluster["members"]
    first = members[0] if members else None
    return render(
        request,
        "cluster.html",
        {"c": cluster, "members": members, "first": first, "tree": tree(members)},
    )


def split_changes(changes: list[Change]) -> tuple[list[Change], list[Change]]:
    """(body changes, header/sign-off changes) by the ``kind`` the diff engine gave each."""
    body: list[Change] = []
    side: list[Change] = []
    for change in changes:
        (side if change["kind"] in EDGE_KINDS else body).append(change)
    return body, side


def diff_context(session: Any, a_ref: str, b_ref: str, *, view: bool = True) -> dict[str, Any]:
    """Everything the diff page shows: the recorded diff and the side-by-side texts."""
    a = queries.get_article(session, a_ref)
    b = queries.get_article(session, b_ref)
    if a.id == b.id:
        raise UsageError("a and b are the same article; pick two different ones")
    diff = diff_articles(session, a.id, b.id)
    body, side = split_changes(diff["changes"])
    return {
        "diff": diff,
        "a": queries.article_json(session, a, text=False),
        "b": queries.article_json(session, b, text=False),
        "body_changes": body,
        "side_changes": side,
        "metadata": diff["metadata"],
        "view": side_by_side(a.text, b.text) if view else None,
    }


@router.get("/diff", response_class=HTMLResponse)
def diff_page(request: Request) -> HTMLResponse:
    a_ref = (request.query_params.get("a") or "").strip()
    b_ref = (request.query_params.get("b") or "").strip()
    if not a_ref or not b_ref:
        raise UsageError("give two articles to compare: /diff?a=ID&b=ID (ids or URLs)")
    with archive_of(request).session() as s:
        ctx = diff_context(s, a_ref, b_ref)
    return render(request, "diff.html", ctx)
