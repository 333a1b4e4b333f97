"""Reading articles for the index, the hits and the export: one joined select."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from archive.models import Article, Cluster, Member, Source
from archive.times import offset_column


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
