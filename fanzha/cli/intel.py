"""``fanzha indicators`` and ``fanzha retag``: what the bulletins name, and tagging the
archive again (fraud types and indicators) after the rules change."""

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
def indicators(
    kind: Annotated[
        str | None,
        typer.Option(help="phone, url, app, qq, wechat, bank_account or amount."),
    ] = None,
    role: Annotated[str | None, typer.Option(help="suspect, official, loss or other.")] = None,
    value: Annotated[str | None, typer.Option(help="One value (as normalised).")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many values.")] = 100,
    home: HomeOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List the phone numbers, web addresses, apps, accounts and amounts the bulletins
    name, most-named first, with first and last seen, bulletins, sites and fraud types.

    Example: fanzha indicators --kind phone --role suspect
    """
    with cli_errors():
        from archive.indicators import summarise

        archive = read_archive(settings(home, db))
        with archive.session() as s:
            rows = summarise(s, kind=kind, role=role, value=value, limit=limit)
    if json_:
        emit_json({"count": len(rows), "indicators": [r.as_json() for r in rows]})
        return
    if not rows:
        console.print("no indicators (an archive older than them needs `fanzha retag` once)")
        return
    table = Table("kind", "value", "role", "bulletins", "sites", "first", "last", "fraud types")
    for r in rows:
        data = r.as_json()
        table.add_row(
            r.kind,
            escape(r.value),
            r.role,
            str(r.bulletins),
            str(r.sites),
            (data["first_seen"] or "")[:10],
            (data["last_seen"] or "")[:10],
            escape("、".join(r.fraud_types)),
        )
    console.print(table)


@app.command()
def retag(home: HomeOpt = None, db: DbOpt = None, json_: JsonOpt = False) -> None:
    """Tag every article again from its text: fraud types and indicators.

    Run it after the taxonomy or the indicator rules change, and once on an archive made
    before indicators were kept; changed articles are re-indexed by the next index run.

    Example: fanzha retag && fanzha index
    """
    with cli_errors():
        from archive.retag import retag as run_retag

        archive = read_archive(settings(home, db))
        report = run_retag(archive)
    if json_:
        emit_json(report.as_json())
        return
    console.print(
        f"{report.articles} articles tagged again: fraud types changed on "
        f"{report.types_changed}, indicators on {report.indicators_changed}"
    )
