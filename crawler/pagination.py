"""Articles split over pages: which link on an article page is its next page.

Chinese news and police sites split long articles over several pages: ``123.html``,
``123_2.html``, ``123_3.html`` (or ``123-2.html``, or ``?page=2`` on the same URL), with
a pager ("上一页 1 2 3 下一页") under the text. The crawler joins such pages into one
article. The rules are deliberately strict, because joining two different articles is
worse than keeping a page apart:

- the first page's pager is recognised only when a link to page 2 is built from the
  page's *own* URL (``<stem>_2<ext>``, ``<stem>-2<ext>``, or the same URL with a page
  parameter of 2) **and** its anchor says so (下一页/下页/后页/next, or the digit 2);
- later pages follow the pattern found on the first page, page k linking to page k+1;
- "下一篇" (next article) links never match: they point at another article's URL.

A site profile cannot switch this on or off page by page; it is one rule for all sites.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# how many pages one article may have (a pager loop or a runaway site stops here)
MAX_PAGES = 20

_PATH = re.compile(r"^(?P<stem>.*[^/])(?P<ext>\.[A-Za-z]{2,5})$|^(?P<bare>.*[^/])$")
_PAGE_PARAMS = ("page", "p", "pn", "pg", "pageno", "page_no", "pageNo", "pageIndex", "curpage")
_NEXT_WORDS = re.compile(r"^\s*(下一页|下页|后页|下一頁|下頁|next|›|»|>>?)\s*$", re.I)
_PAGE_TWO = re.compile(r"^\s*[\[【(（]?\s*(第\s*)?2\s*(页|頁)?\s*[\]】)）]?\s*$")


@dataclass(frozen=True)
class Pager:
    """How the pages of one article are addressed: page ``n``'s URL is ``url_for(n)``."""

    kind: str  # "path" (stem + sep + n + ext) or "query" (a page parameter)
    first_url: str
    stem: str = ""
    sep: str = "_"
    ext: str = ""
    param: str = ""

    def url_for(self, n: int) -> str:
        parts = urlsplit(self.first_url)
        if n == 1:
            return self.first_url
        if self.kind == "path":
            return urlunsplit(
                parts._replace(path=f"{self.stem}{self.sep}{n}{self.ext}", query=parts.query)
            )
        query = [
            (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != self.param
        ]
        query.append((self.param, str(n)))
        return urlunsplit(parts._replace(query=urlencode(query)))


def _same(url_a: str, url_b: str) -> bool:
    a, b = urlsplit(url_a), urlsplit(url_b)
    if (a.scheme, (a.hostname or "").lower(), a.port, a.path) != (
        b.scheme,
        (b.hostname or "").lower(),
        b.port,
        b.path,
    ):
        return False
    return sorted(parse_qsl(a.query, keep_blank_values=True)) == sorted(
        parse_qsl(b.query, keep_blank_values=True)
    )


def _candidates(url: str) -> list[Pager]:
    """Every way page 2 of ``url`` could be addressed (``url`` taken as page 1)."""
    parts = urlsplit(url)
    out: list[Pager] = []
    m = _PATH.match(parts.path)
    if m and not parts.path.endswith("/"):
        stem = m.group("stem") or m.group("bare")
        ext = m.group("ext") or ""
        out += [Pager("path", url, stem=stem, sep=sep, ext=ext) for sep in ("_", "-")]
    have = {k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    out += [Pager("query", url, param=p) for p in _PAGE_PARAMS if p not in have]
    return out


def find_pager(url: str, links: Iterable[tuple[str, str]]) -> Pager | None:
    """The pager of an article's first page, or None when the page has none.

    ``links`` are the page's (absolute URL, anchor text) pairs. A pager counts only when
    a link to page 2, built from this URL, is anchored "下一页" or "2".
    """
    links = list(links)
    for pager in _candidates(url):
        second = pager.url_for(2)
        for href, text in links:
            if _same(href, second) and (_NEXT_WORDS.match(text) or _PAGE_TWO.match(text)):
                return pager
    return None


def next_page(pager: Pager, current: int, links: Iterable[tuple[str, str]]) -> str | None:
    """Page ``current + 1``'s URL when page ``current`` links to it (else None)."""
    if current >= MAX_PAGES:
        return None
    target = pager.url_for(current + 1)
    return next((target for href, _ in links if _same(href, target)), None)


def pager_pages(pager: Pager, links: Iterable[tuple[str, str]]) -> list[str]:
    """The URLs among ``links`` that are pages 2..MAX_PAGES of this pager's article."""
    wanted = {pager.url_for(n): n for n in range(2, MAX_PAGES + 1)}
    found = {}
    for href, _ in links:
        for url in wanted:
            if _same(href, url):
                found[url] = wanted[url]
    return sorted(found, key=found.__getitem__)
