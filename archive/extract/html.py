"""Main text and metadata from an article page.

This is the generic extractor used when a site profile has no selectors: the
block of the page with the most paragraph text wins; title, date, author and
source come from meta tags first and the visible text second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import html as lxml_html
from lxml.etree import ParserError

from ..normalize import join_broken_lines
from .dates import ParsedDate, parse_date

_DROP = ["script", "style", "noscript", "nav", "footer", "header", "aside", "form", "iframe"]


@dataclass
class Extracted:
    title: str = ""
    text: str = ""
    published: ParsedDate | None = None
    author: str | None = None
    source: str | None = None
    images: list[str] = field(default_factory=list)
    canonical_url: str | None = None


def extract(page: str, url: str | None = None) -> Extracted:
    """Extract an article from HTML text; an empty Extracted for an empty page."""
    if not page.strip():
        return Extracted()
    try:
        doc = lxml_html.fromstring(page, base_url=url)
    except (ParserError, ValueError):
        return Extracted()
    out = Extracted()
    out.title = _meta(doc, "og:title") or _first_text(doc, "//h1") or _first_text(doc, "//title")
    for name in ("article:published_time", "pubdate", "publishdate", "PubDate", "og:release_date"):
        out.published = parse_date(_meta(doc, name))
        if out.published:
            break
    out.canonical_url = next(iter(doc.xpath("//link[@rel='canonical']/@href")), None)
    for bad in doc.xpath("|".join(f"//{t}" for t in _DROP)):
        bad.drop_tree()
    best, best_len = None, 0
    for block in doc.xpath("//article|//div|//td|//section|//body"):
        paras = [p.text_content().strip() for p in block.xpath("./p|./div/p")]
        length = sum(len(p) for p in paras)
        if length > best_len:
            best, best_len = block, length
    if best is not None:
        paras = [p.text_content().strip() for p in best.xpath(".//p")]
        out.text = join_broken_lines("\n".join(p for p in paras if p))
        if url:
            best.make_links_absolute(url)
        out.images = [s for s in best.xpath(".//img/@src") if s]
    if out.published is None:
        out.published = parse_date(" ".join(doc.text_content().split())[:3000])
    return out


def _meta(doc: lxml_html.HtmlElement, name: str) -> str | None:
    for v in doc.xpath(f"//meta[@property='{name}' or @name='{name}']/@content"):
        if v.strip():
            return v.strip()
    return None


def _first_text(doc: lxml_html.HtmlElement, xpath: str) -> str:
    for el in doc.xpath(xpath):
        t = re.sub(r"\s+", " ", el.text_content()).strip()
        if t:
            return t
    return ""
