"""Exceptions of the search package; the CLI turns each into one line and exit 2."""

from __future__ import annotations

from archive.errors import ArchiveError


class SearchError(ArchiveError):
    """Base class: the index or a search cannot be used as asked."""


class QueryError(SearchError):
    """The query (or a filter) is malformed: unbalanced quotes, an unknown field, a bad date."""


class IndexMissing(SearchError):
    """No index has been built yet in this home."""


class IndexOutdated(IndexMissing):
    """The index was written in an older format: ``fanzha index`` rebuilds it."""


class IndexBusy(SearchError):
    """Another process is writing the index."""

    exit_code = 3


class IndexCorrupt(SearchError):
    """The index's files are damaged (truncated, overwritten): ``fanzha index --rebuild``."""
