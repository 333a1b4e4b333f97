"""The shapes ``search()`` returns: what the CLI, the web pages and the API read.

TypedDicts, not classes: ``search()`` builds plain dicts that go to JSON as they are
(``fanzha search --json``, ``GET /api/search``), and these name their keys and types so
callers stop guessing. ``fanzha.web.api`` mirrors them field for field in its pydantic
models (a test keeps the two in step), so ``/openapi.json`` documents this shape.
"""

# No ``from __future__ import annotations``: Python 3.11 sees ``NotRequired`` only in
# evaluated annotations (``__optional_keys__``).
from typing import NotRequired, TypedDict

from archive.indicators import NamedIndicator

Facets = dict[str, dict[str, int]]
"""``{"source": {name: count}, "site": ..., "year": ..., "fraud_type": ..., kind: ...}``."""


class SearchHit(TypedDict):
    """One story (or, with ``all_copies``, one article) that matched.

    The snippet is given twice: ``snippet`` with each match between 【】 (plain text,
    for reading), and ``snippet_text`` unmarked with ``highlights``, the matches as
    ``[start, end)`` offsets into it (for callers that mark matches themselves).
    """

    id: int
    url: str
    title: str
    source: str | None
    site: str | None
    author: str | None
    published: str | None
    fraud_types: list[str]
    snippet: str
    snippet_text: str
    highlights: list[list[int]]
    score: float
    cluster: int | None
    canonical: bool
    copies: int
    matching_copies: int
    indicators: list[NamedIndicator]


class SearchResult(TypedDict):
    """The answer to one query: a page of hits, the total and (usually) the facets."""

    query: str
    total: int
    offset: int
    hits: list[SearchHit]
    total_exact: NotRequired[bool]  # present (false) only when ``total`` is an estimate
    facets: NotRequired[Facets]  # absent when the search was asked for none


class ExportRecord(TypedDict):
    """One article as ``fanzha export`` writes it (docs/contracts.md's export shape).

    In CSV, ``fraud_types`` and ``labels`` are ``;``-joined and ``indicators`` is that
    JSON list in one cell (``search.export``)."""

    id: int
    url: str
    title: str
    source: str | None  # the publisher the page names, else the site's name
    site: str | None  # the site profile it was crawled from (None: an imported file)
    author: str | None
    published: str | None
    fetched: str | None
    fraud_types: list[str]
    text: str
    cluster: int | None
    indicators: list[NamedIndicator]
    labels: list[str]  # its change labels against its cluster's canonical copy
    parent: int | None  # the copy it was most likely taken from
