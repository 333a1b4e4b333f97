"""``fanzha index``, ``search`` and ``export``: the Whoosh full-text index."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from .app import (
    DbOpt,
    HomeOpt,
    JsonOpt,
    app,
    cli_errors,
    console,
    emit_json,
    err_console,
    read_archive,
    settings,
)

if TYPE_CHECKING:
    from search import SearchResult


@app.command()
def index(
    rebuild: Annotated[bool, typer.Option(help="Build the index anew from the archive.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Processes writing a rebuild of 20,000 articles or more (default: "
            "FANZHA_WORKERS, else one per core, at most 2; 0 or 1: this one alone).",
        ),
    ] = None,
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Bring the search index up to date with the archive.

    Adds new, changed and re-clustered articles, drops deleted ones; --rebuild
    builds a fresh index beside the live one and swaps it in (searches keep working).

    Example: fanzha index --rebuild --json
    """
    from search import update_index

    with cli_errors():
        config = settings(home, db)
        archive = read_archive(config)

        def progress(done: int, total: int) -> None:
            if not json_ and sys.stderr.isatty():
                err_console.print(f"indexed {done}/{total}", end="\r")

        from ..jobs.lock import WriterLock

        with WriterLock(archive, "index"):  # never two writers at once (exit 3)
            processes = config.workers if workers is None else workers
            report = update_index(archive, rebuild=rebuild, progress=progress, workers=processes)
    if json_:
        emit_json(report.as_json())
    else:
        console.print(
            f"indexed {report.indexed}, deleted {report.deleted}, "
            f"{report.total} articles in the index" + (" (rebuilt)" if report.rebuilt else "")
        )


def _print_hits(result: SearchResult) -> None:
    from rich.text import Text

    hits = result["hits"]
    total = result["total"]
    console.print(f"{total} result{'s' if total != 1 else ''}" + (":" if hits else ""))
    for n, hit in enumerate(hits, start=result["offset"] + 1):
        head = Text(f"{n}. ", style="bold")
        head.append(hit["title"] or "(no title)", style="bold")
        console.print(head)
        meta = [hit["source"] or "?", (hit["published"] or "")[:10], f"#{hit['id']}"]
        if hit["copies"] > 1:
            meta.append(f"{hit['copies']} copies")
        console.print(Text("   " + " · ".join(m for m in meta if m), style="dim"))
        snip = Text("   " + hit["snippet_text"])
        for a, b in hit["highlights"]:
            snip.stylize("bold yellow", a + 3, b + 3)
        console.print(snip)
        console.print(Text("   " + hit["url"], style="blue"))


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Query: words, "phrases", AND/OR/NOT, field:value.')],
    source: Annotated[
        str | None, typer.Option(help="Only this source (the publisher the page names).")
    ] = None,
    site: Annotated[
        str | None, typer.Option(help="Only articles crawled from this site (profile key).")
    ] = None,
    type_: Annotated[
        str | None,
        typer.Option("--type", help="Only this fraud type: its name or an alias (杀猪盘, 刷单…)."),
    ] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option(help="Number of hits.")] = 10,
    offset: Annotated[int, typer.Option(help="Skip this many hits (paging).")] = 0,
    all_copies: Annotated[
        bool, typer.Option("--all-copies", help="Do not collapse reposts.")
    ] = False,
    sort: Annotated[str, typer.Option(help="relevance or date (newest first).")] = "relevance",
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Full-text search, one hit per story.

    A run of Chinese characters matches where it occurs verbatim; title:, source:,
    site:, type:, kind: restrict a term to a field. Matches are marked 【】 in the JSON
    "snippet" ("highlights" gives the same as offsets into "snippet_text").

    Example: fanzha search '"一证通查" OR 96110' --since 2022-01-01 --json
    """
    from search import search as run_search

    with cli_errors():
        archive = read_archive(settings(home, db))
        result = run_search(
            archive,
            query,
            source=source,
            site=site,
            fraud_type=type_,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
            all_copies=all_copies,
            sort=sort,
        )
    if json_:
        emit_json(result)
    else:
        _print_hits(result)


@app.command()
def export(
    format_: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    query: Annotated[str | None, typer.Option(help="Only articles matching this query.")] = None,
    home: HomeOpt = None,
    db: DbOpt = None,
) -> None:
    """Export articles (all, or a query's results) as JSON lines or CSV on stdout.

    Example: fanzha export --format csv > bulletins.csv
    """
    from search.export import export_articles

    with cli_errors():
        archive = read_archive(settings(home, db))
        try:
            export_articles(archive, format_, sys.stdout, query=query)
        except BrokenPipeError:  # the reader stopped early (| head): not an error
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
