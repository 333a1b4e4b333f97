"""One profile-driven spider for every site: ``scrapy crawl site -a site=KEY``.

The site profile says where to start (start_urls, feeds, sitemaps), which links are
articles (article_pattern) and which are list pages to follow (follow_pattern); where
it says nothing, every page of the site is followed and judged by its content. The
spider only fetches and routes: pages go to the pipelines (extract -> relevance ->
store) as ``PageItem``s; HTTP and download errors go to the run's error record.
"""

from __future__ import annotations

import logging
import re
import struct
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from scrapy import Request, Spider
from scrapy import exceptions as scrapy_exc
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap
from twisted.internet import defer
from twisted.internet import error as tx
from twisted.python.failure import Failure

from archive.extract.page import canonical_url

from ..context import CrawlContext, get_context
from ..errors import UnknownSite
from ..items import ContinuationPage, PageItem
from ..pagination import Pager, find_pager, next_page, pager_pages
from ..profiles import SiteProfile, load_profiles, select_profiles

log = logging.getLogger(__name__)

ARTICLE, LIST, AUTO = "article", "list", "auto"
# static files never worth a request (documents such as PDF are fetched when a pattern
# says so, and then recorded as "not HTML")
_SKIP_EXT = re.compile(
    r"\.(jpe?g|png|gif|bmp|webp|svg|ico|css|js|json|woff2?|ttf|eot|mp[34]|avi|mov|flv|wmv|"
    r"zip|rar|7z|gz|tar|exe|apk|dmg|iso|docx?|xlsx?|pptx?|wps)$",
    re.I,
)
_HTML_TYPES = ("text/html", "application/xhtml", "text/plain")
_XML_TYPES = ("xml", "rss", "atom")


def _kinds(*names: str) -> tuple[type[BaseException], ...]:
    """Scrapy's own download exceptions (2.14+), where this Scrapy has them."""
    return tuple(getattr(scrapy_exc, n) for n in names if hasattr(scrapy_exc, n))


_TIMEOUT = (TimeoutError, tx.TimeoutError, tx.TCPTimedOutError, *_kinds("DownloadTimeoutError"))
_DNS = (tx.DNSLookupError, *_kinds("CannotResolveHostError"))
_REFUSED = (
    ConnectionRefusedError,
    tx.ConnectionRefusedError,
    *_kinds("DownloadConnectionRefusedError"),
)
_CANCELLED = (defer.CancelledError, *_kinds("DownloadCancelledError"))
_FAILED = (tx.ConnectionLost, *_kinds("DownloadFailedError", "ResponseDataLossError"))


def _status_reason(failure: Failure) -> tuple[str, int | None]:
    """A one-line reason for a failed download, and its HTTP status when it had one."""
    exc = failure.value
    text = str(exc) or type(exc).__name__
    if isinstance(exc, IgnoreRequest):
        if "redirect" in text.lower():
            return f"redirect loop or too many redirects: {text}", None
        return text, None  # robots.txt and the like: the caller decides
    for kinds, label in (
        (_TIMEOUT, "timeout"),
        (_DNS, "DNS lookup failed"),
        (_REFUSED, "connection refused"),
        (_CANCELLED, "page larger than DOWNLOAD_MAXSIZE, cut off"),
        (_FAILED, f"connection failed ({type(exc).__name__})"),
    ):
        if isinstance(exc, kinds):
            return (text if text.lower().startswith(label.lower()) else f"{label}: {text}"), None
    response = getattr(exc, "response", None)
    return f"{type(exc).__name__}: {text}", getattr(response, "status", None)


class SiteSpider(Spider):
    """Crawls one site described by a SiteProfile."""

    name = "site"

    def __init__(
        self,
        site: str | None = None,
        profile: SiteProfile | None = None,
        sites_file: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if profile is None:
            if not site:
                raise UnknownSite("the site spider needs -a site=KEY (see 'fanzha sites')")
            profile = select_profiles(load_profiles(sites_file), [site])[0]
        self.profile = profile
        self.key = profile.key
        self.allowed_domains = profile.domains
        self._article_re = re.compile(profile.article_pattern) if profile.article_pattern else None
        self._follow_re = re.compile(profile.follow_pattern) if profile.follow_pattern else None
        self._deny_re = re.compile(profile.deny_pattern) if profile.deny_pattern else None
        self.scheduled: set[str] = set()
        self.known: set[str] = set()
        self._skipped: set[str] = set()
        self.ctx: CrawlContext | None = None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SiteSpider:
        if "sites_file" not in kwargs and crawler.settings.get("FANZHA_SITES_FILE"):
            kwargs["sites_file"] = crawler.settings.get("FANZHA_SITES_FILE")
        spider = super().from_crawler(crawler, *args, **kwargs)
        if spider.profile.download_delay is not None:  # settings are not frozen yet
            crawler.settings.set("DOWNLOAD_DELAY", spider.profile.download_delay, "spider")
        if spider.profile.concurrency is not None:
            crawler.settings.set(
                "CONCURRENT_REQUESTS_PER_DOMAIN", spider.profile.concurrency, "spider"
            )
        spider.ctx = get_context(crawler.settings)
        spider.known = spider.ctx.known_urls(spider.key)
        spider.ctx.site(spider.key)
        return spider

    # -- routing ---------------------------------------------------------------

    def in_domain(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)

    def hint_for(self, url: str) -> str | None:
        """What the profile says of a link: article, list, auto, or None (do not follow)."""
        if self._deny_re and self._deny_re.search(url):
            return None
        if self._article_re and self._article_re.search(url):
            return ARTICLE
        if self._follow_re and self._follow_re.search(url):
            return LIST
        if self._article_re and self._follow_re:
            return None
        if self._article_re:
            return LIST
        return AUTO

    def make_request(
        self, url: str, hint: str, callback: Any = None, **meta: Any
    ) -> Request | None:
        """A request for ``url`` unless it is off-site, static, known, seen or over max_pages."""
        url = url.split("#", 1)[0]
        if urlsplit(url).scheme not in ("http", "https") or not self.in_domain(url):
            return None
        if callback is None and hint != ARTICLE and _SKIP_EXT.search(urlsplit(url).path):
            return None
        if hint in (ARTICLE, AUTO):
            url = canonical_url(url)
            if url in self.known:
                if self.ctx is not None and url not in self._skipped:
                    self._skipped.add(url)
                    self.ctx.site(self.key).skipped_known += 1
                return None
        if url in self.scheduled:
            return None
        if len(self.scheduled) >= self.profile.max_pages:
            return None
        self.scheduled.add(url)
        return Request(
            url,
            callback=callback or self.parse_page,
            errback=self.on_error,
            meta={"hint": hint, **meta},
            priority=1 if hint == ARTICLE else 0,
            # dedup is ours (self.scheduled); Scrapy's filter would also swallow the
            # second hop of a redirect loop silently instead of reporting it
            dont_filter=True,
        )

    def sitemap_request(self, url: str) -> Request | None:
        """Sitemaps may be far larger than any page: they get their own size limit."""
        crawler = getattr(self, "crawler", None)
        limit = crawler.settings.getint("FANZHA_SITEMAP_MAXSIZE") if crawler else 0
        extra = {"download_maxsize": limit} if limit else {}
        return self.make_request(url, LIST, self.parse_sitemap, **extra)

    async def start(self) -> AsyncIterator[Request]:
        for req in self.start_requests_list():
            yield req

    def start_requests_list(self) -> list[Request]:
        reqs: list[Request | None] = []
        reqs += [self.make_request(u, LIST) for u in self.profile.start_urls]
        reqs += [self.make_request(u, LIST, self.parse_feed) for u in self.profile.feeds]
        reqs += [self.sitemap_request(u) for u in self.profile.sitemaps]
        return [r for r in reqs if r is not None]

    # -- callbacks -------------------------------------------------------------

    def _answered(self, response: Response) -> bool:
        """Count the page; record an HTTP error. True when the page can be used."""
        fig = self.ctx.site(self.key) if self.ctx else None
        if fig is not None:
            fig.pages += 1
            if response.status < 400:
                fig.ok_pages += 1
        if response.status >= 400:
            self.record_error(response.url, f"HTTP {response.status}", response.status)
            return False
        if not response.body.strip():
            self.record_error(response.url, "empty page", response.status)
            return False
        return True

    def parse_page(self, response: Response) -> Iterator[Any]:
        split: _SplitArticle | None = response.meta.get("split")
        if not self._answered(response):
            if split is not None:  # a further page failed: keep the pages we have
                yield split.item(complete=False)
            return
        hint = response.meta.get("hint", AUTO)
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if ctype and not any(t in ctype for t in _HTML_TYPES):
            if split is not None:
                yield split.item(complete=False)
                return
            if any(t in ctype for t in _XML_TYPES) and hint != ARTICLE:
                yield from self.parse_feed(response, counted=True)
                return
            self.record_error(response.url, f"not HTML ({ctype.split(';')[0]})", response.status)
            if self.ctx is not None:
                self.ctx.writer.add_seen(self.key, canonical_url(response.url), "not-html")
            return
        if hint != LIST:
            yield from self.article_pages(response, hint, split)
        if hint == ARTICLE and self._article_re is not None:
            return  # article pages of a patterned site lead nowhere new
        yield from self.follow_links(response)

    def article_pages(
        self, response: Response, hint: str, split: _SplitArticle | None
    ) -> Iterator[Any]:
        """The page as an item, or, for an article split over pages, a request for its
        next page (the item, all pages joined, comes with the last page)."""
        links = self.page_links(response)
        if split is None:
            pager = find_pager(response.url, links)
            if pager is None:
                yield self.page_item(response, hint)
                return
            split = _SplitArticle(pager, self.page_item(response, hint))
            # the pager's other pages belong to this article: never crawl them alone
            for url in pager_pages(pager, links):
                self.scheduled.update((url, canonical_url(url)))
        else:
            split.add(response)
        nxt = next_page(split.pager, split.count, links)
        if nxt is None or not self.in_domain(nxt) or nxt in split.urls:
            yield split.item(complete=True)
            return
        self.scheduled.update((nxt, canonical_url(nxt)))
        yield Request(
            nxt,
            callback=self.parse_page,
            errback=self.on_page_error,
            meta={"hint": hint, "split": split},
            priority=2,
            dont_filter=True,
        )

    def page_item(self, response: Response, hint: str) -> PageItem:
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        return PageItem(
            site=self.key,
            url=response.url,
            # the link as followed: the next crawl asks for it again, not the redirect target
            request_url=(response.meta.get("redirect_urls") or [response.url])[0],
            status=response.status,
            body=response.body,
            fetched_at=datetime.now(UTC),
            header_charset=_charset(ctype),
            warc_ref=response.meta.get("warc_ref"),
            hint=hint,
        )

    def page_links(self, response: Response) -> list[tuple[str, str]]:
        """The page's links as (absolute URL, anchor text)."""
        try:
            if self.profile.encoding:
                response = response.replace(encoding=self.profile.encoding)
            anchors = response.xpath("//a[@href]")
            return [
                (
                    urljoin(response.url, a.attrib["href"].strip()),
                    " ".join(a.xpath("string()").get().split()),
                )
                for a in anchors
            ]
        except (AttributeError, ValueError, etree.ParserError) as exc:
            log.debug("no links in %s: %s", response.url, exc)
            return []

    def on_page_error(self, failure: Failure) -> Iterator[PageItem]:
        """A further page of a split article failed: record it, keep the pages we have."""
        self.on_error(failure)
        request = getattr(failure, "request", None)
        split = request.meta.get("split") if request is not None else None
        if split is not None:
            yield split.item(complete=False)

    def follow_links(self, response: Response) -> Iterator[Request]:
        try:
            if self.profile.encoding:
                response = response.replace(encoding=self.profile.encoding)
            hrefs = response.xpath("//a/@href").getall()
        except (AttributeError, ValueError, etree.ParserError) as exc:
            log.debug("no links in %s: %s", response.url, exc)
            return
        for href in hrefs:
            href = href.strip()
            if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
                continue
            url = canonical_url(urljoin(response.url, href))  # route without utm_* noise
            hint = self.hint_for(url)
            if hint is None:
                continue
            req = self.make_request(url, hint)
            if req is not None:
                yield req

    def parse_feed(self, response: Response, counted: bool = False) -> Iterator[Request]:
        """RSS 2.0 / RSS 1.0 / Atom: every entry's link is an article candidate."""
        if not counted and not self._answered(response):
            return
        try:
            parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
            root = etree.fromstring(response.body, parser=parser)
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            self.record_error(response.url, "malformed feed: not XML", response.status)
            return
        if root.tag.endswith(("urlset", "sitemapindex")):
            yield from self._sitemap_requests(response.body, response.url)
            return
        links: list[str] = []
        for el in root.iter():
            if not isinstance(el.tag, str) or etree.QName(el).localname not in ("item", "entry"):
                continue
            for child in el:
                if not isinstance(child.tag, str) or etree.QName(child).localname != "link":
                    continue
                href = child.get("href") or (child.text or "").strip()
                if href and child.get("rel", "alternate") == "alternate":
                    links.append(href)
                    break
        if not links:
            self.record_error(response.url, "feed has no entries", response.status)
        for link in links:
            url = canonical_url(urljoin(response.url, link))
            if self._deny_re and self._deny_re.search(url):
                continue
            matches = self._article_re is None or self._article_re.search(url)
            req = self.make_request(url, ARTICLE if matches else AUTO)
            if req is not None:
                yield req

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        if not self._answered(response):
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":
            # capped as Scrapy's own sitemap spider caps it: a small .gz can inflate to GBs
            crawler = getattr(self, "crawler", None)
            limit = crawler.settings.getint("FANZHA_SITEMAP_MAXSIZE") if crawler else 0
            try:
                body = gunzip(body, max_size=limit)
            except ValueError:  # over the limit
                self.record_error(
                    response.url, f"sitemap larger than {limit} bytes unpacked", response.status
                )
                return
            except (OSError, EOFError, struct.error):
                self.record_error(response.url, "malformed sitemap: bad gzip", response.status)
                return
        yield from self._sitemap_requests(body, response.url)

    def _sitemap_requests(self, body: bytes, url: str) -> Iterator[Request]:
        try:
            sitemap = Sitemap(body)
        except Exception as exc:  # lxml raises several types on garbage
            self.record_error(url, f"malformed sitemap: {exc}", None)
            return
        entries = [e.get("loc", "").strip() for e in sitemap if e.get("loc")]
        if sitemap.type == "sitemapindex":
            for loc in entries:
                req = self.sitemap_request(urljoin(url, loc))
                if req is not None:
                    yield req
            return
        for loc in entries:
            target = canonical_url(urljoin(url, loc))
            hint = self.hint_for(target)
            if hint is None:
                continue
            req = self.make_request(target, hint)
            if req is not None:
                yield req

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else None
        if request is not None and request.meta.get("redirect_urls"):
            url = request.meta["redirect_urls"][0]  # the link followed, not the last hop
        reason, status = _status_reason(failure)
        if "robots.txt" in reason.lower():
            if self.ctx is not None:
                self.ctx.site(self.key).robots_blocked += 1
            return
        self.record_error(url, reason, status)

    def record_error(self, url: str | None, error: str, status: int | None) -> None:
        log.info("%s: %s: %s", self.key, url, error)
        if self.ctx is not None:
            self.ctx.record_error(self.key, url, error, status)


class _SplitArticle:
    """The pages of one article split over pages, gathered while they are fetched."""

    def __init__(self, pager: Pager, first: PageItem) -> None:
        self.pager = pager
        self.first = first
        self.urls = {first.url, pager.first_url}

    @property
    def count(self) -> int:
        return 1 + len(self.first.pages)

    def add(self, response: Response) -> None:
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        self.urls.add(response.url)
        self.first.pages.append(
            ContinuationPage(
                url=response.url,
                body=response.body,
                header_charset=_charset(ctype),
                warc_ref=response.meta.get("warc_ref"),
            )
        )

    def item(self, *, complete: bool) -> PageItem:
        self.first.pages_complete = complete
        return self.first


def _charset(content_type: str) -> str | None:
    m = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.I)
    return m.group(1) if m else None
