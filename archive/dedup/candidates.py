"""Candidate pairs from the persisted LSH bands, without comparing every pair.

Band keys live in the ``dedup_band`` table (key, article_id), indexed by key. A run
looks up only the keys of the articles it processes: in the database for articles
stored before the run (a temporary table of the keys joined with the band index), and in an in-memory index of the
articles of this run (sorted numpy arrays, one per chunk, searched with
``searchsorted``). Nothing is rebuilt from every article: adding 1,000 articles to an
archive of 100,000 costs 42,000 indexed look-ups.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
from sqlalchemy import delete
from sqlalchemy.orm import Session

from ..models import DedupBand

MAX_CANDIDATES = 64  # per article, the ones sharing most bands first
MAX_RUNS = 8  # sorted arrays of earlier chunks kept apart before they are merged into one


class BandIndex:
    """Look-ups of band keys: the archive's stored keys plus this run's, chunk by chunk."""

    def __init__(self, *, stored: bool) -> None:
        self.stored = stored  # were there keys in the database before this run?
        self._keys: list[np.ndarray] = []
        self._ids: list[np.ndarray] = []
        self.run_ids: set[int] = set()

    def add(self, ids: Sequence[int], keys: Sequence[np.ndarray]) -> None:
        """Index the keys of a chunk of this run's articles (in memory)."""
        if not ids:
            return
        flat = np.concatenate(keys)
        owner = np.repeat(np.asarray(ids, dtype=np.int64), [len(k) for k in keys])
        order = np.argsort(flat, kind="stable")
        if len(self._keys) >= MAX_RUNS:  # merge the earlier chunks: look-ups stay cheap
            keys_all = np.concatenate(self._keys)
            ids_all = np.concatenate(self._ids)
            merged = np.argsort(keys_all, kind="stable")
            self._keys, self._ids = [keys_all[merged]], [ids_all[merged]]
        self._keys.append(flat[order])
        self._ids.append(owner[order])
        self.run_ids.update(ids)

    def run_matches(self, ids: Sequence[int], keys: Sequence[np.ndarray]) -> dict:
        """For a chunk of this run's articles (already ``add``-ed, the last chunk): the
        articles of this run sharing band keys with each, and how many keys they share.
        """
        result: dict[int, Counter[int]] = defaultdict(Counter)
        if not ids:
            return result
        flat = np.concatenate(keys)
        owner = np.repeat(np.asarray(ids, dtype=np.int64), [len(k) for k in keys])
        for sk, si in zip(self._keys[:-1], self._ids[:-1], strict=True):
            lo = np.searchsorted(sk, flat, side="left")
            hi = np.searchsorted(sk, flat, side="right")
            lengths = hi - lo
            hit = np.flatnonzero(lengths)
            if not len(hit):
                continue
            # every (owner, other) pair sharing a key, without a Python loop per key
            reps = lengths[hit]
            starts = np.repeat(lo[hit] - np.cumsum(reps) + reps, reps)
            others = si[starts + np.arange(int(reps.sum()))]
            owners = np.repeat(owner[hit], reps)
            pairs, counts = np.unique((owners << 32) | others, return_counts=True)
            for pair, n in zip(pairs.tolist(), counts.tolist(), strict=True):
                result[pair >> 32][pair & 0xFFFFFFFF] += n
        # within the chunk itself: runs of equal keys in its sorted array
        sk, si = self._keys[-1], self._ids[-1]
        same = np.flatnonzero(sk[1:] == sk[:-1])
        if len(same):
            starts = same[np.concatenate(([True], np.diff(same) > 1))]
            for st in starts.tolist():
                en = st + 1
                while en < len(sk) and sk[en] == sk[st]:
                    en += 1
                group = si[st:en].tolist()
                for a in group:
                    for b in group:
                        if a != b:
                            result[a][b] += 1
        return result

    def stored_matches(self, session: Session, keys_by_article: dict[int, np.ndarray]) -> dict:
        """Articles stored before this run sharing keys with each given article.

        The keys go into a temporary table joined with ``dedup_band`` on its primary
        key: one statement, one index probe per key, whatever the archive's size.
        """
        result: dict[int, Counter[int]] = defaultdict(Counter)
        if not self.stored or not keys_by_article:
            return result
        wanted: dict[int, list[int]] = defaultdict(list)
        for aid, keys in keys_by_article.items():
            for k in keys.tolist():
                wanted[k].append(aid)
        conn = session.connection()
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        conn.exec_driver_sql("CREATE TEMPORARY TABLE IF NOT EXISTS dedup_probe (key BIGINT)")
        conn.exec_driver_sql("DELETE FROM dedup_probe")
        conn.exec_driver_sql(
            f"INSERT INTO dedup_probe (key) VALUES ({mark})", [(k,) for k in wanted]
        )
        rows = conn.exec_driver_sql(
            "SELECT b.key, b.article_id FROM dedup_probe p JOIN dedup_band b ON b.key = p.key"
        ).all()
        conn.exec_driver_sql("DELETE FROM dedup_probe")
        run_ids = self.run_ids
        for key, other in rows:
            if other in run_ids:
                continue
            for aid in wanted[key]:
                result[aid][other] += 1
        return result


def best(counts: Counter[int], limit: int = MAX_CANDIDATES) -> list[int]:
    """The candidates sharing most bands (all of them when few)."""
    if len(counts) <= limit:
        return list(counts)
    return [aid for aid, _ in counts.most_common(limit)]


def store_bands(session: Session, rows: Iterable[tuple[int, np.ndarray]]) -> None:
    """Persist band keys (article id, keys), bulk insert."""
    # sorted by key: the index pages are then written in order, not at random
    rows = list(rows)
    if not rows:
        return
    keys = np.concatenate([k for _, k in rows]).astype(np.int64)
    owners = np.repeat(np.asarray([a for a, _ in rows], dtype=np.int64), [len(k) for _, k in rows])
    order = np.lexsort((owners, keys))  # by key, then article: numpy, not a Python sort
    keys, owners = keys[order], owners[order]
    keep = np.ones(len(keys), dtype=bool)
    keep[1:] = (keys[1:] != keys[:-1]) | (owners[1:] != owners[:-1])
    data = list(zip(keys[keep].tolist(), owners[keep].tolist(), strict=True))
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO dedup_band (key, article_id) VALUES ({mark}, {mark})"
    for i in range(0, len(data), 20000):
        # straight to the driver: SQLAlchemy's per-row parameter handling would cost
        # more than SQLite's own insert
        conn.exec_driver_sql(sql, data[i : i + 20000])


BAND_INDEXES = {"ix_dedup_band_key": "key", "ix_dedup_band_article_id": "article_id"}


def drop_indexes(session: Session) -> None:
    """Before a bulk load into an empty band table: appends without index upkeep."""
    conn = session.connection()
    for name in BAND_INDEXES:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def ensure_indexes(session: Session) -> None:
    """Build the band indexes if missing (after a bulk load, or one that was cut short)."""
    conn = session.connection()
    for name, column in BAND_INDEXES.items():
        conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON dedup_band ({column})")


def drop_bands(session: Session, article_ids: Sequence[int] | None = None) -> None:
    if article_ids is None:
        session.execute(delete(DedupBand))
        return
    ids = list(article_ids)
    for i in range(0, len(ids), 500):
        session.execute(delete(DedupBand).where(DedupBand.article_id.in_(ids[i : i + 500])))
