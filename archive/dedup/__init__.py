"""Dedup: near-duplicate clusters of articles and the recorded differences between them.

``run_dedup(archive)`` is the stage; ``queries`` answers the CLI and web UI (clusters,
one cluster, the diff of two articles, the check of a text that is not stored). The
parts, one job a module: ``shingles`` (matching keys), ``signatures`` (MinHash and LSH
band keys), ``candidates`` (the persisted band index), ``boilerplate`` (what is learned
to be standard text), ``verify`` (exact measures), ``cluster`` (membership, canonical
member, merges, differences) and ``stage``.
"""

from .options import DedupOptions
from .stage import DedupReport, run_dedup

__all__ = ["DedupOptions", "DedupReport", "run_dedup"]
