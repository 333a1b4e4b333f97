"""The run recorder: per-site timing and figures, periodic flushes, the crawl_run row."""

from __future__ import annotations

import logging
import time
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from twisted.internet import task

from .context import CrawlContext, get_context

log = logging.getLogger(__name__)


class RunRecorder:
    """Times each site, flushes the batch writer every second, finishes the run.

    Under ``fanzha crawl`` the runner finishes the run (several sites, one row); under a
    bare ``scrapy crawl site -a site=KEY`` this extension does it when the engine stops.
    """

    _ticker: task.LoopingCall | None = None  # one per process, shared by every site

    def __init__(self, crawler: Crawler, ctx: CrawlContext) -> None:
        self.crawler = crawler
        self.ctx = ctx

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        ext = cls(crawler, get_context(crawler.settings))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def spider_opened(self, spider: Any) -> None:
        fig = self.ctx.site(spider.key)
        fig.started = time.monotonic()
        if RunRecorder._ticker is None:
            RunRecorder._ticker = task.LoopingCall(self.ctx.writer.maybe_flush)
            RunRecorder._ticker.start(self.ctx.writer.batch_seconds, now=False)

    def spider_closed(self, spider: Any, reason: str) -> None:
        fig = self.ctx.site(spider.key)
        fig.seconds = time.monotonic() - fig.started
        fig.finish_reason = reason
        self.ctx.writer.flush()
        self.ctx.notify(spider.key)
        log.info("site %s done (%s): %s", spider.key, reason, fig.as_json())

    def engine_stopped(self) -> None:
        # the ticker is left to die with the reactor: other sites may still be running
        if not self.ctx.managed and not self.ctx.finished:
            summary = self.ctx.finish()
            log.info("crawl run %s: %s", summary["run"], summary)
