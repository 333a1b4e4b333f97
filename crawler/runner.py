"""Running the spiders in-process: ``crawl(archive, profiles) -> CrawlReport``.

Scrapy runs on the Twisted reactor, which cannot be started twice in one process
(``ReactorNotRestartable``): call ``crawl`` once per process. The web UI, the nightly
job and tests that crawl more than once run ``python -m fanzha crawl`` in a
subprocess. Scrapy's log goes to ``HOME/logs/crawl-<run>.log``, not the terminal.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from archive import Archive
from archive.extract.warmup import warm_up
from archive.models import CrawlError, CrawlRun

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

    ``run`` is an existing crawl_run id to record into (the nightly job makes one);
    ``settings`` are Scrapy settings that override the project's (e.g. a short
    DOWNLOAD_DELAY for local sites); ``guard``: the once-per-process guard (``REACTOR``).
    Status: ok, partial (a site not reached at all, or the crawl interrupted) or failed
    (no site reached).
    """
    guard = guard or REACTOR
    if guard.started:
        raise CrawlFailed(
            "a crawl already ran in this process (the Twisted reactor cannot restart); "
            "run each crawl in its own process"
        )
    if not profiles:
        raise CrawlerError("no sites to crawl")
    from scrapy.crawler import AsyncCrawlerProcess

    from .spiders.site import SiteSpider

    s = scrapy_settings(archive, settings)
    ctx = CrawlContext(
        archive,
        run_id=run,
        sites=[p.key for p in profiles],
        refresh=refresh,
        warc=s.getbool("FANZHA_WARC"),
        warc_max_size=s.getint("FANZHA_WARC_MAX_SIZE"),
        batch_size=s.getint("FANZHA_BATCH_SIZE"),
        batch_seconds=s.getfloat("FANZHA_BATCH_SECONDS"),
        progress=progress,
        managed=True,
    )
    log_path = archive.log_dir / f"crawl-{ctx.run_id}.log"
    archive.log_dir.mkdir(parents=True, exist_ok=True)
    if not s.get("LOG_FILE") and s.getbool("LOG_ENABLED"):
        s.set("LOG_FILE", str(log_path), priority="cmdline")
    with archive.session() as sess:
        row = sess.get(CrawlRun, ctx.run_id)
        if row is not None:
            row.log_path = row.log_path or str(log_path)  # a nightly run has its own
            row.pid = os.getpid()
            row.sites = sorted(set(row.sites or []) | {p.key for p in profiles})
    warm_up()  # no model loads inside the reactor (it would stall downloads)
    set_context(ctx)
    guard.started = True
    try:
        chosen_levels = _explicit_levels("scrapy", "twisted")
        process = AsyncCrawlerProcess(s)  # (its configure_logging resets those loggers)
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
        summary = ctx.finish(status)
        if interrupted:
            _mark(archive, ctx.run_id, interrupted=True)
    finally:
        set_context(None)
        if ctx.warc is not None:
            ctx.warc.close()
        _detach_log_handlers()
    report = _report(archive, ctx, summary, str(log_path))
    for key, reason in report.unreached().items():  # one line each; details in the log
        log.warning("site %s could not be crawled: %s; details in %s", key, reason, log_path)
    return report


def _mark(archive: Archive, run_id: int, **flags: Any) -> None:
    with archive.session() as s:
        row = s.get(CrawlRun, run_id)
        if row is not None:
            row.figures = {**(row.figures or {}), **flags}


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
