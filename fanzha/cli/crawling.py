"""``fanzha crawl`` and ``fanzha sites``: the Scrapy spiders and their site profiles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import DbOpt, HomeOpt, JsonOpt, app, cli_errors, not_built

SitesOpt = Annotated[Path | None, typer.Option("--sites", help="TOML file of extra site profiles.")]


@app.command()
def crawl(
    site: Annotated[list[str] | None, typer.Argument(help="Site keys to crawl.")] = None,
    sites: SitesOpt = None,
    all_: Annotated[bool, typer.Option("--all", help="Crawl every configured site.")] = False,
    refresh: Annotated[bool, typer.Option(help="Fetch archived articles again.")] = False,
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Run the spiders and store what they find.

    Example: fanzha crawl chinacom --json
    """
    with cli_errors():
        not_built("crawl", "issue 7")


@app.command("sites")
def sites_(
    sites: SitesOpt = None, home: HomeOpt = None, db: DbOpt = None, json_: JsonOpt = False
) -> None:
    """List the configured site profiles.

    Example: fanzha sites --sites my-sites.toml
    """
    with cli_errors():
        not_built("sites", "issue 7")
