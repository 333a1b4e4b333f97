"""Main text and metadata from an article page.

``extract(page, url, selectors)`` is the one entry point: site selectors (CSS or
XPath) win for the fields they name; everything else comes from the generic
extractor (``density.py`` for the main text, ``metadata.py`` for the fields).
``Extracted.looks_like_article`` tells an article from a list, tag or search page.
"""

from __future__ import annotations

import copy
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree
from lxml import html as lxml_html
from lxml.etree import ParserError
from lxml.html import HtmlElement

from . import metadata as md
from .author import author_of
from .dates import ParsedDate, parse_date, parse_relative
from .density import (
    block_lines,
    clean_tree,
    filter_lines,
    find_headline,
    iter_images,
    main_text,
)
from .pubdate import find_published, labelled_date
from .publisher import publisher_of
from .repair import repair_swallowed
from .urls import join_url

log = logging.getLogger(__name__)

SELECTOR_KEYS = ("title", "body", "published", "source", "author")

#: what ``looks_like_article`` asks of a page
MIN_ARTICLE_CHARS = 150
MAX_ARTICLE_LINK_DENSITY = 0.35
_DATE_IN_LINE = re.compile(r"(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}")


@dataclass
class Extracted:
    title: str = ""
    text: str = ""
    published: ParsedDate | None = None
    author: str | None = None
    source: str | None = None
    images: list[str] = field(default_factory=list)
    canonical_url: str | None = None
    description: str | None = None
    keywords: list[str] = field(default_factory=list)
    lang: str | None = None
    site_name: str | None = None
    #: share of the main block's characters that are link text (0 = none)
    link_density: float = 1.0
    #: dates found in the main text's lines: many of them mark a list page
    dated_lines: int = 0

    @property
    def looks_like_article(self) -> bool:
        """A title, a date and a long main text with few links: an article page.

        List, tag, navigation and search pages fail at least one test: their main
        block is short, link-heavy, or a column of dated headlines.
        """
        return is_article(self)


def is_article(ex: Extracted) -> bool:
    """Whether ``ex`` reads as one article (see ``Extracted.looks_like_article``)."""
    chars = len("".join(ex.text.split()))
    if not ex.title or ex.published is None or chars < MIN_ARTICLE_CHARS:
        return False
    if ex.link_density > MAX_ARTICLE_LINK_DENSITY:
        return False
    lines = max(1, ex.text.count("\n") + 1)
    return not (ex.dated_lines >= 5 and ex.dated_lines >= lines / 3)


def parse_page(page: str, url: str | None = None) -> HtmlElement | None:
    """An lxml tree of the page, or None when there is nothing to parse."""
    if not page or not page.strip():
        return None
    if page.lstrip().startswith("<?xml"):
        page = re.sub(r"^\s*<\?xml[^>]*\?>", "", page)
    try:
        doc = lxml_html.document_fromstring(page, base_url=url)
    except (ParserError, ValueError, etree.ParserError):
        return None
    repair_swallowed(doc)
    return doc


def extract(
    page: str,
    url: str | None = None,
    selectors: dict | None = None,
    fetched_at: datetime | None = None,
) -> Extracted:
    """Extract an article from HTML text; an empty Extracted for an empty page.

    ``selectors`` maps ``title``/``body``/``published``/``source``/``author`` to a CSS
    selector or an XPath (starting with ``/`` or ``(``); a selector that matches
    nothing falls back to the generic extractor for that field. ``fetched_at`` is the
    moment the page was fetched: relative dates (``昨天 09:30``) are read against it.
    """
    doc = parse_page(page, url)
    if doc is None:
        return Extracted()
    sel = {k: v for k, v in (selectors or {}).items() if k in SELECTOR_KEYS and v}
    out = Extracted()
    generic_title = md.clean_title(doc)
    out.title = _select_text(doc, sel.get("title")) or generic_title
    out.description = md.meta_content(doc, "description", "og:description")
    kw = md.meta_content(doc, "keywords", "news_keywords")
    out.keywords = [k for k in re.split(r"[,，;；、\s]+", kw or "") if k]
    out.lang = (doc.get("lang") or md.meta_content(doc, "language", "og:locale") or None) or None
    out.site_name = md.meta_content(doc, "og:site_name", "SiteName", "sitename")
    canon = next(iter(doc.xpath("//link[@rel='canonical']/@href")), None)
    out.canonical_url = join_url(url, canon.strip()) if canon and url else canon
    work = copy.deepcopy(doc)
    clean_tree(work)
    body = work.find("body")
    if body is None:
        body = work
    headline = find_headline(body, generic_title)
    byline = _byline(body, generic_title, headline)

    sel_pub = _select_text(doc, sel.get("published"))
    out.published = (labelled_date(sel_pub) or parse_date(sel_pub)) if sel_pub else None
    if out.published is None and sel_pub and fetched_at is not None:
        out.published = parse_relative(sel_pub, fetched_at)
    if out.published is None:
        out.published = find_published(
            doc, page, byline, url, page_text=body.text_content()[:20_000], fetched_at=fetched_at
        )
    page_text = " ".join(body.itertext())

    body_el = _select_one(doc, sel.get("body"))
    if body_el is not None:
        clean_tree(body_el)
        lines = filter_lines(block_lines(body_el), out.title)
        out.text = "\n".join(lines)
        out.link_density = _link_density(body_el)
        parts = [body_el]
    else:
        result = main_text(body, title=out.title, headline=headline)
        out.text, out.link_density, parts = result.text, result.link_density, result.parts
    out.source = _clean_field(_select_text(doc, sel.get("source"))) or publisher_of(
        doc, page[:300_000], byline, page_text, out.text
    )
    out.author = _clean_field(_select_text(doc, sel.get("author"))) or author_of(
        doc, byline, page_text, out.text, out.source
    )
    out.images = _images(parts, url)
    out.dated_lines = sum(1 for ln in out.text.split("\n") if _DATE_IN_LINE.search(ln))
    return out


def _images(parts: list[HtmlElement], url: str | None) -> list[str]:
    seen: list[str] = []
    for el in parts:
        for src in iter_images(el):
            absolute = join_url(url, src) if url else src
            if absolute is None:
                continue
            if absolute not in seen:
                seen.append(absolute)
    return seen


def _link_density(el: HtmlElement) -> float:
    n = len("".join(el.text_content().split()))
    if not n:
        return 1.0
    return sum(len("".join(a.text_content().split())) for a in el.iter("a")) / n


BYLINE_CHARS = 400


def _byline(body: HtmlElement, title: str, headline: HtmlElement | None) -> str:
    """The text right after the headline, where pages print date, source and author."""
    if headline is not None:
        parts = [headline.tail or ""]
        node = headline
        size = 0
        while node is not None and size < BYLINE_CHARS:
            for sib in node.itersiblings():
                chunk = sib.text_content() + (sib.tail or "")
                parts.append(chunk)
                size += len(chunk)
                if size >= BYLINE_CHARS:
                    break
            node = node.getparent()
        return " ".join(" ".join(parts).split())[:BYLINE_CHARS]
    text = " ".join(body.text_content().split())
    squashed_title = title.strip()
    pos = text.find(squashed_title) if squashed_title else -1
    if pos >= 0:
        return text[pos + len(squashed_title) : pos + len(squashed_title) + BYLINE_CHARS]
    return text[:1500]


def _is_xpath(selector: str) -> bool:
    return selector.lstrip().startswith(("/", "(", "./"))


def _select(doc: HtmlElement, selector: str | None) -> list:
    if not selector:
        return []
    try:
        if _is_xpath(selector):
            return list(doc.xpath(selector))
        return list(doc.cssselect(selector))
    except (etree.XPathError, ValueError, SyntaxError) as exc:
        log.warning("bad selector %r: %s", selector, exc)
        return []
    except Exception as exc:  # cssselect's SelectorError is not a ValueError
        log.warning("bad selector %r: %s", selector, exc)
        return []


def _select_one(doc: HtmlElement, selector: str | None) -> HtmlElement | None:
    for el in _select(doc, selector):
        if isinstance(el, HtmlElement):
            return copy.deepcopy(el)
    return None


def _select_text(doc: HtmlElement, selector: str | None) -> str:
    for el in _select(doc, selector):
        text = el.text_content() if isinstance(el, HtmlElement) else str(el)
        text = " ".join(text.split())
        if text:
            return text
    return ""


def _clean_field(value: str) -> str | None:
    value = re.sub(r"^(?:来源|作者|记者|稿源|编辑)\s*[:：]\s*", "", value or "").strip()
    return value or None


def visible_lines(page: str, url: str | None = None) -> list[str]:
    """Every text line of a page's body after the extractor's cleaning (scripts, share
    bars and the like removed): what the page shows besides its main text too."""
    doc = parse_page(page, url)
    if doc is None:
        return []
    clean_tree(doc)
    body = doc.find("body")
    return [ln for ln in block_lines(body if body is not None else doc) if ln.strip()]
