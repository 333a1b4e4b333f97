"""Item pipelines: extract -> relevance -> store (batched).

Pages that turn out not to be articles, or articles not about fraud on a
``relevance = "keywords"`` site, are dropped with ``DropItem`` (logged at DEBUG:
``DEFAULT_DROPITEM_LOG_LEVEL``); their verdict is remembered in seen_url where it is final.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from archive.extract.page import (
    ARTICLE,
    EMPTY,
    canonical_url,
    classify,
    more_pages_text,
    page_document,
)
from archive.provenance import attribute

from .context import CrawlContext, get_context
from .items import PageItem

log = logging.getLogger(__name__)


class _Base:
    def __init__(self, crawler: Crawler, ctx: CrawlContext) -> None:
        self.crawler = crawler
        self.ctx = ctx

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, get_context(crawler.settings))

    @property
    def profile(self) -> Any:
        return self.crawler.spider.profile  # type: ignore[union-attr]


class ExtractPipeline(_Base):
    """Decodes and extracts the page; drops pages that are not articles."""

    def __init__(self, crawler: Crawler, ctx: CrawlContext) -> None:
        super().__init__(crawler, ctx)
        self.min_chars = crawler.settings.getint("FANZHA_MIN_ARTICLE_CHARS", 150)

    def process_item(self, item: PageItem) -> PageItem:
        prof = self.profile
        try:
            result = page_document(
                item.body,
                item.url,
                header_charset=item.header_charset,
                encoding=prof.encoding,
                selectors=prof.selectors or None,
                judge=item.hint != ARTICLE,
                min_chars=self.min_chars,
                fetched_at=item.fetched_at,
            )
        except Exception as exc:  # one unparseable page must never stop the crawl
            log.exception("extraction failed on %s", item.url)
            self.ctx.record_error(item.site, item.url, f"extraction failed: {exc}", item.status)
            raise DropItem(f"extraction failed: {exc}") from exc
        item.verdict = result.verdict
        item.reason = result.reason
        fig = self.ctx.site(item.site)
        if result.verdict != ARTICLE or result.document is None:
            fig.not_articles += 1
            if item.hint == ARTICLE or result.verdict == EMPTY:
                what = "empty page" if result.verdict == EMPTY else "malformed page"
                self.ctx.record_error(item.site, item.url, f"{what}: {result.reason}", item.status)
            raise DropItem(f"not an article: {result.reason}")
        fig.articles_seen += 1
        item.document = result.document
        if item.pages:
            self._join_pages(item)
        return item

    def _join_pages(self, item: PageItem) -> None:
        """An article split over pages: its pages' texts appended in order, their URLs
        kept as the article's aliases and their raw records beside the first one's."""
        doc = item.document
        prof = self.profile
        try:
            more = more_pages_text(
                doc,
                item.body,
                [(p.url, p.body, p.header_charset) for p in item.pages],
                header_charset=item.header_charset,
                encoding=prof.encoding,
                selectors=prof.selectors or None,
            )
        except Exception as exc:  # the first page alone is still an article
            log.exception("joining the pages of %s failed", item.url)
            self.ctx.record_error(item.site, item.url, f"further pages not joined: {exc}", None)
            return
        texts = [doc.text]
        texts += [t for t in more if t and t not in texts]
        doc.text = "\n".join(texts)
        doc.extra["pages"] = [{"url": item.url, "raw_ref": item.warc_ref}] + [
            {"url": p.url, "raw_ref": p.warc_ref} for p in item.pages
        ]
        if not item.pages_complete:
            doc.extra["pages_incomplete"] = True
        doc.aliases = [canonical_url(p.url) for p in item.pages]


class RelevancePipeline(_Base):
    """Tags fraud types; on a "keywords" site, drops articles not about fraud."""

    def process_item(self, item: PageItem) -> PageItem:
        doc = item.document
        rel = classify(doc.title, doc.text)
        item.relevance = rel
        doc.fraud_types = list(getattr(rel, "fraud_types", []) or [])
        doc.classified = True
        doc.extra["relevance"] = {
            "score": round(float(rel.score), 3),
            "matched": list(getattr(rel, "matched", []) or [])[:20],
        }
        if self.profile.relevance == "keywords" and not rel.relevant:
            self.ctx.site(item.site).irrelevant += 1
            self.ctx.writer.add_seen(item.site, canonical_url(item.request_url), "irrelevant")
            raise DropItem(f"not about fraud (score {rel.score})")
        return item


class StorePipeline(_Base):
    """Hands the article to the batched writer, with its source and WARC record.

    When the database cannot be written at all (disk full), the site's crawl is closed
    instead of fetching pages that cannot be kept.
    """

    closing = False

    def process_item(self, item: PageItem) -> PageItem:
        if self.ctx.writer.fatal:
            self._close(self.ctx.writer.fatal)
            raise DropItem(f"not stored: {self.ctx.writer.fatal}")
        prof = self.profile
        doc = item.document
        attribute(
            doc,
            site_key=prof.key,
            site_name=prof.name,
            site_kind=prof.kind,
            site_domain=prof.domains[0] if prof.domains else None,
        )
        doc.raw_ref = item.warc_ref
        doc.extra["site"] = prof.key
        self.ctx.writer.add_document(item.site, doc, canonical_url(item.request_url))
        item.body = b""  # the WARC has it; keep memory flat
        return item

    def close_spider(self) -> None:
        self.ctx.writer.flush()

    def _close(self, reason: str) -> None:
        if not self.closing:
            self.closing = True
            log.error("closing site %s: %s", self.profile.key, reason)
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no reactor loop (a unit test): nothing to close
                return
            engine = self.crawler.engine
            self._closer = loop.create_task(engine.close_spider_async(reason="database_failed"))
