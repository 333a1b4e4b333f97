"""Boilerplate learned from the archive: sentences frequent across different stories.

Police bulletins end with the same standard warnings (三不一多, 96110, download the
国家反诈中心APP). Such a sentence says nothing about which story a text tells, so
verification leaves it out (weight 0) when it occurs in at least ``MIN_DF`` different
stories. A story is counted once: only a text that is not a near or partial copy of
one already seen (judged by its signature, before clustering) adds to the counts, so
thirty reposts of one bulletin do not make its sentences look like boilerplate.

Counts live in the ``dedup_phrase`` table (sentence hash -> df) and grow with each
run; only the frequent ones are read back (an indexed ``df >= MIN_DF`` query), once a
run. Counts only grow, so during a run the frequent set only gains the sentences whose
count a chunk took over ``MIN_DF``: those are the only ones looked up (or, when the
counts are kept in memory, noticed as they cross), never the whole table again.

A small archive has not counted five stories yet: the standard warnings every police
bureau repeats (``warnings.toml``: 五个凡是, 三不一多, 96110, 国家反诈中心APP, 公检法不会
电话办案, ...) are boilerplate from the first article on (``BUILT_IN``), so two
different bulletins sharing only such a paragraph are never joined.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Iterable
from functools import cache
from importlib.resources import files

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import DedupPhrase
from ..normalize import normalize
from .probe import driver_rows, mark, probe_table
from .shingles import sentence_hashes, sentence_keys
from .verify import Boiler

MIN_DF = 5
WARNINGS = "warnings.toml"  # the standard warning passages, next to this module


@cache
def built_in() -> frozenset[int]:
    """Sentence hashes of the standard warnings (``warnings.toml``), each sentence
    alone and after each reminder prefix ("警方提醒：…"), cut and keyed as dedup does."""
    data = tomllib.loads(files(__package__).joinpath(WARNINGS).read_text(encoding="utf-8"))
    prefixes = ["", *data.get("prefixes", [])]
    out: set[int] = set()
    for passage in data.get("passage", []):
        for sentence in passage["sentences"]:
            for prefix in prefixes:
                text = normalize(f"{prefix}：{sentence}" if prefix else sentence)
                out.update(h for h in sentence_hashes(sentence_keys(text)) if h)
    return frozenset(out)


class Boilerplate(Boiler):
    """Frequent sentence hashes (stored), the built-in warnings, and the counts added
    during this run."""

    def __init__(
        self, frequent: Iterable[int] = (), min_df: int = MIN_DF, *, empty: bool = False
    ) -> None:
        super().__init__()
        self.min_df = min_df
        self.frequent: set[int] = set(frequent) | built_in()
        self.pending: Counter[int] = Counter()  # counted since the last ``settle``
        # The table was empty when the run began: every count is also kept in memory,
        # so a chunk's settling notices the sentences crossing ``min_df`` without asking
        # the table (whose counts are still written chunk by chunk, see ``settle``).
        self.in_memory = empty
        self._totals: Counter[int] = Counter()
        self._crossed: set[int] = set()  # in memory: counts that reached min_df

    @classmethod
    def load(cls, session: Session, min_df: int = MIN_DF) -> Boilerplate:
        rows = set(session.scalars(select(DedupPhrase.hash).where(DedupPhrase.df >= min_df)))
        empty = not rows and session.scalar(select(DedupPhrase.hash).limit(1)) is None
        return cls(rows, min_df, empty=empty)

    def is_boilerplate(self, phrase: int) -> bool:
        return phrase in self.frequent

    def count_story(self, hashes: Iterable[int]) -> None:
        """Count the sentences of a text that starts a new story."""
        for h in set(hashes):
            if h:
                self.pending[h] += 1
                if self.in_memory:
                    self._totals[h] += 1
                    if self._totals[h] == self.min_df:
                        self._crossed.add(h)

    def settle(self, session: Session) -> None:
        """Write the counts so far in ``session`` and bring the frequent set up to date.

        Called once a chunk, in the chunk's own transaction: the counts are then stored
        exactly when the chunk's articles are marked as seen, and an interrupted chunk
        (rolled back) leaves no count behind for its articles to add again next run.
        """
        if not self.pending:
            return
        upsert(session, self.pending)
        if self.in_memory:
            crossed, self._crossed = self._crossed - self.frequent, set()
        else:
            crossed = frequent_among(
                session, [h for h in self.pending if h not in self.frequent], self.min_df
            )
        self.pending.clear()
        if crossed:
            self.frequent |= crossed
            self.bump()


def upsert(session: Session, counts: Counter[int]) -> None:
    """``df += n`` for every hash (insert when new), one prepared statement, many rows.

    Straight to the driver (SQLite and PostgreSQL share the ``ON CONFLICT`` syntax):
    SQLAlchemy's per-row parameter handling would cost more than the upsert itself.
    """
    conn = session.connection()
    m = mark(session)
    sql = (
        f"INSERT INTO dedup_phrase (hash, df) VALUES ({m}, {m}) "
        "ON CONFLICT (hash) DO UPDATE SET df = dedup_phrase.df + excluded.df"
    )
    rows = sorted(counts.items())
    for i in range(0, len(rows), 20000):
        conn.exec_driver_sql(sql, rows[i : i + 20000])


def frequent_among(session: Session, hashes: list[int], min_df: int = MIN_DF) -> set[int]:
    """Which of these hashes are counted in at least ``min_df`` stories (one join of a
    temporary table of the hashes with the primary key: what this costs depends on the
    hashes asked about, not the table)."""
    if not hashes:
        return set()
    with probe_table(session, "dedup_probe_phrases", sorted(hashes)) as probe:
        rows = driver_rows(
            session,
            f"SELECT d.hash FROM {probe} p JOIN dedup_phrase d ON d.hash = p.v "
            f"WHERE d.df >= {int(min_df)}",
        )
    return {h for (h,) in rows}


def clear(session: Session) -> None:
    session.execute(delete(DedupPhrase))
