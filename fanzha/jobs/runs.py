"""Run records (``crawl_run``): listing them, and marking runs whose process died."""

from __future__ import annotations

import socket
from typing import Any, TypedDict

from sqlalchemy import select

from archive import Archive
from archive.models import CrawlError, CrawlRun, utcnow

from .lock import process_alive


class RunError(TypedDict):
    """One error a run recorded (a page that failed, a site that could not be crawled)."""

    site: str | None
    url: str | None
    status: int | None  # the HTTP status, when there was a response
    error: str


class _RunCore(TypedDict):
    run: int
    kind: str  # crawl | nightly
    status: str  # running | ok | partial | failed | killed
    pages: int
    new: int
    updated: int
    unchanged: int
    errors: int  # how many errors it recorded
    started: str | None
    finished: str | None
    sites: list[str]
    figures: dict[str, Any]  # per site and per stage; free-form, as each stage reports
    log: str | None


class RunJson(_RunCore, total=False):
    """A crawl or nightly run (``fanzha runs``, ``/api/runs``, the runs pages)."""

    error_list: list[RunError]  # only when asked for with the errors


def run_json(run: CrawlRun, errors: list[CrawlError] | None = None) -> RunJson:
    """The crawl/nightly shape of docs/contracts.md, plus the times and per-site figures."""
    out: RunJson = {
        "run": run.id,
        "kind": run.kind,
        "status": run.status,
        "pages": run.pages,
        "new": run.new,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "errors": run.error_count,
        "started": run.started_at.isoformat() if run.started_at else None,
        "finished": run.finished_at.isoformat() if run.finished_at else None,
        "sites": run.sites,
        "figures": run.figures,
        "log": run.log_path,
    }
    if errors is not None:
        out["error_list"] = [
            {"site": e.site, "url": e.url, "status": e.status, "error": e.error} for e in errors
        ]
    return out


def mark_dead_runs(archive: Archive) -> int:
    """Runs still 'running' whose process is gone on this host become 'killed'."""
    host = socket.gethostname()
    n = 0
    with archive.session() as s:
        for run in s.scalars(select(CrawlRun).where(CrawlRun.status == "running")):
            holder_host = (run.figures or {}).get("host")
            if (
                run.pid
                and holder_host == host
                and not process_alive(run.pid, (run.figures or {}).get("pid_start"))
            ):
                run.status = "killed"
                run.finished_at = run.finished_at or utcnow()
                n += 1
    return n


def list_runs(archive: Archive, limit: int = 20) -> list[RunJson]:
    mark_dead_runs(archive)
    with archive.session() as s:
        runs = s.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)).all()
        return [run_json(r) for r in runs]


def run_detail(archive: Archive, run_id: int) -> RunJson | None:
    with archive.session() as s:
        run = s.get(CrawlRun, run_id)
        if run is None:
            return None
        return run_json(run, list(run.errors))
