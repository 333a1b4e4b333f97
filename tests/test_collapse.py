"""``search.docvalues.collapse`` against the plain definition: sort every match by
(cluster, canonical first, best primary, lowest docnum), one hit per cluster, stories
by (best score, lowest docnum) or (newest, best score, first match)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from search.docvalues import NO_DATE, DocValues, collapse


def _values(cluster: list[int], canonical: list[bool], dates: list[int]) -> DocValues:
    n = len(cluster)
    empty = np.zeros(n + 1, dtype=np.int64)
    return DocValues(
        cluster=np.asarray(cluster, dtype=np.int64),
        canonical=np.asarray(canonical, dtype=bool),
        source=np.full(n, -1, dtype=np.int64),
        year=np.zeros(n, dtype=np.int64),
        date=np.asarray(dates, dtype=np.int64),
        aid=np.arange(1, n + 1, dtype=np.int64),
        types_ptr=empty,
        types_idx=np.empty(0, dtype=np.int64),
        sources=[],
        types=[],
        site=np.full(n, -1, dtype=np.int64),
        sites=[],
        ind_ptr=empty,
        ind_idx=np.empty(0, dtype=np.int64),
        inds=[],
        ind_kind=np.empty(0, dtype=np.int64),
    )


def _reference(dv, ids, scores, all_copies, sort, offset, limit):
    key = ids if all_copies else dv.cluster[ids]
    dates = dv.date[ids]
    primary = scores if sort == "relevance" else np.where(dates == NO_DATE, 0, dates) * 1.0
    order = np.lexsort((ids, -primary, ~dv.canonical[ids], key))
    skey = key[order]
    starts = np.flatnonzero(np.r_[True, skey[1:] != skey[:-1]])
    size = np.diff(np.r_[starts, len(order)])
    chosen, first = order[starts], np.minimum.reduceat(order, starts)
    c_ids, c_scores = ids[chosen], scores[chosen]
    if sort == "relevance":
        page = np.lexsort((c_ids, -c_scores))
    else:
        d = np.where(dates[chosen] == NO_DATE, -(2**62), dates[chosen])
        page = np.lexsort((first, -c_scores, -d))
    page = page[offset : offset + limit]
    return (
        [(int(c_ids[i]), float(c_scores[i])) for i in page],
        len(chosen),
        {int(c_ids[i]): int(size[i]) for i in page},
    )


docs = st.lists(
    st.tuples(
        st.integers(-3, 6),  # cluster key: > 0 a cluster, else an article alone
        st.booleans(),
        st.sampled_from([NO_DATE, 100, 200, 300]),
        st.sampled_from([0.5, 1.0, 2.0, 3.5]),  # ties on purpose
        st.booleans(),  # matched
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(
    docs,
    st.booleans(),
    st.sampled_from(["relevance", "date"]),
    st.integers(0, 5),
    st.integers(0, 8),
)
def test_collapse_is_the_plain_definition(rows, all_copies, sort, offset, limit):
    # an article in no cluster has a key of its own (minus its id), as the index gives
    cluster = [c if c > 0 else -(d + 1) for d, (c, *_rest) in enumerate(rows)]
    dv = _values(cluster, [r[1] for r in rows], [r[2] for r in rows])
    ids = np.asarray([d for d, r in enumerate(rows) if r[4]], dtype=np.int64)
    scores = np.asarray([rows[d][3] for d in ids], dtype=np.float64)
    got = collapse(dv, ids, scores, all_copies=all_copies, sort=sort, offset=offset, limit=limit)
    if not len(ids):
        assert (got.picked, got.total, got.matching) == ([], 0, {})
        return
    picked, total, matching = _reference(dv, ids, scores, all_copies, sort, offset, limit)
    assert got.picked == picked
    assert got.total == total
    assert got.matching == matching
