"""Worker processes for the pure, CPU-bound parts of a large dedup run.

Two parts of the stage are functions of texts alone: the features of an article
(sentence keys, shingles, the content without the boilerplate known so far and its
signature) and the differences between a canonical copy and a new member. In a large
run they go to worker processes while the main process does what needs the database
and the run's state (candidates, verification, clustering, writing): the features of
the *next* chunk are computed while the current one is clustered, and a chunk's
differences while the next chunks are processed (``differences``).

Small runs (an increment of a few thousand articles) stay in one process: starting
workers costs about a second (they import numpy, OpenCC and the matcher), more than
they save. ``workers`` (``FANZHA_WORKERS``, ``fanzha dedup --workers``) sets the
number of worker processes (default: one per core beside the main process's, at
most two: on two cores, one); 0 keeps everything in-process. The results are the
same either way (``tests/test_dedup_workers.py``).

Workers are started with ``forkserver`` (never a fork of a process holding database
connections or threads). A worker that dies (killed, out of memory) does not end the
run: the pool is dropped and the rest is computed in-process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ..diff import Change, diff_meta, diff_texts
from ..labels import label_difference
from .verify import Features, precompute

log = logging.getLogger(__name__)

PARALLEL_FROM = 8000  # articles: smaller runs stay in one process
DIFF_BATCH = 64  # pairs per task: few messages, yet both workers busy


def default_workers() -> int:
    """Worker processes for a large run: one per core beside the main process's own
    (which is busy too: the database, candidates, clustering), at most two."""
    return max(0, min(2, (os.cpu_count() or 1) - 1))


Texts = Sequence[tuple[int, str]]
FeatureResult = list[tuple[int, Features | str]]  # a Features, or the error of that text


def features_of(rows: Texts, frequent: frozenset[int]) -> FeatureResult:
    """Features of some texts, their content computed for ``frequent`` boilerplate."""
    out: FeatureResult = []
    for aid, text in rows:
        try:
            out.append((aid, precompute(text or "", frequent)))
        except Exception as exc:  # reported for that article, not fatal to the run
            log.exception("dedup: article %s", aid)
            out.append((aid, f"{type(exc).__name__}: {exc}"))
    return out


# what is diffed: two texts and their metadata (``differences.article_info``'s "meta")
DiffInput = tuple[str, str, dict[str, Any], dict[str, Any]]
# what comes back: the changes (each labelled), the metadata changes, the copy's labels
Diffed = tuple[list[Change], dict[str, Any], list[str]]


def diffs_of(pairs: Sequence[DiffInput]) -> list[Diffed]:
    """Each (A, B) pair's ``diff_texts``, ``diff_meta`` and labels (``archive.labels``):
    all of it in the worker, which the labels' checks of script and layout made the
    main process's largest cost."""
    out: list[Diffed] = []
    for a, b, meta_a, meta_b in pairs:
        changes = diff_texts(a, b)
        meta = diff_meta(meta_a, meta_b)
        out.append((changes, meta, label_difference(changes, a, b, meta)))
    return out


class Workers:
    """A pool of worker processes, or none (``processes`` 0: everything in-process)."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        if processes > 0:
            ctx = multiprocessing.get_context("forkserver")
            self._pool = ProcessPoolExecutor(processes, mp_context=ctx)

    @property
    def parallel(self) -> bool:
        return self._pool is not None

    def start(
        self, fn: Callable[..., list[Any]], items: Sequence[Any], *args: Any, size: int
    ) -> list[Future[list[Any]]]:
        """Start ``fn(batch, *args)`` on batches of ``size`` items in the workers
        (``gather`` gives the results back, in order). In-process the work is done
        here and now, in one call."""
        if self._pool is None:
            done: Future[list[Any]] = Future()
            done.set_result(fn(items, *args))
            return [done]
        batches = [items[i : i + size] for i in range(0, len(items), max(1, size))]
        try:
            return [self._pool.submit(fn, batch, *args) for batch in batches]
        except BrokenProcessPool:
            self._broken()
            return self.start(fn, items, *args, size=size)

    def gather(
        self,
        futures: list[Future[list[Any]]],
        fn: Callable[..., list[Any]],
        items: Sequence[Any],
        *args: Any,
    ) -> list[Any]:
        """The results of ``start(fn, items, *args)`` (in-process again if the pool broke)."""
        try:
            return [r for f in futures for r in f.result()]
        except BrokenProcessPool:
            self._broken()
            return fn(items, *args)

    def features(self, rows: Texts, frequent: frozenset[int]) -> list[Future[list[Any]]]:
        """Start the features of ``rows``, one batch a worker."""
        size = -(-len(rows) // max(1, self.processes))  # ceiling division
        return self.start(features_of, rows, frequent, size=size)

    def diffs(self, pairs: Sequence[DiffInput]) -> list[Future[list[Any]]]:
        """Start the diffs of ``pairs``, ``DIFF_BATCH`` pairs a task."""
        return self.start(diffs_of, pairs, size=DIFF_BATCH)

    def _broken(self) -> None:
        log.warning("dedup: a worker process died; going on in one process")
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
