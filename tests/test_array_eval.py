"""The vectorised evaluator's set operations on sorted docnum arrays (``search.array_eval``)."""

from __future__ import annotations

import numpy as np
import pytest
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


@pytest.fixture
def indexed(sqlite_archive):
    """Forty bulletins of different lengths, indexed."""
    from datetime import UTC, datetime

    from archive import Document, store_document
    from search import update_index

    with sqlite_archive.session() as s:
        for i in range(40):
            store_document(
                s,
                Document(
                    url=f"https://len.example.cn/{i}.html",
                    title="冒充客服" * (1 + i % 3),
                    text="民警提醒：刷单返利是诈骗。" * (1 + i * 7) + f"第{i}号",
                    published_at=datetime(2024, 5, 1, tzinfo=UTC),
                ),
            )
    update_index(sqlite_archive)
    return sqlite_archive


def test_field_lengths_read_from_the_column_equal_whooshs_own(indexed):
    """BM25's field lengths, read as a segment's length column in one go, are what
    Whoosh gives document by document (its one-byte scale, short and long texts)."""
    from search.array_eval import _column_lengths
    from search.indexer import open_index

    with open_index(indexed).searcher() as s:
        for reader, _ in s.reader().leaf_readers():
            for field in ("body", "title"):
                n = reader.doc_count_all()
                whoosh = [reader.doc_field_length(d, field, 0) or 0 for d in range(n)]
                got = _column_lengths(reader, field)
                assert got is not None and got.tolist() == whoosh
                assert len(set(whoosh)) >= 3  # lengths that differ, on Whoosh's scale


def test_cached_postings_are_the_decoded_ones(indexed):
    """A posting list kept compact in the cache (32-bit) comes back as decoded: the
    same ids and weights, 64-bit, on the first ask and the next."""
    from search import array_eval
    from search.indexer import open_index

    array_eval.clear_cache()
    with open_index(indexed).searcher() as s:
        reader = next(iter(s.reader().leaf_readers()))[0]
        for term in ("民警".encode(), "诈骗".encode()):
            ids, w = array_eval._raw_postings(reader, "body", term)
            assert len(ids) == 40 and w.max() > 1
            for _ in range(2):
                got_ids, got_w = array_eval._cached_postings(reader, "body", term)
                assert got_ids.dtype == np.int64 and got_w.dtype == np.float64
                assert got_ids.tolist() == ids.tolist() and got_w.tolist() == w.tolist()
    array_eval.clear_cache()
