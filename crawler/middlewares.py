"""Downloader middlewares: raw responses into WARC files, and retries with backoff."""

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
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

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
