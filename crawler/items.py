"""The item a spider hands to the pipelines: one fetched page, raw, with its context."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ContinuationPage:
    """Page 2, 3, ... of an article split over pages (see ``crawler.pagination``)."""

    url: str
    body: bytes
    header_charset: str | None = None
    warc_ref: str | None = None


@dataclass
class PageItem:
    """One HTML page as fetched; the pipelines fill in the lower half.

    ``hint`` is what the site profile says of the URL: ``article`` (it matches
    article_pattern), ``list`` (a start URL or follow_pattern page) or ``auto`` (judge
    by content).
    """

    site: str
    url: str
    request_url: str
    status: int
    body: bytes
    fetched_at: datetime
    header_charset: str | None = None
    warc_ref: str | None = None
    hint: str = "auto"
    # the article's further pages, in order, when it is split over pages
    pages: list[ContinuationPage] = field(default_factory=list)
    pages_complete: bool = True  # False: a further page could not be fetched
    # filled by the pipelines
    verdict: str | None = None
    document: Any = None  # archive.Document
    relevance: Any = None
    outcome: str | None = None
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
