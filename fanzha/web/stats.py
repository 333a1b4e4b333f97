"""Figures for the statistics page: articles per month by source, fraud types over time.

Rows are read once (published date, source, fraud types: a few short columns per
article) and counted here, which gives the same answer on SQLite and PostgreSQL.
The busiest series are kept and the rest summed as "other", so charts stay legible.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import Article, Source
from archive.times import CST

OTHER = "other"
UNDATED = "undated"


def _months(keys: set[str]) -> list[str]:
    """Every month from the first to the last of ``keys`` (gaps filled)."""
    dated = sorted(k for k in keys if k != UNDATED)
    if not dated:
        return []
    y, m = map(int, dated[0].split("-"))
    end = dated[-1]
    out = []
    while True:
        key = f"{y:04d}-{m:02d}"
        out.append(key)
        if key >= end or len(out) > 600:
            return out
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def _top(counter: Counter[str], keep: int) -> list[str]:
    return [k for k, _ in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:keep]]


def _series(cells: dict[str, Counter[str]], periods: list[str], keep: int) -> dict[str, list[int]]:
    totals: Counter[str] = Counter()
    for counter in cells.values():
        totals.update(counter)
    top = _top(totals, keep)
    series = {name: [cells[p][name] for p in periods] for name in top}
    rest = [sum(cells[p].values()) - sum(cells[p][n] for n in top) for p in periods]
    if any(rest):
        series[OTHER] = rest
    return series


def collect(session: Session, *, keep: int = 8) -> dict[str, Any]:
    """``{"months", "by_source", "years", "by_fraud_type", "totals"}`` for the charts."""
    per_month: dict[str, Counter[str]] = defaultdict(Counter)
    per_year: dict[str, Counter[str]] = defaultdict(Counter)
    sources: Counter[str] = Counter()
    types: Counter[str] = Counter()
    undated = 0
    rows = session.execute(
        select(Article.published_at, Source.name, Article.fraud_types).outerjoin(
            Source, Article.source_id == Source.id
        )
    )
    total = 0
    for published, source, fraud_types in rows:
        total += 1
        name = source or "unknown"
        sources[name] += 1
        types.update(fraud_types or [])
        if published is None:
            undated += 1
            continue
        local = published.astimezone(CST)
        per_month[f"{local.year:04d}-{local.month:02d}"][name] += 1
        for t in fraud_types or []:
            per_year[f"{local.year:04d}"][t] += 1
    months = _months(set(per_month))
    years = [str(y) for y in range(int(min(per_year)), int(max(per_year)) + 1)] if per_year else []
    return {
        "months": months,
        "by_source": _series(per_month, months, keep),
        "years": years,
        "by_fraud_type": _series(per_year, years, keep),
        "totals": {
            "articles": total,
            "undated": undated,
            "sources": dict(sources.most_common()),
            "fraud_types": dict(types.most_common()),
        },
    }
