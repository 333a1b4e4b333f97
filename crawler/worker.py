"""Distributed crawling: ``enqueue`` puts sites' start requests into the Redis frontier,
``run_worker`` is one Scrapy process that crawls from it into the shared archive.

A worker runs one Scrapy crawler per site of the frontier (as ``fanzha crawl`` does
per site), each with ``LeasedScheduler`` on the site's queue. A request's lease is
acked only after what its callback produced has been committed by the batch writer
(the flush after the one that follows the callback), so a worker killed at any point
loses nothing: its leases run out and other workers fetch those pages again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Self

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Response
from twisted.python.failure import Failure

from archive import Archive

from .context import CrawlContext
from .frontier import LEASE_META, Frontier, FrontierError
from .profiles import SiteProfile
from .spiders.site import SiteSpider

log = logging.getLogger(__name__)

# Scrapy asks an idle site's scheduler for work every 5 s; a worker waiting for
# requests that other workers push wants to look more often.
IDLE_POLL_SECONDS = 0.5


def require_shared_archive(archive: Archive) -> None:
    if archive.is_sqlite:
        raise FrontierError(
            "distributed mode needs a PostgreSQL archive (FANZHA_DB=postgresql://…): "
            "SQLite takes one writer at a time; use 'fanzha crawl' on one box"
        )


def enqueue(frontier: Frontier, profiles: list[SiteProfile]) -> dict[str, int]:
    """Put the sites' start requests (list pages, feeds, sitemaps) into the frontier.

    A site whose frontier is empty starts a new run (its fingerprints are forgotten);
    one still being crawled only gets its start requests again (after a Redis flush,
    this rebuilds the frontier; the archive keeps already-stored pages from being
    stored twice).
    """
    frontier.put_profiles(profiles)
    n = 0
    for prof in profiles:
        if frontier.pending(prof.key) == 0:
            frontier.reset_site(prof.key)
        spider = DistributedSpider(profile=prof)
        queue = frontier.queue(spider)
        for request in spider.start_requests_list():
            queue.push(request)
            n += 1
    return {"sites": len(profiles), "requests": n}


class DistributedSpider(SiteSpider):
    """The site spider fed by the frontier; it marks each leased request done when its
    callback or errback has run to the end."""

    until_idle = False

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        # one crawler per site: no more requests in flight here than the site's slots
        # over all workers (the others would only wait for a slot, polling Redis)
        limit = spider.profile.concurrency or crawler.settings.getint(
            "CONCURRENT_REQUESTS_PER_DOMAIN"
        )
        crawler.settings.set("CONCURRENT_REQUESTS", limit, "spider")
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        """Nothing of its own: the start requests are in the frontier (``enqueue``)."""
        return
        yield  # an async generator

    def on_idle(self, spider: Any) -> None:
        ctx = self.ctx
        if not self.until_idle or getattr(ctx, "stopping", False):
            if not getattr(ctx, "stopping", False):
                raise DontCloseSpider
            return
        frontier: Frontier = ctx.frontier  # type: ignore[union-attr]
        if ctx.leases.waiting(self.key) or frontier.pending(self.key):  # type: ignore[union-attr]
            raise DontCloseSpider

    def _finish(self, request: Request | None, out: list[Any], failed: bool = False) -> None:
        lease = request.meta.get(LEASE_META) if request is not None else None
        if lease is None or self.ctx is None:
            return
        for r in out:  # a split article's next page goes on under the same lease
            if isinstance(r, Request) and "split" in r.meta:
                r.meta[LEASE_META] = lease
                return
        self.ctx.leases.complete(self.key, lease, failed)  # type: ignore[attr-defined]

    def _leased(self, request: Request | None, results: Iterator[Any]) -> Iterator[Any]:
        out: list[Any] = []
        try:
            for r in results:
                out.append(r)
                yield r
        finally:
            self._finish(request, out)

    def parse_page(self, response: Response) -> Iterator[Any]:
        yield from self._leased(response.request, super().parse_page(response))

    def parse_feed(self, response: Response, counted: bool = False) -> Iterator[Request]:
        results = super().parse_feed(response, counted)
        if counted:  # called from parse_page, which holds the lease
            yield from results
        else:
            yield from self._leased(response.request, results)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        yield from self._leased(response.request, super().parse_sitemap(response))

    def on_error(self, failure: Failure) -> None:
        try:
            super().on_error(failure)
        finally:
            self._finish(getattr(failure, "request", None), [], failed=True)

    def on_page_error(self, failure: Failure) -> Iterator[Any]:
        request = getattr(failure, "request", None)
        split = request.meta.get("split") if request is not None else None
        SiteSpider.on_error(self, failure)
        try:
            if split is not None:
                yield split.item(complete=False)
        finally:
            self._finish(request, [], failed=True)


@dataclass
class LeaseBook:
    """Leases whose callbacks have finished, acked two flushes later (by then whatever
    the callback handed to the batch writer is committed)."""

    frontier: Frontier
    completed: dict[str, list[bytes]] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    ready: dict[str, list[bytes]] = field(default_factory=dict)
    ready_failed: dict[str, int] = field(default_factory=dict)

    def complete(self, site: str, lease: bytes, failed: bool) -> None:
        self.completed.setdefault(site, []).append(lease)
        if failed:
            self.failed[site] = self.failed.get(site, 0) + 1

    def waiting(self, site: str) -> bool:
        return bool(self.completed.get(site) or self.ready.get(site))

    def after_flush(self) -> None:
        """Ack what was ready before this flush; what completed since becomes ready."""
        for site, leases in self.ready.items():
            self.frontier.ack(site, leases, self.ready_failed.get(site, 0))
        self.ready, self.ready_failed = self.completed, self.failed
        self.completed, self.failed = {}, {}


def worker_name() -> str:
    """This worker's name in the frontier and its run: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


class WorkerContext(CrawlContext):
    """The crawl context of a worker: the frontier, the lease book, the idle rule."""

    def __init__(
        self, archive: Archive, *, frontier: Frontier, until_idle: bool, **kwargs: Any
    ) -> None:
        super().__init__(archive, **kwargs)
        self.frontier = frontier
        self.leases = LeaseBook(frontier)
        self.until_idle = until_idle
        self.stopping = False
        self.worker = worker_name()

    def tick(self) -> None:
        """Flush the batch writer, then ack the leases it has committed; heartbeat."""
        self.writer.flush()
        if not self.writer.fatal:
            self.leases.after_flush()
        self.frontier.heartbeat(
            self.worker,
            {
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "run": self.run_id,
                "pages": self.totals()["pages"],
                "sites": {k: f.as_json() for k, f in self.figures.items()},
            },
        )

    def renew(self) -> None:
        for site, held in list(self.frontier.held.items()):
            self.frontier.renew(site, list(held))

    def renew_in_background(self) -> threading.Event:
        """Renew this worker's leases every third of their time from a thread of its
        own, so a reactor busy for seconds (opening many sites) does not lose them."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(max(0.5, self.frontier.lease_seconds / 3)):
                try:
                    self.renew()
                except Exception:  # a missed renewal only risks a page fetched twice
                    log.exception("lease renewal failed")

        threading.Thread(target=loop, name="fanzha-leases", daemon=True).start()
        return stop


class SiteSlotMiddleware:
    """Politeness across workers: a download of site S needs one of S's slots in Redis
    (at most the profile's concurrency, over all workers) and waits out S's delay."""

    def __init__(self, ctx: WorkerContext, crawler: Any) -> None:
        self.ctx = ctx
        self.crawler = crawler
        self.ttl = max(60.0, crawler.settings.getfloat("DOWNLOAD_TIMEOUT") * 4)

    @classmethod
    def from_crawler(cls, crawler: Any) -> Self:
        from .context import get_context

        ctx = get_context(crawler.settings)
        if not isinstance(ctx, WorkerContext):
            raise NotConfigured("not a distributed worker")
        return cls(ctx, crawler)

    def _limits(self, spider: Any) -> tuple[int, float]:
        prof = spider.profile
        limit = getattr(prof, "concurrency", None) or self.crawler.settings.getint(
            "CONCURRENT_REQUESTS_PER_DOMAIN"
        )
        delay = prof.download_delay
        if delay is None:
            delay = self.crawler.settings.getfloat("DOWNLOAD_DELAY")
        return max(1, int(limit)), float(delay)

    async def process_request(self, request: Request) -> None:
        spider = self.crawler.spider
        limit, delay = self._limits(spider)
        token = uuid.uuid4().hex
        wait = 0.01
        while not self.ctx.frontier.take_slot(spider.key, limit, delay, token, self.ttl):
            await asyncio.sleep(wait)
            wait = min(0.1, wait * 1.5)
        request.meta["fz_slot"] = token

    def _give(self, request: Request) -> None:
        token = request.meta.pop("fz_slot", None)
        if token:
            self.ctx.frontier.give_slot(self.crawler.spider.key, token)

    def process_response(self, request: Request, response: Response) -> Response:
        self._give(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._give(request)


@dataclass
class WorkerReport:
    run: int
    status: str
    worker: str
    pages: int
    sites: dict[str, Any]

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "ok" else 1

    def as_json(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "status": self.status,
            "worker": self.worker,
            "pages": self.pages,
            "sites": self.sites,
        }


WORKER_SETTINGS: dict[str, Any] = {
    "SCHEDULER": "crawler.frontier.LeasedScheduler",
    "DOWNLOADER_MIDDLEWARES": {
        "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
        "crawler.middlewares.RobotsTxtMiddleware": 100,
        "crawler.middlewares.BackoffRetryMiddleware": 550,
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        "crawler.worker.SiteSlotMiddleware": 590,
        "crawler.middlewares.WarcMiddleware": 960,
    },
}


def run_worker(
    archive: Archive,
    frontier: Frontier,
    *,
    until_idle: bool = False,
    settings: dict[str, Any] | None = None,
) -> WorkerReport:
    """Crawl from the frontier into the archive (once per process)."""
    from scrapy.core.engine import ExecutionEngine
    from scrapy.crawler import AsyncCrawlerProcess
    from twisted.internet import task

    from . import runner

    require_shared_archive(archive)
    setup = runner.set_up(
        archive,
        kind="worker",
        settings={**WORKER_SETTINGS, **(settings or {})},
        refused="a crawl already ran in this process; run each worker in its own",
        context=partial(WorkerContext, frontier=frontier, until_idle=until_idle),
        figures={"worker": worker_name(), "frontier": frontier.prefix},
    )
    ctx = setup.ctx
    assert isinstance(ctx, WorkerContext)
    ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = IDLE_POLL_SECONDS
    DistributedSpider.until_idle = until_idle
    started: set[str] = set()
    process = AsyncCrawlerProcess(setup.settings)

    def add_sites() -> None:
        if ctx.stopping:
            return
        for prof in frontier.profiles():
            if prof.key in started:
                continue
            if until_idle and frontier.pending(prof.key) == 0:
                continue
            started.add(prof.key)
            ctx.site(prof.key)
            process.crawl(DistributedSpider, profile=prof)

    loops: list[Any] = []
    renewing = ctx.renew_in_background()
    try:
        add_sites()
        if until_idle and not started:
            log.info("the frontier is empty: nothing to crawl")
        else:
            ticker = task.LoopingCall(ctx.tick)
            loops = [ticker]
            if not until_idle:
                loops.append(task.LoopingCall(add_sites))

            def start_loops() -> None:
                ticker.start(min(0.5, ctx.writer.batch_seconds), now=False)
                if len(loops) > 1:
                    loops[1].start(5.0, now=False)

            from twisted.internet import reactor

            reactor.callWhenRunning(start_loops)  # type: ignore[attr-defined]
            process.start(stop_after_crawl=until_idle)
        ctx.stopping = True
        ctx.writer.flush()
        if not ctx.writer.fatal:  # everything is committed now: ack it all
            ctx.leases.after_flush()
            ctx.leases.after_flush()
        summary = ctx.finish(_worker_status(ctx))
    finally:
        renewing.set()
        for loop in loops:
            if loop.running:
                loop.stop()
        frontier.leave(ctx.worker)
        runner.tear_down(ctx)
    return WorkerReport(
        run=summary["run"],
        status=summary["status"],
        worker=ctx.worker,
        pages=summary["pages"],
        sites={k: f.as_json() for k, f in ctx.figures.items()},
    )


def _worker_status(ctx: CrawlContext) -> str:
    """ok, or partial when a site this worker fetched from never answered."""
    fetched = [f for f in ctx.figures.values() if f.pages]
    if any(not f.ok_pages for f in fetched):
        return "partial"
    return "ok"


def wait_until_idle(frontier: Frontier, deadline: float, poll: float = 1.0) -> bool:
    """Block until the frontier is empty and nothing is leased, or until ``deadline``
    (time.monotonic()); True if it drained."""
    while time.monotonic() < deadline:
        if frontier.idle():
            return True
        time.sleep(poll)
    return frontier.idle()
