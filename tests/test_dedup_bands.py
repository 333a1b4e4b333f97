"""Band keys of increments: kept in the small recent table, found, merged in key order."""

from __future__ import annotations

from sqlalchemy import func, select

from archive.dedup import candidates, run_dedup
from archive.dedup.evaluate import clustering, load_labelled, pairwise, store_labelled
from archive.models import DedupBand, DedupBandRecent

from .test_dedup_eval import EVAL


def _count(archive, table) -> int:
    with archive.session() as s:
        return s.scalar(select(func.count()).select_from(table)) or 0


def test_increments_go_to_the_recent_table_and_are_found(archive, monkeypatch):
    """Half the labelled set, then the other half as an increment (its keys in the
    recent table, below the merge size), then merged: the same quality as one run."""
    monkeypatch.setattr(candidates, "MERGE_ROWS", 10**9)
    rows = load_labelled(EVAL)
    half = len(rows) // 2
    labels = store_labelled(archive, rows[:half])
    run_dedup(archive)
    first = _count(archive, DedupBand)
    assert first > 0 and _count(archive, DedupBandRecent) == 0
    labels |= store_labelled(archive, rows[half:])
    assert run_dedup(archive).processed == len(rows) - half
    assert _count(archive, DedupBand) == first  # the large index untouched
    recent = _count(archive, DedupBandRecent)
    assert recent > 0
    scores = pairwise(clustering(archive, labels), labels)
    assert scores.precision >= 0.98 and scores.f1 >= 0.95, scores.as_json()
    with archive.session() as s:
        assert candidates.merge_recent(s, at=recent + 1) == 0  # not yet
        assert candidates.merge_recent(s, at=recent) == recent
    assert _count(archive, DedupBandRecent) == 0
    assert _count(archive, DedupBand) == first + recent


def test_a_run_merges_the_recent_table_once_it_is_large(archive, monkeypatch):
    monkeypatch.setattr(candidates, "MERGE_ROWS", 1)
    rows = load_labelled(EVAL)
    store_labelled(archive, rows[:50])
    run_dedup(archive)
    store_labelled(archive, rows[50:60])
    run_dedup(archive)
    assert _count(archive, DedupBandRecent) == 0
    assert _count(archive, DedupBand) > 0
