"""Figures for the statistics page: articles per month by source, fraud types over time.

The database counts articles per China-time month and source, and fraud types per
year (one grouped query each, SQLite's and PostgreSQL's spelling of the same thing:
``tests/test_web_stats.py`` compares them with counting every row in Python).
The busiest series are kept and the rest summed as "other", so charts stay legible.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from archive.models import Source

log = logging.getLogger(__name__)

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
# id) and at most ``FRESH_FOR`` seconds (a changed date or fraud type of a stored
# article shows within that). When they are out of date, a computation that took under
# ``INLINE_FOR`` seconds is done again at once (a new article shows on the next view);
# a slower one (a million articles: seconds) is done in a background thread while
# views get the figures kept, at most one computation behind. ``warm`` computes them
# when the server starts, so the first visitor does not wait either.
FRESH_FOR = 60.0
INLINE_FOR = 0.5


@dataclass
class _Kept:
    mark: tuple[Any, ...]  # (count, newest id) of the articles counted
    at: float  # time.monotonic() when computed
    took: float  # seconds the computation took
    found: dict[str, Any]


_KEPT: dict[str, _Kept] = {}
_KEPT_LOCK = threading.Lock()
_REFRESHING: set[str] = set()  # archives whose figures a thread is computing


def _where(session: Session) -> str:
    return session.get_bind().url.render_as_string(hide_password=True)


def _mark(session: Session) -> tuple[Any, ...]:
    return tuple(session.execute(text("SELECT count(*), max(id) FROM article")).one())


def _compute(session: Session, where: str) -> dict[str, Any]:
    """``collect``, timed and kept for ``where``."""
    mark = _mark(session)
    t0 = time.monotonic()
    found = collect(session)
    now = time.monotonic()
    with _KEPT_LOCK:
        _KEPT[where] = _Kept(mark, now, now - t0, found)
    return found


def figures(session: Session) -> dict[str, Any]:
    """``collect``'s figures, computed again only when out of date (see above)."""
    where = _where(session)
    with _KEPT_LOCK:
        kept = _KEPT.get(where)
    if kept is not None and (
        kept.mark != _mark(session) or time.monotonic() - kept.at >= FRESH_FOR
    ):
        if kept.took >= INLINE_FOR:
            _refresh_in_background(session, where)
        else:
            kept = None
    if kept is None:
        return copy.deepcopy(_compute(session, where))
    return copy.deepcopy(kept.found)


def _refresh_in_background(session: Session, where: str) -> None:
    """Compute the figures again in a thread of their own (one at a time an archive)."""
    with _KEPT_LOCK:
        if where in _REFRESHING:
            return
        _REFRESHING.add(where)
    bind = session.get_bind()

    def run() -> None:
        try:
            with Session(bind) as s:
                _compute(s, where)
        except Exception:  # the kept figures stay; the next view tries again
            log.warning("statistics not refreshed", exc_info=True)
        finally:
            with _KEPT_LOCK:
                _REFRESHING.discard(where)

    threading.Thread(target=run, name="fanzha-stats", daemon=True).start()


def warm(session: Session) -> None:
    """Compute the figures now unless kept (the server's start, in a thread)."""
    where = _where(session)
    with _KEPT_LOCK:
        if where in _KEPT:
            return
    _compute(session, where)


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
