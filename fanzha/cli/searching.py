"""``fanzha index``, ``search`` and ``export``: the Whoosh full-text index."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import DbOpt, HomeOpt, JsonOpt, app, cli_errors, not_built


@app.command()
def index(
    rebuild: Annotated[bool, typer.Option(help="Build the index anew from the archive.")] = False,
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Bring the search index up to date with the archive.

    Example: fanzha index
    """
    with cli_errors():
        not_built("index", "issue 4")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='Query: words, "phrases", AND/OR/NOT, field:value.')],
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="Only this fraud type.")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option(help="Number of hits.")] = 10,
    all_copies: Annotated[
        bool, typer.Option("--all-copies", help="Do not collapse reposts.")
    ] = False,
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Full-text search, one hit per story.

    Example: fanzha search '"一证通查"' --since 2022-01-01
    """
    with cli_errors():
        not_built("search", "issue 4")


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
    with cli_errors():
        not_built("export", "issue 4")
