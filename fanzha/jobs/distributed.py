"""``fanzha nightly --distributed``: the coordinator of a crawl done by workers elsewhere.

It enqueues the sites, waits (up to a deadline) for the frontier to drain while the
``fanzha worker`` processes on other hosts crawl, then runs dedup and index under the
dedup/index lock, all in one ``crawl_run`` (kind ``nightly``) with per-site and
per-worker figures. The crawl itself takes no lock: any number of workers write at
once on PostgreSQL; dedup takes the flagged rows committed before it starts.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from archive import Archive, runs

from ..config import Settings
from .lock import WriterLock
from .nightly import (
    STAGE_FUNCS,
    STAGES,
    NightlyReport,
    Progress,
    StageFunc,
    configured_profiles,
    log_to,
    open_nightly,
    run_stages,
    stage_dedup,
    write_report,
)

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
    runs.mark_dead_runs(archive)
    run_id, log_path = open_nightly(archive)
    handler = log_to(log_path)
    try:
        funcs = {
            "crawl": _crawl_stage(frontier, deadline_seconds),
            "dedup": _locked("dedup", partial(stage_dedup, workers=settings.workers)),
            "index": _locked("index", STAGE_FUNCS["index"]),
        }
        report = run_stages(archive, run_id, sites_file, progress, STAGES, funcs, _crawl_totals)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    write_report(report, report_file)
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

        started = runs.started_at(archive, run_id)
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
    for row in runs.worker_runs_since(archive, since):
        fig = row["figures"] or {}
        workers[fig.get("worker", str(row["run"]))] = {
            "run": row["run"],
            "status": row["status"],
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


def _crawl_totals(stage_figures: dict[str, Any]) -> dict[str, Any]:
    """What the run is closed with besides its stages: the workers' crawl totals, sites
    and per-worker figures (``archive.runs.close_run`` arguments)."""
    crawl = stage_figures.get("crawl", {})
    return {
        "totals": {k: int(crawl.get(k, 0) or 0) for k in FIGURES[:-1]},
        "sites": sorted(crawl.get("sites", {})),
        "replace_sites": True,
        "figures": {
            "sites": crawl.get("sites", {}),
            "workers": crawl.get("workers", {}),
            "distributed": True,
        },
    }
