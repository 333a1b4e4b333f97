"""The versions of one URL, and what changed between any two of them.

When the text at a known URL changes, ``store_document`` keeps the earlier text as a
``Version`` row and the article holds the newest. Here they are numbered in the order
they were fetched: 1 is the oldest kept text, the highest number is the article's
current text. A reference ``REF@N`` (``REF`` an article id or URL) names version N;
a plain ``REF`` names the current text. Two references are compared with the same
difference engine, and the same change model, as two copies in a cluster
(``archive.diff``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from .diff import Change, FieldChange, diff_meta, diff_texts, similarity
from .errors import NotFound
from .labels import label_difference
from .lookup import find_article
from .models import Article, Version
from .times import show_time

_VERSIONED = re.compile(r"(?P<ref>.+)@(?P<n>[0-9]+)")


class VersionSummary(TypedDict):
    """One version as ``fanzha versions --json`` lists it."""

    version: int  # 1 = the oldest kept text
    current: bool  # the article's text now
    title: str
    fetched: str | None
    replaced: str | None  # when a newer text replaced it (None: the current text)
    content_hash: str
    chars: int


class VersionedArticle(TypedDict):
    """The article whose versions are listed."""

    id: int
    url: str
    title: str
    versions: int  # how many texts the URL has had


class VersionList(TypedDict):
    """``list_versions``: ``fanzha versions --json``."""

    article: VersionedArticle
    versions: list[VersionSummary]


class VersionSide(TypedDict):
    """One of the two texts a version diff compares."""

    id: int
    url: str
    title: str  # this version's title
    source: str | None
    published: str | None
    version: int
    versions: int
    fetched: str | None  # when this version was fetched


class VersionDiff(TypedDict):
    """``diff_versions``: ``fanzha diff REF@N REF@M --json`` (the diff shape of
    docs/contracts.md, each side naming its version)."""

    a: VersionSide
    b: VersionSide
    similarity: float
    changes: list[Change]
    labels: list[str]
    metadata: dict[str, FieldChange]  # the title only: an earlier version keeps no more
    recorded: bool  # always false: computed now


@dataclass(frozen=True)
class Text:
    """One version of an article's URL: its number, title, text and dates."""

    article: Article
    number: int
    count: int  # versions of the URL in all
    title: str
    text: str
    content_hash: str
    fetched: datetime | None
    replaced: datetime | None  # None: the current text

    @property
    def current(self) -> bool:
        return self.replaced is None

    def summary(self) -> VersionSummary:
        """The version as ``fanzha versions --json`` lists it."""
        return {
            "version": self.number,
            "current": self.current,
            "title": self.title,
            "fetched": show_time(self.fetched),
            "replaced": show_time(self.replaced),
            "content_hash": self.content_hash,
            "chars": len(self.text),
        }


def versions(session: Session, article: Article) -> list[Text]:
    """Every version of the article's URL, oldest first; the last is the current text."""
    earlier = session.scalars(
        select(Version).where(Version.article_id == article.id).order_by(Version.id)
    ).all()
    count = len(earlier) + 1
    out = [
        Text(article, n, count, v.title, v.text, v.content_hash, v.fetched_at, v.replaced_at)
        for n, v in enumerate(earlier, 1)
    ]
    out.append(
        Text(
            article,
            count,
            count,
            article.title,
            article.text,
            article.content_hash,
            article.fetched_at,
            None,
        )
    )
    return out


def list_versions(session: Session, ref: str) -> VersionList:
    """``fanzha versions`` JSON: ``{"article": {...}, "versions": [{...}, ...]}``."""
    article = find_article(session, ref)
    texts = versions(session, article)
    return {
        "article": {
            "id": article.id,
            "url": article.url,
            "title": article.title,
            "versions": len(texts),
        },
        "versions": [t.summary() for t in texts],
    }


def is_versioned(ref: str) -> bool:
    """Does ``ref`` name one version (``REF@N``) rather than an article?"""
    return _VERSIONED.fullmatch(str(ref).strip()) is not None


def find_text(session: Session, ref: str) -> Text:
    """The version ``ref`` names: ``REF@N``, or the current text of ``REF``.

    A URL that itself ends in ``@digits`` is taken whole when an article has it."""
    ref = str(ref).strip()
    m = _VERSIONED.fullmatch(ref)
    if m is None:
        return versions(session, find_article(session, ref))[-1]
    try:
        article = find_article(session, m["ref"])
    except NotFound:
        whole = session.scalar(select(Article).where(Article.url == ref))
        if whole is None:
            raise
        return versions(session, whole)[-1]
    texts = versions(session, article)
    n = int(m["n"])
    if not 1 <= n <= len(texts):
        raise NotFound(
            f"article {article.id} has no version {n} (versions 1 to {len(texts)}; "
            f"see: fanzha versions {article.id})"
        )
    return texts[n - 1]


def _side(t: Text) -> VersionSide:
    a = t.article
    return {
        "id": a.id,
        "url": a.url,
        "title": t.title,
        "source": a.source.name if a.source else None,
        "published": show_time(a.published_at),
        "version": t.number,
        "versions": t.count,
        "fetched": show_time(t.fetched),
    }


def diff_versions(session: Session, a_ref: str, b_ref: str) -> VersionDiff:
    """What changed from the text ``a_ref`` names to the one ``b_ref`` names.

    The shape of ``fanzha diff --json`` between two articles (``a``, ``b``,
    ``similarity``, ``changes``, ``metadata``, ``recorded``: always false here, the
    changes are computed now), each side with its ``version``, the URL's number of
    ``versions`` and when that text was ``fetched``. An earlier version keeps only its
    title, so the metadata compared is the title."""
    a, b = find_text(session, a_ref), find_text(session, b_ref)
    changes = diff_texts(a.text, b.text)
    meta = diff_meta({"title": a.title}, {"title": b.title})
    return {
        "a": _side(a),
        "b": _side(b),
        "similarity": similarity(changes, a.text, b.text),
        "changes": changes,
        "labels": label_difference(changes, a.text, b.text, meta),  # labels each change too
        "metadata": meta,
        "recorded": False,
    }
