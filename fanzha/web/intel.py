"""Reading indicators for the web pages and the JSON API, as typed dicts.

``/indicators`` and ``/api/indicators`` list ``archive.indicators.summarise`` rows;
``/indicators/{kind}/{value}`` and its API twin add the bulletins naming the value.
Both pages and the API share these dicts, so a page shows what the API says. A kind or
role outside the vocabulary is ``UnknownKind`` (400); a value no bulletin names is
``NotFound`` (404).
"""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy.orm import Session

from archive.errors import NotFound
from archive.extract.indicators import KINDS, ROLES
from archive.indicators import IndicatorSummaryJson, articles_naming, check_filter, summarise
from archive.models import Article
from archive.times import published_of

from .queries import source_name

__all__ = ["KINDS", "ROLES", "Bulletin", "IndicatorDetail", "indicator_detail", "indicator_rows"]


class Bulletin(TypedDict):
    """A bulletin naming an indicator."""

    id: int
    title: str
    url: str
    source: str | None
    site: str | None
    published: str | None


class IndicatorDetail(TypedDict):
    """One value: its summary across the archive and the bulletins naming it."""

    summary: IndicatorSummaryJson
    bulletins: list[Bulletin]  # newest first


def _blank(value: str | None) -> str | None:
    """A query parameter given empty (a form's "any") is no filter."""
    return value.strip() if value and value.strip() else None


def indicator_rows(
    session: Session, *, kind: str | None, role: str | None, value: str | None, limit: int
) -> list[IndicatorSummaryJson]:
    """The summary rows (most-named first), as ``fanzha indicators --json`` gives them."""
    kind, role = _blank(kind), _blank(role)
    check_filter(kind, role)
    rows = summarise(session, kind=kind, role=role, value=_blank(value), limit=limit)
    return [r.as_json() for r in rows]


def _bulletin(article: Article) -> Bulletin:
    return {
        "id": article.id,
        "title": article.title,
        "url": article.url,
        "source": source_name(article),
        "site": article.site,
        "published": published_of(article),
    }


def indicator_detail(session: Session, kind: str, value: str) -> IndicatorDetail:
    """One value's summary and the bulletins naming it (newest first), or NotFound."""
    check_filter(kind, None)
    rows = summarise(session, kind=kind, value=value, limit=1)
    if not rows:
        raise NotFound(f"no bulletin names the {kind} {value!r}")
    bulletins = [_bulletin(a) for a in articles_naming(session, kind, value)]
    return {"summary": rows[0].as_json(), "bulletins": bulletins}
