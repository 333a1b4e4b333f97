"""Worker processes and deferred differences: the same archive as one process, and
nothing lost when a worker or a run dies with diffs in flight."""

from __future__ import annotations

import os
import signal

import pytest
from sqlalchemy import delete, func, select

from archive.dedup import DedupOptions, stage
from archive.dedup.differences import DifferenceWriter, missing
from archive.dedup.evaluate import load_labelled, store_labelled
from archive.dedup.workers import Workers, default_workers
from archive.models import Cluster, DedupPendingDiff, Difference, Member

from .test_dedup_eval import EVAL


def _state(archive) -> tuple[list, list]:
    """Memberships with their measures, and every recorded difference."""
    with archive.session() as s:
        members = sorted(
            tuple(r)
            for r in s.execute(
                select(Member.article_id, Member.similarity, Member.containment, Member.relation)
            )
        )
        diffs = sorted(
            (r.a_id, r.b_id, r.similarity, repr(r.changes), repr(r.meta))
            for r in s.scalars(select(Difference))
        )
    return members, diffs


def _run(archive, workers: int, **hooks):
    # several chunks (features fetched ahead), and workers even for a small run
    options = DedupOptions(chunk_size=60, parallel_from=0, **hooks)
    store_labelled(archive, load_labelled(EVAL))
    return stage.run_dedup(archive, workers=workers, options=options)


def test_workers_give_the_same_archive_as_one_process(archive, home, tmp_path):
    from archive import Archive

    pools = []

    def spy(processes: int) -> Workers:
        pools.append(Workers(processes))
        return pools[-1]

    report = _run(archive, workers=1, pool=spy)
    assert pools[0].processes == 1
    one = Archive.open(tmp_path / "one")
    try:
        alone = _run(one, workers=0)
        assert report.as_json() == alone.as_json()
        assert report.differences > 100
        assert _state(archive) == _state(one)
    finally:
        one.close()


def test_a_run_records_the_differences_a_dead_run_left_in_flight(
    sqlite_archive, monkeypatch, tmp_path
):
    """The run dies after its chunks committed, no diff back yet: the next run records
    every one of them, and the archive is the same as after a run that did not die."""
    from archive import Archive

    with monkeypatch.context() as m:
        m.setattr(DifferenceWriter, "drain", lambda self, session, wait=False: None)

        def die(self, session):
            raise KeyboardInterrupt

        m.setattr(DifferenceWriter, "record_missing", die)
        with pytest.raises(KeyboardInterrupt):
            _run(sqlite_archive, workers=0)
    with sqlite_archive.session() as s:
        left = missing(s)
        assert len(left) > 100
        assert s.scalar(select(func.count()).select_from(Difference)) == 0
    report = stage.run_dedup(sqlite_archive, workers=0)  # nothing new to cluster
    assert report.processed == 0 and report.differences == len(left)
    with sqlite_archive.session() as s:
        assert missing(s) == []
        assert s.scalar(select(func.count()).select_from(DedupPendingDiff)) == 0
    whole = Archive.open(tmp_path / "whole")
    try:
        _run(whole, workers=0)
        assert _state(sqlite_archive) == _state(whole)
    finally:
        whole.close()


def test_members_no_longer_copies_are_taken_off_the_pending_list(sqlite_archive):
    store_labelled(sqlite_archive, load_labelled(EVAL)[:60])
    stage.run_dedup(sqlite_archive, workers=0)
    with sqlite_archive.session() as s:
        canonical = s.scalar(select(Cluster.canonical_id).limit(1))
        copy = s.scalar(select(Difference.b_id).limit(1))
        s.add_all([DedupPendingDiff(article_id=canonical), DedupPendingDiff(article_id=copy)])
    with sqlite_archive.session() as s:
        assert [b for _, b, _ in missing(s)] == [copy]  # a canonical copy needs no diff
    report = stage.run_dedup(sqlite_archive, workers=0)
    assert report.differences == 1
    with sqlite_archive.session() as s:
        assert s.scalar(select(func.count()).select_from(DedupPendingDiff)) == 0


def test_the_migration_lists_the_members_without_a_difference(sqlite_archive):
    """An archive from before the pending list: its members lacking a difference are
    listed by the upgrade, and recorded by the next run."""
    from alembic import command

    from archive.db import alembic_config

    store_labelled(sqlite_archive, load_labelled(EVAL)[:60])
    stage.run_dedup(sqlite_archive, workers=0)
    cfg = alembic_config(sqlite_archive.engine)
    command.downgrade(cfg, "dedup_0004")
    with sqlite_archive.session() as s:
        gone = s.scalars(select(Difference.b_id).order_by(Difference.b_id).limit(3)).all()
        s.execute(delete(Difference).where(Difference.b_id.in_(gone)))
    command.upgrade(cfg, "head")
    with sqlite_archive.session() as s:
        assert sorted(b for _, b, _ in missing(s)) == gone
    assert stage.run_dedup(sqlite_archive, workers=0).differences == 3


def test_a_diff_for_a_pair_no_longer_current_is_not_written(sqlite_archive):
    """Nor twice: a member has one difference, from its canonical copy now."""
    store_labelled(sqlite_archive, load_labelled(EVAL)[:60])
    stage.run_dedup(sqlite_archive, workers=0)
    with sqlite_archive.session() as s:
        row = s.scalars(select(Difference).limit(1)).one()
        a, b, sim = row.a_id, row.b_id, row.similarity
        s.execute(delete(Difference).where(Difference.b_id == b))
    with sqlite_archive.session() as s:
        writer = DifferenceWriter(Workers(0), current=lambda member: None)  # canonical moved
        writer.submit(s, [(a, b, sim)])
        assert writer.written == 0
        writer.current = {b: a}.get
        writer.submit(s, [(a, b, sim)])
        writer.submit(s, [(a, b, sim)])  # twice (a pair handed over again): one row
        assert writer.written == 2
        n = s.scalar(select(func.count()).select_from(Difference).where(Difference.b_id == b))
        assert n == 1


def test_a_killed_worker_does_not_end_the_run(sqlite_archive, tmp_path, caplog):
    """The pool breaks; the rest is computed in-process: the same archive."""
    from archive import Archive

    pools: list[Workers] = []
    calls = []

    def pool(processes: int) -> Workers:
        pools.append(Workers(processes))
        return pools[-1]

    def kill_workers_before_the_third_chunk(s, chunk: int) -> None:
        calls.append(chunk)
        if chunk == 2 and pools[0]._pool is not None:
            for pid in list(pools[0]._pool._processes):
                os.kill(pid, signal.SIGKILL)

    report = _run(
        sqlite_archive, workers=1, pool=pool, on_chunk=kill_workers_before_the_third_chunk
    )
    assert len(calls) > 3 and report.errors == []
    assert "a worker process died" in caplog.text
    one = Archive.open(tmp_path / "one")
    try:
        alone = _run(one, workers=0)
        assert report.as_json() == alone.as_json()
        assert _state(sqlite_archive) == _state(one)
    finally:
        one.close()


@pytest.mark.parametrize(("cores", "expected"), [(1, 0), (2, 1), (3, 2), (16, 2), (None, 0)])
def test_default_workers_leave_a_core_to_the_main_process(monkeypatch, cores, expected):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert default_workers() == expected


def test_an_edited_canonical_copy_gets_every_member_diffed_again(archive):
    """The canonical copy's text changes and it stays canonical: every other member's
    difference is recorded again, from the new text (none left missing, none listed)."""
    from sqlalchemy.orm import aliased

    from archive.models import Article

    rows = load_labelled(EVAL)[:120]
    store_labelled(archive, rows)
    stage.run_dedup(archive, workers=0)
    with archive.session() as s:
        cid, canonical, size = s.execute(
            select(Cluster.id, Cluster.canonical_id, Cluster.size)
            .order_by(Cluster.size.desc())
            .limit(1)
        ).one()
        url = s.scalar(select(Article.url).where(Article.id == canonical))
    assert size >= 3
    edited = next(r for r in rows if r["url"] == url)
    edited = dict(edited, text=edited["text"] + "\n\n编者按：本文于次日补充了一句说明。")
    store_labelled(archive, [edited])
    report = stage.run_dedup(archive, workers=0)
    assert report.processed == 1 and report.differences == size - 1
    with archive.session() as s:
        assert s.scalar(select(Cluster.canonical_id).where(Cluster.id == cid)) == canonical
        new_hash = s.scalar(select(Article.content_hash).where(Article.id == canonical))
        d = aliased(Difference)
        holes = s.execute(
            select(Member.article_id)
            .join(Cluster, Cluster.id == Member.cluster_id)
            .outerjoin(d, (d.b_id == Member.article_id) & (d.a_id == Cluster.canonical_id))
            .where(Member.article_id != Cluster.canonical_id, d.id.is_(None))
        ).all()
        assert holes == []
        hashes = s.scalars(select(Difference.a_hash).where(Difference.a_id == canonical)).all()
        assert len(hashes) == size - 1 and set(hashes) == {new_hash}
        assert s.scalar(select(func.count()).select_from(DedupPendingDiff)) == 0
