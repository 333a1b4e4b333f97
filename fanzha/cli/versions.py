"""``fanzha versions``: the texts one URL has had, with their dates.

Compare two of them with ``fanzha diff REF@1 REF@2`` (``dedup.diff``)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from .app import (
    DbOpt,
    HomeOpt,
    JsonOpt,
    app,
    cli_errors,
    console,
    emit_json,
    read_archive,
    settings,
)


@app.command()
def versions(
    ref: Annotated[str, typer.Argument(help="Article id or URL.")],
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List the versions of one URL (1 = oldest kept, the last = current), with dates.

    Example: fanzha versions 7; then fanzha diff 7@1 7@2
    """
    with cli_errors():
        from archive.versions import list_versions

        archive = read_archive(settings(home, db))  # a read: never a new archive
        with archive.session() as s:
            data = list_versions(s, ref)
    if json_:
        emit_json(data)
        return
    art = data["article"]
    console.print(f"[bold]article {art['id']}[/] {escape(art['url'])} — {art['versions']} versions")
    table = Table("version", "fetched", "replaced", "chars", "title", box=None, pad_edge=False)
    for v in data["versions"]:
        table.add_row(
            f"{v['version']}{' (current)' if v['current'] else ''}",
            (v["fetched"] or "")[:16].replace("T", " "),
            (v["replaced"] or "")[:16].replace("T", " "),
            str(v["chars"]),
            escape(v["title"] or ""),
        )
    console.print(table)
