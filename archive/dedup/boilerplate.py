"""Boilerplate learned from the archive: sentences frequent across different stories.

Police bulletins end with the same standard warnings (三不一多, 96110, download the
国家反诈中心APP). Such a sentence says nothing about which story a text tells, so
verification leaves it out (weight 0) when it occurs in at least ``MIN_DF`` different
stories. A story is counted once: only a text that is not a near or partial copy of
one already seen (judged by its signature, before clustering) adds to the counts, so
thirty reposts of one bulletin do not make its sentences look like boilerplate.

Counts live in the ``dedup_phrase`` table (sentence hash -> df) and grow with each
run; only the frequent ones are read back (an indexed ``df >= MIN_DF`` query).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import DedupPhrase
from .verify import Boiler

MIN_DF = 5


class Boilerplate(Boiler):
    """Frequent sentence hashes (stored) plus the counts added during this run."""

    def __init__(self, frequent: Iterable[int] = (), min_df: int = MIN_DF) -> None:
        super().__init__()
        self.min_df = min_df
        self.frequent: set[int] = set(frequent)
        self.pending: Counter[int] = Counter()

    @classmethod
    def load(cls, session: Session, min_df: int = MIN_DF) -> Boilerplate:
        rows = session.scalars(select(DedupPhrase.hash).where(DedupPhrase.df >= min_df))
        return cls(rows, min_df)

    def is_boilerplate(self, phrase: int) -> bool:
        return phrase in self.frequent

    def count_story(self, hashes: Iterable[int]) -> None:
        """Count the sentences of a text that starts a new story."""
        for h in set(hashes):
            if h:
                self.pending[h] += 1

    def settle(self, session: Session) -> None:
        """Write the pending counts and refresh the frequent set from the database."""
        if not self.pending:
            return
        upsert(session, self.pending)
        self.pending.clear()
        fresh = set(session.scalars(select(DedupPhrase.hash).where(DedupPhrase.df >= self.min_df)))
        if fresh != self.frequent:
            self.frequent = fresh
            self.bump()


def upsert(session: Session, counts: Counter[int]) -> None:
    """``df += n`` for every hash (insert when new), in one statement per 1,000 rows."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    rows = [{"hash": h, "df": n} for h, n in counts.items()]
    for i in range(0, len(rows), 1000):
        stmt = insert(DedupPhrase).values(rows[i : i + 1000])
        stmt = stmt.on_conflict_do_update(
            index_elements=["hash"], set_={"df": DedupPhrase.df + stmt.excluded.df}
        )
        session.execute(stmt)


def clear(session: Session) -> None:
    session.execute(delete(DedupPhrase))
