"""The statistics the charts draw are counted by the database (one grouped query for
months by source, one for fraud types by year), on SQLite and PostgreSQL alike: the
same figures as counting every row in Python, China-time months included."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime

from archive import Document, store_document
from archive.times import CST
from fanzha.web import stats

DOCS = [  # (UTC time, publisher, fraud types)
    (datetime(2024, 1, 31, 17, 0, tzinfo=UTC), "人民网", ["刷单返利"]),  # 2024-02-01 in China
    (datetime(2024, 1, 31, 15, 0, tzinfo=UTC), "人民网", ["刷单返利", "冒充客服"]),
    (datetime(2023, 12, 31, 16, 30, tzinfo=UTC), "中国网", ["冒充客服"]),  # 2024 in China
    (datetime(2023, 6, 1, 8, 0, tzinfo=UTC), "中国网", []),
    (datetime(2021, 3, 5, 8, 0, tzinfo=UTC), None, ["网络贷款"]),
    (None, "平安北京", ["网络贷款", "刷单返利"]),
    (None, None, []),
]


def _reference(rows: list[tuple[datetime | None, str | None, list[str]]], keep: int = 8) -> dict:
    """The definition: every article read and counted in Python."""
    per_month: dict[str, Counter[str]] = defaultdict(Counter)
    per_year: dict[str, Counter[str]] = defaultdict(Counter)
    sources: Counter[str] = Counter()
    types: Counter[str] = Counter()
    undated = 0
    for published, source, fraud_types in rows:
        name = source or "unknown"
        sources[name] += 1
        types.update(fraud_types)
        if published is None:
            undated += 1
            continue
        local = published.astimezone(CST)
        per_month[f"{local.year:04d}-{local.month:02d}"][name] += 1
        for t in fraud_types:
            per_year[f"{local.year:04d}"][t] += 1
    months = stats._months(set(per_month))
    years = [str(y) for y in range(int(min(per_year)), int(max(per_year)) + 1)]
    return {
        "months": months,
        "by_source": stats._series(per_month, months, keep),
        "years": years,
        "by_fraud_type": stats._series(per_year, years, keep),
        "totals": {
            "articles": len(rows),
            "undated": undated,
            "sources": dict(sources),
            "fraud_types": dict(types),
        },
    }


def test_the_database_counts_what_python_counts(archive):
    with archive.session() as s:
        for i, (when, source, types) in enumerate(DOCS):
            doc = Document(
                url=f"https://s.example.cn/{i}.html",
                title=f"通报{i}",
                text=f"第{i}号通报：冒充客服诈骗案件。" * 3,
                source_name=source,
                published_at=when,
                fraud_types=types,
            )
            store_document(s, doc)
    with archive.session() as s:
        got = stats.collect(s)
    want = _reference(DOCS)
    assert got == want
    assert got["months"][0] == "2021-03" and got["by_source"]["人民网"][-1] == 1  # 2024-02
    assert got["by_fraud_type"]["冒充客服"][-1] == 2  # both in 2024, China time
    assert next(iter(got["totals"]["fraud_types"])) == "刷单返利"  # most named first


def _add(archive, i: int) -> None:
    with archive.session() as s:
        store_document(
            s,
            Document(
                url=f"https://k.example.cn/{i}.html",
                title=f"通报{i}",
                text=f"第{i}号通报：刷单返利诈骗。" * 3,
                published_at=datetime(2024, 5, 1, tzinfo=UTC),
                fraud_types=["刷单返利"],
            ),
        )


def test_the_figures_are_kept_until_an_article_is_added_or_a_minute_passes(archive, monkeypatch):
    calls = []
    real = stats.collect
    monkeypatch.setattr(stats, "collect", lambda s: calls.append(1) or real(s))
    monkeypatch.setattr(stats, "_KEPT", {})

    _add(archive, 1)
    with archive.session() as s:
        first = stats.figures(s)
        first["totals"]["articles"] = 99  # a caller's change is not kept
        assert stats.figures(s)["totals"]["articles"] == 1
    assert len(calls) == 1
    _add(archive, 2)
    with archive.session() as s:
        assert stats.figures(s)["totals"]["articles"] == 2
    assert len(calls) == 2
    monkeypatch.setattr(stats, "FRESH_FOR", 0.0)
    with archive.session() as s:
        stats.figures(s)
    assert len(calls) == 3


def test_slow_figures_are_refreshed_in_the_background(archive, monkeypatch):
    """Where computing takes long (a million articles), a view after a change gets the
    figures kept at once and a thread computes the new ones for the next view."""
    import time

    monkeypatch.setattr(stats, "_KEPT", {})
    monkeypatch.setattr(stats, "INLINE_FOR", 0.0)  # every computation counts as slow
    _add(archive, 1)
    with archive.session() as s:
        stats.warm(s)  # what the server does when it starts
    calls = []
    real = stats.collect
    monkeypatch.setattr(stats, "collect", lambda s: calls.append(1) or real(s))
    with archive.session() as s:
        assert stats.figures(s)["totals"]["articles"] == 1
    assert not calls  # warmed: nothing computed while the visitor waited
    _add(archive, 2)
    with archive.session() as s:
        assert stats.figures(s)["totals"]["articles"] == 1  # the kept figures, at once
    deadline = time.monotonic() + 10
    while stats._REFRESHING and time.monotonic() < deadline:
        time.sleep(0.02)
    assert calls == [1]
    with archive.session() as s:
        assert stats.figures(s)["totals"]["articles"] == 2


def test_fraud_types_by_year_read_an_index_not_the_table(sqlite_archive):
    """On SQLite the per-year count reads ``ix_article_published_types`` (the article
    table holds the texts: at a million articles, seconds to read)."""
    _, year, types_of = stats._PERIODS["sqlite"]
    with sqlite_archive.session() as s:
        plan = (
            s.connection()
            .exec_driver_sql(
                f"EXPLAIN QUERY PLAN SELECT {year}, j.value, count(*) FROM article a, {types_of} "
                "GROUP BY 1, 2"
            )
            .all()
        )
    assert any("COVERING INDEX ix_article_published_types" in str(r) for r in plan), plan
