"""Reading the archive for the web UI: articles, sources, runs, as plain dicts.

The JSON API and the templates share these dicts, so a page shows what the API
says. Everything here only reads; sessions are the caller's.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from archive.errors import NotFound
from archive.indicators import of_articles
from archive.lookup import find_article
from archive.models import Article, Cluster, CrawlError, CrawlRun, Member, Source
from archive.times import published_of, show_time
from search.errors import QueryError
from search.query import parse_date

from ..errors import UsageError
from ..jobs.runs import RunJson
from ..jobs.runs import run_json as jobs_run_json

#: what a since/until filter may look like (ASCII: ``int`` would take other digits too)
FILTER_DATE = re.compile(r"[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?")


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


def run_json(run: CrawlRun, *, errors: int | None = 20) -> RunJson:
    """A crawl run as ``fanzha runs --json`` gives it, with (the first ``errors`` of) its errors."""
    return jobs_run_json(run, run.errors if errors is None else run.errors[:errors])


def list_runs(session: Session, limit: int = 50, offset: int = 0) -> list[RunJson]:
    runs = session.scalars(
        select(CrawlRun)
        .options(selectinload(CrawlRun.errors))
        .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [run_json(r, errors=5) for r in runs]


def get_run(session: Session, run_id: int) -> RunJson:
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise NotFound(f"no crawl run {run_id}")
    return run_json(run, errors=None)


def run_error_count(session: Session) -> int:
    return session.scalar(select(func.count(CrawlError.id))) or 0


def parse_day(value: str | None, name: str) -> str | None:
    """A date filter as the CLI takes it, ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` (China
    time; ASCII digits only), checked and returned as given, or UsageError.

    ``search.query.parse_date`` judges it, so the web and the CLI accept the same dates
    and years."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not FILTER_DATE.fullmatch(text):
        raise UsageError(f"{name} must be a date as YYYY-MM-DD, YYYY-MM or YYYY, not {value!r}")
    try:
        parse_date(text, name)
        parse_date(text, name, end=True)
    except QueryError as exc:
        raise UsageError(f"{name} must be a date as YYYY-MM-DD, YYYY-MM or YYYY: {exc}") from None
    except OverflowError:
        raise UsageError(f"{name} {text} is out of range") from None
    return text
