"""Indicators in the archive: written with each article's text, listed and looked up.

Extraction itself is ``archive.extract.indicators``; this module keeps its results in
the ``indicator`` table and answers the questions researchers ask of them: which
numbers, sites and apps recur, since when, on how many bulletins and sites, under which
fraud types, and which bulletins name one of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .errors import ArchiveError
from .extract.indicators import KINDS, ROLES, extract_indicators
from .extract.indicators import Indicator as Found
from .models import Article, Indicator
from .times import show_time


class UnknownKind(ArchiveError):
    """A kind or role that is not one of the vocabulary's (exit 2 on the CLI)."""


def check_filter(kind: str | None, role: str | None) -> None:
    """Raise UnknownKind, with the choices, for a kind or role not in the vocabulary."""
    if kind is not None and kind not in KINDS:
        raise UnknownKind(f"unknown indicator kind {kind!r}: one of {', '.join(KINDS)}")
    if role is not None and role not in ROLES:
        raise UnknownKind(f"unknown indicator role {role!r}: one of {', '.join(ROLES)}")


def found_in(article: Article) -> list[Found]:
    """What the article's title and text name."""
    return extract_indicators(f"{article.title or ''}\n{article.text or ''}")


def record(session: Session, article: Article, found: Iterable[Found] | None = None) -> bool:
    """Replace the article's indicators with ``found`` (default: extract them now).

    Returns True when they changed. The caller owns the transaction.
    """
    found = list(found_in(article) if found is None else found)
    new = {(f.kind, f.value): f.role for f in found}
    old = {
        (row.kind, row.value): row.role
        for row in session.scalars(select(Indicator).where(Indicator.article_id == article.id))
    }
    if new == old:
        return False
    session.execute(delete(Indicator).where(Indicator.article_id == article.id))
    session.add_all(
        Indicator(article_id=article.id, kind=k, value=v[:512], role=r) for (k, v), r in new.items()
    )
    return True


class NamedIndicator(TypedDict):
    """One indicator an article names, as search hits, articles and the export carry it."""

    kind: str
    value: str
    role: str


class IndicatorSummaryJson(TypedDict):
    """``IndicatorSummary.as_json()``: one value across the archive (the API's summary)."""

    kind: str
    value: str
    role: str
    bulletins: int
    sites: int
    first_seen: str | None
    last_seen: str | None
    fraud_types: list[str]


def of_articles(session: Session, ids: Iterable[int]) -> dict[int, list[NamedIndicator]]:
    """``{article id: [{"kind", "value", "role"}, ...]}`` for the export and the API."""
    ids = list(ids)
    out: dict[int, list[NamedIndicator]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.execute(
            select(Indicator.article_id, Indicator.kind, Indicator.value, Indicator.role)
            .where(Indicator.article_id.in_(chunk))
            .order_by(Indicator.article_id, Indicator.id)
        )
        for aid, kind, value, role in rows:
            out[aid].append({"kind": kind, "value": value, "role": role})
    return out


@dataclass
class IndicatorSummary:
    """One value across the archive: where and when it was named."""

    kind: str
    value: str
    role: str
    bulletins: int
    sites: int
    first_seen: datetime | None
    last_seen: datetime | None
    fraud_types: list[str] = field(default_factory=list)

    def as_json(self) -> IndicatorSummaryJson:
        return {
            "kind": self.kind,
            "value": self.value,
            "role": self.role,
            "bulletins": self.bulletins,
            "sites": self.sites,
            "first_seen": show_time(self.first_seen),
            "last_seen": show_time(self.last_seen),
            "fraud_types": self.fraud_types,
        }


def summarise(
    session: Session,
    *,
    kind: str | None = None,
    role: str | None = None,
    value: str | None = None,
    limit: int | None = None,
) -> list[IndicatorSummary]:
    """Every value (of ``kind``/``role``), most-named first, with first and last seen
    (publication date, else fetch date), bulletins, sites and fraud types."""
    check_filter(kind, role)
    when = func.coalesce(Article.published_at, Article.fetched_at)
    site = func.coalesce(Article.site, Article.source_id)
    query = (
        select(
            Indicator.kind,
            Indicator.value,
            func.max(Indicator.role),
            func.count(func.distinct(Indicator.article_id)),
            func.count(func.distinct(site)),
            func.min(when),
            func.max(when),
        )
        .join(Article, Article.id == Indicator.article_id)
        .group_by(Indicator.kind, Indicator.value)
        .order_by(
            func.count(func.distinct(Indicator.article_id)).desc(), Indicator.kind, Indicator.value
        )
    )
    if kind:
        query = query.where(Indicator.kind == kind)
    if role:
        query = query.where(Indicator.role == role)
    if value is not None:
        query = query.where(Indicator.value == value)
    if limit:
        query = query.limit(limit)
    out = [
        IndicatorSummary(k, v, r, n, sites, first, last)
        for k, v, r, n, sites, first, last in session.execute(query)
    ]
    _add_fraud_types(session, out)
    return out


def _add_fraud_types(session: Session, rows: list[IndicatorSummary]) -> None:
    if not rows:
        return
    wanted = {(r.kind, r.value): r for r in rows}
    kinds = {r.kind for r in rows}
    values = {r.value for r in rows}
    for start in range(0, len(values), 500):
        chunk = sorted(values)[start : start + 500]
        q = (
            select(Indicator.kind, Indicator.value, Article.fraud_types)
            .join(Article, Article.id == Indicator.article_id)
            .where(Indicator.kind.in_(kinds), Indicator.value.in_(chunk))
        )
        for kind, value, types in session.execute(q):
            row = wanted.get((kind, value))
            if row is not None:
                for t in types or []:
                    if t not in row.fraud_types:
                        row.fraud_types.append(t)
    for row in rows:
        row.fraud_types.sort()


def articles_naming(session: Session, kind: str, value: str) -> list[Article]:
    """The bulletins that name ``value`` as a ``kind``, newest first."""
    check_filter(kind, None)
    return list(
        session.scalars(
            select(Article)
            .join(Indicator, Indicator.article_id == Article.id)
            .where(Indicator.kind == kind, Indicator.value == value)
            .order_by(func.coalesce(Article.published_at, Article.fetched_at).desc(), Article.id)
        )
    )
