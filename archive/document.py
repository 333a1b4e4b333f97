"""The record every producer hands to the archive: an importer, the crawler, a WARC."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Document:
    """One copy of an article, extracted and ready to store.

    ``text`` is the clean main text (paragraphs separated by newlines); the archive
    derives the normalised form itself. ``raw`` is the original bytes to keep, unless
    ``raw_ref`` already points at a kept copy (a WARC record).
    """

    url: str
    title: str
    text: str
    author: str | None = None
    source_name: str | None = None
    source_key: str | None = None
    source_kind: str | None = None
    source_domain: str | None = None
    #: the site profile it was crawled from (``Article.site``); None for imported files
    site: str | None = None
    published_at: datetime | None = None
    published_precision: str | None = None
    fetched_at: datetime | None = None
    images: list[str] = field(default_factory=list)
    fraud_types: list[str] = field(default_factory=list)
    #: ``fraud_types`` is already classify's verdict (the crawler and the WARC import
    #: classify before storing), so storing does not classify again, even when it is empty
    classified: bool = False
    raw: bytes | None = None
    raw_ref: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # further URLs of this same article (the pages 2, 3, ... of a split article)
    aliases: list[str] = field(default_factory=list)
