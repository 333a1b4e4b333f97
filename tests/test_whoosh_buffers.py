"""Whoosh's segment files are read in place (``search.whoosh_buffers``), not copied."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.filedb.structfile import BufferFile

import search.indexer  # noqa: F401  (installs the fix, as every search does)
from search.whoosh_buffers import ViewFile


def test_a_buffer_file_reads_its_view_in_place():
    """Whoosh 2.7 copied the view (``BytesIO``): a searcher a thread then held a copy of
    every segment file. Read in place, a change to the underlying bytes shows."""
    data = bytearray(b"abcdefgh")
    f = BufferFile(memoryview(data), name="seg")
    data[0:3] = b"xyz"
    assert f.read(3) == b"xyz"
    part = f.subset(4, 4)
    data[4:6] = b"EF"
    assert part.read() == b"EFgh"
    assert f.get_array(0, "B", 2).tolist() == [ord("x"), ord("y")]


ops = st.lists(
    st.one_of(
        st.tuples(st.just("read"), st.integers(-1, 12)),
        st.tuples(st.just("readline"), st.integers(-1, 12)),
        st.tuples(st.just("seek"), st.integers(0, 12), st.sampled_from([0, 1])),
        st.tuples(st.just("seek_end"), st.integers(-8, 0)),
        st.tuples(st.just("readinto"), st.integers(0, 12)),
        st.tuples(st.just("peek"), st.integers(0, 1000)),
    ),
    max_size=20,
)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"\n")), steps=ops)
def test_view_file_reads_as_bytes_io_does(data: bytes, steps: list[tuple]):
    """Every read, line, seek and readinto gives what ``io.BytesIO`` gives; a peek
    gives what is ahead and does not move."""
    mine, ref = ViewFile(memoryview(data)), io.BytesIO(data)
    for step in steps:
        name = step[0]
        if name == "read":
            assert mine.read(step[1]) == ref.read(step[1])
        elif name == "readline":
            assert mine.readline(step[1]) == ref.readline(step[1])
        elif name == "seek":
            assert mine.seek(step[1], step[2]) == ref.seek(step[1], step[2])
        elif name == "peek":  # BytesIO has none: what a read would give, not moving
            ahead = mine.peek(step[1])
            assert ahead == data[ref.tell() : ref.tell() + len(ahead)]
            assert len(ahead) >= min(1, len(data) - ref.tell())
        elif name == "seek_end":
            pos = max(0, len(data) + step[1])
            assert mine.seek(pos) == ref.seek(pos)
        else:
            a, b = bytearray(step[1]), bytearray(step[1])
            assert mine.readinto(a) == ref.readinto(b) and a == b
        assert mine.tell() == ref.tell()


def test_a_line_longer_than_the_step_it_is_looked_for_in():
    data = b"a" * 10_000 + b"\n" + b"b" * 5_000
    mine, ref = ViewFile(memoryview(data)), io.BytesIO(data)
    assert mine.readline(6_000) == ref.readline(6_000)
    assert mine.readline() == ref.readline() == b"a" * 4_000 + b"\n"
    assert mine.readline() == ref.readline() == b"b" * 5_000
    assert mine.readline() == b""
