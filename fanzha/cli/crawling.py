"""``fanzha crawl`` and ``fanzha sites``: the Scrapy spiders and their site profiles."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from .app import (
    DbOpt,
    HomeOpt,
    JsonOpt,
    app,
    cli_errors,
    console,
    emit_json,
    fail,
    settings,
)
from .output import StageProgress

SitesOpt = Annotated[Path | None, typer.Option("--sites", help="TOML file of extra site profiles.")]


def choose_profiles(keys: list[str] | None, sites_file: Path | None, all_: bool) -> list[Any]:
    """Sites named on the command line; else --all; else every site of --sites FILE
    (without those marked ``enabled = false``: only a name crawls them)."""
    from crawler.profiles import (
        enabled_profiles,
        load_profiles,
        read_profiles_file,
        select_profiles,
    )

    profiles = load_profiles(sites_file)
    if keys:
        return select_profiles(profiles, keys)
    if all_:
        return enabled_profiles(profiles)
    if sites_file is not None:
        wanted = [p.key for p in read_profiles_file(sites_file)]
        return enabled_profiles(select_profiles(profiles, wanted))
    fail("name the sites to crawl (see 'fanzha sites'), or give --all or --sites FILE")


@app.command()
def crawl(
    site: Annotated[list[str] | None, typer.Argument(help="Site keys to crawl.")] = None,
    sites: SitesOpt = None,
    all_: Annotated[bool, typer.Option("--all", help="Crawl every configured site.")] = False,
    refresh: Annotated[bool, typer.Option(help="Fetch archived articles again.")] = False,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", "-s", help="A Scrapy setting, NAME=VALUE (repeatable)."),
    ] = None,
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Run the spiders and store what they find.

    Without site keys, crawls every site of --sites FILE (or all sites with --all).
    Articles already archived are not fetched again unless --refresh. Exit 0 when every
    site was reached, 1 when a site could not be crawled at all (one line on stderr per
    such site); Scrapy's log is in HOME/logs/crawl-<run>.log. -s NAME=VALUE sets a
    Scrapy setting (as scrapy crawl -s).

    Example: fanzha crawl chinacom mps --json
    """
    # Progress bars on a terminal; only warnings (a site not reached) as log lines.
    with cli_errors(), StageProgress(bars=not json_, level=logging.WARNING) as progress:
        from archive.runs import mark_dead_runs
        from crawler.runner import crawl as run_crawl

        from ..jobs.lock import crawl_lock

        chosen = choose_profiles(site, sites, all_)
        overrides = _settings(set_ or [])
        archive = settings(home, db, sites).open_archive()
        with crawl_lock(archive):  # SQLite: never two writers at once (exit 3)
            mark_dead_runs(archive)
            report = run_crawl(
                archive,
                chosen,
                refresh=refresh,
                progress=None if json_ else progress,
                settings=overrides,
            )
    if json_:
        emit_json(report.as_json())
    else:
        _print_report(report)
    raise typer.Exit(report.exit_code)


def _settings(pairs: list[str]) -> dict[str, str]:
    """``-s NAME=VALUE`` pairs, as ``scrapy crawl -s`` takes them."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            fail(f"--set wants NAME=VALUE, got {pair!r}")
        out[name.strip()] = value
    return out


def _print_report(report: Any) -> None:
    table = Table("site", "pages", "new", "updated", "unchanged", "errors", "seconds", box=None)
    for key, fig in report.sites.items():
        table.add_row(
            key,
            *(str(fig[k]) for k in ("pages", "new", "updated", "unchanged", "errors")),
            f"{fig['seconds']:.1f}",
        )
    console.print(table)
    for err in report.error_list[:20]:
        console.print(f"  [red]error[/] {err['site']} {err['url']}: {err['error']}", soft_wrap=True)
    if len(report.error_list) > 20:
        console.print(f"  … and {len(report.error_list) - 20} more errors (fanzha runs --json)")
    colour = "green" if report.status == "ok" else "red"
    console.print(
        f"run {report.run}: [{colour}]{report.status}[/] — {report.pages} pages, {report.new} new, "
        f"{report.updated} updated, {report.unchanged} unchanged, {report.errors} errors"
    )
    if report.log_path:
        console.print(f"log: {report.log_path}", markup=False, soft_wrap=True)


@app.command("sites")
def sites_(
    sites: SitesOpt = None, home: HomeOpt = None, db: DbOpt = None, json_: JsonOpt = False
) -> None:
    """List the configured site profiles (built-in, plus --sites FILE).

    Example: fanzha sites --sites my-sites.toml
    """
    with cli_errors():
        from crawler.profiles import load_profiles

        profiles = load_profiles(sites)
    if json_:
        emit_json([p.as_json() for p in profiles])
        return
    table = Table("key", "name", "kind", "relevance", "enabled", "domains", "from", box=None)
    for p in profiles:
        origin = "built-in" if p.origin.startswith("built-in") else Path(p.origin).name
        on = "yes" if p.enabled else "no"
        table.add_row(p.key, p.name, p.kind, p.relevance, on, " ".join(p.domains), origin)
    console.print(table)
