"""Band keys of increments: kept in the small recent table, found, merged in key order."""

from __future__ import annotations

from sqlalchemy import func, select

from archive.dedup import DedupOptions, candidates, run_dedup
from archive.dedup.evaluate import clustering, load_labelled, pairwise, store_labelled
from archive.models import DedupBand, DedupBandRecent

from .test_dedup_eval import EVAL


def _count(archive, table) -> int:
    with archive.session() as s:
        return s.scalar(select(func.count()).select_from(table)) or 0


def test_increments_go_to_the_recent_table_and_are_found(archive):
    """Half the labelled set, then the other half as an increment (its keys in the
    recent table, below the merge size), then merged: the same quality as one run."""
    never_merged = DedupOptions(merge_rows=10**9)
    rows = load_labelled(EVAL)
    half = len(rows) // 2
    labels = store_labelled(archive, rows[:half])
    run_dedup(archive, options=never_merged)
    first = _count(archive, DedupBand)
    assert first > 0 and _count(archive, DedupBandRecent) == 0
    labels |= store_labelled(archive, rows[half:])
    assert run_dedup(archive, options=never_merged).processed == len(rows) - half
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


def test_a_run_merges_the_recent_table_once_it_is_large(archive):
    always_merged = DedupOptions(merge_rows=1)
    rows = load_labelled(EVAL)
    store_labelled(archive, rows[:50])
    run_dedup(archive, options=always_merged)
    store_labelled(archive, rows[50:60])
    run_dedup(archive, options=always_merged)
    assert _count(archive, DedupBandRecent) == 0
    assert _count(archive, DedupBand) > 0


def test_stored_signatures_read_back_as_stored(archive):
    """The driver-level read (a temporary table joined with ``signature``, the size
    taken from ``extra`` by the database) gives what the ORM reads, in id order."""
    import numpy as np

    from archive.dedup.signatures import from_bytes
    from archive.dedup.stage import _stored_signatures
    from archive.models import Signature

    store_labelled(archive, load_labelled(EVAL)[:40])
    run_dedup(archive)
    with archive.session() as s:
        stored = {r.article_id: r for r in s.scalars(select(Signature))}
        wanted = np.array([*sorted(stored)[::-1][:25], 10**9], dtype=np.int64)  # one unknown
        ids, sigs, sizes = _stored_signatures(s, wanted)
    assert ids.tolist() == sorted(wanted[:-1].tolist())
    for aid, sig, size in zip(ids.tolist(), sigs, sizes.tolist(), strict=True):
        assert np.array_equal(sig, from_bytes(stored[aid].data))
        assert size == stored[aid].extra["n"] > 0


def test_band_look_up_reads_the_covering_index(sqlite_archive):
    """(key, article_id) answered from the key index alone, in both band tables, also
    once a bulk load has dropped the indexes and built them again."""
    with sqlite_archive.session() as s:
        candidates.drop_indexes(s)
        candidates.ensure_indexes(s)
        conn = s.connection()
        for table in ("dedup_band", "dedup_band_recent"):
            plan = conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN SELECT key, article_id FROM {table} WHERE key = 5"
            ).all()
            assert any("COVERING INDEX" in str(row) for row in plan), plan


def test_a_chunk_does_not_read_its_own_keys_back(sqlite_archive):
    """The chunk's keys are stored after its look-up: the stored matches are all
    articles of earlier runs."""
    rows = load_labelled(EVAL)
    store_labelled(sqlite_archive, rows[:200])
    run_dedup(sqlite_archive)
    new = set(store_labelled(sqlite_archive, rows[200:260]).keys())
    found: list[tuple] = []

    class Watched(candidates.BandIndex):
        def stored_rows(self, session, keys):
            out = super().stored_rows(session, keys)
            found.extend(out)
            return out

    assert run_dedup(sqlite_archive, options=DedupOptions(band_index=Watched)).processed == 60
    assert found and not {aid for _, aid in found} & new


def test_an_archive_with_bands_is_read_mapped_during_the_chunks_only(sqlite_archive):
    from archive.dedup import stage

    rows = load_labelled(EVAL)
    store_labelled(sqlite_archive, rows[:50])
    mapped: list[int] = []

    def spy(s, chunk: int) -> None:
        mapped.append(s.connection().exec_driver_sql("PRAGMA mmap_size").scalar())

    watched = DedupOptions(on_chunk=spy)
    run_dedup(sqlite_archive, options=watched)  # the first run: nothing to look up
    store_labelled(sqlite_archive, rows[50:60])
    run_dedup(sqlite_archive, options=watched)
    assert mapped == [0, stage.MMAP_BYTES]
    with sqlite_archive.session() as s:
        assert s.connection().exec_driver_sql("PRAGMA mmap_size").scalar() == 0


def test_probe_table_holds_64_bit_keys_exactly(archive):
    """Keys go in as one JSON array (SQLite) or array (PostgreSQL): no precision lost."""
    from archive.dedup.probe import driver_rows, probe_table

    values = [0, 1, 2**53 + 1, 2**63 - 1, -(2**63), -5]
    with archive.session() as s:
        with probe_table(s, "dedup_probe_test", values) as probe:
            assert sorted(v for (v,) in driver_rows(s, f"SELECT v FROM {probe}")) == sorted(values)
        with probe_table(s, "dedup_probe_test", []) as probe:
            assert driver_rows(s, f"SELECT v FROM {probe}") == []


def test_insert_pairs_keeps_64_bit_keys_and_every_row(archive):
    """Band rows go in as one parameter a batch: extreme keys exact, duplicates kept,
    more rows than one batch."""
    from archive.dedup.probe import driver_rows, insert_pairs

    rows = [(2**63 - 1, 1), (-(2**63), 2), (-1, 3), (2**53 + 1, 4), (-1, 3)]
    rows += [(k, 5) for k in range(60_000)]
    with archive.session() as s:
        s.connection().exec_driver_sql("CREATE TEMPORARY TABLE pairs_test (k BIGINT, a BIGINT)")
        insert_pairs(s, "pairs_test", ("k", "a"), rows)
        got = driver_rows(s, "SELECT k, a FROM pairs_test")
        assert sorted(map(tuple, got)) == sorted(rows)


def test_a_crowded_band_key_gives_only_its_most_recent_holders(archive):
    """A key 250 articles hold (a shared warning) gives the look-up its 200 highest
    ids, from the database and from this run's arrays; a rare key gives all its few."""
    import numpy as np

    from archive.dedup.probe import insert_pairs

    ids = sorted(store_labelled(archive, load_labelled(EVAL)[:250]).keys())
    crowded, rare = 7, 8
    with archive.session() as s:
        rows = [(crowded, a) for a in ids] + [(rare, a) for a in ids[:3]]
        insert_pairs(s, "dedup_band", ("key", "article_id"), rows)
        index = candidates.BandIndex(stored=True, max_bucket=200)
        got = index.stored_rows(s, np.array([crowded, rare, 9]))
    held: dict[int, list[int]] = {}
    for key, aid in got:
        held.setdefault(key, []).append(aid)
    assert sorted(held[crowded]) == ids[-200:]
    assert sorted(held[rare]) == ids[:3]
    assert 9 not in held

    keys = np.array([crowded] * 250 + [rare] * 3, dtype=np.int64)
    holders = np.array(ids + ids[:3], dtype=np.int64)
    order = np.lexsort((holders, keys))
    owners, others = candidates._expand(
        keys[order], holders[order], np.array([crowded, rare]), np.array([-1, -2]), cap=200
    )
    assert sorted(others[owners == -1].tolist()) == ids[-200:]
    assert sorted(others[owners == -2].tolist()) == ids[:3]


def test_the_band_index_knows_which_articles_this_run_added():
    """``in_run`` answers for any ids, those never added, far beyond and negative."""
    import numpy as np

    index = candidates.BandIndex(stored=False)
    assert index.in_run(np.array([1, 2])).tolist() == [False, False]
    index.add([5, 3], [np.array([11, 12]), np.array([12, 13])])
    assert index.in_run(np.array([3, 5, 4, 100, -1])).tolist() == [True, True, False, False, False]
    index.add([10_000], [np.array([14])])
    assert index.in_run(np.array([10_000, 9_999, 5])).tolist() == [True, False, True]
