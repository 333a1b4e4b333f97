"""The boilerplate model keeps its frequent set up to date without re-reading it all."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import event, select

from archive import Archive
from archive.dedup import boilerplate as bp
from archive.models import DedupPhrase


def _stories(seed: int, n: int) -> list[list[int]]:
    rng = random.Random(seed)
    return [rng.sample(range(1, 60), 8) for _ in range(n)]


@pytest.mark.parametrize("empty", [True, False])
def test_settle_matches_a_full_reselect_chunk_after_chunk(archive: Archive, empty: bool) -> None:
    """Whether counts are kept in memory or upserted, the frequent set after each
    chunk is exactly the sentences counted in ``MIN_DF`` stories or more."""
    with archive.session() as s:
        if not empty:  # counts from an earlier run
            bp.upsert(s, bp.Counter({h: 3 for h in range(1, 30)}))
    earlier = {} if empty else {h: 3 for h in range(1, 30)}
    with archive.session() as s:
        boiler = bp.Boilerplate.load(s)
        assert boiler.in_memory is empty
        totals = bp.Counter(earlier)
        for chunk in range(4):
            for story in _stories(chunk, 7):
                boiler.count_story(story)
                totals.update(set(story))
            before = boiler.version
            old = set(boiler.frequent)
            boiler.settle(s)
            expected = {h for h, n in totals.items() if n >= bp.MIN_DF}
            assert boiler.frequent == expected
            assert (boiler.version != before) == (expected != old)
        boiler.flush(s)
        stored = {h: df for h, df in s.execute(select(DedupPhrase.hash, DedupPhrase.df))}
    assert stored == dict(totals)


def test_settle_reads_only_the_chunks_hashes(archive: Archive) -> None:
    """With stored counts, settling asks about the chunk's own sentences: the
    ``df >= MIN_DF`` scan over the whole table runs once, at load, not per chunk."""
    with archive.session() as s:
        bp.upsert(s, bp.Counter({h: 9 for h in range(1000, 3000)}))  # an archive's counts
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *rest: object) -> None:
        statements.append(statement)

    with archive.session() as s:
        boiler = bp.Boilerplate.load(s)
        assert len(boiler.frequent) == 2000
        event.listen(archive.engine, "before_cursor_execute", seen)
        try:
            for story in _stories(1, 12):
                boiler.count_story(story)
            boiler.settle(s)
        finally:
            event.remove(archive.engine, "before_cursor_execute", seen)
    selects = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
    # the chunk's hashes, joined from a temporary table: never a scan of every count
    assert selects and all("JOIN DEDUP_PHRASE D ON D.HASH = P.V" in q.upper() for q in selects)
