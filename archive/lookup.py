"""Finding an article by what a user typed: its id or its URL."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import NotFound
from .models import Article, ArticleAlias

# Ids are INTEGER columns: 32 bits on PostgreSQL, so no row has a larger id on either
# database. A larger number names nothing (and would overflow the driver).
MAX_ID = 2**31 - 1


def find_article(session: Session, ref: str) -> Article:
    """The article with id ``ref`` (digits) or URL ``ref``; raises NotFound."""
    ref = str(ref).strip()
    if not ref:
        raise NotFound("no article given: pass an id or a URL")
    if ref.isascii() and ref.isdigit():
        if int(ref) > MAX_ID:
            raise NotFound(f"no article with id {ref}")
        article = session.get(Article, int(ref))
        if article is not None:
            return article
        raise NotFound(f"no article with id {ref}")
    article = session.scalar(select(Article).where(Article.url == ref))
    if article is None and ref.startswith(("http://", "https://")) and ref.endswith("/"):
        article = session.scalar(select(Article).where(Article.url == ref.rstrip("/")))
    if article is None:  # page 2, 3, ... of an article split over pages
        article = session.scalar(
            select(Article)
            .join(ArticleAlias, ArticleAlias.article_id == Article.id)
            .where(ArticleAlias.url == ref)
        )
    if article is None:
        raise NotFound(f"no article with URL {ref}")
    return article
