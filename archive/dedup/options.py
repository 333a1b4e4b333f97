"""How a dedup run is sized, and the hooks that let a caller watch or interrupt one.

The defaults suit an archive of millions of articles; tests and benchmarks pass a
``DedupOptions`` with smaller sizes (several chunks from a few hundred articles,
workers for a small run) instead of changing module constants, and watch a run
through its hooks instead of replacing its functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from .candidates import MAX_BUCKET, MAX_RUNS, MERGE_ROWS, BandIndex
from .workers import PARALLEL_FROM, Workers

CHUNK = 4000  # articles a chunk (one transaction)
BULK = 5000  # a first run over this many articles builds the band indexes after loading

# called at named points of a run (``POINTS``) with the chunk's number: a test's way to
# interrupt a run exactly there (raising) and check that nothing half-done is kept
Checkpoint = Callable[[str, int], None]
POINTS = ("signed", "counted", "clustered", "written", "committed", "drained")
# called with each chunk's session (its settings applied) and number, before its work
ChunkHook = Callable[[Session, int], None]
# makes the run's worker pool from its number of processes
PoolFactory = Callable[[int], Workers]


@dataclass(frozen=True)
class DedupOptions:
    """Sizes and hooks of one ``run_dedup``; every default is the production one."""

    chunk_size: int = CHUNK
    parallel_from: int = PARALLEL_FROM  # a run of fewer articles stays in one process
    bulk: int = BULK
    max_runs: int = MAX_RUNS  # see ``candidates.BandIndex``
    max_bucket: int = MAX_BUCKET  # holders of one band key looked at (``candidates``)
    merge_rows: int = MERGE_ROWS  # see ``candidates.merge_recent``
    checkpoint: Checkpoint | None = None
    on_chunk: ChunkHook | None = None
    pool: PoolFactory = Workers
    band_index: type[BandIndex] = BandIndex  # a subclass lets a test watch the look-ups
