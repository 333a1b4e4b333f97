"""What the crawler's components share within one process: the archive, the run, the
WARC writer, the per-site figures and the batched database writer.

Scrapy builds a separate set of components for each site's crawler; they all find
this one context through ``get_context(settings)``. ``crawler.runner.crawl`` creates
it with the caller's archive; ``scrapy crawl site -a site=KEY`` lets the first
component create it from the ``FANZHA_*`` settings.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select

from archive import Archive, runs
from archive.models import Article, ArticleAlias, SeenUrl
from archive.warcstore import WarcWriter

from .batch import BatchWriter

log = logging.getLogger(__name__)

# progress(stage, done, total): the shape every stage's progress callback has
Progress = Callable[[str, int, int | None], None]

# seen_url verdicts that mean "do not download again unless --refresh"
FINAL_VERDICTS = ("article", "irrelevant", "not-html")


@dataclass
class SiteFigures:
    """Per-site figures of a run (crawl_run.figures[site])."""

    pages: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    seconds: float = 0.0
    ok_pages: int = 0  # responses below 400 (the site answered)
    articles_seen: int = 0
    not_articles: int = 0
    irrelevant: int = 0
    skipped_known: int = 0
    robots_blocked: int = 0
    finish_reason: str | None = None
    started: float = field(default_factory=time.monotonic)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("started")
        data["seconds"] = round(self.seconds, 2)
        return data


class CrawlContext:
    """One crawl run's shared state (one per process)."""

    def __init__(
        self,
        archive: Archive,
        *,
        run_id: int | None = None,
        sites: list[str] | None = None,
        refresh: bool = False,
        warc: bool = True,
        warc_max_size: int = 100 * 1024 * 1024,
        batch_size: int = 200,
        batch_seconds: float = 1.0,
        progress: Progress | None = None,
        managed: bool = False,
        owns_run: bool | None = None,
    ) -> None:
        self.archive = archive
        self.refresh = refresh
        self.managed = managed  # True: the runner finishes the run, not the extension
        self.progress = progress
        self.figures: dict[str, SiteFigures] = {}
        self.warc = WarcWriter(archive.warc_dir, max_size=warc_max_size) if warc else None
        # A run it opens, it closes; a run it is given (a nightly's), it records into
        # and leaves open for its owner to close (``archive.runs``).
        self.owns_run = run_id is None if owns_run is None else owns_run
        self.run_id = (
            run_id if run_id is not None else runs.open_run(archive, "crawl", sites=sites or [])
        )
        self.writer = BatchWriter(self, batch_size=batch_size, batch_seconds=batch_seconds)
        self.finished = False
        self.summary: dict[str, Any] | None = None

    def site(self, key: str) -> SiteFigures:
        if key not in self.figures:
            self.figures[key] = SiteFigures()
        return self.figures[key]

    def known_urls(self, key: str) -> set[str]:
        """URLs of site ``key`` not to download again: its articles and final verdicts."""
        if self.refresh:
            return set()
        with self.archive.session() as s:
            urls = set(s.scalars(select(Article.url).where(Article.site == key)).all())
            urls.update(  # the further pages of articles split over pages
                s.scalars(
                    select(ArticleAlias.url)
                    .join(Article, Article.id == ArticleAlias.article_id)
                    .where(Article.site == key)
                ).all()
            )
            urls.update(
                s.scalars(
                    select(SeenUrl.url).where(
                        SeenUrl.site == key, SeenUrl.verdict.in_(FINAL_VERDICTS)
                    )
                ).all()
            )
        return urls

    def record_error(
        self, site: str, url: str | None, error: str, status: int | None = None
    ) -> None:
        self.site(site).errors += 1
        self.writer.add_error(site, url, error, status)

    def notify(self, site: str) -> None:
        if self.progress:
            try:
                self.progress(f"crawl {site}", self.site(site).pages, None)
            except Exception:  # a progress display must never break a crawl
                log.exception("progress callback failed")

    def totals(self) -> dict[str, int]:
        keys = ("pages", "new", "updated", "unchanged", "errors")
        return {k: sum(getattr(f, k) for f in self.figures.values()) for k in keys}

    def status(self) -> str:
        """ok, partial (a site not reached at all) or failed (no site reached)."""
        if not self.figures:
            return "failed"
        reached = [f.ok_pages > 0 for f in self.figures.values()]
        if all(reached):
            return "ok"
        return "partial" if any(reached) else "failed"

    def finish(self, status: str | None = None, **flags: Any) -> dict[str, Any]:
        """Flush what is pending, close the WARC file, write the crawl's figures into the
        run (``flags``, e.g. ``interrupted=True``, after the per-site figures): close it
        when this context opened it, else leave it open for its owner. Once only: a
        second call returns the first one's summary."""
        if self.summary is not None:
            return self.summary
        self.writer.flush()
        if self.warc is not None:
            self.warc.close()
        status = status or self.status()
        totals = self.totals()
        figures = {"sites": {k: f.as_json() for k, f in self.figures.items()}, **flags}
        if self.owns_run:
            runs.close_run(
                self.archive,
                self.run_id,
                status,
                totals=totals,
                sites=self.figures,
                figures=figures,
            )
        else:
            runs.record(
                self.archive, self.run_id, totals=totals, sites=self.figures, figures=figures
            )
        self.finished = True
        self.summary = {"run": self.run_id, "status": status, **totals}
        return self.summary


_CONTEXT: CrawlContext | None = None


def set_context(ctx: CrawlContext | None) -> None:
    global _CONTEXT
    _CONTEXT = ctx


def get_context(settings: Any) -> CrawlContext:
    """The process's context, created from the FANZHA_* settings on first use."""
    global _CONTEXT
    if _CONTEXT is None:
        archive = Archive.open(settings.get("FANZHA_HOME"), settings.get("FANZHA_DB") or None)
        run_id = settings.get("FANZHA_RUN_ID")
        _CONTEXT = CrawlContext(
            archive,
            run_id=int(run_id) if run_id else None,
            refresh=settings.getbool("FANZHA_REFRESH"),
            warc=settings.getbool("FANZHA_WARC"),
            warc_max_size=settings.getint("FANZHA_WARC_MAX_SIZE"),
            batch_size=settings.getint("FANZHA_BATCH_SIZE"),
            batch_seconds=settings.getfloat("FANZHA_BATCH_SECONDS"),
        )
    return _CONTEXT
