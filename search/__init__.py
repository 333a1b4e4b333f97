"""Full-text search over the archive: a Whoosh index that works for Chinese.

Public API (the search shape of docs/contracts.md; see docs/search.md):

- ``update_index(archive, *, rebuild=False, progress=None) -> IndexReport``
- ``search(archive, query, *, source, fraud_type, since, until, limit, offset,
  all_copies, sort) -> SearchResult`` (``search.types``: the hit and result shapes)
- ``search.export.export_articles(archive, fmt, out, query=None) -> int``

Errors are ``search.errors.QueryError`` (bad query, exit 2), ``IndexMissing``,
``IndexCorrupt`` (a damaged index: ``fanzha index --rebuild``) and ``IndexBusy``
(exit 3), all ``archive.errors.ArchiveError``.
"""

from .errors import (
    IndexBusy,
    IndexCorrupt,
    IndexMissing,
    IndexOutdated,
    QueryError,
    SearchError,
)
from .indexer import IndexReport, update_index
from .results import search
from .types import SearchHit, SearchResult

__all__ = [
    "IndexBusy",
    "IndexCorrupt",
    "IndexMissing",
    "IndexOutdated",
    "IndexReport",
    "QueryError",
    "SearchError",
    "SearchHit",
    "SearchResult",
    "search",
    "update_index",
]
