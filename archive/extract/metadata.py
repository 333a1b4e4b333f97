"""Article metadata from a page: meta tags, JSON-LD and the title.

The published time is ``pubdate.find_published``'s, the publisher
``publisher.publisher_of``'s and the author ``author.author_of``'s.
"""

from __future__ import annotations

import json
import re

from lxml.html import HtmlElement

_TITLE_SEPARATORS = re.compile(r"\s*(?:[-_|｜—–]{1,2}|::|——)\s*")


def meta_content(doc: HtmlElement, *names: str) -> str | None:
    """The first non-empty ``content`` of ``<meta property|name|itemprop=NAME>``."""
    wanted = {n.lower() for n in names}
    found: dict[str, str] = {}
    for m in doc.iter("meta"):
        key = (m.get("property") or m.get("name") or m.get("itemprop") or "").strip().lower()
        content = (m.get("content") or "").strip()
        if key in wanted and content and key not in found:
            found[key] = content
    for n in names:
        v = found.get(n.lower())
        if v:
            return v
    return None


def json_ld(doc: HtmlElement) -> list[dict]:
    """The JSON-LD objects of a page (``@graph`` flattened); bad JSON is skipped."""
    out: list[dict] = []
    for s in doc.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(s.text or "")
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        for item in stack:
            if isinstance(item, dict):
                out.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list):
                    out.extend(g for g in graph if isinstance(g, dict))
    return out


def clean_title(doc: HtmlElement) -> str:
    """The headline: og:title, an ``h1`` that matches ``<title>``, or ``<title>`` trimmed."""
    page_title = _text(next(iter(doc.xpath("//title")), None))
    og = meta_content(doc, "og:title", "twitter:title", "ArticleTitle", "title")
    headings = [_text(h) for h in doc.xpath("//h1")[:8]] + [_text(h) for h in doc.xpath("//h2")[:8]]
    headings = [h for h in headings if 4 <= len(h) <= 120]
    if page_title:
        for h in headings:
            if _squash(h) in _squash(page_title):
                return h
    if og:
        og = strip_site_suffix(og)
        if len(og) >= 4:
            return og
    if page_title:
        stripped = strip_site_suffix(page_title)
        for h in headings:
            # an h1 that completes a shortened <title> (not an h2 section heading)
            sq, hq = _squash(stripped), _squash(h)
            if sq and sq in hq and len(hq) <= 2 * len(sq) + 4 and hq != sq:
                return h
        if stripped:
            return stripped
    h1 = [_text(h) for h in doc.xpath("//h1")]
    return next((h for h in h1 if len(h) >= 4), "")


def strip_site_suffix(title: str) -> str:
    """``标题 - 网站名_频道`` -> ``标题``: the longest part when separators split the title."""
    title = " ".join(title.split())
    parts = [p for p in _TITLE_SEPARATORS.split(title) if p]
    if len(parts) <= 1:
        return title
    first = parts[0]
    longest = max(parts, key=len)
    # the headline is usually first; a site name is rarely longer than the headline
    return first if len(first) >= 0.6 * len(longest) or len(first) >= 8 else longest


def _text(el: HtmlElement | None) -> str:
    if el is None:
        return ""
    return " ".join(el.text_content().split())


def _squash(s: str) -> str:
    return "".join(s.split())
