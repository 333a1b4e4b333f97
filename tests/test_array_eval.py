"""The vectorised evaluator's set operations on sorted docnum arrays (``search.array_eval``)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from search.array_eval import intersect, union


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 3000),
    lists=st.lists(st.lists(st.integers(0, 2999), max_size=400), min_size=1, max_size=4),
)
def test_set_operations_on_docnums_equal_numpy(n: int, lists: list[list[int]]):
    """``array_eval.intersect`` and ``union`` (a mask of flags for long lists, numpy's
    sorting set operations for short ones) give numpy's sorted answers."""
    arrays = [np.unique(np.asarray([x % n for x in xs], dtype=np.int64)) for xs in lists]
    expected = arrays[0]
    got = arrays[0]
    for a in arrays[1:]:
        expected = np.intersect1d(expected, a, assume_unique=True)
        got = intersect(got, a, n)
    assert got.tolist() == expected.tolist()
    expected_union = np.unique(np.concatenate(arrays))
    assert union(arrays, n).tolist() == expected_union.tolist()
