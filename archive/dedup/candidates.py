"""Candidate pairs from the persisted LSH bands, without comparing every pair.

Band keys live in the ``dedup_band`` table (key, article_id), indexed by key; the keys
of the increments since the last merge live in the small ``dedup_band_recent`` (random
inserts into the large key index would rewrite about one page a key: 42,000 pages for
1,000 articles), merged into ``dedup_band`` in key order every ``MERGE_ROWS`` rows. A
run looks up only the keys of the articles it processes: in the database for articles
stored before the run (a temporary table of the keys joined with both key indexes),
and in an in-memory index of the articles of this run (sorted numpy arrays, one per
chunk, searched with ``searchsorted``). Nothing is rebuilt from every article.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..models import DedupBand, DedupBandRecent
from .probe import driver_rows, insert_pairs, probe_table

MAX_CANDIDATES = 64  # per article, the ones sharing most bands first
MAX_RUNS = 8  # sorted arrays of earlier chunks kept apart before they are merged into one
MERGE_ROWS = 420_000  # recent increments' keys (10,000 articles) merged into dedup_band
# A band key held by more articles than this is a template (a warning or sign-off
# hundreds of bulletins share), not a copy: a look-up takes only its most recent
# holders. Copies share many bands, most of them held by their story alone.
MAX_BUCKET = 200


class BandIndex:
    """Look-ups of band keys: the archive's stored keys plus this run's, chunk by chunk."""

    def __init__(
        self, *, stored: bool, max_runs: int = MAX_RUNS, max_bucket: int = MAX_BUCKET
    ) -> None:
        self.stored = stored  # were there keys in the database before this run?
        self.max_runs = max_runs  # earlier chunks' arrays kept apart before merging
        self.max_bucket = max_bucket  # holders of one key looked at (``MAX_BUCKET``)
        self._keys: list[np.ndarray] = []
        self._ids: list[np.ndarray] = []
        self._in_run = np.zeros(0, dtype=np.bool_)  # by article id: added in this run

    def add(self, ids: Sequence[int], keys: Sequence[np.ndarray]) -> None:
        """Index the keys of a chunk of this run's articles (in memory)."""
        if not ids:
            return
        flat, owner = _flatten(ids, keys)
        order = np.argsort(flat, kind="stable")
        if len(self._keys) >= self.max_runs:  # merge the earlier chunks: look-ups stay cheap
            keys_all = np.concatenate(self._keys)
            ids_all = np.concatenate(self._ids)
            merged = np.argsort(keys_all, kind="stable")
            self._keys, self._ids = [keys_all[merged]], [ids_all[merged]]
        self._keys.append(flat[order])
        self._ids.append(owner[order])
        top = int(owner.max()) + 1
        if top > len(self._in_run):  # grown by doubling: a flag an article id
            grown = np.zeros(max(top, 2 * len(self._in_run)), dtype=np.bool_)
            grown[: len(self._in_run)] = self._in_run
            self._in_run = grown
        self._in_run[owner] = True

    def in_run(self, ids: np.ndarray) -> np.ndarray:
        """Whether each of ``ids`` is an article this run has added (a flag look-up:
        keeping a sorted array of them cost a sort of up to a million ids a chunk)."""
        ids = np.asarray(ids, dtype=np.int64)
        inside = (ids >= 0) & (ids < len(self._in_run))
        out = np.zeros(len(ids), dtype=np.bool_)
        out[inside] = self._in_run[ids[inside]]
        return out

    def run_pairs(self, ids: Sequence[int], keys: Sequence[np.ndarray]) -> Pairs:
        """For a chunk of this run's articles (already ``add``-ed): every (article, other
        article of this run) sharing a band key, once per shared key, as two arrays.
        """
        if not ids:
            return _no_pairs()
        flat, owner = _flatten(ids, keys)
        cap = self.max_bucket
        parts = [
            _expand(sk, si, flat, owner, cap) for sk, si in zip(self._keys, self._ids, strict=True)
        ]
        owners = np.concatenate([p[0] for p in parts])
        others = np.concatenate([p[1] for p in parts])
        differ = owners != others
        return owners[differ], others[differ]

    def stored_pairs(
        self, session: Session, ids: Sequence[int], keys: Sequence[np.ndarray]
    ) -> Pairs:
        """(article, stored article) sharing a band key, once per shared key.

        The keys go into a temporary table joined with ``dedup_band`` on its key index:
        one statement, one index probe per key, whatever the archive's size.
        """
        if not self.stored or not ids:
            return _no_pairs()
        flat, owner = _flatten(ids, keys)
        rows = self.stored_rows(session, np.unique(flat))
        if not rows:
            return _no_pairs()
        found = np.array(rows, dtype=np.int64)
        found = found[~self.in_run(found[:, 1])]  # this run's: in memory
        order = np.lexsort((found[:, 1], found[:, 0]))  # by key, then article
        return _expand(found[order, 0], found[order, 1], flat, owner, self.max_bucket)

    def stored_rows(self, session: Session, keys: np.ndarray) -> list[Any]:
        """The database's answer for some band keys: (key, article id) of the stored
        holders of each, both band tables, this run's articles not left out yet.

        Of a key held by more than ``max_bucket`` articles in ``dedup_band`` only the
        ``max_bucket`` highest ids come back: a subquery steps back that far from the
        key's end of the (key, article_id) index, and the join reads from there. The
        small table of recent keys comes back whole (``_expand`` caps it)."""
        cap = int(self.max_bucket)
        with probe_table(session, "dedup_probe", keys.tolist()) as probe:
            return driver_rows(
                session,
                f"SELECT b.key, b.article_id FROM {probe} p JOIN dedup_band b ON b.key = p.v "
                "AND b.article_id >= COALESCE((SELECT c.article_id FROM dedup_band c "
                f"WHERE c.key = p.v ORDER BY c.article_id DESC LIMIT 1 OFFSET {cap - 1}), 0) "
                f"UNION ALL SELECT r.key, r.article_id FROM {probe} p "
                "JOIN dedup_band_recent r ON r.key = p.v",
            )


Pairs = tuple[np.ndarray, np.ndarray]


def _no_pairs() -> Pairs:
    return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)


def _flatten(ids: Sequence[int], keys: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """All the keys of some articles in one array, and the article of each key."""
    flat = np.concatenate(keys).astype(np.int64)
    owner = np.repeat(np.asarray(ids, dtype=np.int64), [len(k) for k in keys])
    return flat, owner


def _expand(
    sorted_keys: np.ndarray,
    sorted_ids: np.ndarray,
    probe: np.ndarray,
    probe_owner: np.ndarray,
    cap: int = MAX_BUCKET,
) -> Pairs:
    """Every (probe owner, indexed article) whose keys are equal, without a Python loop;
    of a key held by more than ``cap`` indexed articles, the last ``cap`` of them.

    The probes are searched in key order: consecutive binary searches then walk the
    same part of a large sorted array (cached), not random parts of it (memory-bound).
    """
    order = np.argsort(probe, kind="stable")
    probe, probe_owner = probe[order], probe_owner[order]
    lo = np.searchsorted(sorted_keys, probe, side="left")
    hi = np.searchsorted(sorted_keys, probe, side="right")
    lengths = np.minimum(hi - lo, cap)
    lo = hi - lengths
    hit = np.flatnonzero(lengths)
    if not len(hit):
        return _no_pairs()
    reps = lengths[hit]
    starts = np.repeat(lo[hit] - np.cumsum(reps) + reps, reps)
    others = sorted_ids[starts + np.arange(int(reps.sum()))]
    return np.repeat(probe_owner[hit], reps), others


def count_pairs(
    owners: np.ndarray, others: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (owner, other) pairs and how many keys each shares."""
    if not len(owners):
        return owners, others, np.empty(0, dtype=np.int64)
    codes, counts = np.unique((owners << 32) | others, return_counts=True)
    return codes >> 32, codes & 0xFFFFFFFF, counts


def best_pairs(
    owners: np.ndarray, others: np.ndarray, counts: np.ndarray, limit: int = MAX_CANDIDATES
) -> np.ndarray:
    """Indices of each owner's ``limit`` candidates sharing most keys (``best``, vectorised);
    in owner order, the ones sharing most first (ties: the most recent id first)."""
    order = np.lexsort((-others, -counts, owners))
    o = owners[order]
    first = np.flatnonzero(np.concatenate(([True], o[1:] != o[:-1])))
    rank = np.arange(len(o)) - np.repeat(first, np.diff(np.append(first, len(o))))
    return order[rank < limit]


def best(counts: Counter[int], limit: int = MAX_CANDIDATES) -> list[int]:
    """The candidates sharing most bands (all of them when few)."""
    if len(counts) <= limit:
        return list(counts)
    return [aid for aid, _ in counts.most_common(limit)]


def store_bands(
    session: Session, rows: Iterable[tuple[int, np.ndarray]], *, recent: bool = False
) -> None:
    """Persist band keys (article id, keys), bulk insert; ``recent``: into the small
    table of recent increments (see ``merge_recent``)."""
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
    table = "dedup_band_recent" if recent else "dedup_band"
    insert_pairs(session, table, ("key", "article_id"), data)


BAND_INDEXES = {"ix_dedup_band_key": "key, article_id", "ix_dedup_band_article_id": "article_id"}


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


def merge_recent(session: Session, at: int | None = None) -> int:
    """Move the recent increments' keys into ``dedup_band`` once there are ``at`` rows
    (``MERGE_ROWS``) or more, in key order: the large index is then rewritten once for
    many increments, not a page a key at every one. Returns the rows moved."""
    n = session.scalar(select(func.count()).select_from(DedupBandRecent)) or 0
    if not n or n < (MERGE_ROWS if at is None else at):
        return 0
    conn = session.connection()
    conn.exec_driver_sql(
        "INSERT INTO dedup_band (key, article_id) "
        "SELECT key, article_id FROM dedup_band_recent ORDER BY key"
    )
    session.execute(delete(DedupBandRecent))
    return n


def has_bands(session: Session) -> bool:
    """Are any band keys stored (in either table)?"""
    return any(
        session.scalar(select(table.key).limit(1)) is not None
        for table in (DedupBand, DedupBandRecent)
    )


def drop_bands(session: Session, article_ids: Sequence[int] | None = None) -> None:
    for table in (DedupBand, DedupBandRecent):
        if article_ids is None:
            session.execute(delete(table))
            continue
        ids = list(article_ids)
        for i in range(0, len(ids), 500):
            session.execute(delete(table).where(table.article_id.in_(ids[i : i + 500])))
