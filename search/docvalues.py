"""Per-document values as numpy arrays: collapsing and facets without per-hit Python.

The index's ``info`` column (see ``search.schema``) holds, per document, its cluster,
canonical flag, source, year, fraud types, date, site, indicators and article id. Decoding it per hit
costs microseconds of Python each, which at tens of thousands of matches is most of a
search. Here it is decoded once per segment into arrays indexed by docnum (cached per
segment, so an incremental index run only decodes its new segment), and
``collapse`` does the one-hit-per-cluster choice and the facet counts with numpy.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from archive.extract.indicators import KINDS

from .types import Facets

NO_DATE = np.iinfo(np.int64).min


@dataclass
class DocValues:
    """Arrays indexed by docnum (global over the reader's segments).

    ``cluster``: collapse key (cluster id, or minus the article id for an article in
    no cluster); ``canonical``; ``source``: index into ``sources`` (-1: none);
    ``year`` (0: none); ``date`` (unix seconds, ``NO_DATE``: none); ``aid``: article id;
    fraud types as CSR: ``types_ptr`` / ``types_idx`` into ``types``; ``site``: index
    into ``sites`` (-1: none, an imported article); indicators as CSR:
    ``ind_ptr`` / ``ind_idx`` into ``inds`` (``kind=value`` strings), ``ind_kind`` the
    index into ``KINDS`` of each.
    """

    cluster: np.ndarray
    canonical: np.ndarray
    source: np.ndarray
    year: np.ndarray
    date: np.ndarray
    aid: np.ndarray
    types_ptr: np.ndarray
    types_idx: np.ndarray
    sources: list[str]
    types: list[str]
    site: np.ndarray
    sites: list[str]
    ind_ptr: np.ndarray
    ind_idx: np.ndarray
    inds: list[str]
    ind_kind: np.ndarray


# How many values of each indicator kind the facets list.
INDICATOR_FACET_TOP = 10
INFO_FIELDS = 9
_KIND_INDEX = {kind: k for k, kind in enumerate(KINDS)}


def info_indicators(indicators: list[dict]) -> str:
    """The ``info`` column's indicator field: ``kind=value|kind=value``."""
    clean = str.maketrans({"|": " ", "\t": " "})
    return "|".join(f"{i['kind']}={i['value'].translate(clean)}" for i in indicators)


def _cluster_key(text: str) -> int:
    if text[:1] == "c":
        return int(text[1:])
    return -int(text[1:]) if text[1:] else 0


def _code(table: dict[str, int], name: str) -> int:
    """The code of ``name`` in ``table`` (a new one, the next number, on first sight)."""
    return table.setdefault(name, len(table))


@dataclass
class _Raw:
    """One segment's values, kept between index states: arrays, and its strings once
    each with codes into them (as Python lists, a million documents' values held
    1.1 GB; these arrays come to about 60 MB by their sizes)."""

    cluster: np.ndarray
    canonical: np.ndarray
    source: np.ndarray  # codes into ``source_names`` (-1: none)
    source_names: list[str]
    year: np.ndarray
    date: np.ndarray
    aid: np.ndarray
    types_ptr: np.ndarray  # CSR of codes into ``type_names``
    types_idx: np.ndarray
    type_names: list[str]
    site: np.ndarray
    site_names: list[str]
    ind_ptr: np.ndarray
    ind_idx: np.ndarray
    ind_names: list[str]


def _decode_segment(reader: Any) -> _Raw:
    n = reader.doc_count_all()
    col = reader.column_reader("info")
    cluster, canonical, year, date, aid = [], [], [], [], []
    sources: dict[str, int] = {}
    sites: dict[str, int] = {}
    types: dict[str, int] = {}
    inds: dict[str, int] = {}
    source, site, types_idx, ind_idx = [], [], [], []
    types_ptr, ind_ptr = [0], [0]
    for d in range(n):
        value = col[d]
        f = value.decode("utf-8").split("\t") if value else []
        if len(f) < INFO_FIELDS:  # a document without the column (should not happen)
            f = (f + [""] * INFO_FIELDS)[:INFO_FIELDS]
        cluster.append(_cluster_key(f[0]) if f[0] else -(d + 1) - (1 << 40))
        canonical.append(f[1] == "1")
        source.append(_code(sources, f[2]) if f[2] else -1)
        year.append(int(f[3]) if f[3] else 0)
        date.append(int(f[5]) if f[5] else int(NO_DATE))
        site.append(_code(sites, f[6]) if f[6] else -1)
        if f[7]:
            ind_idx.extend(_code(inds, x) for x in f[7].split("|"))
        ind_ptr.append(len(ind_idx))
        aid.append(int(f[8]) if f[8] else -1)
        if f[4]:
            types_idx.extend(_code(types, x) for x in f[4].split("|"))
        types_ptr.append(len(types_idx))
    return _Raw(
        cluster=np.asarray(cluster, np.int64),
        canonical=np.asarray(canonical, np.bool_),
        source=np.asarray(source, np.int32),
        source_names=list(sources),
        year=np.asarray(year, np.int32),
        date=np.asarray(date, np.int64),
        aid=np.asarray(aid, np.int64),
        types_ptr=np.asarray(types_ptr, np.int64),
        types_idx=np.asarray(types_idx, np.int32),
        type_names=list(types),
        site=np.asarray(site, np.int32),
        site_names=list(sites),
        ind_ptr=np.asarray(ind_ptr, np.int64),
        ind_idx=np.asarray(ind_idx, np.int32),
        ind_names=list(inds),
    )


_LOCK = threading.Lock()
# held while the arrays of a new index state are built: a web server's threads, all
# asking at once after a start, each decoded every segment (at 1,000,000 articles
# 25 s and over a gigabyte each)
_BUILDING = threading.Lock()
_SEGMENTS: dict[Any, _Raw] = {}
_VALUES: dict[Any, DocValues] = {}


def _segment_key(reader: Any) -> Any:
    seg = reader.segment()
    return (seg.segment_id() if seg is not None else id(reader), reader.doc_count_all())


def doc_values(searcher: Any) -> DocValues:
    """The arrays for ``searcher``'s index state (built once, then cached)."""
    leaves = list(searcher.reader().leaf_readers())
    key = tuple(_segment_key(r) for r, _ in leaves)
    with _LOCK:
        dv = _VALUES.get(key)
        if dv is not None:
            return dv
    with _BUILDING:  # one thread decodes; the others wait for its arrays
        with _LOCK:
            dv = _VALUES.get(key)
        return dv if dv is not None else _decode_and_keep(leaves, key)


def _decode_and_keep(leaves: list[tuple[Any, int]], key: Any) -> DocValues:
    raws = []
    for r, _ in leaves:
        k = _segment_key(r)
        raw = _SEGMENTS.get(k)
        if raw is None:
            raw = _decode_segment(r)
        raws.append((k, raw))
    dv = _build([raw for _, raw in raws])
    with _LOCK:
        keep = {k for k, _ in raws}
        for k in [k for k in _SEGMENTS if k not in keep]:
            del _SEGMENTS[k]
        _SEGMENTS.update(raws)
        _VALUES.clear()  # one index state at a time: the arrays are large
        _VALUES[key] = dv
    return dv


def _build(raws: list[_Raw]) -> DocValues:
    """The index's arrays from its segments' (codes made global, CSR offsets shifted)."""

    def cat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
        return np.concatenate(parts).astype(dtype, copy=False) if parts else np.empty(0, dtype)

    def recode(codes: np.ndarray, names: list[str], table: dict[str, int]) -> np.ndarray:
        if not names:
            return codes  # all -1: no value in this segment
        glob = np.asarray([_code(table, n) for n in names], np.int32)
        return np.where(codes >= 0, glob[np.maximum(codes, 0)], -1).astype(np.int32)

    def csr(ptrs: list[np.ndarray]) -> np.ndarray:
        out, base = [np.zeros(1, np.int64)], 0
        for p in ptrs:
            out.append(p[1:] + base)
            base += int(p[-1])
        return np.concatenate(out)

    sources: dict[str, int] = {}
    types: dict[str, int] = {}
    sites: dict[str, int] = {}
    inds: dict[str, int] = {}
    src = [recode(r.source, r.source_names, sources) for r in raws]
    site = [recode(r.site, r.site_names, sites) for r in raws]
    t_idx = [recode(r.types_idx, r.type_names, types) for r in raws]
    i_idx = [recode(r.ind_idx, r.ind_names, inds) for r in raws]
    return DocValues(
        cluster=cat([r.cluster for r in raws], np.int64),
        canonical=cat([r.canonical for r in raws], np.bool_),
        source=cat(src, np.int32),
        year=cat([r.year for r in raws], np.int32),
        date=cat([r.date for r in raws], np.int64),
        aid=cat([r.aid for r in raws], np.int64),
        types_ptr=csr([r.types_ptr for r in raws]),
        types_idx=cat(t_idx, np.int32),
        sources=list(sources),
        types=list(types),
        site=cat(site, np.int32),
        sites=list(sites),
        ind_ptr=csr([r.ind_ptr for r in raws]),
        ind_idx=cat(i_idx, np.int32),
        inds=list(inds),
        ind_kind=np.asarray([_KIND_INDEX.get(n.partition("=")[0], -1) for n in inds], np.int8),
    )


@dataclass
class Collapsed:
    """The page of hits ``(docnum, score)``, the number of stories (or articles),
    the facets, and per hit shown how many copies matched."""

    picked: list[tuple[int, float]]
    total: int
    facets: Facets
    matching: dict[int, int]


def _ranked(codes: np.ndarray, first: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The codes present, by count descending (ties in order of first appearance),
    and the count of every code."""
    count = np.bincount(codes, minlength=n)
    seen = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(seen, codes, first)
    present = np.nonzero(count)[0]
    return present[np.lexsort((seen[present], -count[present]))], count


def _counts(codes: np.ndarray, first: np.ndarray, names: list[str]) -> dict[str, int]:
    """``{name: count}`` by count, descending; ties in order of first appearance."""
    if not len(codes):
        return {}
    order, count = _ranked(codes, first, len(names))
    return {names[i]: int(count[i]) for i in order}


def collapse(
    dv: DocValues,
    ids: np.ndarray,
    scores: np.ndarray,
    *,
    all_copies: bool,
    sort: str,
    offset: int,
    limit: int,
) -> Collapsed:
    """One hit per cluster (every match with ``all_copies``), ordered, paged, counted.

    ``ids``: the matching docnums, ascending; ``scores`` theirs. Per cluster the hit is
    the canonical copy when it matches, else the best (relevance) or newest (date)
    copy, ties to the lowest docnum.

    Linear but for one sort of the matches in clusters by cluster (an article in no
    cluster is its own story) and one of the page's candidates: at a million articles a
    common word matches hundreds of thousands, where sorting every match by four keys
    and every story by two measured twice as slow.
    """
    ids = np.asarray(ids, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    if not len(ids):
        return Collapsed([], 0, _facets(dv, ids, ids), {})
    dates = dv.date[ids]
    if sort == "relevance":
        primary = scores
    else:
        primary = np.where(dates == NO_DATE, 0, dates).astype(np.float64)
    if all_copies:
        chosen = first_pos = np.arange(len(ids))
        group_size = np.ones(len(ids), dtype=np.int64)
    else:
        chosen, first_pos, group_size = _story_hits(dv.cluster[ids], dv.canonical[ids], primary)
    c_ids, c_scores = ids[chosen], scores[chosen]
    want = offset + limit
    if sort == "relevance":
        cand = _top(c_scores, want)
        page_order = cand[np.lexsort((c_ids[cand], -c_scores[cand]))]
    else:
        c_dates = dates[chosen]
        date_key = np.where(c_dates == NO_DATE, -(2**62), c_dates)
        cand = _top(date_key, want)
        page_order = cand[np.lexsort((first_pos[cand], -c_scores[cand], -date_key[cand]))]
    page = page_order[offset : offset + limit]
    facets = _facets(dv, c_ids, first_pos)
    return Collapsed(
        picked=[(int(c_ids[i]), float(c_scores[i])) for i in page],
        total=len(chosen),
        facets=facets,
        matching={int(c_ids[i]): int(group_size[i]) for i in page},
    )


def _story_hits(
    key: np.ndarray, canon: np.ndarray, primary: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per story, the position of its hit among the matches, of its first match, and
    how many matched. ``key`` > 0: a cluster id; otherwise an article in no cluster."""
    alone = np.flatnonzero(key <= 0)
    grouped = np.flatnonzero(key > 0)
    order = grouped[np.argsort(key[grouped], kind="stable")]  # by cluster, then position
    n = len(order)
    if not n:
        return alone, alone, np.ones(len(alone), dtype=np.int64)
    skey = key[order]
    starts = np.flatnonzero(np.r_[True, skey[1:] != skey[:-1]])
    sizes = np.diff(np.r_[starts, n])
    # the canonical copy if it matched, else the best primary; ties: the lowest docnum
    cs = canon[order]
    has = np.maximum.reduceat(cs.astype(np.int8), starts).astype(bool)
    eligible = cs == np.repeat(has, sizes)
    p = np.where(eligible, primary[order], -np.inf)
    best = eligible & (p == np.repeat(np.maximum.reduceat(p, starts), sizes))
    pick = np.minimum.reduceat(np.where(best, np.arange(n), n), starts)
    return (
        np.concatenate([alone, order[pick]]),
        np.concatenate([alone, np.minimum.reduceat(order, starts)]),
        np.concatenate([np.ones(len(alone), dtype=np.int64), sizes]),
    )


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of every value at least the ``k``-th largest (all of them, ties
    included, so that sorting only these gives the first ``k`` of the whole order)."""
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    if k >= len(values):
        return np.arange(len(values))
    threshold = -np.partition(-values, k - 1)[k - 1]
    return np.flatnonzero(values >= threshold)


def _facets(dv: DocValues, docs: np.ndarray, first: np.ndarray) -> Facets:
    """Counts of the stories listed (``docs``, one per story; ``first``: their order of
    appearance, for ties) by source, site, year and fraud type."""
    src = dv.source[docs]
    has = src >= 0
    source = _counts(src[has], first[has], dv.sources)
    st = dv.site[docs]
    site = _counts(st[st >= 0], first[st >= 0], dv.sites)
    yr = dv.year[docs]
    years = np.unique(yr[yr > 0], return_counts=True)
    year = dict(sorted(((str(y), int(c)) for y, c in zip(*years, strict=True)), reverse=True))
    fraud = _list_counts(dv.types_ptr, dv.types_idx, dv.types, docs, first)
    out: Facets = {"source": source, "site": site, "year": year, "fraud_type": fraud}
    out.update(_indicator_facets(dv, docs, first))
    return out


def _list_codes(
    ptr: np.ndarray, idx: np.ndarray, docs: np.ndarray, first: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The codes of a per-document list (CSR ``ptr``/``idx``) over ``docs``, and each
    one's order of appearance (for ties)."""
    starts, ends = ptr[docs], ptr[docs + 1]
    lens = ends - starts
    total = int(lens.sum())
    if not total:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    rep = np.repeat(np.arange(len(docs)), lens)
    within = np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens)
    codes = idx[starts[rep] + within]
    return codes.astype(np.int64), first[rep] * 1024 + within


def _list_counts(
    ptr: np.ndarray, idx: np.ndarray, names: list[str], docs: np.ndarray, first: np.ndarray
) -> dict[str, int]:
    """``_counts`` of a per-document list (CSR ``ptr``/``idx`` into ``names``)."""
    return _counts(*_list_codes(ptr, idx, docs, first), names)


def _indicator_facets(dv: DocValues, docs: np.ndarray, first: np.ndarray) -> Facets:
    """Per indicator kind (``phone``, ``app`` ...: the query field names), its top
    ``INDICATOR_FACET_TOP`` values among the stories listed, most-named first (ranked
    in numpy: only the values shown become Python strings)."""
    out: dict[str, dict[str, int]] = {kind: {} for kind in KINDS}
    codes, seen = _list_codes(dv.ind_ptr, dv.ind_idx, docs, first)
    if not len(codes):
        return out
    order, count = _ranked(codes, seen, len(dv.inds))
    kinds = dv.ind_kind[order]
    for k, kind in enumerate(KINDS):
        for i in order[kinds == k][:INDICATOR_FACET_TOP]:
            out[kind][dv.inds[i].partition("=")[2]] = int(count[i])
    return out
