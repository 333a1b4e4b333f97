"""``fanzha nightly --distributed``: the coordinator of a crawl done by workers elsewhere.

It enqueues the sites, waits (up to a deadline) for the frontier to drain while the
``fanzha worker`` processes on other hosts crawl, then runs dedup and index under the
dedup/index lock, all in one ``crawl_run`` (kind ``nightly``) with per-site and
per-worker figures. The crawl itself takes no lock: any number of workers write at
once on PostgreSQL; dedup takes the flagged rows committed before it starts.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select

from archive import Archive
from archive.models import CrawlRun
from archive.rawstore import atomic_write

from ..config import Settings
from .lock import WriterLock
from .nightly import (
    STAGE_FUNCS,
    STAGES,
    NightlyReport,
    Progress,
    StageFunc,
    _log_to,
    _run_stages,
    _stage_dedup,
    _start,
    configured_profiles,
)
from .runs import mark_dead_runs

log = logging.getLogger(__name__)

FIGURES = ("pages", "new", "updated", "unchanged", "errors")


def run_distributed_nightly(
    settings: Settings,
    *,
    redis: str | None,
    sites_file: Path | None = None,
    deadline_seconds: float = 6 * 3600,
    progress: Progress | None = None,
    report_file: Path | None = None,
) -> NightlyReport:
    """Enqueue, wait for the workers to drain the frontier, then dedup and index."""
    from crawler.frontier import Frontier
    from crawler.worker import require_shared_archive

    archive = settings.open_archive()
    require_shared_archive(archive)
    frontier = Frontier.open(redis, archive.engine.url.render_as_string(False))
    mark_dead_runs(archive)
    run_id, log_path = _start(archive)
    handler = _log_to(log_path)
    try:
        funcs = {
            "crawl": _crawl_stage(frontier, deadline_seconds),
            "dedup": _locked("dedup", partial(_stage_dedup, workers=settings.workers)),
            "index": _locked("index", STAGE_FUNCS["index"]),
        }
        _run_stages(archive, run_id, sites_file, progress, STAGES, funcs)
        report = _merge(archive, run_id)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    if report_file is not None:
        atomic_write(
            Path(report_file), json.dumps(report.summary, ensure_ascii=False, indent=2).encode()
        )
    return report


def _locked(stage: str, func: StageFunc) -> StageFunc:
    """A stage run under the archive's lock: dedup and index one at a time, while
    any number of workers go on writing (they hold no lock)."""

    def run(
        archive: Archive, run_id: int, sites_file: Path | None, progress: Progress | None
    ) -> dict[str, Any]:
        with WriterLock(archive, f"nightly {stage}"):
            return func(archive, run_id, sites_file, progress)

    return run


def _crawl_stage(frontier: Any, deadline_seconds: float) -> Any:
    def stage(
        archive: Archive, run_id: int, sites_file: Path | None, progress: Progress | None
    ) -> dict[str, Any]:
        from crawler.worker import enqueue, wait_until_idle

        with archive.session() as s:
            started = s.get(CrawlRun, run_id).started_at  # type: ignore[union-attr]
        profiles = configured_profiles(sites_file)
        queued = enqueue(frontier, profiles)
        log.info("enqueued %s; waiting for the workers", queued)
        drained = wait_until_idle(frontier, time.monotonic() + deadline_seconds)
        out = _figures(archive, frontier, started, run_id)
        out.update(queued=queued["requests"], drained=drained)
        if not drained:
            out["status"] = "partial"
            log.warning("the frontier did not drain within %.0f s", deadline_seconds)
        return out

    return stage


def _figures(archive: Archive, frontier: Any, since: datetime, run_id: int) -> dict[str, Any]:
    """Per-site and per-worker figures: the worker runs that started since ``since``
    (finished ones from their crawl_run rows, live ones from their heartbeats)."""
    workers: dict[str, dict[str, Any]] = {}
    with archive.session() as s:
        rows = s.scalars(
            select(CrawlRun).where(CrawlRun.kind == "worker", CrawlRun.started_at >= since)
        ).all()
        for row in rows:
            fig = row.figures or {}
            workers[fig.get("worker", str(row.id))] = {
                "run": row.id,
                "status": row.status,
                "sites": fig.get("sites", {}),
            }
    for live in frontier.status()["workers"]:
        if live["worker"] not in workers or not workers[live["worker"]]["sites"]:
            workers[live["worker"]] = {
                "run": live.get("run"),
                "status": "running",
                "sites": live.get("sites", {}),
            }
    sites: dict[str, dict[str, Any]] = {}
    for w in workers.values():
        for key, fig in w["sites"].items():
            into = sites.setdefault(key, dict.fromkeys(FIGURES, 0) | {"ok_pages": 0})
            for k in (*FIGURES, "ok_pages"):
                into[k] += int(fig.get(k, 0))
    totals = {k: sum(f[k] for f in sites.values()) for k in FIGURES}
    reached = [f["ok_pages"] > 0 for f in sites.values()]
    status = "ok" if reached and all(reached) else ("partial" if any(reached) else "failed")
    per_worker = {
        name: {
            "run": w["run"],
            "status": w["status"],
            **{k: sum(int(f.get(k, 0)) for f in w["sites"].values()) for k in FIGURES},
        }
        for name, w in workers.items()
    }
    return {"status": status, **totals, "sites": sites, "workers": per_worker}


def _merge(archive: Archive, run_id: int) -> NightlyReport:
    """The run's row with the crawl's totals and per-site figures on top."""
    from .runs import run_json

    with archive.session() as s:
        run = s.get(CrawlRun, run_id)
        assert run is not None
        crawl = (run.figures or {}).get("stages", {}).get("crawl", {})
        for k in FIGURES[:-1]:
            setattr(run, k, int(crawl.get(k, 0) or 0))
        run.sites = sorted(crawl.get("sites", {}))
        run.figures = {
            **(run.figures or {}),
            "sites": crawl.get("sites", {}),
            "workers": crawl.get("workers", {}),
            "distributed": True,
        }
        if crawl.get("status") == "failed" and run.status != "failed":
            run.status = "failed"
        summary = run_json(run)
        return NightlyReport(run=run_id, status=run.status, summary=summary)
