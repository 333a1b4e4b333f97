"""A damaged search index: told apart from a missing one, and never read past its end.

Whoosh reads a segment through a memory map (``mmap``) of its ``.seg`` file, which is
fast, but a file truncated under a running reader makes the next access to a page past
the new end a SIGBUS that kills the process (a web server, say). So a searcher kept
between requests remembers the length it mapped of each segment file
(``mapped_segments``), and before each search ``first_truncated`` compares them with the
files on disk: a shorter file is reported as a damaged index instead of being read.
What cannot be checked this cheaply (garbage inside a file) shows up as the errors
Whoosh raises when it decodes it, which ``reading_index`` turns into ``IndexCorrupt``
with what to do: ``fanzha index --rebuild`` builds a fresh index from the archive.
"""

from __future__ import annotations

import errno
import logging
import os
import pickle
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from .errors import IndexCorrupt

log = logging.getLogger(__name__)

# What decoding a damaged Whoosh file raises (measured by truncating and overwriting
# segment and TOC files at random offsets): the stock decoders' own errors, and the
# generic ones of reading lengths and offsets that point nowhere.
READ_ERRORS: tuple[type[BaseException], ...] = (
    EOFError,
    struct.error,
    zlib.error,
    pickle.UnpicklingError,
    whoosh_index.IndexError,
    ValueError,  # includes UnicodeDecodeError; "negative seek value"
    IndexError,
    KeyError,
    OverflowError,
    MemoryError,  # a garbage length asks for a huge buffer
    OSError,  # a segment file gone or unreadable
)
NOT_DAMAGE = (errno.ENOSPC, errno.EDQUOT)  # a full disk while writing is no damage


def damaged(home: Path, cause: str) -> IndexCorrupt:
    return IndexCorrupt(
        f"the search index in {home} is damaged ({cause}): "
        "run 'fanzha index --rebuild' to build it anew from the archive"
    )


@contextmanager
def reading_index(home: Path) -> Iterator[None]:
    """Turn Whoosh's errors of decoding a damaged file into ``IndexCorrupt``."""
    try:
        yield
    except READ_ERRORS as exc:
        if isinstance(exc, OSError) and exc.errno in NOT_DAMAGE:
            raise
        log.debug("search index in %s unreadable", home, exc_info=True)
        cause = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        raise damaged(home, cause) from exc


def mapped_segments(searcher: Any, gen_dir: Path) -> list[tuple[Path, int]]:
    """The segment files ``searcher`` reads through a memory map, with the length mapped."""
    out = []
    for reader, _ in searcher.reader().leaf_readers():
        compound = getattr(getattr(reader, "_storage", None), "a", None)
        source = getattr(compound, "_source", None)
        segment = reader.segment()
        if source is None or segment is None:
            continue
        out.append((gen_dir / segment.make_filename(segment.COMPOUND_EXT), len(source)))
    return out


def first_truncated(maps: list[tuple[Path, int]]) -> Path | None:
    """The first mapped file now shorter on disk than its map (None: all intact).

    A file gone is fine: the writer deletes segments it merged away, and the map keeps
    the deleted file's pages."""
    for path, length in maps:
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            continue
        if size < length:
            return path
    return None
