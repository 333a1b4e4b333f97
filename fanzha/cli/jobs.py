"""``fanzha nightly`` and ``fanzha runs``: the scheduled job and its records."""

from __future__ import annotations

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
    read_archive,
    settings,
)
from .output import StageProgress


@app.command()
def nightly(
    sites: Annotated[
        Path | None, typer.Option("--sites", help="TOML file of site profiles.")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write the run's JSON summary here.")
    ] = None,
    distributed: Annotated[
        bool,
        typer.Option(
            "--distributed",
            help="Enqueue into the Redis frontier and wait for 'fanzha worker's (PostgreSQL).",
        ),
    ] = False,
    redis: Annotated[
        str | None, typer.Option("--redis", envvar="FANZHA_REDIS", help="Redis URL.")
    ] = None,
    deadline: Annotated[
        float,
        typer.Option("--deadline", min=1, help="With --distributed: seconds to wait for workers."),
    ] = 6 * 3600,
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Crawl, dedup and index in one locked, recorded run.

    Exit 0 when every stage ran and every site was reached, 1 when the run was partial
    or failed (a site down, a stage with errors), 2 for bad usage, 3 when another writer
    holds the lock. The log of each run is in HOME/logs/run-NNNNN.log.

    Example: fanzha nightly --sites /etc/fanzha/sites.toml --report /var/log/fanzha/last.json
    """
    from ..jobs.nightly import run_nightly

    with cli_errors(), StageProgress() as progress:
        if distributed:  # docs/operations.md "Scaling out": workers on other hosts do the crawling
            from ..jobs.distributed import run_distributed_nightly

            result = run_distributed_nightly(
                settings(home, db, sites),
                redis=redis,
                sites_file=sites,
                deadline_seconds=deadline,
                progress=progress,
                report_file=report,
            )
        else:
            result = run_nightly(
                settings(home, db, sites), sites_file=sites, progress=progress, report_file=report
            )
    if json_:
        emit_json(result.as_json())
    else:
        _print_run(result.as_json())
    if result.status != "ok":
        raise typer.Exit(1)


def _print_run(summary: dict[str, Any]) -> None:
    colour = {"ok": "green", "partial": "yellow", "failed": "red"}.get(summary["status"], "white")
    console.print(
        f"run {summary['run']}: [{colour}]{summary['status']}[/]  "
        f"pages {summary['pages']}, new {summary['new']}, updated {summary['updated']}, "
        f"unchanged {summary['unchanged']}, errors {summary['errors']}"
    )
    stages = (summary.get("figures") or {}).get("stages", {})
    if stages:
        table = Table("stage", "result", "seconds", box=None)
        for name, fig in stages.items():
            shown = fig.get("error") or ", ".join(
                f"{k} {v}"
                for k, v in fig.items()
                if k not in ("seconds", "status", "run") and not isinstance(v, dict | list)
            )
            table.add_row(name, shown, str(fig.get("seconds", "")))
        console.print(table)
    sites = (summary.get("figures") or {}).get("sites", {})
    if sites:
        table = Table("site", "pages", "new", "updated", "unchanged", "errors", "seconds", box=None)
        for key, fig in sites.items():
            table.add_row(
                key,
                *(
                    str(fig.get(k, ""))
                    for k in ("pages", "new", "updated", "unchanged", "errors", "seconds")
                ),
            )
        console.print(table)
    if summary.get("log"):
        console.print(f"log: {summary['log']}")


@app.command()
def runs(
    run: Annotated[int | None, typer.Argument(help="A run id: its figures and errors.")] = None,
    limit: Annotated[int, typer.Option(help="How many runs to list.")] = 20,
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List crawl and nightly runs and their figures, or one run with its errors.

    Example: fanzha runs --json
    """
    from archive import runs as crawl_runs
    from archive.errors import NotFound

    with cli_errors():
        from archive.lookup import MAX_ID

        if run is not None and not 1 <= run <= MAX_ID:  # no such id column value
            fail(f"no run {run}")
        if limit > MAX_ID:  # the driver would overflow
            fail(f"--limit must be at most {MAX_ID}")
        archive = read_archive(settings(home, db))
        if run is not None:
            try:
                with archive.session() as s:
                    detail = crawl_runs.get_run(s, run)
            except NotFound:
                fail(f"no run {run}")
            if json_:
                emit_json(detail)
                return
            _print_run(detail)
            for e in detail["error_list"]:
                console.print(
                    f"  [red]{e['status'] or ''}[/] {e['site'] or ''} {e['url'] or ''}: {e['error']}"
                )
            return
        crawl_runs.mark_dead_runs(archive)
        with archive.session() as s:
            rows = crawl_runs.list_runs(s, limit)
    if json_:
        emit_json(rows)
        return
    table = Table("run", "kind", "status", "started", "pages", "new", "updated", "errors", box=None)
    for r in rows:
        table.add_row(
            str(r["run"]),
            r["kind"],
            r["status"],
            (r["started"] or "")[:19],
            str(r["pages"]),
            str(r["new"]),
            str(r["updated"]),
            str(r["errors"]),
        )
    console.print(table if rows else "no runs yet")
