"""Whoosh reads a segment's files in place, without a private copy of each.

A segment is one compound file that Whoosh maps into memory (``mmap``); each file in
it (terms, postings, columns) is opened as a ``BufferFile`` over a memoryview of the
map. Whoosh 2.7 (whoosh-reloaded 2.7.5 here) wraps that view in ``io.BytesIO(view)``,
which copies it: every searcher holds its own copy of every segment file it opens, in anonymous memory
that the page cache cannot share or drop. A web server keeps a searcher a thread; at
100,000 articles a searcher's copies were 147 MB (tracemalloc), and at 1,000,000 the
server's processes grew past 12 and 23 GB and were killed (docs/benchmarks.md).

``install()`` makes a ``BufferFile`` read its view through ``ViewFile``, which copies
only the bytes asked for, and makes ``subset`` a slice of the view, not a copy.
``search.indexer`` applies it when imported, before any index is opened.
"""

from __future__ import annotations

import io
from typing import Any

from whoosh.filedb.structfile import BufferFile

PEEK = 512  # bytes ``peek`` returns at most (pickle asks for 128 KB: a copy each time)


class ViewFile(io.RawIOBase):
    """A read-only, seekable file over a buffer (a memoryview of a map): reads copy
    what they return, nothing else."""

    def __init__(self, buf: Any) -> None:
        super().__init__()
        self._view = memoryview(buf).cast("B")
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = len(self._view) + offset
        else:
            raise ValueError(f"invalid whence {whence!r}")
        if pos < 0:
            raise ValueError(f"negative seek position {pos}")
        self._pos = pos
        return pos

    def read(self, size: int | None = -1) -> bytes:
        n = len(self._view)
        end = n if size is None or size < 0 else min(self._pos + size, n)
        if end <= self._pos:
            return b""
        out = self._view[self._pos : end].tobytes()
        self._pos = end
        return out

    def peek(self, size: int = 1) -> bytes:
        """Some bytes ahead without moving, at most ``PEEK`` (``pickle.load`` then reads
        a posting block's small header pickle in two calls, not one a part)."""
        return self._view[self._pos : self._pos + min(max(size, 1), PEEK)].tobytes()

    def readinto(self, b: Any) -> int:
        target = memoryview(b).cast("B")
        data = self.read(len(target))
        target[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        """Up to and including the next newline, looked for 4 KB at a time (not a copy
        of the rest of a file of hundreds of megabytes)."""
        n = len(self._view)
        stop = n if size is None or size < 0 else min(self._pos + size, n)
        at = self._pos
        while at < stop:
            chunk = self._view[at : min(at + 4096, stop)].tobytes()
            nl = chunk.find(b"\n")
            if nl >= 0:
                return self.read(at + nl + 1 - self._pos)
            at += len(chunk)
        return self.read(stop - self._pos)

    def close(self) -> None:
        self._view.release()
        super().close()


def _init(self: Any, buf: Any, name: str | None = None, onclose: Any = None) -> None:
    self._buf = buf
    self._name = name
    self.file = ViewFile(buf)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


def _subset(self: Any, position: int, length: int, name: str | None = None) -> Any:
    return BufferFile(self._buf[position : position + length], name=name or self._name)


def install() -> None:
    """Make Whoosh's ``BufferFile`` read in place (idempotent)."""
    BufferFile.__init__ = _init  # type: ignore[method-assign]
    BufferFile.subset = _subset  # type: ignore[method-assign]
