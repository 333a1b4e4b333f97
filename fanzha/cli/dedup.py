"""``fanzha dedup``, ``dups``, ``diff`` and ``check``: near-duplicates and what changed."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import DbOpt, HomeOpt, JsonOpt, app, cli_errors, not_built


@app.command()
def dedup(
    rebuild: Annotated[bool, typer.Option(help="Recluster every article from scratch.")] = False,
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Cluster new articles with their near-duplicates and record the differences.

    Example: fanzha dedup --json
    """
    with cli_errors():
        not_built("dedup", "issue 3")


@app.command()
def dups(
    cluster: Annotated[int | None, typer.Argument(help="A cluster id.")] = None,
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List clusters of near-duplicates, or one cluster with its members.

    Example: fanzha dups 3
    """
    with cli_errors():
        not_built("dups", "issue 3")


@app.command()
def diff(
    a: Annotated[str, typer.Argument(help="Article id or URL.")],
    b: Annotated[str, typer.Argument(help="Article id or URL.")],
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show what changed between two articles.

    Example: fanzha diff 1 2
    """
    with cli_errors():
        not_built("diff", "issue 3")


@app.command()
def check(
    target: Annotated[str, typer.Argument(help="A URL, a file, or - for standard input.")],
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Is this text already archived? Near-duplicates with similarity and relation.

    Example: fanzha check article.txt
    """
    with cli_errors():
        not_built("check", "issue 3")
