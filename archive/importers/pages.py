"""A fetched web page (bytes + headers) into a Document, or a verdict why it is none.

One function shared by the crawler's pipelines and the WARC importer, so a page read
from a WARC file later is extracted exactly as a live crawl would. The extraction
itself lives in ``archive.extract`` (decoding, main text, canonical URL, relevance);
this module only puts the pieces together and judges whether a page is an article.
"""

from __future__ import annotations

import inspect
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from ..document import Document
from ..extract import encoding as enc_mod
from ..extract import html as html_mod

log = logging.getLogger(__name__)

MIN_ARTICLE_CHARS = 200

# Verdicts for a page that is not stored as an article (recorded in seen_url).
ARTICLE, LIST, IRRELEVANT, NOT_HTML, EMPTY = "article", "list", "irrelevant", "not-html", "empty"


@dataclass
class Relevance:
    """Fallback shape of ``archive.extract.relevance.Relevance``."""

    score: float
    relevant: bool
    fraud_types: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)


@dataclass
class PageResult:
    """What a page turned out to be: an article Document, or a verdict and a reason."""

    verdict: str
    document: Document | None = None
    encoding: str | None = None
    reason: str = ""
    relevance: Any = None


def decode_page(body: bytes, header_charset: str | None, override: str | None = None) -> tuple[str, str]:
    """HTML bytes to text: the profile's override, else ``archive.extract.encoding``."""
    if override:
        codec = enc_mod.canonical_encoding(override) or override
        try:
            return body.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            log.info("declared override %s does not decode; detecting instead", override)
    decode_html = getattr(enc_mod, "decode_html", None)
    if decode_html is not None:
        return decode_html(body, header_charset)
    return _decode_fallback(body, header_charset)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def _decode_fallback(body: bytes, header_charset: str | None) -> tuple[str, str]:
    meta = _META_CHARSET.search(body[:4096])
    declared = [header_charset, meta.group(1).decode("ascii") if meta else None]
    for name in (*declared, "utf-8", "gb18030"):
        codec = enc_mod.canonical_encoding(name)
        if codec:
            try:
                return body.decode(codec), codec
            except UnicodeDecodeError:
                continue
    return body.decode("utf-8", errors="replace"), "utf-8"


_TRACKING = re.compile(r"^(utm_\w+|spm|from|share_?\w*|scene|srcid|fbclid|gclid|isappinstalled|wfr|chksm)$", re.I)


def canonical_url(url: str) -> str:
    """The URL a page is stored under: ``archive.extract.urls.canonical_url`` when built."""
    try:
        from ..extract.urls import canonical_url as theirs
    except ImportError:
        theirs = None
    if theirs is not None:
        return theirs(url)
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(query), "")
    )


_KEYWORDS = ("诈骗", "反诈", "电诈", "骗子", "骗局", "被骗", "防骗", "刷单", "杀猪盘", "冒充", "转账", "验证码", "公检法")


def classify(title: str, text: str) -> Any:
    """Relevance of a text to anti-fraud: ``archive.extract.relevance.classify`` when built."""
    try:
        from ..extract.relevance import classify as theirs
    except ImportError:
        theirs = None
    if theirs is not None:
        return theirs(title, text)
    body = f"{title}\n{text}"
    matched = [k for k in _KEYWORDS if k in body]
    score = float(len(matched)) + (1.0 if any(k in title for k in _KEYWORDS) else 0.0)
    return Relevance(score=score, relevant=score >= 3, matched=matched)


def _accepts_selectors() -> bool:
    try:
        return "selectors" in inspect.signature(html_mod.extract).parameters
    except (TypeError, ValueError):
        return False


_EXTRACT_TAKES_SELECTORS = _accepts_selectors()


def extract(page: str, url: str, selectors: dict[str, str] | None = None) -> Any:
    """``archive.extract.html.extract``, with the profile's selectors where it takes them."""
    if _EXTRACT_TAKES_SELECTORS:
        return html_mod.extract(page, url, selectors=selectors or None)
    ex = html_mod.extract(page, url)
    if selectors:
        _apply_selectors(ex, page, selectors)
    return ex


def _nodes(sel: Any, query: str) -> Any:
    return sel.xpath(query) if query.startswith(("/", "(")) else sel.css(query)


def _node_text(node: Any) -> str:
    if isinstance(node.root, str):  # an attribute or text() result
        return " ".join(node.root.split())
    return " ".join(" ".join(node.xpath(".//text()").getall()).split())


def _apply_selectors(ex: Any, page: str, selectors: dict[str, str]) -> None:
    """Minimal selector overlay used until the extractor takes selectors itself."""
    from parsel import Selector

    from ..extract.dates import parse_date
    from ..normalize import join_broken_lines

    sel = Selector(text=page)
    found = {
        name: next((t for t in map(_node_text, _nodes(sel, query)) if t), None)
        for name, query in selectors.items()
        if name in ("title", "source", "author", "published")
    }
    for name in ("title", "source", "author"):
        if found.get(name):
            setattr(ex, name, found[name])
    if found.get("published"):
        ex.published = parse_date(found["published"]) or ex.published
    nodes = _nodes(sel, selectors["body"]) if "body" in selectors else []
    if nodes:
        paras = [_node_text(p) for p in nodes[0].xpath(".//p")] or [_node_text(nodes[0])]
        ex.text = join_broken_lines("\n".join(p for p in paras if p))


def is_article(ex: Any, min_chars: int = MIN_ARTICLE_CHARS) -> bool:
    """A page with a title, a date and a long main text is an article (the issue's rule).

    Uses the extractor's own judgement (``Extracted.is_article``) where it gives one.
    """
    own = getattr(ex, "is_article", None)
    if isinstance(own, bool):
        return own
    if callable(own):
        return bool(own())
    judge = getattr(html_mod, "is_article", None)
    if callable(judge):
        return bool(judge(ex))
    return bool(ex.title) and ex.published is not None and len(ex.text or "") >= min_chars


def _stored_url(ex: Any, url: str) -> str:
    """rel=canonical when it plausibly names this page, else the fetched URL; cleaned."""
    target = url
    canon = getattr(ex, "canonical_url", None)
    if canon:
        canon = urljoin(url, canon.strip())
        parts = urlsplit(canon)
        if parts.scheme in ("http", "https") and parts.path not in ("", "/"):
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
    text, used = decode_page(body, header_charset, encoding)
    ex = extract(text, url, selectors)
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
