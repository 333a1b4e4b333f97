"""Crawl runs (``crawl_run``): the one module that writes and reads a run's row.

A run is opened (``open_run``), gets figures while it is open (``record``, ``add_error``)
and is closed once (``close_run``: status, end time, totals). A closed run is never
written again: ``record`` and ``close_run`` on it raise ``RunClosed``. A job made of
stages (the nightly: crawl, dedup, index) opens its run, lets the crawl record its
figures into it (``crawler.runner.crawl(run=...)`` records, it does not close a run it
did not open), and closes it with the stages' figures at the end.

Listing and showing runs (``list_runs``, ``get_run``) are here too, for ``fanzha runs``,
``/api/runs`` and the runs pages, as ``RunJson``; times are shown by ``archive.times``.
``mark_dead_runs`` closes the runs whose process died (``killed``).

The crawler, ``fanzha.jobs`` and the web import this; it imports only the archive's models.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .db import Archive
from .errors import ArchiveError, NotFound
from .models import CrawlError, CrawlRun, utcnow
from .times import show_time

#: the figures a run totals (``CrawlRun`` columns; ``errors`` is ``error_count``)
TOTALS = ("pages", "new", "updated", "unchanged", "errors")


class RunClosed(ArchiveError):
    """A write to a run that is already closed (a run is closed once)."""


class RunError(TypedDict):
    """One error a run recorded (a page that failed, a site that could not be crawled)."""

    site: str | None
    url: str | None
    status: int | None  # the HTTP status, when there was a response
    error: str


class _RunCore(TypedDict):
    run: int
    kind: str  # crawl | nightly | worker
    status: str  # running | ok | partial | failed | killed
    pages: int
    new: int
    updated: int
    unchanged: int
    errors: int  # how many errors it recorded
    started: str | None  # archive.times.show_time: ISO 8601, China time
    finished: str | None
    sites: list[str]
    figures: dict[str, Any]  # per site and per stage; free-form, as each stage reports
    log: str | None


class RunJson(_RunCore, total=False):
    """A crawl or nightly run (``fanzha runs``, ``/api/runs``, the runs pages)."""

    error_list: list[RunError]  # only when asked for with the errors


# -- the process behind a run --------------------------------------------------------


def process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return None
    # Field 22, counted after the parenthesised command name (which may contain spaces).
    return stat.rsplit(")", 1)[1].split()[19]


def process_alive(pid: int, start_time: str | None) -> bool:
    """Is process ``pid`` still running (and still the same process, when its start
    time ``start_time`` was kept)?"""
    if os.path.isdir("/proc"):
        current = process_start(pid)
        return current is not None and (start_time is None or current == start_time)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- writing a run -------------------------------------------------------------------


def open_run(
    archive: Archive,
    kind: str,
    *,
    sites: Iterable[str] = (),
    figures: dict[str, Any] | None = None,
    log_name: str | None = None,
) -> int:
    """A new running run of this process; returns its id.

    Its figures start with this host (``mark_dead_runs`` needs it), then ``figures``;
    ``log_name`` (``"run-{id:05d}.log"``) names its log file in ``HOME/logs``."""
    with archive.session() as s:
        run = CrawlRun(
            kind=kind,
            sites=list(sites),
            pid=os.getpid(),
            status="running",
            figures={"host": socket.gethostname(), **(figures or {})},
        )
        s.add(run)
        s.flush()
        if log_name is not None:
            archive.log_dir.mkdir(parents=True, exist_ok=True)
            run.log_path = str(archive.log_dir / log_name.format(id=run.id))
        return run.id


def _row(s: Session, run_id: int) -> CrawlRun:
    run = s.get(CrawlRun, run_id)
    if run is None:
        raise NotFound(f"no crawl run {run_id}")
    return run


def _open_row(s: Session, run_id: int) -> CrawlRun:
    run = _row(s, run_id)
    if run.finished_at is not None:
        raise RunClosed(f"crawl run {run_id} is closed ({run.status}); it is not written again")
    return run


def _apply(
    run: CrawlRun,
    totals: dict[str, int] | None,
    sites: Iterable[str] | None,
    figures: dict[str, Any] | None,
) -> None:
    if totals is not None:
        for key in TOTALS:
            if key in totals:
                setattr(run, "error_count" if key == "errors" else key, int(totals[key] or 0))
    if sites is not None:
        run.sites = sorted(set(run.sites or []) | set(sites))
    if figures:
        run.figures = {**(run.figures or {}), **figures}


def record(
    archive: Archive,
    run_id: int,
    *,
    totals: dict[str, int] | None = None,
    sites: Iterable[str] | None = None,
    figures: dict[str, Any] | None = None,
    pid: int | None = None,
    log_path: Path | str | None = None,
) -> None:
    """Write figures into an open run: ``totals`` (pages, new, updated, unchanged,
    errors) replace its totals, ``sites`` are added to its sites, ``figures`` are merged
    into its figures (key by key), ``pid`` is the process now working for it and
    ``log_path`` its log when it has none. RunClosed if the run is closed."""
    with archive.session() as s:
        run = _open_row(s, run_id)
        _apply(run, totals, sites, figures)
        if pid is not None:
            run.pid = pid
        if log_path is not None and not run.log_path:
            run.log_path = str(log_path)


def add_error(
    archive: Archive,
    run_id: int,
    error: str,
    *,
    site: str | None = None,
    url: str | None = None,
    status: int | None = None,
) -> None:
    """One error of an open run (a stage that failed; a page's errors come in batches
    with the crawler's writes)."""
    with archive.session() as s:
        _open_row(s, run_id)
        s.add(CrawlError(run_id=run_id, site=site, url=url, status=status, error=error))


def close_run(
    archive: Archive,
    run_id: int,
    status: str,
    *,
    totals: dict[str, int] | None = None,
    sites: Iterable[str] | None = None,
    replace_sites: bool = False,
    figures: dict[str, Any] | None = None,
    count_errors: bool = False,
) -> RunJson:
    """Close an open run with its ``status`` and last figures (as ``record``; with
    ``replace_sites`` the sites are exactly ``sites``; with ``count_errors`` its error
    total is the number of errors it recorded); returns it. RunClosed if it is closed."""
    with archive.session() as s:
        run = _open_row(s, run_id)
        if replace_sites:
            run.sites = []
        _apply(run, totals, sites, figures)
        run.status = status
        run.finished_at = utcnow()
        if count_errors:
            run.error_count = len(run.errors)
        return run_json(run)


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


# -- reading runs --------------------------------------------------------------------


def run_json(run: CrawlRun, errors: Iterable[CrawlError] | None = None) -> RunJson:
    """The crawl/nightly shape of docs/contracts.md, plus the times (``show_time``) and
    per-site figures; ``error_list`` when ``errors`` are given."""
    out: RunJson = {
        "run": run.id,
        "kind": run.kind,
        "status": run.status,
        "pages": run.pages,
        "new": run.new,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "errors": run.error_count,
        "started": show_time(run.started_at),
        "finished": show_time(run.finished_at),
        "sites": run.sites,
        "figures": run.figures,
        "log": run.log_path,
    }
    if errors is not None:
        out["error_list"] = [
            {"site": e.site, "url": e.url, "status": e.status, "error": e.error} for e in errors
        ]
    return out


def list_runs(
    session: Session, limit: int = 20, offset: int = 0, *, errors: int | None = None
) -> list[RunJson]:
    """The latest runs first; each with its first ``errors`` errors when that is given."""
    stmt = select(CrawlRun).order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
    if errors is not None:
        stmt = stmt.options(selectinload(CrawlRun.errors))
    runs = session.scalars(stmt.limit(limit).offset(offset))
    if errors is None:
        return [run_json(r) for r in runs]
    return [run_json(r, r.errors[:errors]) for r in runs]


def get_run(session: Session, run_id: int) -> RunJson:
    """One run with all its errors, or NotFound."""
    run = _row(session, run_id)
    return run_json(run, run.errors)


def started_at(archive: Archive, run_id: int) -> datetime:
    """When run ``run_id`` started (UTC), or NotFound."""
    with archive.session() as s:
        return _row(s, run_id).started_at


def worker_runs_since(archive: Archive, since: datetime) -> list[RunJson]:
    """The ``fanzha worker`` runs that started at or after ``since``."""
    with archive.session() as s:
        rows = s.scalars(
            select(CrawlRun)
            .where(CrawlRun.kind == "worker", CrawlRun.started_at >= since)
            .order_by(CrawlRun.id)
        )
        return [run_json(r) for r in rows]
