"""When a page was published: the places a Chinese news page states it, most reliable first.

1. structured metadata: JSON-LD (``datePublished``, ``dateCreated``, ``pubDate``), meta
   tags (``article:published_time``, ``PubDate``, ``publishdate``, … and, last, the
   modified/updated names a page falls back on), ``<time datetime>``;
2. script variables: WeChat's ``var ct = "1652236800"`` and ``publish_time``/``pubtime``
   style assignments, anywhere in the page;
3. the byline under the headline (``发布时间：2022-05-11 10:23``, ``2022年05月11日``);
4. a labelled date anywhere in the visible text (``发布日期：…``);
5. the URL (``/t20220511_``, ``/2022-05/11/``);
6. the first date with a time of day in the visible text (a byline the headline finder
   missed);
7. a date relative to the fetch time in the byline (``昨天 09:30``, ``3小时前``, ``10-08 12:00``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from lxml.html import HtmlElement

from .dates import ParsedDate, parse_date, parse_relative, url_date
from .metadata import json_ld, meta_content

#: meta names of a publication time, in order of trust; modified/updated names last
DATE_META = (
    "article:published_time",
    "og:article:published_time",
    "og:release_date",
    "published_time",
    "pubdate",
    "PubDate",
    "pubDate",
    "publishdate",
    "publishDate",
    "publish_date",
    "publish-date",
    "publishtime",
    "firstpublishedtime",
    "datePublished",
    "dateCreated",
    "dc.date.issued",
    "DC.date.issued",
    "dc.date",
    "DC.Date",
    "date",
    "sailthru.date",
    "weibo:article:create_at",
    "bytedance:published_time",
    "apub:time",
    "article:modified_time",
    "og:updated_time",
    "lastmodifiedtime",
    "dateModified",
    "dateUpdate",
)
JSON_LD_KEYS = ("datePublished", "dateCreated", "uploadDate", "pubDate")
_WECHAT_CT = re.compile(r"""var\s+ct\s*=\s*["']?(\d{10})["']?""")
_SCRIPT_TIME = re.compile(
    r"""["']?(?:publish_time|publishTime|pubtime|pubTime|pub_time|createTime|create_time)["']?"""
    r"""\s*[=:]\s*["'](\d{4}-\d{1,2}-\d{1,2}[^"']{0,20})["']"""
)
_LABELLED_DATE = re.compile(
    r"(?:发布时间|发布日期|发表时间|发表日期|发稿时间|时间|日期|更新时间|Published|Date)\s*[:：]\s*"
)
_DATE_AND_TIME = re.compile(
    r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*\d{1,2}\s*[:：时]\s*\d{2}"
)
#: how far into the byline a relative date is looked for (the byline runs into the body)
RELATIVE_SPAN = 120


def find_published(
    doc: HtmlElement,
    html_text: str,
    byline: str,
    url: str | None,
    page_text: str = "",
    fetched_at: datetime | None = None,
) -> ParsedDate | None:
    """The published time of a page (see the module's order), or None."""
    for candidate in _markup_candidates(doc, html_text):
        parsed = parse_date(candidate)
        if parsed:
            return parsed
    if byline:
        parsed = labelled_date(byline) or parse_date(byline)
        if parsed:
            return parsed
    visible = " ".join(page_text.split())
    parsed = labelled_date(visible) if visible else None
    if parsed:
        return parsed
    parsed = url_date(url) if url else None
    if parsed:
        return parsed
    m = _DATE_AND_TIME.search(visible)
    if m:
        parsed = parse_date(m.group(0))
        if parsed:
            return parsed
    if fetched_at is not None and byline:
        return parse_relative(byline[:RELATIVE_SPAN], fetched_at)
    return None


def _markup_candidates(doc: HtmlElement, html_text: str) -> Iterable[str]:
    for obj in json_ld(doc):
        for key in JSON_LD_KEYS:
            v = obj.get(key)
            if isinstance(v, str):
                yield v
    v = meta_content(doc, *DATE_META)
    if v:
        yield v
    for t in doc.xpath("//time[@datetime]/@datetime|//*[@itemprop='datePublished']/@content"):
        yield str(t)
    m = _WECHAT_CT.search(html_text)
    if m:
        yield m.group(1)
    m = _SCRIPT_TIME.search(html_text)
    if m:
        yield m.group(1)


def labelled_date(text: str) -> ParsedDate | None:
    """A date after a label such as ``发布时间：``, else None."""
    for m in _LABELLED_DATE.finditer(text):
        parsed = parse_date(text[m.end() : m.end() + 40])
        if parsed:
            return parsed
    return None
