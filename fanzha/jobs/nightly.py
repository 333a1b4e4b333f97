"""The nightly job: crawl, then dedup, then index, in one locked and recorded run.

Nobody watches a nightly run, so it must never need watching:

- one writer at a time (``WriterLock``); a lock left by a killed run is taken over;
- one ``crawl_run`` row (kind ``nightly``) with per-site and per-stage figures and the
  errors per URL, and a log file per run in ``HOME/logs``;
- a stage that fails is recorded and the next stages still run (dedup and index catch up
  with whatever is archived); a site that is down makes the run ``partial``, exit 1;
- every stage is incremental and idempotent, so a run killed at any point is finished by
  the next one: the crawl skips archived URLs, dedup takes the articles still flagged
  ``needs_dedup``, the index those flagged ``needs_index``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from archive import Archive, runs
from archive.rawstore import atomic_write

from ..config import Settings
from .lock import WriterLock

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int | None], None]
STAGES = ("crawl", "dedup", "index")


@dataclass
class NightlyReport:
    run: int
    status: str = "running"
    summary: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return self.summary


def run_nightly(
    settings: Settings,
    *,
    sites_file: Path | None = None,
    progress: Progress | None = None,
    report_file: Path | None = None,
    stages: tuple[str, ...] = STAGES,
) -> NightlyReport:
    """Run the whole job under the writer lock; returns the recorded summary."""
    archive = settings.open_archive()
    with WriterLock(archive, "nightly"):
        runs.mark_dead_runs(archive)
        run_id, log_path = open_nightly(archive)
        handler = log_to(log_path)
        try:
            funcs = {**STAGE_FUNCS, "dedup": partial(stage_dedup, workers=settings.workers)}
            report = run_stages(archive, run_id, sites_file, progress, stages, funcs)
        finally:
            logging.getLogger().removeHandler(handler)
            handler.close()
    write_report(report, report_file)
    return report


def open_nightly(archive: Archive) -> tuple[int, Path]:
    """The nightly's run (kind ``nightly``, its process's start time kept so that a
    reused PID is not taken for it) and its log file, ``HOME/logs/run-NNNNN.log``."""
    pid = os.getpid()
    run_id = runs.open_run(
        archive,
        "nightly",
        figures={"pid_start": runs.process_start(pid)},
        log_name="run-{id:05d}.log",
    )
    return run_id, archive.log_dir / f"run-{run_id:05d}.log"


def write_report(report: NightlyReport, report_file: Path | None) -> None:
    """The run's summary as JSON in ``report_file`` (``--report FILE``), when given."""
    if report_file is not None:
        atomic_write(
            Path(report_file), json.dumps(report.summary, ensure_ascii=False, indent=2).encode()
        )


def log_to(path: Path) -> logging.Handler:
    """Log INFO and above to ``path`` (the run's log) until the handler is removed."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.INFO)  # Scrapy opens the root logger to DEBUG
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    return handler


def run_stages(
    archive: Archive,
    run_id: int,
    sites_file: Path | None,
    progress: Progress | None,
    stages: tuple[str, ...],
    funcs: dict[str, StageFunc],
    closing: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> NightlyReport:
    """Run the stages, then close the run (``archive.runs.close_run``) with their figures
    (``figures["stages"]``) and its status; ``closing(stage_figures)`` gives more
    arguments of ``close_run`` (the distributed nightly's crawl totals). The crawl stage
    recorded its own figures into the open run."""
    stage_figures: dict[str, Any] = {}
    crawl_status = "ok"
    failed: list[str] = []
    for name in stages:
        log.info("stage %s: started", name)
        t0 = time.monotonic()
        try:
            result = funcs[name](archive, run_id, sites_file, progress)
            stage_figures[name] = {**result, "seconds": round(time.monotonic() - t0, 2)}
            if name == "crawl":
                crawl_status = result.get("status", "ok")
            log.info("stage %s: done %s", name, _brief(stage_figures[name]))
        except Exception as exc:  # a failed stage is recorded; the next stages still run
            log.exception("stage %s failed", name)
            failed.append(name)
            stage_figures[name] = {
                "error": f"{type(exc).__name__}: {exc}",
                "seconds": round(time.monotonic() - t0, 2),
            }
            runs.add_error(archive, run_id, f"stage {name} failed: {type(exc).__name__}: {exc}")
    if len(failed) == len(stages) or crawl_status == "failed":
        status = "failed"  # nothing done: every stage failed, or no site could be reached
    elif failed or crawl_status != "ok":
        status = "partial"
    else:
        status = "ok"
    more = closing(stage_figures) if closing is not None else {}
    figures = {"stages": stage_figures, **more.pop("figures", {})}
    summary = runs.close_run(archive, run_id, status, figures=figures, count_errors=True, **more)
    return NightlyReport(run=run_id, status=status, summary=summary)


def _brief(figures: dict[str, Any]) -> str:
    """A stage's figures in one short line (per-site details are in the run's row)."""
    return ", ".join(f"{k} {v}" for k, v in figures.items() if not isinstance(v, dict | list))


def configured_profiles(sites_file: Path | None) -> list[Any]:
    """The sites a nightly crawls: those of ``sites_file``, else every built-in profile;
    never one marked ``enabled = false``."""
    from crawler.profiles import (
        enabled_profiles,
        load_profiles,
        read_profiles_file,
        select_profiles,
    )

    profiles = load_profiles(sites_file)
    if sites_file is not None:
        profiles = select_profiles(profiles, [p.key for p in read_profiles_file(sites_file)])
    return enabled_profiles(profiles)


def stage_crawl(
    archive: Archive, run_id: int, sites_file: Path | None, progress: Progress | None
) -> dict[str, Any]:
    """The crawl stage: the configured sites, recorded into the nightly's open run."""
    from crawler.runner import crawl

    # the crawl records its figures into the nightly's run and leaves it open
    report = crawl(archive, configured_profiles(sites_file), run=run_id, progress=progress)
    out = report.as_json()
    out.pop("error_list", None)
    return out


def stage_dedup(
    archive: Archive,
    run_id: int,
    sites_file: Path | None,
    progress: Progress | None,
    workers: int | None = None,
) -> dict[str, Any]:
    """The dedup stage over the rows flagged for it."""
    from archive.dedup import run_dedup

    report = run_dedup(archive, progress=_stage_progress("dedup", progress), workers=workers)
    return report.as_json()


def stage_index(
    archive: Archive, run_id: int, sites_file: Path | None, progress: Progress | None
) -> dict[str, Any]:
    """The index stage: the articles flagged for it into the search index."""
    from search import update_index

    return update_index(archive, progress=_stage_progress("index", progress)).as_json()


def _stage_progress(stage: str, progress: Progress | None) -> Callable[..., None] | None:
    if progress is None:
        return None

    def report(done: int, total: int | None = None, *_: Any) -> None:
        progress(stage, done, total)

    return report


StageFunc = Callable[[Archive, int, Path | None, Progress | None], dict[str, Any]]
STAGE_FUNCS: dict[str, StageFunc] = {
    "crawl": stage_crawl,
    "dedup": stage_dedup,
    "index": stage_index,
}
