"""The runs page: crawl and nightly history, per-site figures, errors."""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from archive import runs as crawl_runs

from ..inputs import Id, int_param
from ..pages import render
from ..state import archive_of

router = APIRouter(include_in_schema=False)
PER_PAGE = 30


@router.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request) -> HTMLResponse:
    page = int_param(request.query_params.get("page"), "page", 1, 1, 100_000)
    archive = archive_of(request)
    with archive.session() as s:
        runs = crawl_runs.list_runs(s, limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE, errors=5)
    context = {"runs": runs[:PER_PAGE], "page": page, "more": len(runs) > PER_PAGE}
    return render(request, "runs.html", {**context, **frontier_status(archive)})


def frontier_status(archive: Any) -> dict[str, Any]:
    """The distributed crawl's frontier (as ``fanzha status``) when ``FANZHA_REDIS`` is
    set and the archive is shared; a one-line reason when Redis does not answer."""
    url = os.environ.get("FANZHA_REDIS")
    if not url or archive.is_sqlite:
        return {}
    from crawler.frontier import Frontier, FrontierError

    try:
        frontier = Frontier.open(url, archive.engine.url.render_as_string(False))
        return {"frontier": frontier.status()}
    except FrontierError as exc:
        return {"frontier_error": str(exc)}


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: Id) -> HTMLResponse:
    with archive_of(request).session() as s:
        run = crawl_runs.get_run(s, run_id)
    return render(request, "run.html", {"run": run})
