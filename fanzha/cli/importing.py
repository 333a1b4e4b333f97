"""``fanzha import``: local files into the archive."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Column, Table
from rich.text import Text

from .app import DbOpt, HomeOpt, JsonOpt, app, cli_errors, console, emit_json, fail, settings


@app.command("import")
def import_(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (recursive).")],
    source: Annotated[str | None, typer.Option(help="Publisher name for every file.")] = None,
    url: Annotated[str | None, typer.Option(help="Original URL (one file only).")] = None,
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Import local .md (front matter) / .txt / .html / .warc files.

    Importing the same file again is reported as skipped; a changed file at the same
    path or URL becomes a new version. Exit 1 when some files failed, 2 when all did.

    Example: fanzha import ../shared/seeds/ --json
    """
    with cli_errors():
        if url and (len(paths) != 1 or paths[0].is_dir()):
            fail("--url applies to a single file")
        from archive.importers.batch import import_paths

        archive = settings(home, db).open_archive()
        report = import_paths(archive, paths, source=source, url=url)
    if json_:
        emit_json(report.as_json())
    else:
        _print_report(report)
    if report.errors:
        raise typer.Exit(1 if (report.imported or report.updated or report.skipped) else 2)


def _print_report(report) -> None:
    """A table of the files; their titles, paths and errors printed as text, not markup."""
    table = Table(
        "status",
        "id",
        Column("title", overflow="fold"),  # a long Chinese title wraps, cut nowhere
        Column("path", overflow="fold"),
        box=None,
        pad_edge=False,
    )
    for row in report.imported:
        table.add_row("[green]new[/]", str(row["id"]), Text(row["title"]), Text(row["path"]))
    for row in report.updated:
        table.add_row("[cyan]updated[/]", str(row["id"]), Text(row["title"]), Text(row["path"]))
    for row in report.skipped:
        table.add_row(
            "[dim]skipped[/]", str(row.get("id", "")), Text(row.get("title", "")), Text(row["path"])
        )
    for row in report.errors:
        table.add_row("[red]error[/]", "", Text(row["error"]), Text(row["path"]))
    if table.row_count:
        console.print(table)
    console.print(
        f"{len(report.imported)} imported, {len(report.updated)} updated, "
        f"{len(report.skipped)} skipped, {len(report.errors)} errors"
    )
