"""Bringing the Whoosh index up to date with the archive (the source of truth).

Layout: ``<home>/index/CURRENT`` names the live generation, ``<home>/index/gen-N`` a
Whoosh index. ``update_index`` adds the articles flagged ``needs_index`` (new, changed,
re-clustered) to the live generation, deletes those gone from the archive, and clears
the flags. ``rebuild=True`` builds a new generation from the whole archive and then
swaps ``CURRENT`` (an atomic rename), so searches keep using the old generation until
the new one is complete. Whoosh readers never wait for a writer: a search during an
update sees the last committed state. One writer at a time: a second gets
``IndexBusy`` (exit 3).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select, update
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, Index, LockError

from archive import Archive
from archive.indicators import of_articles
from archive.models import Article, Cluster, Member, Source
from archive.normalize import normalize
from archive.times import CST

from .analysis import fold, run_key
from .article_select import article_select
from .damage import READ_ERRORS, damaged, first_truncated, mapped_segments, reading_index
from .docvalues import info_indicators
from .errors import IndexBusy, IndexMissing, IndexOutdated
from .schema import FORMAT, INDICATOR_FIELDS, build_schema, is_current
from .segment_writer import BulkSegmentWriter
from .whoosh_buffers import install as read_segments_in_place

log = logging.getLogger(__name__)
read_segments_in_place()  # Whoosh otherwise copies each segment file a searcher opens

BATCH = 2000
LIMITMB = 256
# Articles a rebuild writes into one segment: BulkSegmentWriter holds a segment's
# postings in memory (measured about 50 KB an article at the peak, on bench/scale.py's
# bulletins), so a rebuild of 1,000,000 is 20 segments of about 2.5 GB each while it is
# written, not one of 50 GB.
SEGMENT_DOCS = 50_000
# Incremental commits merge only segments smaller than this (Whoosh's MERGE_SMALL
# among them): its policy alone would, past about 30 segments, merge a rebuild's large
# segments too, through the writer's memory.
SMALL_SEGMENT_DOCS = 10_000
# A rebuild of this many articles or more is written by worker processes (smaller ones:
# starting the processes would cost more than they save).
PARALLEL_FROM = 20_000
Progress = Callable[[int, int], None]


@dataclass
class IndexReport:
    indexed: int = 0
    deleted: int = 0
    total: int = 0
    rebuilt: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "indexed": self.indexed,
            "deleted": self.deleted,
            "total": self.total,
            "rebuilt": self.rebuilt,
        }


def index_root(archive: Archive) -> Path:
    return archive.index_dir


def current_dir(root: Path) -> Path | None:
    """The live generation's folder, or None when no index was built."""
    try:
        name = (root / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    path = root / name
    return path if name and whoosh_index.exists_in(str(path)) else None


def _outdated(archive: Archive) -> IndexOutdated:
    return IndexOutdated(
        f"the search index in {archive.home} was written by an older fanzha "
        f"(index format {FORMAT} is needed): run 'fanzha index' to rebuild it"
    )


def open_index(archive: Archive) -> Index:
    """The live index; ``IndexMissing`` when ``fanzha index`` has not run,
    ``IndexOutdated`` when it is of an older format, ``IndexCorrupt`` when damaged."""
    with reading_index(archive.home):
        path = current_dir(index_root(archive))
        if path is None:
            raise IndexMissing(f"no search index in {archive.home}: run 'fanzha index' first")
        ix = whoosh_index.open_dir(str(path))
        if not is_current(ix.schema):
            raise _outdated(archive)
        return ix


_local = threading.local()


@dataclass
class _Live:
    """A kept searcher and the segment files it maps (checked before each use)."""

    searcher: Any
    maps: list[tuple[Path, int]]

    def close(self) -> None:
        with suppress(Exception):  # Whoosh raises a bare Exception when closed twice
            self.searcher.close()


def _open_live(archive: Archive, path: Path, kwargs: dict[str, Any]) -> _Live:
    ix = whoosh_index.open_dir(str(path))
    if not is_current(ix.schema):
        raise _outdated(archive)
    s = ix.searcher(**kwargs)
    return _Live(s, mapped_segments(s, path))


@contextmanager
def live_searcher(archive: Archive, **kwargs: Any) -> Iterator[Any]:
    """A searcher on the live generation, kept between calls in this thread and
    refreshed when the index changed (opening one costs milliseconds per segment).

    A damaged index is ``IndexCorrupt`` (see ``search.damage``), and its searcher is
    not kept: a segment file truncated under it is never read past its new end."""
    with reading_index(archive.home):
        path = current_dir(index_root(archive))
        if path is None:
            raise IndexMissing(f"no search index in {archive.home}: run 'fanzha index' first")
        cache: dict[str, _Live] = _local.__dict__.setdefault("searchers", {})
        key = str(path)
        live = cache.pop(key, None)
        if live is None:
            stale = [k for k in cache if k.startswith(str(path.parent))]
            stale += list(cache)[: max(0, len(cache) - 3)]  # a few homes at most
            for k in set(stale):
                cache.pop(k).close()
            live = _open_live(archive, path, kwargs)
        elif not live.searcher.up_to_date():
            # A new searcher, not ``s.refresh()``: Whoosh's refresh adds the old reader's
            # segments that are no longer in the index back into the new reader (segments
            # merged away by the writer come back: deleted or replaced articles match again).
            live.close()
            live = _open_live(archive, path, kwargs)
        truncated = first_truncated(live.maps)
        if truncated is not None:
            live.close()
            raise damaged(archive.home, f"{truncated.name} is shorter than when it was opened")
        cache[key] = live
        try:
            yield live.searcher
        except READ_ERRORS:
            cache.pop(key, None)
            live.close()
            raise


def _swap(root: Path, new: Path) -> None:
    tmp = root / "CURRENT.tmp"
    tmp.write_text(new.name + "\n")
    os.replace(tmp, root / "CURRENT")


def _new_generation(root: Path) -> Path:
    gens = [int(p.name[4:]) for p in root.glob("gen-*") if p.name[4:].isdigit()]
    path = root / f"gen-{max(gens, default=0) + 1}"
    path.mkdir(parents=True)
    return path


def _prune(root: Path, keep: set[str]) -> None:
    """Remove generations other than ``keep`` (a search still reading one is given
    the time of one update: the generation just replaced stays until the next)."""
    for p in root.glob("gen-*"):
        if p.name not in keep:
            shutil.rmtree(p, ignore_errors=True)


def _rows_stmt() -> Any:
    return article_select(
        Article.id,
        Article.url,
        Article.title,
        Article.norm_text,
        Article.published_at,
        Article.fraud_types,
        Article.content_hash,
        Source.name,
        Source.key,
        Source.kind,
        Article.site,
        Member.cluster_id,
        Cluster.canonical_id,
        Cluster.size,
    ).order_by(Article.id)


def _indicator_fields(indicators: Iterable[dict]) -> dict[str, str]:
    """``{"i_phone": "138...,139...", ...}``: each value one keyword (no commas)."""
    values: dict[str, list[str]] = {}
    for ind in indicators:
        if ind["kind"] in INDICATOR_FIELDS:
            values.setdefault(INDICATOR_FIELDS[ind["kind"]], []).append(
                ind["value"].replace(",", " ")
            )
    return {name: ",".join(vs) for name, vs in values.items()}


def to_document(row: Any, indicators: Iterable[dict] = ()) -> dict[str, Any]:
    """The Whoosh fields of one archive row (see ``_rows_stmt``) and the indicators
    it names (``archive.indicators.of_articles``)."""
    indicators = list(indicators)
    aid = row.id
    published = row.published_at
    cluster = f"c{row.cluster_id}" if row.cluster_id is not None else f"a{aid}"
    canonical = row.cluster_id is None or row.canonical_id in (None, aid)
    types = [t for t in (row.fraud_types or []) if t]
    sources = [s for s in {row.name, row.key} if s]
    local = published.astimezone(CST) if published else None
    info = "\t".join(
        [
            cluster,
            "1" if canonical else "0",
            row.name or "",
            str(local.year) if local else "",
            "|".join(types),
            str(int(published.timestamp())) if published else "",
            (row.site or "").replace("\t", " "),
            info_indicators(indicators),
            str(aid),
        ]
    )
    title = normalize(row.title or "")
    body = row.norm_text or ""
    doc: dict[str, Any] = {
        "id": str(aid),
        "url": row.url,
        "title": title,
        "_stored_title": row.title or "",
        "body": body,
        "title_key": run_key(fold(title)).encode("utf-8"),
        "body_key": run_key(fold(body)).encode("utf-8"),
        "kind": row.kind or "",
        "cluster": cluster,
        "canonical": canonical,
        "copies": int(row.size or 1),
        "info": info.encode("utf-8"),
    }
    if sources:
        doc["source"] = ",".join(s.replace(",", " ") for s in sources)
    if row.site:
        doc["site"] = row.site.replace(",", " ")
    if types:
        doc["fraud_type"] = ",".join(t.replace(",", " ") for t in types)
    doc.update(_indicator_fields(indicators))
    if published is not None:
        doc["published"] = published.astimezone(UTC).replace(tzinfo=None)
    return doc


def _clear_flags(archive: Archive, done: list[tuple[int, str]]) -> None:
    """Clear ``needs_index`` on what was indexed, unless the article changed meanwhile."""
    table = Article.__table__
    stmt = (
        update(table)
        .where(table.c.id == bindparam("aid"), table.c.content_hash == bindparam("h"))
        .values(needs_index=False)
    )
    for i in range(0, len(done), 5000):
        with archive.session() as s:
            s.connection().execute(stmt, [{"aid": a, "h": h} for a, h in done[i : i + 5000]])


def _iter_rows(
    archive: Archive, only_flagged: bool, between: tuple[int, int] | None = None
) -> Iterator[tuple[Any, list[dict]]]:
    """The rows to index (``between``: ids from, to, both included), each with its
    indicators (looked up a batch at a time)."""
    stmt = _rows_stmt()
    if only_flagged:
        stmt = stmt.where(Article.needs_index.is_(True))
    if between is not None:
        stmt = stmt.where(Article.id.between(*between))
    with archive.session() as s:
        for batch in s.execute(stmt.execution_options(yield_per=1000)).partitions():
            with archive.session() as look:
                named = of_articles(look, [r.id for r in batch])
            for row in batch:
                yield row, named.get(row.id, [])


def _count(archive: Archive, only_flagged: bool) -> int:
    from sqlalchemy import func

    stmt = select(func.count(Article.id))
    if only_flagged:
        stmt = stmt.where(Article.needs_index.is_(True))
    with archive.session() as s:
        return int(s.scalar(stmt) or 0)


def _write(
    writer: Any,
    rows: Iterable[Any],
    *,
    update_existing: bool,
    total: int,
    progress: Progress | None,
    done_before: int = 0,
) -> list[tuple[int, str]]:
    done: list[tuple[int, str]] = []
    add = writer.update_document if update_existing else writer.add_document
    for row, indicators in rows:
        add(**to_document(row, indicators))
        done.append((row.id, row.content_hash))
        if progress and len(done) % BATCH == 0:
            progress(done_before + len(done), total)
    if progress:
        progress(done_before + len(done), total)
    return done


def merge_small_segments(
    writer: Any, segments: list[Any], small_docs: int = SMALL_SEGMENT_DOCS
) -> list[Any]:
    """Whoosh's ``MERGE_SMALL`` over the segments under ``small_docs`` articles; the
    larger ones (a rebuild's) are kept as they are."""
    from whoosh.writing import MERGE_SMALL

    large = [seg for seg in segments if seg.doc_count_all() >= small_docs]
    small = [seg for seg in segments if seg.doc_count_all() < small_docs]
    return large + list(MERGE_SMALL(writer, small))


def _writer(ix: Index) -> Any:
    return BulkSegmentWriter(ix, limitmb=LIMITMB)


def default_workers() -> int:
    """Processes writing a rebuild's segments: one per core, at most two."""
    return max(1, min(2, os.cpu_count() or 1))


def update_index(
    archive: Archive,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    workers: int | None = None,
    segment_docs: int = SEGMENT_DOCS,
) -> IndexReport:
    """Index the flagged articles (or, with ``rebuild``, all of them) and clear the flags.

    ``progress(done, total)`` is called after each batch (after each part, in a
    parallel rebuild). ``workers``: processes writing a rebuild of ``PARALLEL_FROM``
    articles or more (default ``default_workers()``; 0 or 1: this process alone).
    ``segment_docs``: the most articles a rebuild writes into one segment, and an update
    commits at once (either holds a segment in memory while it is written).
    """
    if segment_docs < 1:
        raise ValueError(f"segment_docs must be 1 or more, not {segment_docs}")
    root = index_root(archive)
    root.mkdir(parents=True, exist_ok=True)
    lock = FileStorage(str(root)).lock("WRITELOCK")
    if not lock.acquire(blocking=False):
        raise IndexBusy("another 'fanzha index' is writing the index; try again later")
    try:
        with reading_index(archive.home):  # --rebuild never reads the live index
            live = current_dir(root) if not rebuild else _live_name_only(root)
            if live is not None and not rebuild and not _is_current(live):
                log.info("index in %s is of an older format: rebuilding it", live)
                rebuild = True
        if rebuild or live is None:
            workers = default_workers() if workers is None else workers
            return _rebuild(archive, root, live, progress, workers, segment_docs)
        return _incremental(archive, live, progress, segment_docs)
    except LockError as exc:
        raise IndexBusy(f"the index in {root} is locked by another writer") from exc
    finally:
        lock.release()


def _live_name_only(root: Path) -> Path | None:
    """The folder ``CURRENT`` names, unread (a rebuild replaces it, damaged or not)."""
    try:
        name = (root / "CURRENT").read_text().strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    path = root / name
    return path if name and "/" not in name and path.is_dir() else None


def _is_current(path: Path) -> bool:
    return is_current(whoosh_index.open_dir(str(path)).schema)


def _rebuild(
    archive: Archive,
    root: Path,
    live: Path | None,
    progress: Progress | None,
    workers: int,
    segment_docs: int = SEGMENT_DOCS,
) -> IndexReport:
    """A new index generation from every article, written ``segment_docs`` articles a
    segment (each committed without merging), then swapped in."""
    total = _count(archive, only_flagged=False)
    new = _new_generation(root)
    try:
        ix = whoosh_index.create_in(str(new), build_schema())
        if workers > 1 and total >= PARALLEL_FROM:
            done = _write_in_parts(archive, ix, new, workers, segment_docs, total, progress)
        else:
            done = _write_segments(archive, ix, segment_docs, total, progress)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    _swap(root, new)
    _prune(root, {new.name, live.name} if live else {new.name})
    _clear_flags(archive, done)
    with ix.searcher() as s:
        count = s.doc_count()
    log.info("index rebuilt in %s: %d articles", new, count)
    return IndexReport(indexed=len(done), deleted=0, total=count, rebuilt=True)


def _next_segment(
    ix: Index,
    rows: Iterator[tuple[Any, list[dict]]],
    size: int,
    *,
    update: bool,
    total: int,
    progress: Progress | None,
    before: int,
    delete: Iterable[str] = (),
) -> tuple[Any, list[tuple[int, str]], int]:
    """A writer holding the next ``size`` rows (and the articles ``delete`` removed),
    not committed yet: cancelled if writing fails. Returns it, what it wrote and how
    many documents it deleted."""
    writer = _writer(ix)
    try:
        deleted = sum(writer.delete_by_term("id", aid) or 0 for aid in delete)
        part = _write(
            writer,
            islice(rows, size),
            update_existing=update,
            total=total,
            progress=progress,
            done_before=before,
        )
    except BaseException:
        writer.cancel()
        raise
    return writer, part, deleted


def _write_segments(
    archive: Archive,
    ix: Index,
    segment_docs: int,
    total: int,
    progress: Progress | None,
    between: tuple[int, int] | None = None,
) -> list[tuple[int, str]]:
    """Every article (``between``: of those ids) into ``ix``, ``segment_docs`` a segment."""
    rows = _iter_rows(archive, only_flagged=False, between=between)
    done: list[tuple[int, str]] = []
    while True:
        writer, part, _ = _next_segment(
            ix, rows, segment_docs, update=False, total=total, progress=progress, before=len(done)
        )
        if not part and done:
            writer.cancel()
            break
        writer.commit(merge=False)
        done += part
        if len(part) < segment_docs:
            break
    return done


def _write_in_parts(
    archive: Archive,
    ix: Index,
    new: Path,
    workers: int,
    segment_docs: int,
    total: int,
    progress: Progress | None,
) -> list[tuple[int, str]]:
    """The rebuild on several cores: the articles, in id order, cut into parts of at
    most ``segment_docs``; each part written by a worker process into an index of its
    own (``part-K`` in the new generation), whose segments are then moved into the new
    generation and listed in one table of contents, in part order: the same documents
    in the same order as one process writes them."""
    with archive.session() as s:
        ids = list(s.scalars(select(Article.id).order_by(Article.id)))
    size = min(segment_docs, -(-len(ids) // workers))
    ranges = [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]
    url = archive.engine.url.render_as_string(hide_password=False)
    parts = [new / f"part-{k}" for k in range(len(ranges))]
    done: list[list[tuple[int, str]]] = [[] for _ in ranges]
    context = multiprocessing.get_context("spawn")  # no engine or lock crosses a fork
    # a fresh process a part: a worker that wrote ten parts of 1,000,000 held 5.5 GB
    # (what a part's writing leaves allocated adds up), one part's worth is about 2 GB
    with ProcessPoolExecutor(
        min(workers, len(ranges)), mp_context=context, max_tasks_per_child=1
    ) as pool:
        futures = {
            pool.submit(_write_part, str(archive.home), url, between, str(part), segment_docs): k
            for k, (between, part) in enumerate(zip(ranges, parts, strict=True))
        }
        try:
            for future in as_completed(futures):
                done[futures[future]] = future.result()
                if progress:
                    progress(sum(map(len, done)), total)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    segments = []
    for part in parts:
        segments += whoosh_index.open_dir(str(part))._segments()
        for f in part.iterdir():
            if not f.name.endswith(".toc") and "LOCK" not in f.name:
                os.replace(f, new / f.name)
        shutil.rmtree(part)
    TOC(ix.schema, segments, ix.latest_generation() + 1).write(ix.storage, ix.indexname)
    return [pair for part in done for pair in part]


def _write_part(
    home: str, url: str, between: tuple[int, int], out: str, segment_docs: int
) -> list[tuple[int, str]]:
    """In a worker process: the articles ``between`` (ids) into a new index in ``out``."""
    archive = Archive.open(Path(home), url, migrate=False, create=False)
    try:
        Path(out).mkdir()
        ix = whoosh_index.create_in(out, build_schema())
        return _write_segments(archive, ix, segment_docs, 0, None, between)
    finally:
        archive.close()


def _incremental(
    archive: Archive, live: Path, progress: Progress | None, segment_docs: int = SEGMENT_DOCS
) -> IndexReport:
    """The flagged articles into the live index, ``segment_docs`` a commit: a segment is
    built in memory (about 50 KB an article), and after a first dedup of a large
    archive hundreds of thousands are flagged (their clusters changed: 437,769 of
    1,000,000), too many for one segment. Each commit's flags are cleared after it, so
    an interrupted update goes on from there."""
    flagged = _count(archive, only_flagged=True)
    with archive.session() as s:
        in_archive = {str(i) for i in s.scalars(select(Article.id))}
    indexed = deleted = 0
    with reading_index(archive.home):  # the update reads the live segments
        ix = whoosh_index.open_dir(str(live))
        with ix.reader() as r:
            gone = [t.decode() for t in r.lexicon("id") if t.decode() not in in_archive]
        rows = _iter_rows(archive, only_flagged=True)
        while True:
            writer, done, removed = _next_segment(
                ix,
                rows,
                segment_docs,
                update=True,
                total=flagged,
                progress=progress,
                before=indexed,
                delete=gone,
            )
            deleted += removed
            if done or gone:
                writer.commit(mergetype=merge_small_segments)
            else:
                writer.cancel()
            gone = []
            _clear_flags(archive, done)
            indexed += len(done)
            if len(done) < segment_docs:
                break
    with reading_index(archive.home), ix.searcher() as s:
        count = s.doc_count()
    return IndexReport(indexed=indexed, deleted=deleted, total=count)
