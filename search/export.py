"""Exporting articles for researchers: JSON lines or CSV, streamed.

Without a query, every stored article (in id order, read in batches: the whole
archive never sits in memory); with one, every article that matches it (all
copies, in relevance order). One record per article, docs/contracts.md's export shape:
``{"id","url","title","source","site","author","published","fetched","fraud_types",
"text","cluster","indicators","labels","parent"}`` (``source``: the publisher the page names, else the site's name;
``site``: the site profile it was crawled from, empty for imported files) with ``published``/``fetched`` as ``archive.times`` shows them (ISO 8601
in China time or the page's own zone; a date-only ``published`` as ``YYYY-MM-DD``) and
``text`` the clean text (paragraphs separated by newlines) and ``indicators`` what
the article names (``[{"kind","value","role"}]``, ``archive.indicators``; looked up
per batch, so memory stays constant). In CSV, ``fraud_types`` is ``;``-joined and
``indicators`` is one cell holding that JSON list (values may hold ``;`` or brackets:
JSON keeps them unambiguous, and the cell starts with ``[``). ``labels`` and ``parent``:
a copy's change labels against its cluster's canonical copy and the copy it was most
likely taken from (``archive.dedup.copies``; [] and null outside a cluster and for the
canonical copy); in CSV the labels are ``;``-joined.

CSV cells are neutralised against formula injection as OWASP advises: archived
titles and texts are hostile input, and a spreadsheet runs a cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula, so such a cell
gets a leading apostrophe (and every cell is quoted). JSON lines stay as archived.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

from archive import Archive
from archive.dedup.copies import CopyLineage, Lineages
from archive.indicators import NamedIndicator, of_articles
from archive.models import Article, Member, Source
from archive.times import published_of, show_time

from . import array_eval
from .article_select import article_select, published_columns
from .errors import QueryError
from .indexer import open_index
from .query import build_query
from .types import ExportRecord

FORMATS = ("jsonl", "csv")
FIELDS = list(ExportRecord.__annotations__)  # the CSV columns, in order
BATCH = 500
# OWASP's CSV Injection page: a cell starting with one of these is read as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: ``'`` before a formula-starting string."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _stmt() -> Any:
    return article_select(
        Article.id,
        Article.url,
        Article.title,
        Source.name,
        Article.site,
        Article.author,
        *published_columns(),
        Article.fetched_at,
        Article.fraud_types,
        Article.text,
        Member.cluster_id,
    )


def _record(
    r: Any, indicators: list[NamedIndicator], copy: CopyLineage | None = None
) -> ExportRecord:
    return {
        "id": r.id,
        "url": r.url,
        "title": r.title,
        "source": r.name,
        "site": r.site,
        "author": r.author,
        "published": published_of(r),
        "fetched": show_time(r.fetched_at),
        "fraud_types": list(r.fraud_types or []),
        "text": r.text,
        "cluster": r.cluster_id,
        "indicators": indicators,
        "labels": copy["labels"] if copy else [],
        "parent": copy["parent"] if copy else None,
    }


def csv_row(rec: ExportRecord) -> dict[str, Any]:
    """The record's CSV cells: lists ``;``-joined, the indicators one JSON cell."""
    return {
        **rec,
        "fraud_types": ";".join(rec["fraud_types"]),
        "indicators": json.dumps(rec["indicators"], ensure_ascii=False),
        "labels": ";".join(rec["labels"]),
    }


def matching_ids(archive: Archive, query: str) -> list[int]:
    """Article ids matching ``query``, best first (all copies, no limit)."""
    ix = open_index(archive)
    with ix.searcher() as s:
        q, _ = build_query(query, s.reader())
        try:
            found = array_eval.matches(array_eval.Evaluator(s).evaluate(q))
            found.sort(key=lambda m: (-m[1], m[0]))
            docnums = [d for d, _ in found]
        except array_eval.Unsupported:
            docnums = [hit.docnum for hit in s.search(q, limit=None)]
        col = s.reader().column_reader("info")
        return [int(col[d].decode("utf-8").rsplit("\t", 1)[1]) for d in docnums]


def iter_records(archive: Archive, query: str | None = None) -> Iterator[ExportRecord]:
    """The export records, streamed in batches (a bad query raises here, before any)."""
    if query is None:
        return _all_records(archive)
    return _records_of(archive, matching_ids(archive, query))


def _all_records(archive: Archive) -> Iterator[ExportRecord]:
    last = 0
    lineages = Lineages()
    while True:
        with archive.session() as s:
            rows = s.execute(
                _stmt().where(Article.id > last).order_by(Article.id).limit(BATCH)
            ).all()
            named = of_articles(s, [r.id for r in rows])
            copies = lineages.of_articles(s, [r.id for r in rows])
        if not rows:
            return
        for r in rows:
            yield _record(r, named[r.id], copies.get(r.id))
        last = rows[-1].id


def _records_of(archive: Archive, ids: list[int]) -> Iterator[ExportRecord]:
    lineages = Lineages()
    for i in range(0, len(ids), BATCH):
        chunk = ids[i : i + BATCH]
        with archive.session() as s:
            rows = {r.id: r for r in s.execute(_stmt().where(Article.id.in_(chunk)))}
            named = of_articles(s, list(rows))
            copies = lineages.of_articles(s, list(rows))
        for aid in chunk:
            if aid in rows:  # gone from the archive since the last index run
                yield _record(rows[aid], named[aid], copies.get(aid))


def export_articles(archive: Archive, fmt: str, out: TextIO, query: str | None = None) -> int:
    """Write the records to ``out`` as ``jsonl`` or ``csv``; returns how many."""
    if fmt not in FORMATS:
        raise QueryError(f"export format {fmt!r} is not one of: {', '.join(FORMATS)}")
    n = 0
    records = iter_records(archive, query)
    if fmt == "jsonl":
        for rec in records:
            out.write(json.dumps(rec, ensure_ascii=False))
            out.write("\n")
            n += 1
    else:
        writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writeheader()
        for rec in records:
            writer.writerow({k: defuse_cell(v) for k, v in csv_row(rec).items()})
            n += 1
    out.flush()
    return n
