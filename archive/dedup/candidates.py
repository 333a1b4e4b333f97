"""Candidate pairs from the persisted LSH bands, without comparing every pair.

Band keys live in the ``dedup_band`` table (key, article_id), indexed by key. A run
looks up only the keys of the articles it processes: in the database for articles
stored before the run (``IN`` queries of 500 keys), and in an in-memory index of the
articles of this run (sorted numpy arrays, one per chunk, searched with
``searchsorted``). Nothing is rebuilt from every article: adding 1,000 articles to an
archive of 100,000 costs 42,000 indexed look-ups.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ..models import DedupBand

MAX_CANDIDATES = 64  # per article, the ones sharing most bands first
_LOOKUP_BATCH = 500


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
            for q in np.flatnonzero(hi > lo).tolist():
                counter = result[int(owner[q])]
                for other in si[lo[q] : hi[q]].tolist():
                    counter[other] += 1
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
        """Articles stored before this run sharing keys with each given article."""
        result: dict[int, Counter[int]] = defaultdict(Counter)
        if not self.stored:
            return result
        wanted: dict[int, list[int]] = defaultdict(list)
        for aid, keys in keys_by_article.items():
            for k in keys.tolist():
                wanted[k].append(aid)
        all_keys = list(wanted)
        for i in range(0, len(all_keys), _LOOKUP_BATCH):
            batch = all_keys[i : i + _LOOKUP_BATCH]
            rows = session.execute(
                select(DedupBand.key, DedupBand.article_id).where(DedupBand.key.in_(batch))
            )
            for key, other in rows:
                if other in self.run_ids:
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
    data = [
        {"key": k, "article_id": aid} for aid, keys in rows for k in dict.fromkeys(keys.tolist())
    ]
    for i in range(0, len(data), 5000):
        session.execute(insert(DedupBand), data[i : i + 5000])


def drop_bands(session: Session, article_ids: Sequence[int] | None = None) -> None:
    if article_ids is None:
        session.execute(delete(DedupBand))
        return
    ids = list(article_ids)
    for i in range(0, len(ids), 500):
        session.execute(delete(DedupBand).where(DedupBand.article_id.in_(ids[i : i + 500])))
