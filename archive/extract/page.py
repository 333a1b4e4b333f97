"""A fetched web page (bytes + headers) into a Document, or a verdict why it is none.

The entry point of extraction: the crawler's pipelines, ``fanzha crawl --try`` and the
WARC importer all call ``page_document``, so a page read from a WARC file later is
extracted exactly as a live crawl would. The parts live beside it in ``archive.extract``
(decoding, main text, dates, publisher, canonical URL, relevance); this module only puts
them together and judges whether a page is an article.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ..document import Document
from ..errors import InputError
from .encoding import canonical_encoding, decode_html
from .html import MIN_ARTICLE_CHARS as _MIN_CHARS
from .html import Extracted, extract, visible_lines
from .html import is_article as _is_article
from .relevance import classify
from .urls import canonical_url, join_url

log = logging.getLogger(__name__)

# re-exported for the crawler: the one place it takes them from
__all__ = [
    "PageResult",
    "canonical_url",
    "classify",
    "decode_page",
    "is_article",
    "more_pages_text",
    "page_document",
]

MIN_ARTICLE_CHARS = _MIN_CHARS

# Verdicts for a page that is not stored as an article (recorded in seen_url).
ARTICLE, LIST, IRRELEVANT, NOT_HTML, EMPTY = "article", "list", "irrelevant", "not-html", "empty"


@dataclass
class PageResult:
    """What a page turned out to be: an article Document, or a verdict and a reason."""

    verdict: str
    document: Document | None = None
    encoding: str | None = None
    reason: str = ""
    relevance: Any = None


def decode_page(
    body: bytes, header_charset: str | None, override: str | None = None
) -> tuple[str, str]:
    """HTML bytes to text: the profile's override when it decodes, else the browsers' order."""
    if override:
        codec = canonical_encoding(override) or override
        try:
            return body.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            log.info("declared override %s does not decode; detecting instead", override)
    return decode_html(body, header_charset)


def is_article(ex: Extracted, min_chars: int = MIN_ARTICLE_CHARS) -> bool:
    """A page with a title, a date and a long main text is an article (the issue's rule,
    judged by ``archive.extract.html.is_article``); ``min_chars`` can only raise the bar."""
    return _is_article(ex) and len("".join(ex.text.split())) >= min_chars


def _stored_url(ex: Any, url: str) -> str:
    """rel=canonical when it plausibly names this page, else the fetched URL; cleaned."""
    target = url
    canon = getattr(ex, "canonical_url", None)
    if canon:
        canon = join_url(url, canon.strip())
        parts = urlsplit(canon) if canon else None
        if parts and parts.scheme in ("http", "https") and parts.path not in ("", "/"):
            target = canon
    return canonical_url(target)


def page_document(
    body: bytes,
    url: str,
    *,
    header_charset: str | None = None,
    encoding: str | None = None,
    selectors: dict[str, str] | None = None,
    judge: bool = True,
    min_chars: int = MIN_ARTICLE_CHARS,
    fetched_at: datetime | None = None,
) -> PageResult:
    """Decode, extract and judge one HTML page.

    ``judge=False`` takes the page as an article whenever it has a main text (the site
    profile's article_pattern said so). Relevance is left to the caller (``classify``).
    """
    if not body.strip():
        return PageResult(EMPTY, reason="empty page")
    try:
        text, used = decode_page(body, header_charset, encoding)
    except InputError as exc:
        return PageResult(NOT_HTML, reason=exc.reason)
    ex = extract(text, url, selectors, fetched_at=fetched_at)
    if not (ex.text or "").strip():
        return PageResult(LIST, encoding=used, reason="no main text")
    if judge and not is_article(ex, min_chars):
        return PageResult(LIST, encoding=used, reason="not an article by content")
    published = getattr(ex, "published", None)
    doc = Document(
        url=_stored_url(ex, url),
        title=ex.title or "",
        text=ex.text,
        author=getattr(ex, "author", None),
        published_at=published.value if published else None,
        published_precision=published.precision if published else None,
        fetched_at=fetched_at,
        images=list(getattr(ex, "images", []) or []),
        raw=body,
    )
    doc.extra["encoding"] = used
    if getattr(ex, "source", None):
        doc.extra["publisher"] = ex.source
    if doc.url != canonical_url(url):
        doc.extra["fetched_url"] = url
    return PageResult(ARTICLE, document=doc, encoding=used)


def more_pages_text(
    first: Document,
    first_body: bytes,
    pages: list[tuple[str, bytes, str | None]],
    *,
    header_charset: str | None = None,
    encoding: str | None = None,
    selectors: dict[str, str] | None = None,
) -> list[str]:
    """The main texts of pages 2, 3, ... of an article split over pages.

    ``pages`` are (url, body, header charset). A short further page can make the
    extractor take in the page furniture around its text (the dateline, say); lines
    that the first page shows outside its own main text are dropped for that reason:
    the pages of one article share their template.
    """
    try:
        html, _ = decode_page(first_body, header_charset, encoding)
    except InputError:
        html = ""
    kept = set(first.text.split("\n"))
    furniture = [ln.split() for ln in visible_lines(html, first.url) if ln not in kept]
    texts = []
    for url, body, charset in pages:
        result = page_document(
            body, url, header_charset=charset, encoding=encoding, selectors=selectors, judge=False
        )
        doc = result.document
        lines = doc.text.split("\n") if doc else []
        texts.append("\n".join(ln for ln in lines if not _is_furniture(ln.split(), furniture)))
    return texts


def _is_furniture(words: list[str], furniture: list[list[str]]) -> bool:
    """Whether a line's words appear, in order, in one furniture line of the first page
    (the extractor may have dropped a share bar or a button from the middle of it)."""
    if not words:
        return False
    for line in furniture:
        it = iter(line)
        if all(w in it for w in words):
            return True
    return False
