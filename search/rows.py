"""Reading articles for the index, the hits and the export: one joined select."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from archive.models import Article, Cluster, Member, Source

CST = timezone(timedelta(hours=8), "CST")


def article_select(*columns: Any) -> Any:
    """``select(columns)`` over article with its source, membership and cluster
    (outer joins: an article may have no source and no cluster yet)."""
    return (
        select(*columns)
        .outerjoin(Source, Article.source_id == Source.id)
        .outerjoin(Member, Member.article_id == Article.id)
        .outerjoin(Cluster, Cluster.id == Member.cluster_id)
    )


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 in China time, with its offset (``2022-05-11T09:00:00+08:00``)."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(CST).isoformat()
