"""Figures for the statistics page: articles per month by source, fraud types over time.

The database counts articles per China-time month and source, and fraud types per
year (one grouped query each, SQLite's and PostgreSQL's spelling of the same thing:
``tests/test_web_stats.py`` compares them with counting every row in Python).
The busiest series are kept and the rest summed as "other", so charts stay legible.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from archive.models import Source

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


# Counted by the database: one pass over the article table in C, grouped to a few
# thousand rows (reading every row into Python took 3-9 s at 100,000 articles). The
# month and year are China time (a fixed +8 hours, as ``archive.times.CST``).
_PERIODS = {
    "sqlite": (
        "strftime('%Y-%m', a.published_at, '+8 hours')",
        "strftime('%Y', a.published_at, '+8 hours')",
        "json_each(a.fraud_types) AS j",
    ),
    "postgresql": (
        "to_char(a.published_at + interval '8 hours', 'YYYY-MM')",
        "to_char(a.published_at + interval '8 hours', 'YYYY')",
        "json_array_elements_text(a.fraud_types) AS j(value)",
    ),
}


# The figures of each archive, kept while it has the same articles (count and newest
# id: a new article shows at once) and at most ``FRESH_FOR`` seconds (a changed date or
# fraud type of a stored article shows within that): at a million articles the two
# grouped queries take seconds, the check a fraction of one.
FRESH_FOR = 60.0
_KEPT: dict[str, tuple[tuple[Any, ...], float, dict[str, Any]]] = {}
_KEPT_LOCK = threading.Lock()


def figures(session: Session) -> dict[str, Any]:
    """``collect``'s figures, computed again only when the articles changed."""
    bind = session.get_bind()
    where = bind.url.render_as_string(hide_password=True)
    mark = tuple(session.execute(text("SELECT count(*), max(id) FROM article")).one())
    now = time.monotonic()
    with _KEPT_LOCK:
        kept = _KEPT.get(where)
    if kept is not None and kept[0] == mark and now - kept[1] < FRESH_FOR:
        return copy.deepcopy(kept[2])
    found = collect(session)
    with _KEPT_LOCK:
        _KEPT[where] = (mark, now, found)
    return copy.deepcopy(found)


def collect(session: Session, *, keep: int = 8) -> dict[str, Any]:
    """``{"months", "by_source", "years", "by_fraud_type", "totals"}`` for the charts."""
    month, year, types_of = _PERIODS[session.get_bind().dialect.name]
    names = {sid: name for sid, name in session.execute(select(Source.id, Source.name))}
    per_month: dict[str, Counter[str]] = defaultdict(Counter)
    per_year: dict[str, Counter[str]] = defaultdict(Counter)
    sources: Counter[str] = Counter()
    types: Counter[str] = Counter()
    undated = total = 0
    rows = session.execute(
        text(f"SELECT {month}, a.source_id, count(*) FROM article a GROUP BY 1, 2")
    )
    for period, source_id, n in rows:
        name = names.get(source_id) or "unknown"
        total += n
        sources[name] += n
        if period is None:
            undated += n
        else:
            per_month[period][name] += n
    rows = session.execute(
        text(f"SELECT {year}, j.value, count(*) FROM article a, {types_of} GROUP BY 1, 2")
    )
    for period, fraud_type, n in rows:
        types[fraud_type] += n
        if period is not None:
            per_year[period][fraud_type] += n
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
            "sources": dict(sorted(sources.items(), key=lambda kv: -kv[1])),
            "fraud_types": dict(sorted(types.items(), key=lambda kv: -kv[1])),
        },
    }
