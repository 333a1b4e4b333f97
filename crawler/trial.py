"""What a site profile makes of one page, without storing anything: ``fanzha try``.

The page is fetched once (the crawler's User-Agent, time-out and size cap), routed by
the profile as the spider routes it (article_pattern / follow_pattern / judged by
content), extracted as the pipelines extract it (the profile's selectors and encoding),
judged for relevance, and its links sorted into those the crawl would follow. No
archive is opened, no WARC written: a new profile can be checked before its first crawl.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from lxml import etree
from lxml import html as lxml_html

from archive.extract.page import ARTICLE, PageResult, canonical_url, classify, page_document
from archive.times import offset_of, show_published

from . import settings as crawl_settings
from .errors import CrawlerError
from .profiles import SiteProfile
from .spiders.site import ARTICLE as ROUTE_ARTICLE
from .spiders.site import LIST as ROUTE_LIST
from .spiders.site import SiteSpider

#: characters of the main text shown
HEAD_CHARS = 300
_CHARSET = re.compile(r"charset=([\w.:-]+)", re.I)


class TrialError(CrawlerError):
    """The page could not be fetched (one line naming the URL and why)."""


@dataclass
class Trial:
    """One page as the profile sees it (``as_json`` is ``fanzha try --json``)."""

    site: str
    url: str
    status: int
    route: str  # article | list | auto: what the profile's patterns say of the URL
    verdict: str  # article | list | empty | not-html: what the crawl would make of it
    would_store: bool = False
    reason: str | None = None
    encoding: str | None = None
    title: str | None = None
    published: str | None = None
    published_precision: str | None = None
    publisher: str | None = None
    author: str | None = None
    text_chars: int = 0
    text_head: str = ""
    relevance: dict[str, Any] | None = None
    follows: list[dict[str, str]] = field(default_factory=list)
    follows_note: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def fetch(url: str, timeout: float | None = None) -> tuple[int, str, bytes, str | None]:
    """(status, final URL, body, header charset) of one GET, as the crawler would send it."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise TrialError(f"{url}: only http and https URLs can be tried")
    limit = crawl_settings.DOWNLOAD_MAXSIZE
    try:
        with (
            httpx.Client(
                headers={"User-Agent": crawl_settings.USER_AGENT},
                timeout=timeout or crawl_settings.DOWNLOAD_TIMEOUT,
                follow_redirects=True,
                max_redirects=5,
            ) as client,
            client.stream("GET", url) as resp,
        ):
            chunks, size = [], 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise TrialError(f"{url}: larger than {limit // (1024 * 1024)} MB")
                chunks.append(chunk)
            ctype = resp.headers.get("content-type", "")
            m = _CHARSET.search(ctype)
            return resp.status_code, str(resp.url), b"".join(chunks), (m[1] if m else None)
    except httpx.HTTPError as exc:
        raise TrialError(f"{url}: cannot fetch: {type(exc).__name__}: {exc}") from None


def try_page(profile: SiteProfile, url: str, *, timeout: float | None = None) -> Trial:
    """Fetch ``url`` and tell what ``profile`` makes of it; nothing is stored."""
    status, final_url, body, charset = fetch(url, timeout)
    spider = SiteSpider(profile=profile)
    route = spider.hint_for(canonical_url(final_url)) or "not followed"
    trial = Trial(site=profile.key, url=final_url, status=status, route=route, verdict="")
    if status >= 400:
        trial.verdict, trial.reason = "error", f"HTTP {status}"
        return trial
    result = _extract(profile, body, final_url, charset, judge=route != ROUTE_ARTICLE)
    trial.verdict, trial.reason, trial.encoding = result.verdict, result.reason, result.encoding
    if route == ROUTE_LIST:
        trial.verdict, trial.reason = "list", "follow_pattern: a list page, links followed"
    doc = result.document
    if doc is not None:
        _describe(trial, doc, profile)
    elif result.encoding:
        _describe_unjudged(trial, body, final_url, charset, profile)
    trial.follows = _follows(spider, body, final_url, result.encoding or charset)
    if route == ROUTE_ARTICLE and profile.article_pattern:
        trial.follows_note = "article pages of a patterned site lead nowhere new: none followed"
        trial.follows = []
    return trial


def _extract(
    profile: SiteProfile, body: bytes, url: str, charset: str | None, *, judge: bool
) -> PageResult:
    """The page as the pipelines extract it (the profile's encoding and selectors)."""
    return page_document(
        body,
        url,
        header_charset=charset,
        encoding=profile.encoding,
        selectors=profile.selectors or None,
        judge=judge,
        fetched_at=datetime.now(UTC),
    )


def _describe(trial: Trial, doc: Any, profile: SiteProfile) -> None:
    trial.title = doc.title or None
    trial.published = show_published(
        doc.published_at, doc.published_precision, offset_of(doc.published_at)
    )
    trial.published_precision = doc.published_precision
    trial.publisher = doc.extra.get("publisher")
    trial.author = doc.author
    squashed = "".join(doc.text.split())
    trial.text_chars = len(squashed)
    trial.text_head = doc.text[:HEAD_CHARS]
    rel = classify(doc.title, doc.text)
    trial.relevance = {
        "score": round(rel.score, 2),
        "relevant": rel.relevant,
        "fraud_types": list(rel.fraud_types),
        "site_relevance": profile.relevance,
    }
    kept = profile.relevance == "all" or rel.relevant
    trial.would_store = trial.verdict == ARTICLE and kept
    if trial.verdict == ARTICLE and not kept:
        trial.reason = 'off-topic for a relevance = "keywords" site: dropped'


def _describe_unjudged(
    trial: Trial, body: bytes, url: str, charset: str | None, profile: SiteProfile
) -> None:
    """The fields of a page the judge turned away (a list page), for the record."""
    result = _extract(profile, body, url, charset, judge=False)
    if result.document is not None:
        verdict, reason = trial.verdict, trial.reason
        _describe(trial, result.document, profile)
        trial.verdict, trial.reason, trial.would_store = verdict, reason, False


def _follows(
    spider: SiteSpider, body: bytes, url: str, encoding: str | None
) -> list[dict[str, str]]:
    """The page's links the crawl would request, each with what the profile says of it."""
    try:
        text = body.decode(encoding or "utf-8", errors="replace")
        doc = lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError, LookupError):
        return []
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for href in doc.xpath("//a/@href"):
        href = str(href).strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        link = canonical_url(urljoin(url, href))
        hint = spider.hint_for(link)
        if hint is None or link in seen or spider.make_request(link, hint) is None:
            continue
        seen.add(link)
        out.append({"url": link, "as": hint})
    return out
