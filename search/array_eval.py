"""Vectorised query evaluation over the Whoosh index (numpy), for large archives.

Whoosh evaluates a query one matching document at a time, tens of microseconds of
Python each: a phrase that occurs in half of 100,000 bulletins takes seconds. Here
each term's posting list is read block by block into arrays (ids and weights: the
bigram fields keep no positions), boolean structure is set algebra on sorted id
arrays, and BM25 (the same formula and statistics as Whoosh's ``BM25F``) is computed
for all candidates at once.

A phrase's candidates are the documents holding all its bigrams; whether the phrase
really occurs is checked against the document's run key (``RunKeys``) only where
needed: for the top N in score order (``top``), or for every candidate when the exact
set is wanted (``matches``).

Query shapes outside what is handled here raise ``Unsupported``; the caller then
uses Whoosh's own evaluation.
"""

from __future__ import annotations

import logging
import mmap
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain, islice, repeat
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.util.numeric import byte_to_length

from .analysis import phrase_needle
from .phrase import BigramPhrase
from .schema import KEY_COLUMNS

log = logging.getLogger(__name__)

K1, B = 1.2, 0.75
Check = Callable[[int], bool]
VCheck = Callable[[np.ndarray], np.ndarray]


class Unsupported(Exception):
    """The query has a shape the vectorised path does not evaluate."""


@dataclass
class Part:
    """The documents a (sub)query may match, with scores and an exactness check.

    ``ids``: sorted global docnums; ``check(i)``: whether ``ids[i]`` really matches
    (None: every candidate does); ``vcheck(idx)`` the same for an array of indexes at
    once (a boolean array), vectorised where the part knows how.
    """

    ids: np.ndarray
    scores: np.ndarray
    check: Check | None = None
    vcheck: VCheck | None = None

    def verify(self, idx: np.ndarray) -> np.ndarray:
        """Whether each ``ids[idx]`` really matches (a boolean array)."""
        idx = np.asarray(idx, dtype=np.int64)
        if self.check is None:
            return np.ones(len(idx), dtype=np.bool_)
        if self.vcheck is not None:
            return self.vcheck(idx)
        check = self.check
        return np.fromiter((check(int(i)) for i in idx), np.bool_, len(idx))


_LENGTHS: dict[tuple[Any, str], np.ndarray] = {}


def _lengths(reader: Any, fieldname: str) -> np.ndarray:
    """Field lengths of a segment's documents, cached per segment."""
    seg = reader.segment()
    key = (seg.segment_id() if seg is not None else id(reader), fieldname)
    arr = _LENGTHS.get(key)
    if arr is None:
        arr = _column_lengths(reader, fieldname)
        if arr is None:  # not a W3 segment reader: ask document by document
            dfl = reader.doc_field_length
            arr = np.fromiter(
                (dfl(d, fieldname, 0) or 0 for d in range(reader.doc_count_all())),
                dtype=np.float64,
                count=reader.doc_count_all(),
            )
        if len(_LENGTHS) > 64:
            _LENGTHS.clear()
        _LENGTHS[key] = arr
    return arr


# Whoosh keeps a field's lengths as one byte a document (its ``length_to_byte`` scale)
_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
_BYTE_LENGTHS[0] = 0.0


def _column_lengths(reader: Any, fieldname: str) -> np.ndarray | None:
    """The lengths straight from the segment's length column (one byte a document,
    read in place and mapped through Whoosh's scale): at a million articles asking
    ``doc_field_length`` a document at a time took seconds of the first search."""
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is None or not hasattr(perdoc, "_cached_reader"):
        return None
    n = reader.doc_count_all()
    col = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    if col is None:
        return np.zeros(n, dtype=np.float64)
    if getattr(col, "_fixedlen", None) != 1:
        return None
    codes = np.zeros(n, dtype=np.uint8)
    count = min(col._count, n)
    if count:
        codes[:count] = np.frombuffer(col._dbfile.get(col._basepos, count), dtype=np.uint8)
    return _BYTE_LENGTHS[codes]


def _raw_postings(reader: Any, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """All (ids, weights) of one term in one segment, deleted docs included.

    Whoosh's own block decoding (a Python generator over the id deltas, one tuple per
    block) is replaced by numpy on the unpickled block."""
    m = reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format)
    id_parts: list[np.ndarray] = []
    w_parts: list[np.ndarray] = []
    if type(m).__name__ == "W3LeafMatcher":
        # the blocks' id deltas and weights gathered first, converted in one step each
        raw_ids: list[Any] = []
        lens: list[int] = []
        weights: list[Any] = []
        while not m._atend:
            if m._data is None:
                m._read_data()
            n = m._blocklength
            raw_ids.append(m._data[0])
            lens.append(n)
            raw_w = m._data[1]
            weights.append(
                (1.0,) * n if raw_w is None else (raw_w,) * n if isinstance(raw_w, float) else raw_w
            )
            m._next_block()
        total = sum(lens)
        flat = np.fromiter(chain.from_iterable(raw_ids), np.int64, total)
        if not m._byteids:  # delta-coded from 0 within each block
            cs = np.cumsum(flat)
            ends = np.cumsum(lens)
            base = np.concatenate(([0], cs[ends[:-1] - 1]))
            flat = cs - np.repeat(base, lens)
        id_parts.append(flat)
        w_parts.append(np.fromiter(chain.from_iterable(weights), np.float64, total))
    else:
        ids: list[int] = []
        weights: list[float] = []
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            m.next()
        id_parts.append(np.asarray(ids, dtype=np.int64))
        w_parts.append(np.asarray(weights, dtype=np.float64))
    ids_a = np.concatenate(id_parts) if id_parts else np.empty(0, np.int64)
    w_a = np.concatenate(w_parts) if w_parts else np.empty(0)
    return ids_a, w_a


# Posting lists of recent terms, per segment: queries share their common bigrams (at a
# million articles one of them is a million postings, decoded in about 0.2 s). Bounded
# by the number of postings held, kept as 32-bit ids and weights (term frequencies):
# 8 bytes each, about 100 MB a process.
CACHE_POSTINGS = 12_000_000
_CACHE: OrderedDict[Any, tuple[np.ndarray, np.ndarray]] = OrderedDict()
_CACHE_SIZE = 0
_CACHE_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget the cached posting lists (benchmarks: cold figures)."""
    global _CACHE_SIZE
    with _CACHE_LOCK:
        _CACHE.clear()
        _CACHE_SIZE = 0


def _cached_postings(reader: Any, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    global _CACHE_SIZE
    seg = reader.segment()
    seg_key = (seg.segment_id() if seg is not None else id(reader), reader.doc_count_all())
    key = (seg_key, fieldname, btext)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
    if hit is not None:
        return hit[0].astype(np.int64), hit[1].astype(np.float64)
    got = _raw_postings(reader, fieldname, btext)
    n = len(got[0])
    if n > CACHE_POSTINGS // 4:
        return got
    kept = got[0].astype(np.int32), got[1].astype(np.float32)  # a segment's docnums
    with _CACHE_LOCK:
        old = _CACHE.pop(key, None)
        if old is not None:
            _CACHE_SIZE -= len(old[0])
        _CACHE[key] = kept
        _CACHE_SIZE += n
        while _CACHE_SIZE > CACHE_POSTINGS and _CACHE:
            _, dropped = _CACHE.popitem(last=False)
            _CACHE_SIZE -= len(dropped[0])
    return got


def intersect(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """The ids in both of two sorted arrays of distinct docnums below ``n``.

    Large lists go through a mask of ``n`` flags: linear, where ``np.intersect1d`` sorts
    both lists together (at a million articles a common bigram's list is a million
    long, and sorting was the largest part of a top-10 query)."""
    if len(a) + len(b) < n // 64:
        return np.intersect1d(a, b, assume_unique=True)
    mask = np.zeros(n, dtype=np.bool_)
    mask[b] = True
    return a[mask[a]]


def union(arrays: list[np.ndarray], n: int) -> np.ndarray:
    """The sorted distinct ids of several arrays of docnums below ``n`` (a mask, as
    ``intersect``, for large lists)."""
    if sum(map(len, arrays)) < n // 64:
        return np.unique(np.concatenate(arrays))
    mask = np.zeros(n, dtype=np.bool_)
    for ids in arrays:
        mask[ids] = True
    return np.flatnonzero(mask).astype(np.int64)


class SegmentKeys:
    """One segment's key column, searched in place.

    Whoosh maps a segment's files into memory (``mmap``) and a ``VarBytesColumn``
    is the values one after the other, with their offsets and lengths. Where that is
    so, a check is ``mmap.find`` within the document's value: no copy, no reader call.
    Otherwise (no mmap) the column reader is asked per document.
    """

    def __init__(self, reader: Any, column: str) -> None:
        self.reader = reader.column_reader(column)
        raw = self.reader.raw_column() if hasattr(self.reader, "raw_column") else self.reader
        self.mm: Any = None
        buf = getattr(getattr(raw, "_dbfile", None), "_buf", None)
        if isinstance(buf, memoryview) and isinstance(buf.obj, mmap.mmap):
            whole = np.frombuffer(buf.obj, dtype=np.uint8)
            part = np.frombuffer(buf, dtype=np.uint8)
            base = part.__array_interface__["data"][0] - whole.__array_interface__["data"][0]
            self.mm = buf.obj
            self.begin = np.asarray(raw._offsets, dtype=np.int64) + base + raw._basepos
            self.end = self.begin + np.asarray(raw._lengths, dtype=np.int64)

    def contains(self, local: np.ndarray, needle: bytes) -> np.ndarray:
        if self.mm is not None:
            begin, end = self.begin[local].tolist(), self.end[local].tolist()
            found = map(self.mm.find, repeat(needle, len(begin)), begin, end)
            return np.fromiter(found, np.int64, len(begin)) >= 0
        col = self.reader
        return np.fromiter((needle in col[d] for d in local.tolist()), np.bool_, len(local))


def _segment_keys(reader: Any, column: str) -> SegmentKeys | None:
    """The segment's ``SegmentKeys``, kept on its reader (opening a column reader
    builds its offsets, for a small segment in a Python loop: too slow per query)."""
    cache = reader.__dict__.setdefault("_fanzha_keys", {})
    if column not in cache:
        cache[column] = SegmentKeys(reader, column) if reader.has_column(column) else None
    return cache[column]


class RunKeys:
    """The run keys of one bigram field by global docnum (the field's key column).

    A phrase candidate is checked with one substring test of the document's key
    (``search.analysis.phrase_needle``), in place in the segment's column data.
    """

    def __init__(self, leaves: list[tuple[Any, int]], column: str) -> None:
        self.starts = np.asarray([off for _, off in leaves], dtype=np.int64)
        self.segments = [_segment_keys(r, column) for r, _ in leaves]

    def contains(self, docnums: np.ndarray, needle: bytes) -> np.ndarray:
        """Whether each document's key holds ``needle`` (a boolean array)."""
        docnums = np.asarray(docnums, dtype=np.int64)
        out = np.zeros(len(docnums), dtype=np.bool_)
        if not len(docnums):
            return out
        seg = np.searchsorted(self.starts, docnums, side="right") - 1
        for k in np.unique(seg).tolist():
            keys = self.segments[k]
            if keys is None:
                continue
            sel = np.flatnonzero(seg == k)
            out[sel] = keys.contains(docnums[sel] - self.starts[k], needle)
        return out


class Evaluator:
    """Evaluates a Whoosh query tree built by ``search.query.Builder``."""

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.leaves = list(searcher.reader().leaf_readers())
        self.n = searcher.doc_count_all()
        self._key_cache: dict[str, RunKeys] = {}
        self._lengths: dict[str, np.ndarray] = {}  # field lengths by global docnum

    # -- postings --------------------------------------------------------------------

    def _postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        field = self.searcher.schema[fieldname]
        btext = field.to_bytes(text)
        all_ids, all_w = [], []
        for reader, offset in self.leaves:
            if (fieldname, btext) not in reader:
                continue
            ids_a, w_a = _cached_postings(reader, fieldname, btext)
            if reader.has_deletions():
                keep = ~np.isin(ids_a, np.fromiter(reader.deleted_docs_set, dtype=np.int64))
                ids_a, w_a = ids_a[keep], w_a[keep]
            all_ids.append(ids_a + offset)
            all_w.append(w_a)
        if not all_ids:
            return np.empty(0, np.int64), np.empty(0)
        return np.concatenate(all_ids), np.concatenate(all_w)

    def _keys(self, fieldname: str) -> RunKeys:
        keys = self._key_cache.get(fieldname)
        if keys is None:
            keys = self._key_cache[fieldname] = RunKeys(self.leaves, KEY_COLUMNS[fieldname])
        return keys

    def _bm25(self, fieldname: str, text: str, ids: np.ndarray, w: np.ndarray) -> np.ndarray:
        s = self.searcher
        idf = s.idf(fieldname, text)
        avg = s.avg_field_length(fieldname) or 1.0
        lengths = self._lengths.get(fieldname)
        if lengths is None:  # once a query, not once a term (a million floats)
            lengths = self._lengths[fieldname] = (
                np.concatenate([_lengths(r, fieldname) for r, _ in self.leaves])
                if len(self.leaves) > 1
                else _lengths(self.leaves[0][0], fieldname)
            )
        fl = lengths[ids]
        return idf * ((w * (K1 + 1)) / (w + K1 * ((1 - B) + B * fl / avg)))

    # -- nodes -----------------------------------------------------------------------

    def evaluate(self, q: wq.Query) -> Part:
        if isinstance(q, BigramPhrase):
            return self._phrase(q)
        if isinstance(q, wq.Term):
            return self._term(q.fieldname, q.text, q.boost)
        if isinstance(q, wq.Prefix):
            terms = [
                t.decode("utf-8") if isinstance(t, bytes) else t
                for t in self.searcher.reader().expand_prefix(q.fieldname, q.text)
            ]
            return self._or([self._term(q.fieldname, t, q.boost) for t in terms])
        if isinstance(q, wq.Every):
            ids = np.array(sorted(self.searcher.reader().all_doc_ids()), dtype=np.int64)
            return Part(ids, np.zeros(len(ids)))
        if isinstance(q, wq.AndMaybe):
            return self._and_maybe(self.evaluate(q.a), self.evaluate(q.b))
        if isinstance(q, wq.AndNot):
            return self._and_not(self.evaluate(q.a), self.evaluate(q.b))
        if isinstance(q, wq.Or):
            return self._or([self.evaluate(c) for c in q.subqueries])
        if isinstance(q, wq.And):
            pos = [c for c in q.subqueries if not isinstance(c, wq.Not)]
            neg = [c.query for c in q.subqueries if isinstance(c, wq.Not)]
            part = self._and([self.evaluate(c) for c in pos]) if pos else self.evaluate(wq.Every())
            for c in neg:
                part = self._and_not(part, self.evaluate(c))
            return part
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return Part(np.empty(0, np.int64), np.empty(0))
        raise Unsupported(type(q).__name__)

    def _term(self, fieldname: str, text: str, boost: float = 1.0) -> Part:
        ids, w = self._postings(fieldname, text)
        if not len(ids):
            return Part(ids, np.empty(0))
        return Part(ids, self._bm25(fieldname, text, ids, w) * boost)

    def _phrase(self, q: BigramPhrase) -> Part:
        words = list(q.words)
        data = [self._postings(q.fieldname, w) for w in words]
        if any(not len(ids) for ids, _ in data):
            return Part(np.empty(0, np.int64), np.empty(0))
        order = sorted(range(len(words)), key=lambda i: len(data[i][0]))
        cand = data[order[0]][0]
        for i in order[1:]:
            cand = intersect(cand, data[i][0], self.n)
            if not len(cand):
                return Part(cand, np.empty(0))
        scores = np.zeros(len(cand))
        for w, (ids, weights) in zip(words, data, strict=True):
            scores += self._bm25(q.fieldname, w, cand, weights[np.searchsorted(ids, cand)])
        if len(words) == 1:
            return Part(cand, scores * q.boost)
        keys = self._keys(q.fieldname)
        needle = phrase_needle(words).encode("utf-8")

        def check(i: int) -> bool:
            return bool(keys.contains(cand[i : i + 1], needle)[0])

        def vcheck(idx: np.ndarray) -> np.ndarray:
            return keys.contains(cand[np.asarray(idx, dtype=np.int64)], needle)

        return Part(cand, scores * q.boost, check, vcheck)

    def _or(self, parts: list[Part]) -> Part:
        parts = [p for p in parts if len(p.ids)]
        if not parts:
            return Part(np.empty(0, np.int64), np.empty(0))
        if len(parts) == 1:
            return parts[0]
        ids = union([p.ids for p in parts], self.n)
        scores = np.zeros(len(ids))
        maps = []
        for p in parts:
            idx = np.searchsorted(ids, p.ids)
            scores[idx] += p.scores
            pos = np.searchsorted(p.ids, ids)
            pos_c = np.minimum(pos, len(p.ids) - 1)
            present = p.ids[pos_c] == ids
            maps.append((p, pos_c, present))
        if all(p.check is None for p in parts):
            return Part(ids, scores)

        def check(i: int) -> bool:
            for p, pos_c, present in maps:
                if present[i] and (p.check is None or p.check(int(pos_c[i]))):
                    return True
            return False

        def vcheck(idx: np.ndarray) -> np.ndarray:
            ok = np.zeros(len(idx), dtype=np.bool_)
            for p, pos_c, present in maps:
                todo = np.flatnonzero(present[idx] & ~ok)
                if len(todo):
                    ok[todo] = p.verify(pos_c[idx[todo]])
            return ok

        return Part(ids, scores, check, vcheck)

    def _and(self, parts: list[Part]) -> Part:
        if len(parts) == 1:
            return parts[0]
        ids = parts[0].ids
        for p in parts[1:]:
            ids = intersect(ids, p.ids, self.n)
        scores = np.zeros(len(ids))
        maps = []
        vmaps: list[tuple[Part, np.ndarray]] = []
        for p in parts:
            idx = np.searchsorted(p.ids, ids)
            scores += p.scores[idx] if len(ids) else 0
            if p.check is not None:
                maps.append((p.check, idx))
                vmaps.append((p, idx))
        if not maps:
            return Part(ids, scores)

        def check(i: int) -> bool:
            return all(c(int(idx[i])) for c, idx in maps)

        def vcheck(sel: np.ndarray) -> np.ndarray:
            ok = np.ones(len(sel), dtype=np.bool_)
            for p, idx in vmaps:
                todo = np.flatnonzero(ok)
                if not len(todo):
                    break
                ok[todo] = p.verify(idx[sel[todo]])
            return ok

        return Part(ids, scores, check, vcheck)

    def _and_maybe(self, a: Part, b: Part) -> Part:
        """``a``'s documents; ``b`` (unchecked: it only ranks) adds its score."""
        if not len(a.ids) or not len(b.ids):
            return a
        pos = np.searchsorted(b.ids, a.ids)
        pos_c = np.minimum(pos, len(b.ids) - 1)
        present = b.ids[pos_c] == a.ids
        scores = a.scores + np.where(present, b.scores[pos_c], 0.0)
        return Part(a.ids, scores, a.check, a.vcheck)

    def _and_not(self, a: Part, b: Part) -> Part:
        if not len(a.ids) or not len(b.ids):
            return a
        pos = np.searchsorted(b.ids, a.ids)
        pos_c = np.minimum(pos, len(b.ids) - 1)
        present = b.ids[pos_c] == a.ids
        if b.check is not None:
            hit = np.flatnonzero(present)
            present[hit] = b.verify(pos_c[hit])
        keep = ~present
        return _subset(a, np.nonzero(keep)[0])


def restrict(part: Part, allow: np.ndarray | None) -> Part:
    """Only the candidates in ``allow`` (sorted docnums)."""
    if allow is None:
        return part
    keep = np.isin(part.ids, allow, assume_unique=True)
    return _subset(part, np.nonzero(keep)[0])


def _subset(part: Part, idx: np.ndarray) -> Part:
    """The candidates ``part.ids[idx]``, their checks mapped through ``idx``."""
    if part.check is None:
        return Part(part.ids[idx], part.scores[idx])
    inner = part.check

    def check(i: int) -> bool:
        return inner(int(idx[i]))

    def vcheck(sel: np.ndarray) -> np.ndarray:
        return part.verify(idx[sel])

    return Part(part.ids[idx], part.scores[idx], check, vcheck)


def _best_first(part: Part, head: int) -> Iterator[int]:
    """Candidate indexes by score, best first (ties: lower docnum first), sorting only
    the ``head`` best (and their ties) unless more are asked for."""
    n = len(part.ids)
    neg = -part.scores
    if head >= n:
        yield from np.lexsort((part.ids, neg)).tolist()
        return
    cut = np.partition(neg, head - 1)[head - 1]
    for sel in (np.flatnonzero(neg <= cut), np.flatnonzero(neg > cut)):
        yield from sel[np.lexsort((part.ids[sel], neg[sel]))].tolist()


def top(part: Part, k: int) -> tuple[list[tuple[int, float]], int, bool]:
    """The ``k`` best matches ``(docnum, score)``, the number of candidates, and
    whether that number is exact (no check left undone)."""
    n = len(part.ids)
    if k <= 0 or not n:
        return [], n, part.check is None or not n
    out: list[tuple[int, float]] = []
    rejected = consumed = 0
    batch = max(2 * k, 16)  # candidates checked a batch at a time (most of them pass)
    order = _best_first(part, 4 * batch)
    while len(out) < k:
        chunk = list(islice(order, batch))
        if not chunk:
            break
        ok = part.verify(np.asarray(chunk, dtype=np.int64)).tolist()
        for i, good in zip(chunk, ok, strict=True):
            consumed += 1
            if good:
                out.append((int(part.ids[i]), float(part.scores[i])))
                if len(out) >= k:
                    break
            else:
                rejected += 1
    return out, n - rejected, part.check is None or consumed == n


def matches(part: Part) -> list[tuple[int, float]]:
    """Every real match ``(docnum, score)``, checks done."""
    if part.check is None:
        return list(zip(part.ids.tolist(), part.scores.tolist(), strict=True))
    ids, scores = match_arrays(part)
    return list(zip(ids.tolist(), scores.tolist(), strict=True))


def match_arrays(part: Part) -> tuple[np.ndarray, np.ndarray]:
    """Every real match as arrays ``(docnums, scores)``, ascending docnum, checks done."""
    if part.check is None:
        return part.ids, part.scores
    keep = part.verify(np.arange(len(part.ids)))
    return part.ids[keep], part.scores[keep]
