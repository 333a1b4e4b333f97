"""Downloader middlewares: raw responses into WARC files, retries with backoff, and
robots.txt obeyed by every request that waited for it."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime
from http.client import responses as REASONS
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxt
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from .context import CrawlContext, get_context

log = logging.getLogger(__name__)

# hop-by-hop headers: the body in the record is already de-chunked
_DROP_HEADERS = {"transfer-encoding"}


class WarcMiddleware:
    """Writes every response, as it came (before decompression), to the run's WARC file.

    Sits next to the downloader (priority > 900) so headers and body are the wire's;
    the record's reference goes into ``request.meta["warc_ref"]`` for the article.
    """

    def __init__(self, ctx: CrawlContext) -> None:
        if ctx.warc is None:
            raise NotConfigured("FANZHA_WARC is off")
        self.ctx = ctx

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(get_context(crawler.settings))

    def process_response(self, request: Request, response: Response) -> Response:
        assert self.ctx.warc is not None
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, values in response.headers.items()
            for v in values
            if k.decode("latin-1").lower() not in _DROP_HEADERS
        ]
        ip = str(response.ip_address) if response.ip_address else None
        request.meta["warc_ref"] = self.ctx.warc.write_response(
            response.url,
            response.status,
            REASONS.get(response.status, ""),
            headers,
            response.body,
            date=datetime.now(UTC),
            ip=ip,
        )
        return response


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, waiting ``base * 2**n`` seconds (jittered) before retry n.

    A server that answers 503 or times out is given time to recover instead of being
    hit again at once; the wait holds only the retried request, not the crawl.
    """

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("FANZHA_RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("FANZHA_RETRY_BACKOFF_MAX", 60.0)

    async def _wait(self, retry: Request) -> None:
        n = int(retry.meta.get("retry_times", 1))
        delay = min(self.cap, self.base * 2 ** (n - 1)) * random.uniform(0.75, 1.25)
        if delay > 0:
            log.debug("retry %d of %s in %.1fs", n, retry.url, delay)
            await asyncio.sleep(delay)

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._wait(result)
        return result

    async def process_exception(
        self, request: Request, exception: Exception
    ) -> Request | Response | None:  # type: ignore[override]
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._wait(result)
        return result


class RobotsTxtMiddleware(ScrapyRobotsTxt):
    """Scrapy's robots.txt middleware, fixed for requests that wait for robots.txt.

    Scrapy (2.19, asyncio reactor) keeps one Deferred per host while robots.txt is
    being fetched and has every waiting request await it through
    ``Deferred.asFuture``, whose callback returns None: only the first waiter gets
    the parser, every later one gets None, which means "allowed". A worker whose
    first requests of a site come in a burst (leases popped from the frontier) thus
    fetched pages robots.txt forbids. Here a waiter only waits for the fetch to end,
    then reads the parser the fetch stored.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        pending = self._parsers.get(netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)
        done: Deferred[None] = Deferred()

        def fired(result: Any) -> Any:
            done.callback(None)
            return result  # the chain goes on with what it had

        pending.addBoth(fired)
        await maybe_deferred_to_future(done)
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):  # cannot happen: the fetch stores before firing
            raise IgnoreRequest("robots.txt not read yet")
        return parser
