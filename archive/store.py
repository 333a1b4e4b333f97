"""Storing Documents as articles: new, updated (a new version) or unchanged.

Callers own the transaction (``with archive.session() as s: store_document(s, …)``); nothing
here commits. A changed text at a known URL keeps the earlier text as a Version with
its diff to the new one.
"""

from __future__ import annotations

import difflib
import enum
from dataclasses import dataclass
from typing import Literal, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from .document import Document
from .extract.relevance import classify
from .indicators import record as record_indicators
from .models import Article, ArticleAlias, Source, Version, utcnow
from .normalize import normalize
from .rawstore import RawStore, sha256
from .scrub import scrub_document
from .times import with_offset


class Outcome(enum.StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class LineChange(TypedDict):
    """One paragraph-level change from a version to the next (``Version.diff_to_next``)."""

    op: Literal["replace", "insert", "delete"]
    a: str  # the earlier version's paragraphs (empty for an insertion)
    b: str  # the next version's paragraphs (empty for a deletion)


@dataclass
class Stored:
    article: Article
    outcome: Outcome


def content_hash(norm_text: str, title: str = "") -> str:
    return sha256(f"{title.strip()}\n{norm_text}".encode())


def get_source(session: Session, doc: Document) -> Source | None:
    """The Source row for a document's publisher, created on first sight."""
    key = doc.source_key or doc.source_name
    if not key:
        return None
    src = session.scalar(select(Source).where(Source.key == key))
    if src is None:
        src = Source(
            key=key, name=doc.source_name or key, domain=doc.source_domain, kind=doc.source_kind
        )
        session.add(src)
        session.flush()
    else:
        if doc.source_kind and not src.kind:
            src.kind = doc.source_kind
        if doc.source_domain and not src.domain:
            src.domain = doc.source_domain
    return src


def store_document(session: Session, doc: Document, raw: RawStore | None = None) -> Stored:
    """Insert or update the article at ``doc.url`` (its strings scrubbed first)."""
    doc = scrub_document(doc)
    norm = normalize(doc.text)
    digest = content_hash(norm, doc.title)
    raw_hash = sha256(doc.raw) if doc.raw is not None else None
    existing = session.scalar(select(Article).where(Article.url == doc.url))
    if existing is not None and existing.content_hash == digest:
        return Stored(existing, Outcome.UNCHANGED)
    raw_ref = doc.raw_ref
    if raw_ref is None and doc.raw is not None and raw is not None:
        raw_ref = raw.put(doc.raw)
    source = get_source(session, doc)
    now = utcnow()
    if existing is not None:
        session.add(
            Version(
                article=existing,
                title=existing.title,
                text=existing.text,
                content_hash=existing.content_hash,
                raw_ref=existing.raw_ref,
                fetched_at=existing.fetched_at,
                replaced_at=now,
                diff_to_next=line_changes(existing.text, doc.text),
            )
        )
        article = existing
        article.version_count += 1
        outcome = Outcome.UPDATED
    else:
        article = Article(url=doc.url)
        session.add(article)
        outcome = Outcome.NEW
    article.source = source
    article.site = doc.site
    article.title = doc.title
    article.author = doc.author
    article.published_at = doc.published_at
    article.published_precision = doc.published_precision
    article.fetched_at = doc.fetched_at or now
    article.text = doc.text
    article.norm_text = norm
    article.content_hash = digest
    article.raw_hash = raw_hash
    article.raw_ref = raw_ref
    # every way in is tagged once: the crawler and a WARC import have classified
    # (``doc.classified``), an imported file is classified here unless it names its types
    types = doc.fraud_types
    if not types and not doc.classified:
        types = classify(doc.title, doc.text).fraud_types
    article.fraud_types = list(types)
    article.image_urls = list(doc.images)
    article.extra = with_offset(dict(doc.extra), doc.published_at)  # the page's zone
    article.changed_at = now
    article.needs_dedup = True
    article.needs_index = True
    session.flush()
    for alias in dict.fromkeys(doc.aliases):
        if alias != article.url:
            session.merge(ArticleAlias(url=alias, article_id=article.id, kind="page"))
    record_indicators(session, article)
    return Stored(article, outcome)


def line_changes(old: str, new: str) -> list[LineChange]:
    """Paragraph-level changes from ``old`` to ``new`` (for version history)."""
    a, b = old.split("\n"), new.split("\n")
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return [
        {"op": tag, "a": "\n".join(a[i1:i2]), "b": "\n".join(b[j1:j2])}
        for tag, i1, i2, j1, j2 in ops
        if tag != "equal"
    ]
