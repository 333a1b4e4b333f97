"""Read queries of the web UI: articles, sources, counts, as plain dicts (runs are
read by ``archive.runs``).

The JSON API and the templates share these dicts, so a page shows what the API
says. Everything here only reads; sessions are the caller's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from archive.indicators import of_articles
from archive.lookup import find_article
from archive.models import Article, Cluster, Member, Source
from archive.times import published_of, show_time
from search.query import parse_date

from ..errors import UsageError


def source_name(article: Article) -> str | None:
    return article.source.name if article.source else None


def get_article(session: Session, ref: str | int) -> Article:
    """An article by id or URL (``archive.lookup.find_article``), or NotFound."""
    return find_article(session, str(ref))


def article_json(session: Session, article: Article, *, text: bool = True) -> dict[str, Any]:
    """The API shape of one article: the export fields plus membership and versions."""
    member = session.get(Member, article.id)
    out: dict[str, Any] = {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "source": source_name(article),
        "source_kind": article.source.kind if article.source else None,
        "site": article.site,
        "author": article.author,
        "published": published_of(article),
        "published_precision": article.published_precision,
        "fetched": show_time(article.fetched_at),
        "fraud_types": list(article.fraud_types or []),
        "images": list(article.image_urls or []),
        "cluster": member.cluster_id if member else None,
        "membership": None,
        "raw": bool(article.raw_ref),
        "version_count": article.version_count,
    }
    if member:
        size = session.scalar(select(Cluster.size).where(Cluster.id == member.cluster_id))
        out["membership"] = {
            "cluster": member.cluster_id,
            "relation": member.relation,
            "similarity": member.similarity,
            "containment": member.containment,
            "size": size,
        }
    if text:
        out["text"] = article.text
        out["indicators"] = of_articles(session, [article.id])[article.id]
        out["versions"] = [
            {
                "title": v.title,
                "fetched": show_time(v.fetched_at),
                "replaced": show_time(v.replaced_at),
                "changes": v.diff_to_next,
            }
            for v in article.versions
        ]
    return out


def recent_articles(
    session: Session,
    limit: int = 20,
    *,
    source: str | None = None,
    site: str | None = None,
    fraud_type: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> list[dict[str, Any]]:
    """The latest archived articles (every copy), narrowed by the search page's filters.

    ``since``/``until`` are YYYY-MM-DD, YYYY-MM or YYYY in China time on the published
    date, as the search filters are (``since`` from the start of that period, ``until`` to
    its end). Fraud types are a JSON list, matched here in Python.
    """
    stmt = select(Article).options(selectinload(Article.source))
    if source:
        stmt = stmt.join(Source, Article.source_id == Source.id).where(Source.name == source)
    if site:
        stmt = stmt.where(Article.site == site)
    start = parse_date(since, "since") if since else None
    stop = parse_date(until, "until", end=True) if until else None
    if start and stop and start >= stop:
        raise UsageError(f"since {since} is after until {until}")
    if start:
        stmt = stmt.where(Article.published_at >= start)
    if stop:
        stmt = stmt.where(Article.published_at < stop)
    stmt = stmt.order_by(Article.fetched_at.desc(), Article.id.desc())
    if not fraud_type:
        return [article_json(session, a, text=False) for a in session.scalars(stmt.limit(limit))]
    out: list[dict[str, Any]] = []
    for article in session.scalars(stmt.execution_options(yield_per=500)):
        if fraud_type in (article.fraud_types or []):
            out.append(article_json(session, article, text=False))
            if len(out) >= limit:
                break
    return out


def counts(session: Session) -> dict[str, int]:
    return {
        "articles": session.scalar(select(func.count(Article.id))) or 0,
        "sources": session.scalar(select(func.count(Source.id))) or 0,
        "clusters": session.scalar(select(func.count(Cluster.id)).where(Cluster.size > 1)) or 0,
    }


def source_names(session: Session) -> list[str]:
    return list(session.scalars(select(Source.name).order_by(Source.name)))


def fraud_type_names(session: Session) -> list[str]:
    seen: set[str] = set()
    for types in session.scalars(select(Article.fraud_types)):
        seen.update(types or [])
    return sorted(seen)
