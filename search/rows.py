"""Reading articles for the index, the hits and the export: one joined select."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from archive.models import Article, Cluster, Member, Source
from archive.times import offset_column, show_time


def article_select(*columns: Any) -> Any:
    """``select(columns)`` over article with its source, membership and cluster
    (outer joins: an article may have no source and no cluster yet)."""
    return (
        select(*columns)
        .outerjoin(Source, Article.source_id == Source.id)
        .outerjoin(Member, Member.article_id == Article.id)
        .outerjoin(Cluster, Cluster.id == Member.cluster_id)
    )


def published_columns() -> tuple[Any, ...]:
    """The columns ``archive.times.published_of`` reads from a row: the time, its
    precision and the page's own zone (only that key of ``extra``, not all of it)."""
    return (
        Article.published_at,
        Article.published_precision,
        offset_column(),
    )


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 in China time, with its offset (``2022-05-11T09:00:00+08:00``)."""
    return show_time(dt)
