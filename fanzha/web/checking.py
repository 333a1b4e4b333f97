"""The check behind the check page and ``POST /api/check``: text or URL in, matches out.

A URL is fetched with ``fetch.fetch`` (schemes, addresses, size and time checked),
its main text extracted, then Dedup's ``check_text`` finds the archived
near-duplicates. When the URL is itself archived, that article is named too, so
the page can link a diff between two archived copies.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from archive import Archive
from archive.dedup.queries import check_text
from archive.extract.encoding import decode_text
from archive.extract.html import extract
from archive.models import Article
from archive.normalize import clean_markup
from search.passages import passage_candidates

from ..config import Settings
from ..errors import UsageError
from .fetch import FetchRefused, fetch

MAX_TEXT = 1_000_000  # characters of pasted text


def text_of_page(url: str, body: bytes, content_type: str) -> tuple[str | None, str]:
    """(title, main text) of a fetched page: HTML extracted, plain text cleaned."""
    page, _ = decode_text(body, url)
    if "html" in content_type.lower() or page.lstrip()[:15].lower().startswith(
        ("<!doctype", "<html")
    ):
        ex = extract(page, url)
        return ex.title or None, ex.text
    return None, clean_markup(page).text


def run_check(
    archive: Archive,
    settings: Settings,
    *,
    text: str | None = None,
    url: str | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """DESIGN ``check`` shape plus ``"input"`` (what was checked) and ``"archived"``."""
    text = (text or "").strip()
    url = (url or "").strip()
    if not text and not url:
        raise UsageError("give the text of an article, or its URL")
    if len(text) > MAX_TEXT:
        raise UsageError(f"text too long: {len(text)} characters (at most {MAX_TEXT})")
    archived = None
    fetched_url = None
    if url and not text:
        got = fetch(url, allow_private=settings.allow_private_fetch)
        fetched_url = got.url
        page_title, text = text_of_page(got.url, got.body, got.content_type)
        title = title or page_title
        if not text.strip():
            raise FetchRefused(f"{got.url}: no article text found on the page")
    if url:
        with archive.session() as s:
            hit = s.scalar(select(Article.id).where(Article.url.in_({url, fetched_url or url})))
            archived = hit
    result = dict(check_text(archive, text, title=title or None, also=passage_candidates))
    result["input"] = {
        "url": url or None,
        "fetched_url": fetched_url,
        "title": title or None,
        "text": text,
        "chars": len(text),
    }
    result["archived"] = archived
    return result
