"""The dedup stage: ``run_dedup`` clusters the articles not seen yet and records diffs.

For the articles flagged ``needs_dedup`` (all of them with ``rebuild``), in published
order, a chunk at a time (each chunk one transaction):

1. features: sentence keys, shingles, MinHash signature, 42 LSH band keys; the
   signature and band keys are stored (``signature``, ``dedup_band``);
2. candidates: articles sharing a band key (stored before the run: indexed look-ups;
   of this run: in memory), at most ``MAX_CANDIDATES`` each, those sharing most first;
3. a cheap filter on the estimated similarity from the two signatures;
4. boilerplate: the sentences of each article that is not an obvious copy of one seen
   before are counted (``dedup_phrase``, in the chunk's transaction) — the counts
   decide what is boilerplate;
5. exact verification (``verify.measure``) without boilerplate sentences;
6. clustering in published order, merging clusters an article bridges; then the
   changed clusters are written back with their canonical member, measures and the
   differences from the canonical member to each new member.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..db import Archive
from ..models import Article, Cluster, DedupPendingDiff, Difference, Member, Signature
from . import boilerplate as bp
from .candidates import (
    best_pairs,
    count_pairs,
    drop_bands,
    drop_indexes,
    ensure_indexes,
    has_bands,
    merge_recent,
    store_bands,
)
from .cluster import Clusters, rank
from .differences import DifferenceWriter
from .options import Checkpoint, DedupOptions
from .probe import driver_rows, probe_table
from .signatures import NUM_PERM, band_keys, from_bytes, to_bytes
from .verify import (
    Features,
    Match,
    estimate_containment_many,
    measure,
    worth_verifying_many,
)
from .workers import Workers, default_workers, features_of

log = logging.getLogger(__name__)

# an article this close to an earlier one (estimated) is a copy: its sentences are not
# counted again for boilerplate. High on purpose: different bulletins that are mostly
# the same warnings must still count as different stories.
OBVIOUS = 0.8
OBVIOUS_PART = 0.9
CACHE = 20_000  # features kept for candidates from earlier chunks (about 20 KB each)
# look-ups in a large archive's band index touch thousands of scattered pages: read
# through a memory map they cost a third of reading them with system calls (a first
# run looks nothing up: no map)
MMAP_BYTES = 1 << 30
SIG_VERSION = 2  # 2: signatures of the content, boilerplate left out
Progress = Callable[[int, int], None]


@dataclass
class DedupReport:
    processed: int = 0
    clusters: int = 0
    new_clusters: int = 0
    merged: int = 0
    differences: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "processed": self.processed,
            "clusters": self.clusters,
            "new_clusters": self.new_clusters,
            "merged": self.merged,
            "differences": self.differences,
            "errors": self.errors,
        }


class _Run:
    """The state of one run: band index, boilerplate, clusters, signatures, caches."""

    def __init__(
        self,
        order: list[int],
        stored: bool,
        boiler: bp.Boilerplate,
        workers: Workers,
        options: DedupOptions,
    ) -> None:
        self.checkpoint: Checkpoint = options.checkpoint or _no_checkpoint
        self.chunk_no = 0  # the chunk being processed
        self.pos = {aid: i for i, aid in enumerate(order)}
        ids = np.asarray(order, dtype=np.int64)
        self._by_id = np.argsort(ids)
        self._sorted_ids = ids[self._by_id]
        self.index = options.band_index(
            stored=stored, max_runs=options.max_runs, max_bucket=options.max_bucket
        )
        self.boiler = boiler
        self.sigs = np.zeros((len(order), NUM_PERM), dtype=np.uint32)
        self.sizes = np.zeros(len(order), dtype=np.int32)
        self.cache: OrderedDict[int, Features] = OrderedDict()
        self._measured: dict[tuple[int, int], tuple[Features, Features, Match]] = {}
        self.workers = workers
        self.clusters = Clusters(self.features, self.measure)
        self.differences = DifferenceWriter(workers, self.clusters.canonical_of)

    def mark(self, point: str) -> None:
        """Say that the chunk being processed reached ``point`` (see ``Checkpoint``)."""
        self.checkpoint(point, self.chunk_no)

    def positions(self, ids: np.ndarray) -> np.ndarray:
        """Positions in published order of some of this run's articles (vectorised ``pos``)."""
        return self._by_id[np.searchsorted(self._sorted_ids, ids)]

    def measure(self, a: Features, b: Features) -> Match:
        """``verify.measure``, each pair once a chunk: clustering asks again for pairs
        verification measured (an article and the head it matched, the canonical
        member and a new one). Kept until ``forget_measures`` (the boilerplate is
        fixed from verification to writing; the entries hold the features they are
        keyed by, so no id is reused)."""
        found = self._measured.get((id(a), id(b)))
        if found is None and len(a.content(self.boiler)) != len(b.content(self.boiler)):
            found = self._measured.get((id(b), id(a)))  # symmetric but for equal sizes
        if found is None:
            found = (a, b, measure(a, b, self.boiler))
            self._measured[id(a), id(b)] = found
        return found[2]

    def forget_measures(self) -> None:
        self._measured.clear()

    def remember(self, aid: int, f: Features) -> None:
        self.cache[aid] = f
        self.cache.move_to_end(aid)
        while len(self.cache) > CACHE:
            self.cache.popitem(last=False)

    def features(self, session: Session, ids: Iterable[int]) -> dict[int, Features]:
        """Features of any articles: from the cache, else from their stored text."""
        out: dict[int, Features] = {}
        missing = []
        for aid in ids:
            f = self.cache.get(aid)
            if f is None:
                missing.append(aid)
            else:
                out[aid] = f
        for i in range(0, len(missing), 500):
            rows = session.execute(
                select(Article.id, Article.norm_text).where(Article.id.in_(missing[i : i + 500]))
            )
            for aid, text in rows:
                out[aid] = Features.of(text or "")
                self.remember(aid, out[aid])
        return out


def run_dedup(
    archive: Archive,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    workers: int | None = None,
    options: DedupOptions | None = None,
) -> DedupReport:
    """Cluster the articles not yet seen by dedup (all of them with ``rebuild``).

    ``workers``: worker processes for the CPU-bound parts of a large run (default:
    one per core beside this one, at most two; 0: none; see ``workers``).
    ``options``: the run's sizes (articles a transaction, ...) and hooks to watch it
    (``checkpoint``: called at each of ``POINTS``); see ``DedupOptions``. Everything a
    chunk writes (signatures, bands, sentence counts, clusters, differences or the list
    of those still computed elsewhere) is in the chunk's transaction: a run interrupted
    anywhere leaves the archive as of its last whole chunk, and the next run goes on
    from there."""
    report = DedupReport()
    with archive.session() as s:
        ensure_indexes(s)
        if rebuild:
            reset(s)
        todo = s.execute(
            select(Article.id, Article.published_at, func.length(Article.norm_text)).where(
                Article.needs_dedup.is_(True)
            )
        ).all()
        stored = has_bands(s)
        boiler = bp.Boilerplate.load(s)
    order = [aid for aid, _, _ in sorted(todo, key=lambda r: rank(r[1], r[2] or 0, r[0]))]
    opts = options or DedupOptions()
    processes = default_workers() if workers is None else workers
    pool = opts.pool(processes if len(order) >= opts.parallel_from else 0)
    run = _Run(order, stored, boiler, pool, opts)
    bulk = not stored and len(order) >= opts.bulk
    if bulk:  # an empty band table and many articles: load first, index after
        with archive.session() as s:
            drop_indexes(s)
    size = opts.chunk_size
    chunks = [order[i : i + size] for i in range(0, len(order), size)]
    try:
        ahead: _Texts | None = None
        for k, chunk in enumerate(chunks):
            with archive.session() as s, _tuned(s, archive.is_sqlite, mapped=stored):
                texts = ahead or _Texts.start(s, run, chunk)
                ahead = None
                if pool.parallel and k + 1 < len(chunks):  # the next chunk's features
                    ahead = _Texts.start(s, run, chunks[k + 1])  # while this one is done
                run.chunk_no = k
                if opts.on_chunk:
                    opts.on_chunk(s, k)
                _process_chunk(s, run, texts, report)
            run.checkpoint("committed", k)
            report.processed += len(chunk)
            if progress:
                progress(report.processed, len(order))
        with archive.session() as s:  # the diffs still in flight; any left by a dead run
            run.differences.drain(s, wait=True)
            run.differences.record_missing(s)
            run.checkpoint("drained", len(chunks))
        report.differences = run.differences.written
    finally:
        pool.close()
        with archive.session() as s:
            if bulk:
                ensure_indexes(s)
            merge_recent(s, at=opts.merge_rows)
            if archive.is_sqlite:
                s.connection().exec_driver_sql("PRAGMA wal_autocheckpoint=1000")
    with archive.session() as s:
        report.clusters = s.scalar(select(func.count()).select_from(Cluster)) or 0
    log.info("dedup: %s", report.as_json())
    return report


def _no_checkpoint(point: str, chunk: int) -> None:
    pass


@contextmanager
def _tuned(s: Session, sqlite: bool, *, mapped: bool) -> Iterator[None]:
    """SQLite settings for a chunk: a larger page cache, fewer WAL checkpoints and,
    with ``mapped``, the file read through a memory map (undone after the chunk, so
    that other work on the connection does not map the whole archive)."""
    if not sqlite:
        yield
        return
    conn = s.connection()
    conn.exec_driver_sql("PRAGMA cache_size=-262144")
    conn.exec_driver_sql("PRAGMA wal_autocheckpoint=20000")
    if mapped:
        conn.exec_driver_sql(f"PRAGMA mmap_size={MMAP_BYTES}")
    try:
        yield
    finally:
        if mapped:  # never in place of the error that ended the chunk
            with suppress(SQLAlchemyError):
                conn.exec_driver_sql("PRAGMA mmap_size=0")


@dataclass
class _Texts:
    """A chunk's rows and the features being computed for them (maybe elsewhere)."""

    chunk: list[int]
    rows: list[Any]  # (id, norm_text, content_hash, published_at, length)
    texts: list[tuple[int, str]]
    frequent: frozenset[int]
    futures: list[Any]

    @classmethod
    def start(cls, s: Session, run: _Run, chunk: list[int]) -> _Texts:
        rows = s.execute(
            select(
                Article.id,
                Article.norm_text,
                Article.content_hash,
                Article.published_at,
                func.length(Article.norm_text),
            ).where(Article.id.in_(chunk))
        ).all()
        frequent = frozenset(run.boiler.frequent)
        texts = [(r[0], r[1] or "") for r in rows]
        return cls(chunk, rows, texts, frequent, run.workers.features(texts, frequent))

    def features(self, run: _Run) -> dict[int, Features | str]:
        return dict(run.workers.gather(self.futures, features_of, self.texts, self.frequent))


def reset(session: Session) -> None:
    """Forget every signature, band, phrase count, cluster and difference."""
    members = select(Member.article_id)
    session.execute(update(Article).where(Article.id.in_(members)).values(needs_index=True))
    session.execute(delete(Difference))
    session.execute(delete(DedupPendingDiff))
    session.execute(delete(Member))
    session.execute(delete(Cluster))
    session.execute(delete(Signature))
    drop_bands(session)
    bp.clear(session)
    session.execute(update(Article).values(needs_dedup=True))


def _process_chunk(s: Session, run: _Run, texts: _Texts, report: DedupReport) -> None:
    chunk = texts.chunk
    # 0. articles seen before (their text changed): out of their clusters first
    seen = set(s.scalars(select(Signature.article_id).where(Signature.article_id.in_(chunk))))
    if seen:
        for aid in seen:
            run.clusters.detach(s, aid)
        s.execute(delete(Signature).where(Signature.article_id.in_(seen)))
        drop_bands(s, list(seen))
    feats, keys = _sign(s, run, texts, report)
    run.mark("signed")
    survivors = _candidates(s, run, feats, keys, chunk)
    run.forget_measures()  # the boilerplate settled: measures from here on hold
    run.mark("counted")
    # 5. exact verification and 6. clustering, in published order
    for aid, f in feats.items():
        run.remember(aid, f)
    wanted = {c for cs in survivors.values() for c in cs}
    others = run.features(s, [c for c in wanted if c not in feats])
    run.clusters.lookup(s, [c for c in wanted if c not in run.pos])
    for aid, cands in survivors.items():
        matched = []
        for c in cands:
            other = feats.get(c) or others.get(c)
            if other is not None and run.measure(feats[aid], other).is_match:
                matched.append(c)
        if matched:
            report.merged += run.clusters.link(s, aid, matched)
    done = run.clusters.finalize(s)
    run.mark("clustered")
    report.new_clusters += done.new_clusters
    run.differences.submit(s, done.pending)  # computed now, or in workers meanwhile
    run.differences.drain(s)
    s.execute(update(Article).where(Article.id.in_(chunk)).values(needs_dedup=False))
    errors = {e["id"] for e in report.errors}
    if errors:
        s.execute(update(Article).where(Article.id.in_(errors)).values(needs_dedup=True))
    reindex = sorted(done.reindex)
    for i in range(0, len(reindex), 500):
        s.execute(
            update(Article).where(Article.id.in_(reindex[i : i + 500])).values(needs_index=True)
        )
    run.forget_measures()
    run.mark("written")


def _sign(
    s: Session, run: _Run, texts: _Texts, report: DedupReport
) -> tuple[dict[int, Features], dict[int, np.ndarray]]:
    """1. Features of a chunk's articles (their signatures stored) and band keys."""
    feats: dict[int, Features] = {}
    keys: dict[int, np.ndarray] = {}
    sig_rows = []
    computed = texts.features(run)
    for aid, _text, chash, pub, length in texts.rows:
        run.clusters.ranks[aid] = rank(pub, length or 0, aid)
        run.clusters.cluster_of.setdefault(aid, None)
        f = computed[aid]
        if isinstance(f, str):  # a text the matcher cannot read: reported, not fatal
            log.error("dedup: article %s: %s", aid, f)
            report.errors.append({"id": aid, "error": f})
            continue
        sig = f.sign(run.boiler)
        if sig is None:
            continue
        feats[aid] = f
        p = run.pos[aid]
        n = len(f.content(run.boiler))
        run.sigs[p] = sig
        run.sizes[p] = n
        sig_rows.append(
            {
                "article_id": aid,
                "content_hash": chash,
                "data": to_bytes(sig),
                "extra": {"n": n, "v": SIG_VERSION},
            }
        )
    if feats:  # band keys of the whole chunk in one go
        matrix = band_keys(np.stack([f.sig for f in feats.values()]))
        keys = dict(zip(feats, matrix, strict=True))
    if sig_rows:
        s.execute(insert(Signature.__table__), sig_rows)
    return feats, keys


def _candidates(
    s: Session,
    run: _Run,
    feats: dict[int, Features],
    keys: dict[int, np.ndarray],
    chunk: list[int],
) -> dict[int, list[int]]:
    """2.-4. Each article's candidates worth verifying; the new stories' sentences counted.

    Every step works on arrays of candidate pairs (numpy), not pair by pair in Python:
    with the archive, the pairs sharing one band by chance grow, and only the few that
    pass the filter reach Python. Returns article -> candidates, in published order.
    """
    ids = [aid for aid in chunk if aid in feats]
    chunk_keys = [keys[a] for a in ids]
    run.index.add(ids, chunk_keys)
    ro, rc = run.index.run_pairs(ids, chunk_keys)
    earlier = run.positions(rc) < run.positions(ro)  # a later article finds this one
    so, sc = run.index.stored_pairs(s, ids, chunk_keys)
    # stored after the look-up: the chunk's own keys are not read back
    store_bands(s, zip(ids, chunk_keys, strict=True), recent=run.index.stored)
    owners, others, counts = count_pairs(
        np.concatenate([ro[earlier], so]), np.concatenate([rc[earlier], sc])
    )
    pick = best_pairs(owners, others, counts)
    owners, others = owners[pick], others[pick]
    keep, obvious = _filter(s, run, owners, others)
    # 3. cheap filter by estimated similarity; 4. count the new stories' sentences
    survivors: dict[int, list[int]] = {aid: [] for aid in ids}
    for aid, c in zip(owners[keep].tolist(), others[keep].tolist(), strict=True):
        survivors[aid].append(c)
    copies = set(owners[obvious].tolist())
    for aid in ids:
        if aid not in copies:
            run.boiler.count_story(feats[aid].hashes)
    run.boiler.settle(s)
    return survivors


def _filter(
    s: Session, run: _Run, owners: np.ndarray, others: np.ndarray, batch: int = 50_000
) -> tuple[np.ndarray, np.ndarray]:
    """3. The pairs worth verifying, and those an obvious copy (both boolean masks)."""
    keep = np.zeros(len(owners), dtype=bool)
    obvious = np.zeros(len(owners), dtype=bool)
    if not len(owners):
        return keep, obvious
    in_run = run.index.in_run(others)
    stored_ids, stored_sigs, stored_sizes = _stored_signatures(s, np.unique(others[~in_run]))
    for lo in range(0, len(owners), batch):
        sl = slice(lo, lo + batch)
        a, b, b_run = owners[sl], others[sl], in_run[sl]
        pa = run.positions(a)
        sig_b = np.zeros((len(b), NUM_PERM), dtype=np.uint32)
        n_b = np.zeros(len(b), dtype=np.int64)
        known = b_run.copy()
        pb = run.positions(b[b_run])
        sig_b[b_run], n_b[b_run] = run.sigs[pb], run.sizes[pb]
        if len(stored_ids):
            at = np.minimum(np.searchsorted(stored_ids, b[~b_run]), len(stored_ids) - 1)
            found = stored_ids[at] == b[~b_run]
            rows = np.flatnonzero(~b_run)[found]
            sig_b[rows], n_b[rows] = stored_sigs[at[found]], stored_sizes[at[found]]
            known[rows] = True
        n_a = run.sizes[pa].astype(np.int64)
        est = np.count_nonzero(run.sigs[pa] == sig_b, axis=1) / NUM_PERM
        keep[sl] = known & worth_verifying_many(est, n_a, n_b)
        close = (est >= OBVIOUS) | (estimate_containment_many(est, n_a, n_b) >= OBVIOUS_PART)
        obvious[sl] = keep[sl] & close
    return keep, obvious


def _stored_signatures(s: Session, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Signatures and content sizes of stored articles: (sorted ids, matrix, sizes).

    One join with a temporary table of the ids, rows straight from the driver, the
    content size read from ``extra`` by the database (no JSON decoded in Python)."""
    size = (
        "json_extract(s.extra, '$.n')"
        if s.get_bind().dialect.name == "sqlite"
        else "CAST(s.extra ->> 'n' AS INTEGER)"
    )
    with probe_table(s, "dedup_probe_ids", ids.tolist()) as probe:
        found = driver_rows(
            s,
            f"SELECT s.article_id, s.data, {size} FROM {probe} p "
            "JOIN signature s ON s.article_id = p.v ORDER BY s.article_id",
        )
    out_ids = np.fromiter((r[0] for r in found), dtype=np.int64, count=len(found))
    sizes = np.fromiter((r[2] or 0 for r in found), dtype=np.int64, count=len(found))
    width = NUM_PERM * 4
    if all(len(r[1]) == width for r in found):  # every signature whole: one conversion
        sigs = np.frombuffer(b"".join(bytes(r[1]) for r in found), dtype="<u4")
        sigs = sigs.astype(np.uint32).reshape(len(found), NUM_PERM)
    else:
        sigs = np.zeros((len(found), NUM_PERM), dtype=np.uint32)
        for row, r in enumerate(found):
            sig = from_bytes(bytes(r[1]))
            sigs[row, : len(sig)] = sig[:NUM_PERM]
    return out_ids, sigs, sizes
