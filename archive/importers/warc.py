"""Re-extracting articles from WARC files (``fanzha import FILE.warc``).

Every HTML response record is extracted again with the current extractor, the same
way a live crawl extracts a page (``archive.extract.page.page_document``), so a better extractor
later needs no re-crawl. A record is stored when it is an article and either its URL
is already archived (it is re-extracted: a changed text becomes a new version) or
its text is about fraud. Records of a WARC file inside ``HOME/warc`` keep pointing at
that file (``warc:<file>#<offset>``); others have their payload copied into the raw
store.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from ..db import Archive
from ..extract.page import ARTICLE, canonical_url, classify, page_document
from ..models import Article
from ..provenance import attribute
from ..rawstore import RawStore
from ..store import store_document
from ..warcstore import WarcResponse, iter_responses

log = logging.getLogger(__name__)

BATCH = 200


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def _is_html(rec: WarcResponse) -> bool:
    ctype = rec.content_type.lower()
    return rec.status == 200 and (
        "html" in ctype or (not ctype and b"<html" in rec.body[:2048].lower())
    )


def import_warc(archive: Archive, path: Path, report: Any) -> None:
    """Store the articles found in the WARC file at ``path``; counts go into ``report``."""
    path = Path(path)
    in_home = path.resolve().parent == archive.warc_dir.resolve()
    raw = RawStore(archive.raw_dir)
    with archive.session() as s:
        archived = set(s.scalars(select(Article.url)).all())
    ignored = 0
    pending: list[tuple[WarcResponse, Any]] = []
    for rec in iter_responses(path):
        if not _is_html(rec):
            ignored += 1
            continue
        result = page_document(
            rec.body,
            rec.url,
            header_charset=_charset(rec.content_type),
            fetched_at=rec.date,
            judge=canonical_url(rec.url) not in archived,  # archived: known to be an article
        )
        if result.verdict != ARTICLE or result.document is None:
            ignored += 1
            continue
        doc = result.document
        if in_home:
            doc.raw_ref = rec.ref
        pending.append((rec, doc))
        if len(pending) >= BATCH:
            ignored += _store_batch(archive, raw, path, pending, report)
            pending = []
    if pending:
        ignored += _store_batch(archive, raw, path, pending, report)
    if ignored:
        report.skipped.append(
            {"path": str(path), "reason": f"{ignored} records were not relevant articles"}
        )


def _store_batch(
    archive: Archive, raw: RawStore, path: Path, batch: list[tuple[WarcResponse, Any]], report: Any
) -> int:
    """Store one batch in one transaction; returns how many records were left out."""
    left_out = 0
    with archive.session() as s:
        for rec, doc in batch:
            existing = s.scalar(select(Article).where(Article.url == doc.url))
            rel = classify(doc.title, doc.text)
            if existing is None and not rel.relevant:
                left_out += 1
                continue
            doc.fraud_types, doc.classified = list(rel.fraud_types), True
            if existing is not None and existing.source is not None:
                src = existing.source
                doc.source_key, doc.source_name = src.key, src.name
                doc.source_kind, doc.source_domain = src.kind, src.domain
                doc.site = existing.site
            else:
                host = urlsplit(doc.url).hostname or "warc"
                attribute(doc, site_key=host, site_name=host, site_domain=host)
            result = store_document(s, doc, raw)
            report.add(result, f"{path}#{rec.offset}")
    return left_out
