"""Running the spiders in-process: ``crawl(archive, profiles) -> CrawlReport``.

Scrapy runs on the Twisted reactor, which cannot be started twice in one process
(``ReactorNotRestartable``): call ``crawl`` once per process. The web UI, the nightly
job and tests that crawl more than once run ``python -m fanzha crawl`` in a
subprocess. Scrapy's log goes to ``HOME/logs/crawl-<run>.log``, not the terminal.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from archive import Archive, runs
from archive.extract.warmup import warm_up
from archive.models import CrawlError

from .context import CrawlContext, Progress, set_context
from .errors import CrawlerError, CrawlFailed
from .profiles import SiteProfile

log = logging.getLogger(__name__)

DEFAULT_SETTINGS_MODULE = "crawler.settings"

# For sites served on 127.0.0.1 (the demo, the benchmark, the tests): no politeness
# delays, which only matter for other people's servers.
LOCAL_SITES: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_DELAY_JITTER": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "FANZHA_RETRY_BACKOFF_BASE": 0.2,
}


@dataclass
class ReactorGuard:
    """Whether a crawl ran in this process: Twisted's reactor cannot start twice, so a
    second crawl in one process is refused. One per process (``REACTOR``); a caller
    that wants its own (a test) passes a fresh one."""

    started: bool = False


REACTOR = ReactorGuard()


@dataclass
class CrawlReport:
    """The outcome of a crawl: the crawl shape of docs/contracts.md plus per-site figures and errors."""

    run: int
    status: str
    pages: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)
    error_list: list[dict[str, Any]] = field(default_factory=list)
    log_path: str | None = None

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "ok" else 1

    def unreached(self) -> dict[str, str]:
        """Sites that answered no request at all, each with its first error."""
        out = {}
        for key, fig in self.sites.items():
            if not fig.get("ok_pages"):
                first = next((e for e in self.error_list if e["site"] == key), None)
                # The kind of error ("connection refused", "HTTP 500"), not its long text.
                reason = first["error"].split(":", 1)[0].strip() if first else ""
                out[key] = f"{reason} ({first['url']})" if first else "no page answered"
        return out

    def as_json(self, max_errors: int = 200) -> dict[str, Any]:
        """docs/contracts.md's crawl shape; ``error_list`` holds the first ``max_errors`` errors
        (all of them are in the run's crawl_error rows)."""
        return {
            "run": self.run,
            "status": self.status,
            "pages": self.pages,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "sites": self.sites,
            "error_list": self.error_list[:max_errors],
        }


def scrapy_settings(archive: Archive, overrides: dict[str, Any] | None = None) -> Any:
    """The project's Scrapy settings with the archive's location at "cmdline" priority."""
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", DEFAULT_SETTINGS_MODULE)
    settings = get_project_settings()
    settings.setdict(
        {
            "FANZHA_HOME": str(archive.home),
            "FANZHA_DB": archive.engine.url.render_as_string(hide_password=False),
        },
        priority="cmdline",
    )
    if overrides:
        settings.setdict(overrides, priority="cmdline")
    return settings


@dataclass
class CrawlSetup:
    """What ``set_up`` prepares for one crawl process: Scrapy's settings, the context
    (with its run) and the log file Scrapy writes."""

    settings: Any
    ctx: CrawlContext
    log_path: Path


CRAWLED_ALREADY = (
    "a crawl already ran in this process (the Twisted reactor cannot restart); "
    "run each crawl in its own process"
)


def refuse_second_crawl(guard: ReactorGuard | None, refused: str = CRAWLED_ALREADY) -> ReactorGuard:
    """``guard`` (default ``REACTOR``), or CrawlFailed(``refused``) when a crawl ran in this process."""
    guard = guard or REACTOR
    if guard.started:
        raise CrawlFailed(refused)
    return guard


def set_up(
    archive: Archive,
    *,
    kind: str = "crawl",
    run: int | None = None,
    sites: list[str] | None = None,
    settings: dict[str, Any] | None = None,
    guard: ReactorGuard | None = None,
    refused: str = CRAWLED_ALREADY,
    context: Callable[..., CrawlContext] = CrawlContext,
    figures: dict[str, Any] | None = None,
    **context_args: Any,
) -> CrawlSetup:
    """The set-up of every crawl process (``crawl``, ``crawler.worker.run_worker``):
    refuse a second crawl in this process, Scrapy's settings with ``settings`` over the
    project's, the run (``run``, or one opened here of ``kind`` with ``figures``), the
    context (``context(archive, run_id=…, **context_args)``), Scrapy's log in
    ``HOME/logs/<kind>-<run>.log``, and the extraction models loaded; the context is the
    process's from here on. The caller runs Scrapy, then ``tear_down``."""
    guard = refuse_second_crawl(guard, refused)
    s = scrapy_settings(archive, settings)
    sites = sorted(set(sites or []))
    given = run is not None
    if run is None:
        run = runs.open_run(
            archive, kind, sites=sites, figures=figures, log_name=f"{kind}-{{id}}.log"
        )
    ctx = context(
        archive,
        run_id=run,
        warc=s.getbool("FANZHA_WARC"),
        warc_max_size=s.getint("FANZHA_WARC_MAX_SIZE"),
        batch_size=s.getint("FANZHA_BATCH_SIZE"),
        batch_seconds=s.getfloat("FANZHA_BATCH_SECONDS"),
        managed=True,
        owns_run=not given,
        **context_args,
    )
    log_path = archive.log_dir / f"{kind}-{ctx.run_id}.log"
    archive.log_dir.mkdir(parents=True, exist_ok=True)
    if not s.get("LOG_FILE") and s.getbool("LOG_ENABLED"):
        s.set("LOG_FILE", str(log_path), priority="cmdline")
    if given:  # a run of the caller's (a nightly's, with its own log): this process crawls
        runs.record(archive, run, pid=os.getpid(), sites=sites, log_path=log_path)
    warm_up()  # no model loads inside the reactor (it would stall downloads)
    set_context(ctx)
    guard.started = True
    return CrawlSetup(s, ctx, log_path)


def tear_down(ctx: CrawlContext) -> None:
    """After Scrapy stopped: the context is no longer the process's, the WARC file is
    closed and Scrapy's log is complete."""
    set_context(None)
    if ctx.warc is not None:
        ctx.warc.close()
    _detach_log_handlers()


def crawl(
    archive: Archive,
    profiles: list[SiteProfile],
    *,
    refresh: bool = False,
    run: int | None = None,
    progress: Progress | None = None,
    settings: dict[str, Any] | None = None,
    guard: ReactorGuard | None = None,
) -> CrawlReport:
    """Crawl ``profiles`` into ``archive`` and record the run (once per process).

    ``run`` is an existing crawl_run id to record into (the nightly job opens one and
    closes it after its other stages: the crawl records its figures into it and leaves
    it open); without it the crawl opens its run and closes it. ``settings`` are Scrapy
    settings that override the project's (e.g. a short DOWNLOAD_DELAY for local sites);
    ``guard``: the once-per-process guard (``REACTOR``).
    Status: ok, partial (a site not reached at all, or the crawl interrupted) or failed
    (no site reached).
    """
    refuse_second_crawl(guard)
    if not profiles:
        raise CrawlerError("no sites to crawl")
    from scrapy.crawler import AsyncCrawlerProcess

    from .spiders.site import SiteSpider

    keys = [p.key for p in profiles]
    setup = set_up(
        archive,
        run=run,
        sites=keys,
        settings=settings,
        guard=guard,
        refresh=refresh,
        progress=progress,
    )
    ctx, log_path = setup.ctx, setup.log_path
    try:
        chosen_levels = _explicit_levels("scrapy", "twisted")
        process = AsyncCrawlerProcess(
            setup.settings
        )  # (its configure_logging resets those loggers)
        for name, level in chosen_levels.items():  # a caller's choice (the nightly) stands
            logging.getLogger(name).setLevel(level)
        for prof in profiles:
            ctx.site(prof.key)
            process.crawl(SiteSpider, profile=prof)
        process.start()
        interrupted = any(f.finish_reason == "shutdown" for f in ctx.figures.values())
        status = "partial" if interrupted and ctx.status() == "ok" else None
        if getattr(process, "bootstrap_failed", False) and not any(
            f.pages for f in ctx.figures.values()
        ):
            status = "failed"
        if ctx.writer.fatal:
            status = "failed" if not ctx.totals()["new"] else "partial"
        summary = ctx.finish(status, **({"interrupted": True} if interrupted else {}))
    finally:
        tear_down(ctx)
    report = _report(archive, ctx, summary, str(log_path))
    for key, reason in report.unreached().items():  # one line each; details in the log
        log.warning("site %s could not be crawled: %s; details in %s", key, reason, log_path)
    return report


def _report(
    archive: Archive, ctx: CrawlContext, summary: dict[str, Any], log_path: str
) -> CrawlReport:
    with archive.session() as s:
        errors = [
            {"site": e.site, "url": e.url, "status": e.status, "error": e.error}
            for e in s.scalars(
                select(CrawlError).where(CrawlError.run_id == ctx.run_id).order_by(CrawlError.id)
            )
        ]
    return CrawlReport(
        run=summary["run"],
        status=summary["status"],
        pages=summary["pages"],
        new=summary["new"],
        updated=summary["updated"],
        unchanged=summary["unchanged"],
        errors=summary["errors"],
        sites={k: f.as_json() for k, f in ctx.figures.items()},
        error_list=errors,
        log_path=log_path,
    )


def _explicit_levels(*names: str) -> dict[str, int]:
    return {n: logging.getLogger(n).level for n in names if logging.getLogger(n).level}


def _detach_log_handlers() -> None:
    """Close Scrapy's log file handler so the log is complete when we return."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.FileHandler):
            handler.flush()
