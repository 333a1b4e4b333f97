"""``fanzha enqueue``, ``fanzha worker``, ``fanzha status``: crawling on many hosts from
one Redis frontier into one PostgreSQL archive (docs/operations.md "Scaling out")."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import typer
from rich.table import Table

from .app import DbOpt, HomeOpt, JsonOpt, app, cli_errors, console, emit_json, settings
from .crawling import SitesOpt, choose_profiles
from .output import StageProgress

RedisOpt = Annotated[
    str | None,
    typer.Option(
        "--redis", envvar="FANZHA_REDIS", help="Redis URL of the frontier (redis://host:6379/0)."
    ),
]


def open_frontier(redis: str | None, archive: Any, lease_seconds: float = 300.0) -> Any:
    from crawler.frontier import Frontier
    from crawler.worker import require_shared_archive

    require_shared_archive(archive)
    return Frontier.open(redis, archive.engine.url.render_as_string(False), lease_seconds)


@app.command()
def enqueue(
    site: Annotated[list[str] | None, typer.Argument(help="Site keys to enqueue.")] = None,
    sites: SitesOpt = None,
    all_: Annotated[bool, typer.Option("--all", help="Every configured site.")] = False,
    redis: RedisOpt = None,
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Put the sites' start requests into the shared frontier for ``fanzha worker``s.

    The profiles go with them: worker hosts need no sites file. Run it again after a
    Redis restart: what the archive has is not stored again.

    Example: FANZHA_REDIS=redis://10.0.0.5:6379/0 fanzha enqueue --sites sites.toml
    """
    with cli_errors():
        from crawler.worker import enqueue as put

        chosen = choose_profiles(site, sites, all_)
        archive = settings(home, db, sites).open_archive()
        result = put(open_frontier(redis, archive), chosen)
    if json_:
        emit_json(result)
    else:
        console.print(f"enqueued {result['requests']} requests of {result['sites']} sites")


@app.command()
def worker(
    until_idle: Annotated[
        bool,
        typer.Option("--until-idle", help="Exit when the frontier is empty and nothing is leased."),
    ] = False,
    lease_seconds: Annotated[
        float,
        typer.Option("--lease-seconds", min=5, help="A dead worker's requests return after this."),
    ] = 300.0,
    redis: RedisOpt = None,
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Crawl from the shared frontier into the shared (PostgreSQL) archive.

    Run any number, on any number of hosts. Exit 0, or 1 when a site it fetched from
    never answered; 2 on SQLite or without Redis.

    Example: fanzha worker --until-idle --lease-seconds 120
    """
    with cli_errors(), StageProgress(bars=False, level=logging.WARNING):
        from crawler.worker import run_worker

        archive = settings(home, db).open_archive()
        frontier = open_frontier(redis, archive, lease_seconds)
        report = run_worker(archive, frontier, until_idle=until_idle)
    if json_:
        emit_json(report.as_json())
    else:
        console.print(
            f"worker {report.worker}: run {report.run} {report.status}, {report.pages} pages"
        )
    raise typer.Exit(report.exit_code)


@app.command()
def status(
    redis: RedisOpt = None, home: HomeOpt = None, db: DbOpt = None, json_: JsonOpt = False
) -> None:
    """The frontier per site (queued, leased, done, failed), live workers, leases."""
    with cli_errors():
        from .app import read_archive

        archive = read_archive(settings(home, db))
        data = open_frontier(redis, archive).status()
    if json_:
        emit_json(data)
        return
    table = Table("site", "queued", "leased", "done", "failed", box=None)
    for key, fig in data["sites"].items():
        table.add_row(key, *(str(fig[k]) for k in ("queued", "leased", "done", "failed")))
    console.print(table)
    for w in data["workers"]:
        console.print(f"worker {w['worker']}: {w.get('pages', 0)} pages, heartbeat {w['age']}s ago")
    for lease in data["leases"][:20]:
        console.print(
            f"  lease {lease['site']} {lease['url']} by {lease['worker']} "
            f"({lease['expires_in']}s left)",
            markup=False,
        )
