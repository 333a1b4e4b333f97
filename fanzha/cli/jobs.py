"""``fanzha nightly`` and ``fanzha runs``: the scheduled job and its records."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import DbOpt, HomeOpt, JsonOpt, app, cli_errors, not_built


@app.command()
def nightly(
    sites: Annotated[
        Path | None, typer.Option("--sites", help="TOML file of site profiles.")
    ] = None,
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Crawl, dedup and index in one locked, recorded run.

    Example: fanzha nightly --json
    """
    with cli_errors():
        not_built("nightly", "issue 5")


@app.command()
def runs(home: HomeOpt = None, db: DbOpt = None, json_: JsonOpt = False) -> None:
    """List crawl runs and their figures.

    Example: fanzha runs --json
    """
    with cli_errors():
        not_built("runs", "issue 5")
